// ContentDigester. See content_digests.h. OpenSSL's low-level MD5 and SHA-256, as
// storage/s3/s3_auth.cpp uses them (an EVP fetch per digest costs more than hashing a small body).
#define OPENSSL_SUPPRESS_DEPRECATED
#include "common/crypto/content_digests.h"

#include <openssl/evp.h>
#include <openssl/md5.h>
#include <openssl/sha.h>

#include <array>

#include "common/error.h"

namespace pgark::crypto {

struct ContentDigester::Impl {
    MD5_CTX md5{};
    SHA256_CTX sha256{};
    std::uint64_t size = 0;
};

ContentDigester::ContentDigester() : impl_(std::make_unique<Impl>()) {
    if (MD5_Init(&impl_->md5) != 1 || SHA256_Init(&impl_->sha256) != 1)
        throwError(ErrorCode::Crypto, "unable to start MD5 and SHA-256 digests (openssl)");
}

ContentDigester::~ContentDigester() = default;

void ContentDigester::update(io::ByteView data) {
    if (data.empty()) return;
    if (MD5_Update(&impl_->md5, data.data(), data.size()) != 1 || SHA256_Update(&impl_->sha256, data.data(), data.size()) != 1)
        throwError(ErrorCode::Crypto, "unable to compute MD5 and SHA-256 digests (openssl)");
    impl_->size += data.size();
}

ContentDigests ContentDigester::finish() {
    std::array<unsigned char, MD5_DIGEST_LENGTH> md5{};
    std::array<unsigned char, SHA256_DIGEST_LENGTH> sha256{};
    if (MD5_Final(md5.data(), &impl_->md5) != 1 || SHA256_Final(sha256.data(), &impl_->sha256) != 1)
        throwError(ErrorCode::Crypto, "unable to compute MD5 and SHA-256 digests (openssl)");
    ContentDigests digests;
    digests.size = impl_->size;
    unsigned char base64[32];
    // EVP_EncodeBlock is plain base64 (no provider involved).
    const int encoded = EVP_EncodeBlock(base64, md5.data(), static_cast<int>(md5.size()));
    digests.md5Base64.assign(reinterpret_cast<const char*>(base64), static_cast<std::size_t>(encoded));
    static constexpr char kHex[] = "0123456789abcdef";
    digests.sha256Hex.resize(sha256.size() * 2);
    for (std::size_t i = 0; i < sha256.size(); ++i) {
        digests.sha256Hex[2 * i] = kHex[sha256[i] >> 4];
        digests.sha256Hex[2 * i + 1] = kHex[sha256[i] & 15];
    }
    return digests;
}

ContentDigests contentDigests(io::ByteView data) {
    ContentDigester digester;
    digester.update(data);
    return digester.finish();
}

}  // namespace pgark::crypto
