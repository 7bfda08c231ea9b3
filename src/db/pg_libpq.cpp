// The libpq implementation of PgConnection. Queries are sent asynchronously and awaited with
// poll() so that a per-query timeout can cancel a stuck statement instead of hanging the command.
#include <poll.h>

#include <libpq-fe.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include <fmt/format.h>

#include "db/libpq_loader.h"
#include "db/pg_client.h"

namespace pgark::db {

namespace {

using Clock = std::chrono::steady_clock;

std::string trimmed(const char* text) {
    std::string result = text != nullptr ? text : "";
    while (!result.empty() && (result.back() == '\n' || result.back() == ' ' || result.back() == '\r')) result.pop_back();
    return result;
}

struct ResultDeleter {
    void operator()(PGresult* result) const noexcept { libpq().PQclear(result); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

// libpq prints server NOTICEs and WARNINGs to stderr by default. pg_backup_stop(false) always sends
// one about archiving that we check ourselves; none of them belongs on the user's terminal.
void ignoreNotice(void*, const char*) {}

class LibpqConnection final : public PgConnection {
public:
    LibpqConnection(PGconn* conn, std::chrono::milliseconds timeout) : conn_(conn), timeout_(timeout) {}
    ~LibpqConnection() override { close(); }

    LibpqConnection(const LibpqConnection&) = delete;
    LibpqConnection& operator=(const LibpqConnection&) = delete;

    QueryResult query(std::string_view sql, std::span<const std::string> params) override {
        if (conn_ == nullptr) throw pgQueryError(sql, "connection is closed");

        const std::string text(sql);
        int sent = 0;
        if (params.empty()) {
            sent = libpq().PQsendQuery(conn_, text.c_str());
        } else {
            std::vector<const char*> values;
            values.reserve(params.size());
            for (const std::string& param : params) values.push_back(param.c_str());
            sent = libpq().PQsendQueryParams(conn_, text.c_str(), static_cast<int>(params.size()), nullptr, values.data(),
                                     nullptr, nullptr, 0);
        }
        if (sent == 0) throw pgQueryError(sql, trimmed(libpq().PQerrorMessage(conn_)));

        const auto deadline = Clock::now() + timeout_;
        QueryResult result;
        std::optional<std::string> failure;
        for (;;) {
            waitReady(sql, deadline);
            ResultPtr reply(libpq().PQgetResult(conn_));
            if (!reply) break;
            switch (libpq().PQresultStatus(reply.get())) {
                case PGRES_TUPLES_OK:
                    result = toResult(reply.get());
                    break;
                case PGRES_COMMAND_OK:
                case PGRES_EMPTY_QUERY:
                    result = {};
                    break;
                default:
                    // Keep reading until the end so the session is ready for the next query.
                    if (!failure) failure = trimmed(libpq().PQresultErrorMessage(reply.get()));
                    break;
            }
        }
        if (failure) throw pgQueryError(sql, *failure);
        return result;
    }

    void close() noexcept override {
        if (conn_ != nullptr) {
            libpq().PQfinish(conn_);
            conn_ = nullptr;
        }
    }

private:
    static QueryResult toResult(const PGresult* reply) {
        QueryResult result;
        const int columns = libpq().PQnfields(reply);
        const int rows = libpq().PQntuples(reply);
        result.columns.reserve(static_cast<std::size_t>(columns));
        for (int c = 0; c < columns; ++c) result.columns.emplace_back(libpq().PQfname(reply, c));
        result.rows.reserve(static_cast<std::size_t>(rows));
        for (int r = 0; r < rows; ++r) {
            Row row;
            row.reserve(static_cast<std::size_t>(columns));
            for (int c = 0; c < columns; ++c) {
                if (libpq().PQgetisnull(reply, r, c) != 0) row.emplace_back(std::nullopt);
                else row.emplace_back(std::string(libpq().PQgetvalue(reply, r, c), static_cast<std::size_t>(libpq().PQgetlength(reply, r, c))));
            }
            result.rows.push_back(std::move(row));
        }
        return result;
    }

    // Waits until PQgetResult will not block.
    void waitReady(std::string_view sql, Clock::time_point deadline) {
        while (libpq().PQisBusy(conn_) != 0) {
            const auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            if (remaining.count() <= 0) timedOut(sql);

            pollfd fd{libpq().PQsocket(conn_), POLLIN, 0};
            const int waitMs = static_cast<int>(std::min<std::chrono::milliseconds::rep>(remaining.count(), INT_MAX));
            if (::poll(&fd, 1, waitMs) < 0 && errno != EINTR) {
                throw pgQueryError(sql, fmt::format("unable to wait for reply: {}", std::strerror(errno)));
            }
            if (libpq().PQconsumeInput(conn_) == 0) throw pgQueryError(sql, trimmed(libpq().PQerrorMessage(conn_)));
        }
    }

    // Asks the server to cancel the statement, then drops the session: after a timeout the server
    // may be unresponsive, and waiting for the cancel to land could hang just as long.
    [[noreturn]] void timedOut(std::string_view sql) {
        if (PGcancel* cancel = libpq().PQgetCancel(conn_)) {
            char message[256];
            (void)libpq().PQcancel(cancel, message, sizeof(message));
            libpq().PQfreeCancel(cancel);
        }
        close();
        throwError(ErrorCode::DbQuery, "query '{}' timed out after {}ms", sql, timeout_.count());
    }

    PGconn* conn_;
    std::chrono::milliseconds timeout_;
};

}  // namespace

std::vector<std::pair<std::string, std::string>> pgConnectParams(const PgConnectOptions& options) {
    std::vector<std::pair<std::string, std::string>> params;
    params.emplace_back("dbname", options.database);
    params.emplace_back("port", std::to_string(options.port));
    // libpq takes a socket directory in "host" (it starts with '/'); it wins over a host name.
    if (!options.socketPath.empty()) params.emplace_back("host", options.socketPath);
    else if (!options.host.empty()) params.emplace_back("host", options.host);
    if (!options.user.empty()) params.emplace_back("user", options.user);
    // libpq counts whole seconds (and treats 1 as 2); round up so a short timeout is not "forever" (0).
    const auto seconds = (options.timeout.count() + 999) / 1000;
    params.emplace_back("connect_timeout", std::to_string(seconds < 1 ? 1 : seconds));
    params.emplace_back("application_name", options.applicationName);
    params.emplace_back("client_encoding", "UTF8");
    // Every object is named with pg_catalog in our SQL; this guards functions a user shadowed anyway.
    params.emplace_back("options", "-c search_path=pg_catalog");
    return params;
}

std::string pgConnectDescribe(const PgConnectOptions& options) {
    std::string result;
    const std::string& host = !options.socketPath.empty() ? options.socketPath : options.host;
    if (!host.empty()) result += fmt::format("host='{}' ", host);
    result += fmt::format("port={}", options.port);
    if (!options.user.empty()) result += fmt::format(" user='{}'", options.user);
    result += fmt::format(" dbname='{}'", options.database);
    return result;
}

std::unique_ptr<PgConnection> makePgConnection(const PgConnectOptions& options) {
    const auto params = pgConnectParams(options);
    std::vector<const char*> keywords;
    std::vector<const char*> values;
    for (const auto& [keyword, value] : params) {
        keywords.push_back(keyword.c_str());
        values.push_back(value.c_str());
    }
    keywords.push_back(nullptr);
    values.push_back(nullptr);

    PGconn* conn = libpq().PQconnectdbParams(keywords.data(), values.data(), 0);
    if (conn == nullptr) {
        throwError(ErrorCode::DbConnect, "unable to connect to '{}': out of memory", pgConnectDescribe(options));
    }
    if (libpq().PQstatus(conn) != CONNECTION_OK) {
        const std::string message = trimmed(libpq().PQerrorMessage(conn));
        libpq().PQfinish(conn);
        throwError(ErrorCode::DbConnect, "unable to connect to '{}': {}", pgConnectDescribe(options), message);
    }
    libpq().PQsetNoticeProcessor(conn, ignoreNotice, nullptr);
    return std::make_unique<LibpqConnection>(conn, options.timeout);
}

}  // namespace pgark::db
