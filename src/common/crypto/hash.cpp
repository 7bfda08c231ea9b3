// SHA-1 through OpenSSL's low-level SHA1_* functions, and the Sha1 and Size observer filters.
// Not EVP: the first EVP digest of a process loads openssl.cnf and registers every algorithm of
// the default provider, about 0.6 ms of CPU, which a short command (archive-get, whose only
// SHA-1 may be archive.info's) paid for a hash of a few hundred bytes. SHA1_Update runs the same
// assembly the provider does, so bulk hashing is as fast. These functions are deprecated in
// OpenSSL 3 but still part of it; the cipher code keeps using EVP.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "common/crypto/hash.h"

#include <openssl/sha.h>

#include "common/crypto/encoding.h"
#include "common/error.h"

namespace pgark::crypto {

namespace {

constexpr std::size_t kSha1Bytes = 20;

[[noreturn]] void throwOpenSsl(std::string_view what) {
    throwError(ErrorCode::Crypto, "unable to {} (openssl)", what);
}

}  // namespace

struct Sha1Hasher::Impl {
    SHA_CTX context;
    bool finished = false;

    Impl() {
        if (SHA1_Init(&context) != 1) throwOpenSsl("initialize sha1");
    }
};

Sha1Hasher::Sha1Hasher() : impl_(std::make_unique<Impl>()) {}
Sha1Hasher::~Sha1Hasher() = default;

void Sha1Hasher::update(io::ByteView data) {
    if (impl_->finished) throwError(ErrorCode::Assert, "sha1 hasher updated after finalHex()");
    if (data.empty()) return;
    if (SHA1_Update(&impl_->context, data.data(), data.size()) != 1) throwOpenSsl("update sha1");
}

std::string Sha1Hasher::finalHex() {
    if (impl_->finished) throwError(ErrorCode::Assert, "sha1 hasher finalized twice");
    unsigned char digest[SHA_DIGEST_LENGTH];
    static_assert(SHA_DIGEST_LENGTH == kSha1Bytes);
    if (SHA1_Final(digest, &impl_->context) != 1) throwOpenSsl("finish sha1");
    impl_->finished = true;

    return lowerHex(digest, kSha1Bytes);
}

std::string sha1Hex(io::ByteView data) {
    Sha1Hasher hasher;
    hasher.update(data);
    return hasher.finalHex();
}

namespace {

class Sha1Filter final : public io::Filter {
public:
    io::FilterType type() const noexcept override { return io::FilterType::Sha1; }
    bool observer() const noexcept override { return true; }

    void observe(io::ByteView data) override {
        if (!digest_.empty()) {
            // Nothing may follow the end-of-input signal; a repeated end signal is harmless.
            if (!data.empty()) throwError(ErrorCode::Assert, "sha1 filter saw data after end of input");
            return;
        }
        if (data.empty())
            digest_ = hasher_.finalHex();
        else
            hasher_.update(data);
    }

    // Empty until end of input: a digest of a prefix would look valid and be wrong.
    io::FilterResult result() const override {
        if (digest_.empty()) return {};
        return digest_;
    }
    io::FilterSpec spec() const override { return {io::FilterType::Sha1, {}}; }

private:
    Sha1Hasher hasher_;
    std::string digest_;
};

class SizeFilter final : public io::Filter {
public:
    io::FilterType type() const noexcept override { return io::FilterType::Size; }
    bool observer() const noexcept override { return true; }
    void observe(io::ByteView data) override { bytes_ += data.size(); }
    io::FilterResult result() const override { return bytes_; }
    io::FilterSpec spec() const override { return {io::FilterType::Size, {}}; }

private:
    std::uint64_t bytes_ = 0;
};

}  // namespace

std::unique_ptr<io::Filter> makeSha1Filter() { return std::make_unique<Sha1Filter>(); }
std::unique_ptr<io::Filter> makeSizeFilter() { return std::make_unique<SizeFilter>(); }

}  // namespace pgark::crypto
