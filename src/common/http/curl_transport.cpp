// libcurl behind HttpTransport. See http.h.
#include <algorithm>
#include <cctype>
#include <cstring>
#include <mutex>

#include "common/error.h"
#include "common/http/http.h"
#include "common/http/lib_loader.h"

namespace pgark::http {

std::string HttpResponse::header(std::string_view name) const {
    for (const auto& [key, value] : headers)
        if (key == name) return value;
    return {};
}

std::string uriEncode(std::string_view text, bool keepSlash) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~' || (keepSlash && c == '/')) {
            out += c;
        } else {
            out += '%';
            out += kHex[u >> 4];
            out += kHex[u & 15];
        }
    }
    return out;
}

namespace {

// One share per process: DNS answers and TLS sessions are reused by every handle. Handles run on
// several threads at once (an S3 write stream uploads parts from a second thread, a backup worker
// stores several small files at once), so the share is locked, one lock per kind of shared data as
// libcurl asks; curl_global_init runs once, before the first handle. Connections are not shared:
// libcurl does not support sharing its connection cache between concurrent threads. Each handle
// keeps its own connection alive between requests instead, and the S3 client keeps idle handles
// for its next requests (s3_client.h).
std::mutex shareLocks[CURL_LOCK_DATA_LAST];
void lockShare(CURL*, curl_lock_data data, curl_lock_access, void*) { shareLocks[data].lock(); }
void unlockShare(CURL*, curl_lock_data data, void*) { shareLocks[data].unlock(); }

CURLSH* processShare() {
    static CURLSH* share = [] {
        libcurl().curl_global_init(CURL_GLOBAL_DEFAULT);
        CURLSH* created = libcurl().curl_share_init();
        libcurl().curl_share_setopt(created, CURLSHOPT_LOCKFUNC, lockShare);
        libcurl().curl_share_setopt(created, CURLSHOPT_UNLOCKFUNC, unlockShare);
        libcurl().curl_share_setopt(created, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
        libcurl().curl_share_setopt(created, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
        return created;
    }();
    return share;
}

struct Exchange {
    const HttpRequest* request;
    std::size_t sent = 0;
    HttpResponse* response;
};

std::size_t onRead(char* buffer, std::size_t size, std::size_t count, void* user) {
    auto* exchange = static_cast<Exchange*>(user);
    const std::string_view body = exchange->request->body;
    const std::size_t n = std::min(size * count, body.size() - exchange->sent);
    std::memcpy(buffer, body.data() + exchange->sent, n);
    exchange->sent += n;
    return n;
}

// A rewind: curl re-sends the body when a reused connection turned out to be closed.
int onSeek(void* user, curl_off_t offset, int origin) {
    auto* exchange = static_cast<Exchange*>(user);
    if (origin != SEEK_SET || offset < 0 || static_cast<std::size_t>(offset) > exchange->request->body.size())
        return CURL_SEEKFUNC_FAIL;
    exchange->sent = static_cast<std::size_t>(offset);
    return CURL_SEEKFUNC_OK;
}

std::size_t onWrite(char* data, std::size_t size, std::size_t count, void* user) {
    static_cast<Exchange*>(user)->response->body.append(data, size * count);
    return size * count;
}

std::size_t onHeader(char* data, std::size_t size, std::size_t count, void* user) {
    HttpResponse& response = *static_cast<Exchange*>(user)->response;
    std::string_view line(data, size * count);
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
    if (line.starts_with("HTTP/")) {
        // A new status line (after "100 Continue", say): forget the headers of the previous one.
        response.headers.clear();
        const std::size_t space = line.find(' ');
        const std::size_t second = space == std::string_view::npos ? space : line.find(' ', space + 1);
        response.reason = second == std::string_view::npos ? "" : std::string(line.substr(second + 1));
        return size * count;
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return size * count;
    std::string name(line.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    response.headers.emplace_back(std::move(name), std::string(value));
    return size * count;
}

// "https://host:port/..." -> host and port, for CURLOPT_CONNECT_TO.
std::pair<std::string, unsigned> hostAndPort(std::string_view url) {
    std::string_view rest = url.substr(url.find("://") + 3);
    rest = rest.substr(0, rest.find('/'));
    const std::size_t colon = rest.rfind(':');
    if (colon == std::string_view::npos) return {std::string(rest), url.starts_with("https") ? 443U : 80U};
    return {std::string(rest.substr(0, colon)), static_cast<unsigned>(std::stoul(std::string(rest.substr(colon + 1))))};
}

class CurlTransport final : public HttpTransport {
public:
    explicit CurlTransport(HttpOptions options) : options_(std::move(options)), share_(processShare()), curl_(libcurl().curl_easy_init()) {
        if (curl_ == nullptr) throwError(ErrorCode::Memory, "unable to create an HTTP client handle");
    }
    ~CurlTransport() override { libcurl().curl_easy_cleanup(curl_); }
    CurlTransport(const CurlTransport&) = delete;
    CurlTransport& operator=(const CurlTransport&) = delete;

    HttpResponse perform(const HttpRequest& request) override {
        HttpResponse response;
        Exchange exchange{&request, 0, &response};
        // A reset clears the options but keeps live connections and caches.
        libcurl().curl_easy_reset(curl_);
        libcurl().curl_easy_setopt(curl_, CURLOPT_SHARE, share_);
        libcurl().curl_easy_setopt(curl_, CURLOPT_URL, request.url.c_str());
        libcurl().curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
        libcurl().curl_easy_setopt(curl_, CURLOPT_PROTOCOLS_STR, "https,http");
        libcurl().curl_easy_setopt(curl_, CURLOPT_TCP_KEEPALIVE, 1L);
        libcurl().curl_easy_setopt(curl_, CURLOPT_SSL_VERIFYPEER, options_.verifyTls ? 1L : 0L);
        libcurl().curl_easy_setopt(curl_, CURLOPT_SSL_VERIFYHOST, options_.verifyTls ? 2L : 0L);
        if (!options_.caFile.empty()) libcurl().curl_easy_setopt(curl_, CURLOPT_CAINFO, options_.caFile.c_str());
        if (!options_.caPath.empty()) libcurl().curl_easy_setopt(curl_, CURLOPT_CAPATH, options_.caPath.c_str());
        const long timeoutMs = static_cast<long>(std::max<std::int64_t>(options_.timeout.count(), 1));
        libcurl().curl_easy_setopt(curl_, CURLOPT_CONNECTTIMEOUT_MS, timeoutMs);
        // No byte for the whole timeout (rounded up to a second, curl's unit here) = a dead peer.
        libcurl().curl_easy_setopt(curl_, CURLOPT_LOW_SPEED_LIMIT, 1L);
        libcurl().curl_easy_setopt(curl_, CURLOPT_LOW_SPEED_TIME, std::max(1L, (timeoutMs + 999) / 1000));

        curl_slist* connectTo = nullptr;
        if (!options_.connectHost.empty() || options_.connectPort != 0) {
            const auto [host, port] = hostAndPort(request.url);
            const std::string rule = fmt::format("{}:{}:{}:{}", host, port,
                                                 options_.connectHost.empty() ? host : options_.connectHost,
                                                 options_.connectPort == 0 ? port : options_.connectPort);
            connectTo = libcurl().curl_slist_append(nullptr, rule.c_str());
            libcurl().curl_easy_setopt(curl_, CURLOPT_CONNECT_TO, connectTo);
        }

        curl_slist* headers = nullptr;
        for (const auto& [name, value] : request.headers)
            headers = libcurl().curl_slist_append(headers, fmt::format("{}: {}", name, value).c_str());
        // curl would otherwise add "Expect: 100-continue" to larger uploads and wait a second for it.
        headers = libcurl().curl_slist_append(headers, "Expect:");
        if (request.method == "PUT" || request.method == "POST") headers = libcurl().curl_slist_append(headers, "Content-Type:");
        libcurl().curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers);

        if (request.method == "HEAD") {
            libcurl().curl_easy_setopt(curl_, CURLOPT_NOBODY, 1L);
        } else if (request.method == "PUT" || request.method == "POST") {
            libcurl().curl_easy_setopt(curl_, CURLOPT_UPLOAD, 1L);
            libcurl().curl_easy_setopt(curl_, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
            libcurl().curl_easy_setopt(curl_, CURLOPT_READFUNCTION, onRead);
            libcurl().curl_easy_setopt(curl_, CURLOPT_READDATA, &exchange);
            libcurl().curl_easy_setopt(curl_, CURLOPT_SEEKFUNCTION, onSeek);
            libcurl().curl_easy_setopt(curl_, CURLOPT_SEEKDATA, &exchange);
            if (request.method == "POST") libcurl().curl_easy_setopt(curl_, CURLOPT_CUSTOMREQUEST, "POST");
        } else if (request.method != "GET") {
            libcurl().curl_easy_setopt(curl_, CURLOPT_CUSTOMREQUEST, request.method.c_str());
        }
        libcurl().curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, onWrite);
        libcurl().curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &exchange);
        libcurl().curl_easy_setopt(curl_, CURLOPT_HEADERFUNCTION, onHeader);
        libcurl().curl_easy_setopt(curl_, CURLOPT_HEADERDATA, &exchange);
        char errorText[CURL_ERROR_SIZE] = "";
        libcurl().curl_easy_setopt(curl_, CURLOPT_ERRORBUFFER, errorText);

        const CURLcode code = libcurl().curl_easy_perform(curl_);
        libcurl().curl_slist_free_all(headers);
        libcurl().curl_slist_free_all(connectTo);
        if (code != CURLE_OK) fail(request, code, errorText);

        long status = 0;
        libcurl().curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &status);
        response.status = static_cast<int>(status);
        return response;
    }

private:
    [[noreturn]] void fail(const HttpRequest& request, CURLcode code, const char* errorText) const {
        // The URL names host, port and key; headers (credentials) are never part of a message.
        // curl keeps the first error of a transfer in errorText: after its own retry of a reused
        // connection that was reset, that is the reset while `code` is the later failure.
        const std::string_view summary = libcurl().curl_easy_strerror(code);
        const std::string what = fmt::format("{} {}: {}", request.method, request.url,
                                             *errorText == '\0' || summary == errorText
                                                 ? std::string(summary)
                                                 : fmt::format("{} ({})", summary, errorText));
        switch (code) {
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CACERT_BADFILE:
            throw Error(ErrorCode::Protocol, "TLS certificate verification failed for " + what)
                .withHint("trust the server's CA with repo-storage-ca-file or repo-storage-ca-path; only for a test "
                          "server with a self-signed certificate turn verification off (repo-storage-verify-tls=n)");
        case CURLE_OPERATION_TIMEDOUT:
            throw Error(ErrorCode::ProtocolTimeout, "HTTP request timed out: " + what, Retry::Yes);
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
        case CURLE_COULDNT_CONNECT:
            throw Error(ErrorCode::HostConnect, "unable to connect: " + what, Retry::Yes);
        case CURLE_URL_MALFORMAT:
        case CURLE_UNSUPPORTED_PROTOCOL:
            throw Error(ErrorCode::Assert, "invalid HTTP request: " + what);
        default:
            // Resets, truncated replies, TLS read errors: the request may well succeed again.
            throw Error(ErrorCode::HostConnect, "HTTP request failed: " + what, Retry::Yes);
        }
    }

    HttpOptions options_;
    CURLSH* share_;
    CURL* curl_;
};

}  // namespace

std::unique_ptr<HttpTransport> makeCurlTransport(HttpOptions options) {
    return std::make_unique<CurlTransport>(std::move(options));
}

}  // namespace pgark::http
