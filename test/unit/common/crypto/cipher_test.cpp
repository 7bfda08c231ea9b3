// aes-256-cbc "Salted__" filters: round trips, the byte format checked against an independent
// derivation and the openssl CLI, error handling on damaged input, and cipherPassGenerate().
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include <openssl/evp.h>
#include <unistd.h>

#include "common/crypto/cipher.h"
#include "common/crypto/hash.h"
#include "common/error.h"
#include "unit/common/io/test_streams.h"

using namespace pgark;
using crypto::CipherMode;
using test::StringReadStream;
using test::StringWriteStream;

namespace {

std::string runChain(CipherMode mode, std::string_view input, const std::string& pass,
                     std::size_t bufferSize = io::kDefaultBufferSize, std::size_t chunk = 65536) {
    io::FilterChain chain;
    chain.add(crypto::makeCipherFilter(mode, pass));
    StringReadStream source{std::string(input), chunk};
    auto reader = chain.reader(source, bufferSize);
    return test::drain(*reader, chunk);
}
std::string encrypt(std::string_view plain, const std::string& pass, std::size_t bufferSize = io::kDefaultBufferSize,
                    std::size_t chunk = 65536) {
    return runChain(CipherMode::Encrypt, plain, pass, bufferSize, chunk);
}
std::string decrypt(std::string_view data, const std::string& pass, std::size_t bufferSize = io::kDefaultBufferSize,
                    std::size_t chunk = 65536) {
    return runChain(CipherMode::Decrypt, data, pass, bufferSize, chunk);
}

std::string rawSha1(const std::string& data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha1(), nullptr);
    return std::string(reinterpret_cast<const char*>(digest), length);
}

// Key and IV by the spec §7.1 formula, written out instead of calling EVP_BytesToKey:
// D1 = SHA1(pass ‖ salt), Di = SHA1(Di-1 ‖ pass ‖ salt); key = first 32 bytes, IV = next 16.
std::pair<std::string, std::string> deriveKeyIv(const std::string& pass, const std::string& salt) {
    std::string material = rawSha1(pass + salt);
    std::string previous = material;
    while (material.size() < 48) {
        previous = rawSha1(previous + pass + salt);
        material += previous;
    }
    return {material.substr(0, 32), material.substr(32, 16)};
}

std::optional<std::string> referenceCipher(bool encrypting, const std::string& input, const std::string& key,
                                           const std::string& iv) {
    EVP_CIPHER_CTX* context = EVP_CIPHER_CTX_new();
    std::string out(input.size() + 32, '\0');
    int n1 = 0;
    int n2 = 0;
    const auto* k = reinterpret_cast<const unsigned char*>(key.data());
    const auto* v = reinterpret_cast<const unsigned char*>(iv.data());
    auto* o = reinterpret_cast<unsigned char*>(out.data());
    const auto* i = reinterpret_cast<const unsigned char*>(input.data());
    const int size = static_cast<int>(input.size());
    const bool ok = EVP_CipherInit_ex(context, EVP_aes_256_cbc(), nullptr, k, v, encrypting ? 1 : 0) == 1 &&
                    EVP_CipherUpdate(context, o, &n1, i, size) == 1 && EVP_CipherFinal_ex(context, o + n1, &n2) == 1;
    EVP_CIPHER_CTX_free(context);
    if (!ok) return std::nullopt;
    out.resize(static_cast<std::size_t>(n1 + n2));
    return out;
}

// "Salted__" ‖ salt ‖ ciphertext, built without the code under test.
std::string referenceEncrypt(const std::string& plain, const std::string& pass, const std::string& salt) {
    const auto [key, iv] = deriveKeyIv(pass, salt);
    return "Salted__" + salt + referenceCipher(true, plain, key, iv).value();
}

std::optional<std::string> referenceDecrypt(const std::string& data, const std::string& pass) {
    if (data.size() < 16 || data.compare(0, 8, "Salted__") != 0) return std::nullopt;
    const auto [key, iv] = deriveKeyIv(pass, data.substr(8, 8));
    return referenceCipher(false, data.substr(16), key, iv);
}

std::string patternText(std::size_t size) {
    test::PatternReadStream pattern(size, 7);
    return test::drain(pattern);
}

auto isCrypto() {
    return Catch::Predicate<Error>([](const Error& e) { return e.code() == ErrorCode::Crypto; }, "Crypto error");
}

