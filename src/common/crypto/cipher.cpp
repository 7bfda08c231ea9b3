// aes-256-cbc filters in OpenSSL's "Salted__" layout (spec §7.1): "Salted__" ‖ 8-byte salt ‖
// ciphertext with PKCS#7 padding; key and IV from EVP_BytesToKey(SHA-1, one iteration).
//
// OpenSSL's EVP update calls may write up to a block more than they read, and a caller's output
// buffer may have only a few bytes free. Large writes go straight into the caller's buffer with
// the input cut so the worst case still fits; small ones go through a 64-byte staging area that
// is handed out over as many calls as it takes.
#include "common/crypto/cipher.h"

#include <algorithm>
#include <array>
#include <cstring>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/error.h"

namespace pgark::crypto {

namespace {

constexpr std::size_t kBlockSize = 16;                // AES block, bytes
constexpr std::size_t kSaltSize = 8;                  // bytes after the magic
constexpr std::string_view kMagic = "Salted__";       // OpenSSL's salted-format marker
constexpr std::size_t kHeaderSize = 8 + kSaltSize;    // magic + salt
constexpr std::size_t kMaxChunk = 64 * 1024 * 1024;   // bytes per EVP call: keeps lengths far below INT_MAX
constexpr std::size_t kPassBytes = 48;                // random bytes in a generated sub-passphrase

constexpr std::string_view kPassHint = "check that repo-cipher-pass is the passphrase the repository was created with";

[[noreturn]] void throwOpenSsl(std::string_view what) {
    throwError(ErrorCode::Crypto, "unable to {} (openssl)", what);
}

void randomBytes(unsigned char* out, std::size_t size) {
    if (RAND_bytes(out, static_cast<int>(size)) != 1) throwOpenSsl("generate random bytes");
}

class CipherFilter final : public io::Filter {
public:
    CipherFilter(CipherMode mode, std::string passphrase) : mode_(mode), pass_(std::move(passphrase)) {
        if (pass_.empty()) throwError(ErrorCode::Assert, "cipher passphrase must not be empty");
        context_ = EVP_CIPHER_CTX_new();
        if (context_ == nullptr) throwOpenSsl("allocate a cipher context");
    }
    ~CipherFilter() override {
        EVP_CIPHER_CTX_free(context_);
        OPENSSL_cleanse(pass_.data(), pass_.size());
    }
    CipherFilter(const CipherFilter&) = delete;
    CipherFilter& operator=(const CipherFilter&) = delete;

    io::FilterType type() const noexcept override {
        return mode_ == CipherMode::Encrypt ? io::FilterType::CipherEncrypt : io::FilterType::CipherDecrypt;
    }
    bool flushed() const noexcept override { return finished_ && pendingPos_ == pendingEnd_; }
    io::FilterSpec spec() const override { return {type(), {{"pass", pass_}}}; }

    std::size_t process(io::ByteView in, io::Buffer& out) override {
        if (!drainPending(out)) return 0;  // out is full
        std::size_t consumed = 0;
        if (!started_) {
            if (mode_ == CipherMode::Encrypt) {
                startEncrypt();
                if (!drainPending(out)) return 0;
            } else {
                consumed = takeHeader(in);
                if (!started_) return consumed;
                in = in.subspan(consumed);
            }
        }
        if (!in.empty()) return consumed + update(in, out);
        if (consumed != 0) return consumed;  // the header ended exactly here; end of input comes next call
        if (!finished_) finish();
        drainPending(out);
        return 0;
    }

private:
    const EVP_CIPHER* cipher() const noexcept { return EVP_aes_256_cbc(); }

    void init(const unsigned char* salt) {
        std::array<unsigned char, EVP_MAX_KEY_LENGTH> key{};
        std::array<unsigned char, EVP_MAX_IV_LENGTH> iv{};
        const int keyLength = EVP_BytesToKey(cipher(), EVP_sha1(), salt, reinterpret_cast<const unsigned char*>(pass_.data()),
                                             static_cast<int>(pass_.size()), 1, key.data(), iv.data());
        const int ok = keyLength == 32 ? (mode_ == CipherMode::Encrypt
                                              ? EVP_EncryptInit_ex(context_, cipher(), nullptr, key.data(), iv.data())
                                              : EVP_DecryptInit_ex(context_, cipher(), nullptr, key.data(), iv.data()))
                                       : 0;
        OPENSSL_cleanse(key.data(), key.size());
        OPENSSL_cleanse(iv.data(), iv.size());
        if (ok != 1) throwOpenSsl("initialize aes-256-cbc");
        started_ = true;
    }

    // The header is the first output, before any ciphertext.
    void startEncrypt() {
        unsigned char* header = pending_.data();
        std::memcpy(header, kMagic.data(), kMagic.size());
        randomBytes(header + kMagic.size(), kSaltSize);
        init(header + kMagic.size());
        pendingPos_ = 0;
        pendingEnd_ = kHeaderSize;
    }

