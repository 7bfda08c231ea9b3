// S3Client: one signed, retried S3 request at a time, shared by the S3 driver's operations and its
// streams. It knows the URL layout (host or path style), signs with SigV4, retries what is worth
// retrying and turns a failed reply into an Error naming the request, the HTTP status and S3's
// error code and message. Internal to storage/s3.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.h"
#include "common/http/http.h"
#include "storage/s3/s3_storage.h"

namespace pgark::storage::s3 {

struct S3Call {
    std::string method;
    std::string key;   // object key ("pgbackrest/archive/x"); "" = the bucket itself
    std::vector<std::pair<std::string, std::string>> query;  // raw names and values
    std::map<std::string, std::string> headers;              // extra headers to sign, lower-case names
    std::string_view body;
};

class S3Client {
public:
    explicit S3Client(S3Options options);

    const S3Options& options() const noexcept { return options_; }

    // Sends `call` with retries; returns the final reply whatever its status. Callable from any
    // thread (a write stream's uploader, a backup worker storing several small files at once):
    // with libcurl each concurrent request gets a transport (curl handle) of its own, so requests
    // of different threads overlap on their own connections, and an idle transport is kept, with
    // its connection open, for the next request (libcurl does not share connections between
    // concurrent handles; curl_transport.cpp). A transport a test injected (S3Options::transport)
    // serves one request at a time.
    http::HttpResponse send(const S3Call& call);

    // "GET /bucket/key?list-type=2": names a request in messages (no credentials in it).
    std::string describe(const S3Call& call) const;

    // Error(`code`) "<what>: S3 request <describe> failed: HTTP <status> <reason>[: <Code>: <Message>]".
    [[nodiscard]] Error failure(ErrorCode code, std::string_view what, const S3Call& call,
                                const http::HttpResponse& response) const;

private:
    // The x-amz-content-sha256 value of `call`: UNSIGNED-PAYLOAD or the body's SHA-256 (hex).
    std::string payloadHashOf(const S3Call& call) const;
    std::string hostHeader() const;
    std::string encodedPath(const std::string& key) const;

    // A transport for one request: the injected one (caller holds injectedMutex_), an idle
    // curl transport, or a new one; handed back by release().
    std::shared_ptr<http::HttpTransport> acquire();
    void release(std::shared_ptr<http::HttpTransport> transport);

    S3Options options_;
    const bool injected_;        // options_.transport came from the caller: one request at a time
    std::mutex injectedMutex_;
    std::mutex idleMutex_;
    std::vector<std::shared_ptr<http::HttpTransport>> idle_;  // curl transports not serving a request
};

}  // namespace pgark::storage::s3
