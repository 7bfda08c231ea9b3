// contentDigests(), BackgroundContentDigester. See content_digests.h. OpenSSL's low-level MD5, as
// storage/s3/s3_auth.cpp uses it (an EVP fetch per digest costs more than hashing a small body).
#define OPENSSL_SUPPRESS_DEPRECATED
#include "common/crypto/content_digests.h"

#include <openssl/md5.h>

#include <array>

#include "common/crypto/encoding.h"
#include "common/error.h"
#include "common/serial_worker.h"

namespace pgark::crypto {

namespace {

// The digest in progress, and the size so far.
struct Digests {
    MD5_CTX md5{};
    std::uint64_t size = 0;

    Digests() {
        if (MD5_Init(&md5) != 1) throwError(ErrorCode::Crypto, "unable to start an MD5 digest (openssl)");
    }
    void update(io::ByteView data) {
        if (MD5_Update(&md5, data.data(), data.size()) != 1)
            throwError(ErrorCode::Crypto, "unable to compute an MD5 digest (openssl)");
    }
    ContentDigests finish();
};

ContentDigests Digests::finish() {
    std::array<unsigned char, MD5_DIGEST_LENGTH> md5Digest{};
    if (MD5_Final(md5Digest.data(), &md5) != 1) throwError(ErrorCode::Crypto, "unable to compute an MD5 digest (openssl)");
    return ContentDigests{.size = size, .md5Base64 = base64(md5Digest.data(), md5Digest.size())};
}

}  // namespace

struct BackgroundContentDigester::Impl {
    Digests digests;
    std::uint64_t ticket = 0;  // of the last piece queued
    // Declared after the digests its tasks update, so it stops before those are destroyed.
    SerialWorker worker;
};

BackgroundContentDigester::BackgroundContentDigester() : impl_(std::make_unique<Impl>()) {}

BackgroundContentDigester::~BackgroundContentDigester() = default;

void BackgroundContentDigester::update(io::ByteView data) {
    if (data.empty()) return;
    Digests& digests = impl_->digests;
    impl_->ticket = impl_->worker.submit([&digests, data] { digests.update(data); });
    digests.size += data.size();
}

void BackgroundContentDigester::wait() { impl_->worker.waitFor(impl_->ticket); }

ContentDigests BackgroundContentDigester::finish() {
    wait();
    return impl_->digests.finish();
}

ContentDigests contentDigests(io::ByteView data) {
    Digests digests;
    digests.update(data);
    digests.size = data.size();
    return digests.finish();
}

}  // namespace pgark::crypto