    // Collects the header, which may arrive split over calls; returns bytes taken from `in`.
    std::size_t takeHeader(io::ByteView in) {
        if (in.empty())
            throw Error(ErrorCode::Crypto,
                        fmt::format("unable to decrypt: data is shorter than the {}-byte cipher header", kHeaderSize))
                .withHint("the file is truncated or was not written encrypted");
        const std::size_t take = std::min(kHeaderSize - headerSize_, in.size());
        std::memcpy(header_.data() + headerSize_, in.data(), take);
        headerSize_ += take;
        if (headerSize_ == kHeaderSize) {
            if (std::memcmp(header_.data(), kMagic.data(), kMagic.size()) != 0)
                throw Error(ErrorCode::Crypto, "unable to decrypt: cipher header 'Salted__' is missing")
                    .withHint("the data is corrupt or not encrypted; check repo-cipher-type");
            init(header_.data() + kMagic.size());
        }
        return take;
    }

    std::size_t update(io::ByteView in, io::Buffer& out) {
        int written = 0;
        std::size_t size = 0;
        // Worst case output of one EVP update: input + one block (decrypt holds back a block).
        if (out.remaining() >= 2 * kBlockSize) {
            size = std::min({in.size(), out.remaining() - kBlockSize, kMaxChunk});
            cipherUpdate(in.first(size), reinterpret_cast<unsigned char*>(out.tail().data()), &written);
            out.grow(static_cast<std::size_t>(written));
        } else {
            size = std::min(in.size(), kBlockSize);
            cipherUpdate(in.first(size), pending_.data(), &written);
            pendingPos_ = 0;
            pendingEnd_ = static_cast<std::size_t>(written);
            drainPending(out);
        }
        processed_ += size;
        return size;
    }

    void cipherUpdate(io::ByteView in, unsigned char* out, int* written) {
        const auto* data = reinterpret_cast<const unsigned char*>(in.data());
        const int size = static_cast<int>(in.size());
        const int ok = mode_ == CipherMode::Encrypt ? EVP_EncryptUpdate(context_, out, written, data, size)
                                                    : EVP_DecryptUpdate(context_, out, written, data, size);
        if (ok != 1) throwOpenSsl(mode_ == CipherMode::Encrypt ? "encrypt" : "decrypt");
    }

    void finish() {
        int written = 0;
        if (mode_ == CipherMode::Encrypt) {
            if (EVP_EncryptFinal_ex(context_, pending_.data(), &written) != 1) throwOpenSsl("finish encryption");
        } else {
            // Checked first so truncation gets a precise message rather than "wrong passphrase".
            if (processed_ == 0 || processed_ % kBlockSize != 0)
                throw Error(ErrorCode::Crypto,
                            fmt::format("unable to decrypt: {} bytes of encrypted data is not a whole, non-zero number "
                                        "of {}-byte blocks",
                                        processed_, kBlockSize))
                    .withHint("the file is truncated or corrupt");
            if (EVP_DecryptFinal_ex(context_, pending_.data(), &written) != 1)
                throw Error(ErrorCode::Crypto, "unable to decrypt: wrong passphrase or corrupt data")
                    .withHint(std::string(kPassHint));
        }
        pendingPos_ = 0;
        pendingEnd_ = static_cast<std::size_t>(written);
        finished_ = true;
    }

    // Moves staged bytes to `out`; true when nothing is left staged.
    bool drainPending(io::Buffer& out) {
        if (pendingPos_ == pendingEnd_) return true;
        pendingPos_ += out.append(io::ByteView{reinterpret_cast<const std::byte*>(pending_.data()) + pendingPos_,
                                               pendingEnd_ - pendingPos_});
        return pendingPos_ == pendingEnd_;
    }

    CipherMode mode_;
    std::string pass_;
    EVP_CIPHER_CTX* context_ = nullptr;
    bool started_ = false;                             // key set up (encrypt: header staged)
    bool finished_ = false;                            // final block produced
    std::array<unsigned char, kHeaderSize> header_{};  // decrypt: header collected so far
    std::size_t headerSize_ = 0;
    std::uint64_t processed_ = 0;                      // bytes given to EVP update (after the header)
    std::array<unsigned char, 4 * kBlockSize> pending_{};
    std::size_t pendingPos_ = 0;
    std::size_t pendingEnd_ = 0;
};

}  // namespace

std::unique_ptr<io::Filter> makeCipherFilter(CipherMode mode, std::string passphrase) {
    return std::make_unique<CipherFilter>(mode, std::move(passphrase));
}

std::string cipherPassGenerate() {
    std::array<unsigned char, kPassBytes> random{};
    randomBytes(random.data(), random.size());
    std::array<unsigned char, 4 * kPassBytes / 3 + 1> text{};  // EVP_EncodeBlock adds a NUL
    const int length = EVP_EncodeBlock(text.data(), random.data(), static_cast<int>(random.size()));
    OPENSSL_cleanse(random.data(), random.size());
    std::string result(reinterpret_cast<const char*>(text.data()), static_cast<std::size_t>(length));
    OPENSSL_cleanse(text.data(), text.size());
    return result;
}

}  // namespace pgark::crypto