// Expects decryption to fail with Error(Crypto) whose text contains `words` and never the passphrase.
void expectDecryptError(const std::string& data, const std::string& pass, std::string_view words) {
    for (std::size_t bufferSize : {std::size_t{1}, std::size_t{33}, io::kDefaultBufferSize}) {
        CAPTURE(bufferSize, data.size());
        try {
            decrypt(data, pass, bufferSize, bufferSize == 1 ? 3 : 65536);
            FAIL("decryption did not fail");
        } catch (const Error& e) {
            CHECK(e.code() == ErrorCode::Crypto);
            CHECK_THAT(e.message(), Catch::Contains(std::string(words)));
            CHECK_THAT(e.what(), !Catch::Contains(pass));
        }
    }
}

class TempDir {
public:
    TempDir() {
        std::string pattern = "/tmp/pgark-cipher-test-XXXXXX";
        if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    std::string file(std::string_view name) const { return path_ + "/" + std::string(name); }

private:
    std::string path_;
};

void writeFile(const std::string& path, const std::string& data) {
    std::ofstream(path, std::ios::binary) << data;
}
std::string readFile(const std::string& path) {
    std::ostringstream out;
    out << std::ifstream(path, std::ios::binary).rdbuf();
    return out.str();
}

}  // namespace

TEST_CASE("cipher filters round trip every size around the block boundaries", "[unit][crypto]") {
    const std::string pass = "round-trip pass \xe2\x82\xac";  // raw bytes, not only ASCII
    for (std::size_t size : {0, 1, 15, 16, 17, 65535, 65536, 65537}) {
        CAPTURE(size);
        const std::string plain = patternText(size);
        const std::string data = encrypt(plain, pass);
        CHECK(data.size() == 16 + (size / 16 + 1) * 16);
        CHECK(data.compare(0, 8, "Salted__") == 0);
        CHECK(decrypt(data, pass) == plain);
        CHECK(referenceDecrypt(data, pass) == plain);  // the format, checked independently
    }
    SECTION("small and odd buffer sizes on both sides") {
        const std::string plain = patternText(5000);
        for (std::size_t bufferSize : {1, 2, 5, 16, 17, 31, 32, 33, 100}) {
            for (std::size_t chunk : {1, 7, 4096}) {
                CAPTURE(bufferSize, chunk);
                const std::string data = encrypt(plain, pass, bufferSize, chunk);
                REQUIRE(referenceDecrypt(data, pass) == plain);
                REQUIRE(decrypt(data, pass, bufferSize, chunk) == plain);
            }
        }
    }
    SECTION("through writers, with odd write sizes") {
        const std::string plain = patternText(70001);
        io::FilterChain encryptChain;
        encryptChain.add(crypto::makeCipherFilter(CipherMode::Encrypt, pass));
        io::FilterChain decryptChain;
        decryptChain.add(crypto::makeCipherFilter(CipherMode::Decrypt, pass));
        StringWriteStream sink;
        auto decryptWriter = decryptChain.writer(sink, 19);
        auto encryptWriter = encryptChain.writer(*decryptWriter, 23);
        for (std::size_t pos = 0; pos < plain.size(); pos += 999)
            encryptWriter->write(io::asBytes(std::string_view(plain).substr(pos, 999)));
        encryptWriter->commit();  // flushes the encryptor, then commits the decrypting writer
        CHECK(sink.committed);
        CHECK(sink.data() == plain);
    }
}

TEST_CASE("cipher encrypt writes the header first and salts every stream", "[unit][crypto]") {
    auto filter = crypto::makeCipherFilter(CipherMode::Encrypt, "pass");
    io::Buffer out(3);  // smaller than the header: it must come out over several calls
    std::string got;
    const std::string plain = "0123456789abcdefXYZ";
    std::string_view rest = plain;
    while (!rest.empty()) {
        rest.remove_prefix(filter->process(io::asBytes(rest), out));
        got.append(io::asText(out.view()));
        out.clear();
    }
    CHECK(got.size() >= 16);
    CHECK(got.compare(0, 8, "Salted__") == 0);
    while (!filter->flushed()) {
        filter->process({}, out);
        got.append(io::asText(out.view()));
        out.clear();
    }
    CHECK(got.size() == 16 + 32);
    CHECK(referenceDecrypt(got, "pass") == plain);
    CHECK(encrypt(plain, "pass").substr(8, 8) != encrypt(plain, "pass").substr(8, 8));  // fresh random salt
    CHECK(encrypt("", "pass").size() == 32);
}

