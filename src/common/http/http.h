// HttpTransport: the seam between the object-store drivers and the network. A driver builds an
// HttpRequest (method, URL, headers, a body in memory) and gets the whole HttpResponse back; the
// real transport is libcurl (curl_transport.cpp), tests play scripted exchanges instead
// (test/fake/scripted_http.h). Bodies are bounded by the caller: requests carry at most one upload
// part, and reads ask for byte ranges, so nothing holds a whole file in memory.
//
// A transport failure (no connection, reset, timeout, TLS) throws Error: HostConnect or
// ProtocolTimeout with Retry::Yes when repeating the request may help, Protocol with Retry::No when
// it cannot (a certificate that does not verify). Any HTTP status, 500 included, is a response,
// not an exception: what a status means is the caller's business. A transport serves one request
// at a time; transports on different threads may run at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pgark::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
    std::string method;    // "GET", "HEAD", "PUT", "POST", "DELETE"
    std::string url;       // "https://host:port/path?query", already percent-encoded
    Headers headers;       // sent as given (Host included when set); never logged
    std::string_view body; // borrowed: must outlive perform()
};

struct HttpResponse {
    int status = 0;
    std::string reason;    // "OK", "Forbidden", ... as the server sent it ("" if none)
    Headers headers;       // names in lower case
    std::string body;

    // The first header called `name` (lower case), or "" when absent.
    std::string header(std::string_view name) const;
};

class HttpTransport {
public:
    virtual ~HttpTransport() = default;
    virtual HttpResponse perform(const HttpRequest& request) = 0;
};

struct HttpOptions {
    bool verifyTls = true;                        // check the server certificate and its host name
    std::string caFile;                           // PEM bundle to trust instead of the system's ("" = system)
    std::string caPath;                           // directory of hashed CA certificates ("" = system)
    std::chrono::milliseconds timeout{60'000};    // connect, and longest time with no byte moving
    // Connect here instead of the URL's host, keeping the URL's host for Host and TLS name checks
    // ("" = the URL's host). `connectPort` 0 = the URL's port.
    std::string connectHost;
    unsigned connectPort = 0;
};

// The libcurl transport. It keeps its connection alive between requests, so a run of small
// requests to one endpoint costs one TLS handshake; every transport of the process shares one DNS
// cache and TLS session cache, so another transport's first connection resumes a TLS session.
[[nodiscard]] std::unique_ptr<HttpTransport> makeCurlTransport(HttpOptions options);

// Percent-encodes `text` as SigV4 and S3 want it: unreserved characters (A-Z a-z 0-9 - . _ ~) stay,
// '/' stays when `keepSlash` (object keys in a path), everything else becomes %XX (upper case hex).
std::string uriEncode(std::string_view text, bool keepSlash);

}  // namespace pgark::http
