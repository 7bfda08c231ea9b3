// ScriptedHttp. See scripted_http.h.
#include "fake/scripted_http.h"

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

ScriptedHttp& ScriptedHttp::fail(Error error) {
    script_.push_back({{}, std::move(error)});
    return *this;
}

http::HttpResponse ScriptedHttp::perform(const http::HttpRequest& request) {
    requests_.push_back({request.method, request.url, request.headers, std::string(request.body)});
    if (script_.empty()) throwError(ErrorCode::Assert, "unscripted HTTP request {} {}", request.method, request.url);
    Step step = std::move(script_.front());
    script_.pop_front();
    if (step.error) throw *step.error;
    return step.response;
}

}  // namespace pgark::test
