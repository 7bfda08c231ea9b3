// AWS Signature Version 4 for S3 requests (the "Authorization: AWS4-HMAC-SHA256 ..." header),
// from AWS's public description of the algorithm: a canonical request is hashed into a string to
// sign, which is signed with a key derived from the secret by an HMAC-SHA256 chain over date,
// region and service. Pure functions over OpenSSL; thread-safe. The secret never leaves here
// except inside the signature.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pgark::storage::s3 {

struct SigV4Credentials {
    std::string accessKey;
    std::string secretKey;
    std::string region;
    std::string service = "s3";
};

// "20130524T000000Z" for `time` in UTC.
std::string amzDate(std::chrono::system_clock::time_point time);

// Lower-case hex SHA-256 of `data` (the x-amz-content-sha256 value of a payload).
std::string sha256Hex(std::string_view data);
// Base64 MD5 of `data` (the Content-MD5 value).
std::string md5Base64(std::string_view data);
// HMAC-SHA256 of `data` under `key`: the 32 raw bytes.
std::string hmacSha256(std::string_view key, std::string_view data);

// Query parameters (raw names and values) -> "a=1&b=x%2Fy", encoded and sorted by name then value.
std::string canonicalQuery(std::vector<std::pair<std::string, std::string>> parameters);

// The canonical request. `encodedPath` is the URI path as sent (already percent-encoded), `query`
// from canonicalQuery(), `headers` every signed header by lower-case name (values are trimmed here).
std::string canonicalRequest(std::string_view method, std::string_view encodedPath, std::string_view query,
                             const std::map<std::string, std::string>& headers, std::string_view payloadHash);

// "AWS4-HMAC-SHA256\n<amzDate>\n<date>/<region>/<service>/aws4_request\n<hex sha256 of canonical request>".
std::string stringToSign(std::string_view amzDateTime, const SigV4Credentials& credentials,
                         std::string_view canonicalRequestText);

// The derived signing key (32 raw bytes) for the day `date` ("20130524").
std::string signingKey(const SigV4Credentials& credentials, std::string_view date);

// The value of the Authorization header. `headers` must hold "host" and "x-amz-date" (whose value is
// the request time) and every other header to sign.
std::string authorization(const SigV4Credentials& credentials, std::string_view method, std::string_view encodedPath,
                          std::string_view query, const std::map<std::string, std::string>& headers,
                          std::string_view payloadHash);

}  // namespace pgark::storage::s3
