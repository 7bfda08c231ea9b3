#include "fake/scripted_pg.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace pgark::test {

ScriptedPg& ScriptedPg::expect(std::string sql, std::vector<db::Row> rows, std::vector<std::string> columns) {
    script_.push_back({std::move(sql), {}, {std::move(columns), std::move(rows)}, std::nullopt});
    return *this;
}

ScriptedPg& ScriptedPg::expectParams(std::string sql, std::vector<std::string> params, std::vector<db::Row> rows) {
    script_.push_back({std::move(sql), std::move(params), {{}, std::move(rows)}, std::nullopt});
    return *this;
}

ScriptedPg& ScriptedPg::expectError(std::string sql, std::string serverMessage) {
    script_.push_back({std::move(sql), {}, {}, std::move(serverMessage)});
    return *this;
}

ScriptedPg& ScriptedPg::expectParamsError(std::string sql, std::vector<std::string> params, std::string serverMessage) {
    script_.push_back({std::move(sql), std::move(params), {}, std::move(serverMessage)});
    return *this;
}

db::QueryResult ScriptedPg::query(std::string_view sql, std::span<const std::string> params) {
    received_.emplace_back(sql);
    if (closed_) throw db::pgQueryError(sql, "connection is closed");
    if (next_ == script_.size()) {
        throwError(ErrorCode::Assert, "scripted pg: unexpected query '{}' after the end of the script", sql);
    }
    const PgScriptStep& step = script_[next_];
    const std::vector<std::string> got(params.begin(), params.end());
    if (step.sql != sql || step.params != got) {
        throwError(ErrorCode::Assert, "scripted pg: step {} expected query '{}' with params [{}] but got '{}' with params [{}]",
                   next_ + 1, step.sql, fmt::join(step.params, ", "), sql, fmt::join(got, ", "));
    }
    ++next_;
    if (step.error) throw db::pgQueryError(sql, *step.error);
    return step.result;
}

}  // namespace pgark::test
