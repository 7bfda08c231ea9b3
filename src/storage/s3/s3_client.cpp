// S3Client. See s3_client.h.
#include "storage/s3/s3_client.h"

#include "common/http/xml.h"
#include "storage/s3/s3_auth.h"

namespace pgark::storage::s3 {

S3Client::S3Client(S3Options options) : options_(std::move(options)), injected_(options_.transport != nullptr) {
    if (options_.clock == nullptr) options_.clock = &systemClock();
}

std::shared_ptr<http::HttpTransport> S3Client::acquire() {
    if (injected_) return options_.transport;
    {
        const std::lock_guard lock(idleMutex_);
        if (!idle_.empty()) {
            std::shared_ptr<http::HttpTransport> transport = std::move(idle_.back());
            idle_.pop_back();
            return transport;
        }
    }
    if (options_.transportFactory) return options_.transportFactory();
    return http::makeCurlTransport(options_.http);
}

void S3Client::release(std::shared_ptr<http::HttpTransport> transport) {
    if (injected_) return;
    const std::lock_guard lock(idleMutex_);
    idle_.push_back(std::move(transport));
}

std::string S3Client::hostHeader() const {
    std::string host = options_.pathStyle ? options_.endpoint : options_.bucket + "." + options_.endpoint;
    if (options_.port != 443) host += ":" + std::to_string(options_.port);
    return host;
}

std::string S3Client::encodedPath(const std::string& key) const {
    const std::string encoded = http::uriEncode(key, true);
    return options_.pathStyle ? "/" + options_.bucket + "/" + encoded : "/" + encoded;
}

std::string S3Client::describe(const S3Call& call) const {
    const std::string query = canonicalQuery(call.query);
    return call.method + " " + encodedPath(call.key) + (query.empty() ? "" : "?" + query);
}

// A body that carries its MD5 (every upload does) goes as UNSIGNED-PAYLOAD over a verified TLS
// connection, as the AWS SDKs send it: S3 checks the body against Content-MD5, which is one of
// the signed headers, and verified TLS keeps anyone from altering it on the way. A SHA-256 of
// every byte uploaded would only cost CPU (about a third of the digest work of an lz4 backup).
// With --no-repo-storage-verify-tls nothing proves who is on the other end (MD5 is weak against
// collisions), so there the payload is signed as before.
std::string S3Client::payloadHashOf(const S3Call& call) const {
    if (!call.body.empty() && call.headers.contains("content-md5") && options_.http.verifyTls) return "UNSIGNED-PAYLOAD";
    return sha256Hex(call.body);
}

http::HttpResponse S3Client::send(const S3Call& call) {
    const std::string path = encodedPath(call.key);
    const std::string query = canonicalQuery(call.query);
    const std::string payloadHash = payloadHashOf(call);
    const std::string host = hostHeader();
    const SigV4Credentials credentials{options_.accessKey, options_.secretKey, options_.region, "s3"};
    const auto build = [&] {
        std::map<std::string, std::string> headers = call.headers;
        headers["host"] = host;
        headers["x-amz-date"] = amzDate(options_.clock->now());
        headers["x-amz-content-sha256"] = payloadHash;
        if (!options_.securityToken.empty()) headers["x-amz-security-token"] = options_.securityToken;
        http::HttpRequest request;
        request.method = call.method;
        request.url = "https://" + host + path + (query.empty() ? "" : "?" + query);
        request.body = call.body;
        const std::string signature = authorization(credentials, call.method, path, query, headers, payloadHash);
        for (auto& [name, value] : headers) request.headers.emplace_back(name, value);
        request.headers.emplace_back("authorization", signature);
        if (!call.body.empty() || call.method == "PUT" || call.method == "POST")
            request.headers.emplace_back("content-length", std::to_string(call.body.size()));
        return request;
    };
    std::unique_lock<std::mutex> serial;
    if (injected_) serial = std::unique_lock(injectedMutex_);
    std::shared_ptr<http::HttpTransport> transport = acquire();
    // A failed request (an exception) drops its transport: curl closes what it left behind.
    http::HttpResponse response = http::performWithRetry(*transport, build, options_.retry, *options_.clock, describe(call));
    release(std::move(transport));
    return response;
}

Error S3Client::failure(ErrorCode code, std::string_view what, const S3Call& call,
                        const http::HttpResponse& response) const {
    std::string message = fmt::format("{}: S3 request {} failed: HTTP {}", what, describe(call), response.status);
    if (!response.reason.empty()) message += " " + response.reason;
    std::string s3Code;
    if (!response.body.empty()) {
        try {
            const http::XmlDocument reply = http::XmlDocument::parse(response.body, "S3 error reply");
            s3Code = reply.root().childText("Code");
            const std::string s3Message = reply.root().childText("Message");
            if (!s3Code.empty()) message += ": " + s3Code;
            if (!s3Message.empty()) message += ": " + s3Message;
        } catch (const Error&) {
            // Not S3's XML (a proxy's HTML page, say): the status says enough.
        }
    }
    Error error(code, message);
    if (response.status == 403 || s3Code == "SignatureDoesNotMatch" || s3Code == "InvalidAccessKeyId")
        error.withHint("check repo-s3-key, repo-s3-key-secret (and repo-s3-token) and repo-s3-region");
    else if (s3Code == "NoSuchBucket")
        error.withHint("check repo-s3-bucket and repo-s3-uri-style");
    return error;
}

}  // namespace pgark::storage::s3
