// contentDigests(), BackgroundContentDigester. See content_digests.h. OpenSSL's low-level MD5 and SHA-256, as
// storage/s3/s3_auth.cpp uses them (an EVP fetch per digest costs more than hashing a small body).
#define OPENSSL_SUPPRESS_DEPRECATED
#include "common/crypto/content_digests.h"

#include <openssl/evp.h>
#include <openssl/md5.h>
#include <openssl/sha.h>

#include <array>

#include "common/crypto/encoding.h"
#include "common/error.h"
#include "common/serial_worker.h"

namespace pgark::crypto {

namespace {

// Both digests in progress, and the size so far.
struct Digests {
    MD5_CTX md5{};
    SHA256_CTX sha256{};
    std::uint64_t size = 0;

    Digests() {
        if (MD5_Init(&md5) != 1 || SHA256_Init(&sha256) != 1)
            throwError(ErrorCode::Crypto, "unable to start MD5 and SHA-256 digests (openssl)");
    }
    void updateMd5(io::ByteView data) {
        if (MD5_Update(&md5, data.data(), data.size()) != 1)
            throwError(ErrorCode::Crypto, "unable to compute an MD5 digest (openssl)");
    }
    void updateSha256(io::ByteView data) {
        if (SHA256_Update(&sha256, data.data(), data.size()) != 1)
            throwError(ErrorCode::Crypto, "unable to compute a SHA-256 digest (openssl)");
    }
    ContentDigests finish();
};

ContentDigests Digests::finish() {
    std::array<unsigned char, MD5_DIGEST_LENGTH> md5Digest{};
    std::array<unsigned char, SHA256_DIGEST_LENGTH> sha256Digest{};
    if (MD5_Final(md5Digest.data(), &md5) != 1 || SHA256_Final(sha256Digest.data(), &sha256) != 1)
        throwError(ErrorCode::Crypto, "unable to compute MD5 and SHA-256 digests (openssl)");
    ContentDigests digests;
    digests.size = size;
    digests.md5Base64 = base64(md5Digest.data(), md5Digest.size());
    digests.sha256Hex = lowerHex(sha256Digest.data(), sha256Digest.size());
    return digests;
}

}  // namespace

struct BackgroundContentDigester::Impl {
    Digests digests;
    std::uint64_t md5Ticket = 0, sha256Ticket = 0;  // of the last piece queued
    // Declared after the digests their tasks update, so they stop before those are destroyed.
    SerialWorker md5Worker, sha256Worker;
};

BackgroundContentDigester::BackgroundContentDigester() : impl_(std::make_unique<Impl>()) {}

BackgroundContentDigester::~BackgroundContentDigester() = default;

void BackgroundContentDigester::update(io::ByteView data) {
    if (data.empty()) return;
    Digests& digests = impl_->digests;
    impl_->md5Ticket = impl_->md5Worker.submit([&digests, data] { digests.updateMd5(data); });
    impl_->sha256Ticket = impl_->sha256Worker.submit([&digests, data] { digests.updateSha256(data); });
    digests.size += data.size();
}

void BackgroundContentDigester::wait() {
    impl_->md5Worker.waitFor(impl_->md5Ticket);
    impl_->sha256Worker.waitFor(impl_->sha256Ticket);
}

ContentDigests BackgroundContentDigester::finish() {
    wait();
    return impl_->digests.finish();
}

ContentDigests contentDigests(io::ByteView data) {
    Digests digests;
    digests.updateMd5(data);
    digests.updateSha256(data);
    digests.size = data.size();
    return digests.finish();
}

}  // namespace pgark::crypto
