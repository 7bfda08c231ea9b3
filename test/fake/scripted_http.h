// ScriptedHttp: an HttpTransport that plays a script of replies (or transport errors) in order and
// records every request it got, so retry, back-off and error paths of the S3 driver can be tested
// without a network. Running past the end of the script is a test failure (Error(Assert)).
// Requests sent from several threads at once (the parts of a multipart upload) take the first
// step whose URL filter (replyTo) they match, or that has none; thread-safe.
#pragma once

#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/http/http.h"

namespace pgark::test {

struct RecordedRequest {
    std::string method;
    std::string url;
    http::Headers headers;
    std::string body;
    std::string header(std::string_view name) const;
};

class ScriptedHttp final : public http::HttpTransport {
public:
    // Queue a reply: status, body and headers (lower-case names).
    ScriptedHttp& reply(int status, std::string body = {}, http::Headers headers = {});
    // Queue a reply for the first request whose URL contains `urlPart`.
    ScriptedHttp& replyTo(std::string urlPart, int status, std::string body = {}, http::Headers headers = {});
    // Queue a transport failure.
    ScriptedHttp& fail(Error error);

    http::HttpResponse perform(const http::HttpRequest& request) override;

    // Read once the requests have ended (no request in flight).
    const std::vector<RecordedRequest>& requests() const noexcept { return requests_; }
    // The recorded request whose URL contains `urlPart` (a test failure if there is none).
    const RecordedRequest& request(std::string_view urlPart) const;
    bool finished() const noexcept { return script_.empty(); }

private:
    struct Step {
        http::HttpResponse response;
        std::optional<Error> error;
        std::string urlPart;  // "" matches any request
    };
    std::mutex mutex_;
    std::deque<Step> script_;
    std::vector<RecordedRequest> requests_;
};

}  // namespace pgark::test
