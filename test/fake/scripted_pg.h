// ScriptedPg: a PgConnection that plays a script of query -> rows or query -> error, so code that
// talks to PostgreSQL is unit-tested without a server (the pgBackRest harness/pq.h idea). Each
// query must match the next step exactly (SQL text and parameters) or the fake throws
// Error(Assert) naming both; done() tells whether the whole script was consumed. Single-threaded.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "db/pg_client.h"

namespace pgark::test {

struct PgScriptStep {
    std::string sql;                    // expected query, exactly
    std::vector<std::string> params;    // expected parameters
    db::QueryResult result;             // reply when error is unset
    std::optional<std::string> error;   // server message: the query throws db::pgQueryError(sql, *error)
};

class ScriptedPg final : public db::PgConnection {
public:
    ScriptedPg() = default;
    explicit ScriptedPg(std::vector<PgScriptStep> script) : script_(std::move(script)) {}

    // Appends a step replying with `rows` (and optional column names). Returns *this for chaining:
    //   pg.expect(db::sql::kIsInRecovery, {{"f"}}).expectError("select 1", "ERROR:  boom");
    ScriptedPg& expect(std::string sql, std::vector<db::Row> rows, std::vector<std::string> columns = {});
    ScriptedPg& expectParams(std::string sql, std::vector<std::string> params, std::vector<db::Row> rows);
    ScriptedPg& expectError(std::string sql, std::string serverMessage);
    ScriptedPg& expectParamsError(std::string sql, std::vector<std::string> params, std::string serverMessage);

    // Plays the next step. After close() every query throws db::pgQueryError(sql, "connection is closed"),
    // as libpq does.
    db::QueryResult query(std::string_view sql, std::span<const std::string> params) override;
    void close() noexcept override { closed_ = true; }

    bool closed() const noexcept { return closed_; }
    std::size_t remaining() const noexcept { return script_.size() - next_; }
    bool done() const noexcept { return next_ == script_.size(); }
    // Every query received, in order (including ones that did not match).
    const std::vector<std::string>& received() const noexcept { return received_; }

private:
    std::vector<PgScriptStep> script_;
    std::size_t next_ = 0;
    bool closed_ = false;
    std::vector<std::string> received_;
};

}  // namespace pgark::test
