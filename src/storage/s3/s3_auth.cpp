// SigV4 signing. See s3_auth.h.
// SHA-256 and MD5 through OpenSSL's low-level functions, not EVP, for the reason
// common/crypto/hash.cpp gives for SHA-1: each EVP one-shot fetches its algorithm again, and the
// first loads openssl.cnf and the default provider (about 0.6 ms of CPU). Same assembly for the
// bytes. Deprecated in OpenSSL 3 but still part of it. HMAC stays OpenSSL's HMAC().
#define OPENSSL_SUPPRESS_DEPRECATED
#include "storage/s3/s3_auth.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/md5.h>
#include <openssl/sha.h>

#include <array>

#include <algorithm>
#include <ctime>

#include <fmt/format.h>

#include "common/crypto/encoding.h"
#include "common/error.h"
#include "common/http/http.h"

namespace pgark::storage::s3 {
namespace {


[[noreturn]] void digestFailed(std::string_view what) {
    throwError(ErrorCode::Crypto, "unable to compute {} (openssl)", what);
}

using Sha256 = std::array<unsigned char, SHA256_DIGEST_LENGTH>;

Sha256 sha256(std::string_view data) {
    SHA256_CTX context;
    Sha256 out{};
    if (SHA256_Init(&context) != 1 || (!data.empty() && SHA256_Update(&context, data.data(), data.size()) != 1) ||
        SHA256_Final(out.data(), &context) != 1)
        digestFailed("SHA-256");
    return out;
}

}  // namespace

// OpenSSL's one-shot HMAC: the construction is its business, and the key (derived from the
// secret) is cleansed by it.
std::string hmacSha256(std::string_view key, std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
             data.size(), out, &size) == nullptr)
        digestFailed("HMAC-SHA256");
    return std::string(reinterpret_cast<const char*>(out), size);
}

namespace {

// Header values are trimmed and inner runs of spaces folded to one.
std::string trimmed(std::string_view value) {
    std::string out;
    bool space = false;
    for (const char c : value) {
        if (c == ' ' || c == '\t') {
            space = !out.empty();
            continue;
        }
        if (space) out += ' ';
        space = false;
        out += c;
    }
    return out;
}

std::string signedHeaderNames(const std::map<std::string, std::string>& headers) {
    std::string names;
    for (const auto& [name, value] : headers) names += (names.empty() ? "" : ";") + name;
    return names;
}

std::string scope(std::string_view date, const SigV4Credentials& credentials) {
    return fmt::format("{}/{}/{}/aws4_request", date, credentials.region, credentials.service);
}

}  // namespace

std::string amzDate(std::chrono::system_clock::time_point time) {
    const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
    std::tm utc{};
    ::gmtime_r(&seconds, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y%m%dT%H%M%SZ", &utc);
    return text;
}

std::string sha256Hex(std::string_view data) {
    const Sha256 raw = sha256(data);
    return crypto::lowerHex(raw.data(), raw.size());
}

std::string md5Base64(std::string_view data) {
    MD5_CTX context;
    std::array<unsigned char, MD5_DIGEST_LENGTH> raw{};
    if (MD5_Init(&context) != 1 || (!data.empty() && MD5_Update(&context, data.data(), data.size()) != 1) ||
        MD5_Final(raw.data(), &context) != 1)
        digestFailed("MD5");
    return crypto::base64(raw.data(), raw.size());
}

std::string canonicalQuery(std::vector<std::pair<std::string, std::string>> parameters) {
    for (auto& [name, value] : parameters) {
        name = http::uriEncode(name, false);
        value = http::uriEncode(value, false);
    }
    std::sort(parameters.begin(), parameters.end());
    std::string out;
    for (const auto& [name, value] : parameters) out += fmt::format("{}{}={}", out.empty() ? "" : "&", name, value);
    return out;
}

std::string canonicalRequest(std::string_view method, std::string_view encodedPath, std::string_view query,
                             const std::map<std::string, std::string>& headers, std::string_view payloadHash) {
    std::string out = fmt::format("{}\n{}\n{}\n", method, encodedPath, query);
    for (const auto& [name, value] : headers) out += fmt::format("{}:{}\n", name, trimmed(value));
    out += fmt::format("\n{}\n{}", signedHeaderNames(headers), payloadHash);
    return out;
}

std::string stringToSign(std::string_view amzDateTime, const SigV4Credentials& credentials,
                         std::string_view canonicalRequestText) {
    return fmt::format("AWS4-HMAC-SHA256\n{}\n{}\n{}", amzDateTime, scope(amzDateTime.substr(0, 8), credentials),
                       sha256Hex(canonicalRequestText));
}

std::string signingKey(const SigV4Credentials& credentials, std::string_view date) {
    const std::string dateKey = hmacSha256("AWS4" + credentials.secretKey, date);
    const std::string regionKey = hmacSha256(dateKey, credentials.region);
    const std::string serviceKey = hmacSha256(regionKey, credentials.service);
    return hmacSha256(serviceKey, "aws4_request");
}

std::string authorization(const SigV4Credentials& credentials, std::string_view method, std::string_view encodedPath,
                          std::string_view query, const std::map<std::string, std::string>& headers,
                          std::string_view payloadHash) {
    const auto dateHeader = headers.find("x-amz-date");
    if (dateHeader == headers.end() || dateHeader->second.size() < 8 || !headers.contains("host"))
        throwError(ErrorCode::Assert, "a SigV4 request needs host and x-amz-date headers");
    const std::string& when = dateHeader->second;
    const std::string toSign = stringToSign(when, credentials, canonicalRequest(method, encodedPath, query, headers, payloadHash));
    const std::string signature = hmacSha256(signingKey(credentials, std::string_view(when).substr(0, 8)), toSign);
    return fmt::format("AWS4-HMAC-SHA256 Credential={}/{},SignedHeaders={},Signature={}", credentials.accessKey,
                       scope(std::string_view(when).substr(0, 8), credentials), signedHeaderNames(headers),
                       crypto::lowerHex(reinterpret_cast<const unsigned char*>(signature.data()), signature.size()));
}

}  // namespace pgark::storage::s3
