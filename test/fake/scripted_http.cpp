// ScriptedHttp. See scripted_http.h.
#include "fake/scripted_http.h"

#include <algorithm>

namespace pgark::test {

std::string RecordedRequest::header(std::string_view name) const {
    for (const auto& [key, value] : headers)
        if (key == name) return value;
    return {};
}

ScriptedHttp& ScriptedHttp::reply(int status, std::string body, http::Headers headers) {
    http::HttpResponse response;
    response.status = status;
    response.body = std::move(body);
    response.headers = std::move(headers);
    script_.push_back({std::move(response), std::nullopt});
    return *this;
}

ScriptedHttp& ScriptedHttp::replyTo(std::string urlPart, int status, std::string body, http::Headers headers) {
    reply(status, std::move(body), std::move(headers));
    script_.back().urlPart = std::move(urlPart);
    return *this;
}

ScriptedHttp& ScriptedHttp::fail(Error error) {
    script_.push_back({{}, std::move(error), {}});
    return *this;
}

const RecordedRequest& ScriptedHttp::request(std::string_view urlPart) const {
    for (const RecordedRequest& recorded : requests_)
        if (recorded.url.find(urlPart) != std::string::npos) return recorded;
    throwError(ErrorCode::Assert, "no request to a URL containing '{}'", urlPart);
}

http::HttpResponse ScriptedHttp::perform(const http::HttpRequest& request) {
    Step step;
    {
        const std::lock_guard lock(mutex_);
        requests_.push_back({request.method, request.url, request.headers, std::string(request.body)});
        const auto found = std::find_if(script_.begin(), script_.end(), [&](const Step& candidate) {
            return candidate.urlPart.empty() || request.url.find(candidate.urlPart) != std::string::npos;
        });
        if (found == script_.end()) throwError(ErrorCode::Assert, "unscripted HTTP request {} {}", request.method, request.url);
        step = std::move(*found);
        script_.erase(found);
    }
    if (step.error) throw *step.error;
    return step.response;
}

}  // namespace pgark::test