TEST_CASE("cipher decrypt reads data made by an independent implementation", "[unit][crypto]") {
    const std::string plain = patternText(100000);
    const std::string data = referenceEncrypt(plain, "independent", "\x01\x02\x03\x04\xfe\xfd\xfc\xfb");
    CHECK(decrypt(data, "independent") == plain);
    CHECK(decrypt(data, "independent", 7, 5) == plain);
}

TEST_CASE("cipher filters match the openssl enc command", "[unit][crypto]") {
    if (std::system("command -v openssl >/dev/null 2>&1") != 0) {
        WARN("openssl command not found: cross-check skipped");
        return;
    }
    TempDir dir;
    const std::string pass = "cli-Pass_123";
    const std::string cli = "openssl enc -aes-256-cbc -md sha1 -pass pass:" + pass;
    for (std::size_t size : {0, 1, 16, 65537}) {
        CAPTURE(size);
        const std::string plain = patternText(size);
        SECTION("openssl decrypts ours, size " + std::to_string(size)) {
            writeFile(dir.file("ours.enc"), encrypt(plain, pass));
            REQUIRE(std::system((cli + " -d -in " + dir.file("ours.enc") + " -out " + dir.file("ours.dec") +
                                 " 2>/dev/null")
                                    .c_str()) == 0);
            CHECK(readFile(dir.file("ours.dec")) == plain);
        }
        SECTION("we decrypt openssl's, size " + std::to_string(size)) {
            writeFile(dir.file("plain"), plain);
            REQUIRE(std::system((cli + " -in " + dir.file("plain") + " -out " + dir.file("cli.enc") + " 2>/dev/null")
                                    .c_str()) == 0);
            const std::string data = readFile(dir.file("cli.enc"));
            CHECK(data.size() == 16 + (size / 16 + 1) * 16);
            CHECK(decrypt(data, pass) == plain);
        }
    }
}

TEST_CASE("cipher decrypt rejects damaged input and wrong passphrases with Error(Crypto)", "[unit][crypto]") {
    const std::string pass = "correct horse battery staple";
    // Fixed salt and plaintext: every case below fails the same way on every run.
    const std::string salt = "saltSALT";
    const std::string plain(64, 'a');
    const std::string data = referenceEncrypt(plain, pass, salt);  // 16 header + 80 ciphertext
    REQUIRE(data.size() == 96);
    REQUIRE(decrypt(data, pass) == plain);

    SECTION("wrong passphrase") {
        try {
            decrypt(data, "wrong-passphrase");
            FAIL("decryption did not fail");
        } catch (const Error& e) {
            CHECK(e.code() == ErrorCode::Crypto);
            CHECK(e.message() == "unable to decrypt: wrong passphrase or corrupt data");
            CHECK_THAT(e.hint(), Catch::Contains("repo-cipher-pass"));
            CHECK_THAT(e.what(), !Catch::Contains("wrong-passphrase") && !Catch::Contains(pass));
        }
        expectDecryptError(data, "wrong-passphrase", "wrong passphrase");
    }
    SECTION("input shorter than the header") {
        expectDecryptError("", pass, "shorter than the 16-byte cipher header");
        expectDecryptError(data.substr(0, 10), pass, "shorter than the 16-byte cipher header");
        expectDecryptError(data.substr(0, 15), pass, "shorter than the 16-byte cipher header");
    }
    SECTION("header without ciphertext, or not a whole number of blocks") {
        expectDecryptError(data.substr(0, 16), pass, "not a whole, non-zero number of 16-byte blocks");
        expectDecryptError(data.substr(0, 95), pass, "not a whole, non-zero number of 16-byte blocks");
        expectDecryptError(data + "x", pass, "not a whole, non-zero number of 16-byte blocks");
    }
    SECTION("missing Salted__ magic") {
        std::string bad = data;
        bad[3] = 'T';
        expectDecryptError(bad, pass, "'Salted__' is missing");
        expectDecryptError(plain, pass, "'Salted__' is missing");
    }
    SECTION("truncated by whole blocks: the last block left is not valid padding") {
        expectDecryptError(data.substr(0, 80), pass, "wrong passphrase or corrupt data");
    }
    SECTION("corrupt ciphertext: a flipped bit lands in the padding") {
        std::string bad = data;
        bad[79] = static_cast<char>(bad[79] ^ 0x80);  // last byte of the padding block becomes 0x90
        expectDecryptError(bad, pass, "wrong passphrase or corrupt data");
    }
    SECTION("no unauthenticated tail is emitted before the error") {
        io::FilterChain chain;
        chain.add(crypto::makeCipherFilter(CipherMode::Decrypt, "wrong-passphrase"));
        StringReadStream source(data, 16);
        auto reader = chain.reader(source, 16);
        std::string got;
        std::byte chunk[16];
        CHECK_THROWS_MATCHES(
            [&] {
                for (std::size_t n; (n = reader->read(chunk)) != 0;) got.append(io::asText({chunk, n}));
            }(),
            Error, isCrypto());
        CHECK(got.size() <= data.size() - 16 - 16);  // the final block is held back until its padding checks out
    }
    SECTION("a writer fails at commit and aborts its sink") {
        io::FilterChain chain;
        chain.add(crypto::makeCipherFilter(CipherMode::Decrypt, pass));
        StringWriteStream sink;
        auto writer = chain.writer(sink, 40);
        writer->write(io::asBytes(std::string_view(data).substr(0, 90)));
        CHECK_THROWS_MATCHES(writer->commit(), Error, isCrypto());
        CHECK(sink.aborted);
        CHECK_FALSE(sink.committed);
    }
}

TEST_CASE("cipher filter spec carries the passphrase to rebuild it", "[unit][crypto]") {
    auto filter = crypto::makeCipherFilter(CipherMode::Decrypt, "in-spec");
    CHECK(filter->type() == io::FilterType::CipherDecrypt);
    CHECK_FALSE(filter->observer());
    CHECK(filter->spec().type == io::FilterType::CipherDecrypt);
    CHECK(filter->spec().params == std::map<std::string, std::string>{{"pass", "in-spec"}});
    CHECK(crypto::makeCipherFilter(CipherMode::Encrypt, "x")->type() == io::FilterType::CipherEncrypt);
    CHECK_THROWS_MATCHES(crypto::makeCipherFilter(CipherMode::Encrypt, ""), Error,
                         Catch::Predicate<Error>([](const Error& e) { return e.code() == ErrorCode::Assert; }));
}

TEST_CASE("cipher filters stream 100 MiB in bounded memory", "[unit][crypto]") {
    constexpr std::uint64_t kSize = 100ull * 1024 * 1024;
    test::PatternReadStream source(kSize, 2024);
    io::FilterChain store;
    store.add(crypto::makeSha1Filter()).add(crypto::makeCipherFilter(CipherMode::Encrypt, "big"));
    store.add(crypto::makeSizeFilter());
    auto encrypted = store.reader(source);
    io::FilterChain load;
    load.add(crypto::makeCipherFilter(CipherMode::Decrypt, "big")).add(crypto::makeSha1Filter());
    load.add(crypto::makeSizeFilter());
    auto plain = load.reader(*encrypted);
    std::vector<std::byte> chunk(256 * 1024);
    std::uint64_t total = 0;
    for (std::size_t n; (n = plain->read(chunk)) != 0;) total += n;
    CHECK(total == kSize);
    CHECK(store.result<std::uint64_t>(io::FilterType::Size) == kSize + 32);
    CHECK(load.result<std::uint64_t>(io::FilterType::Size) == kSize);
    CHECK(load.result<std::string>(io::FilterType::Sha1) == store.result<std::string>(io::FilterType::Sha1));
}

TEST_CASE("cipherPassGenerate makes 64-character base64 passphrases from 48 random bytes", "[unit][crypto]") {
    const std::string first = crypto::cipherPassGenerate();
    const std::string second = crypto::cipherPassGenerate();
    CHECK(first != second);
    for (const std::string& pass : {first, second}) {
        REQUIRE(pass.size() == 64);
        CHECK(pass.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") ==
              std::string::npos);
        unsigned char decoded[64];
        CHECK(EVP_DecodeBlock(decoded, reinterpret_cast<const unsigned char*>(pass.data()), 64) == 48);
    }
}
