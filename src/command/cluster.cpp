// The local cluster from pg1-* options: see cluster.h.
#include "command/cluster.h"

#include "common/error.h"
#include "config/config.h"
#include "storage/posix/posix_storage.h"

namespace pgark::command {

std::optional<std::string> pgPath(const config::Config& config) {
    if (!config.takes("pg-path") || !config.has("pg-path", 1)) return std::nullopt;
    return config.getString("pg-path", 1);
}

postgres::PgControl loadPgControl(const config::Config& config) {
    const auto path = pgPath(config);
    if (!path) {
        throw Error(ErrorCode::OptionRequired, fmt::format("{} command requires option: pg1-path", config.commandName()))
            .withHint("does this stanza exist?");
    }
    auto storage = storage::makePosixStorage(*path, {});
    try {
        return postgres::pgControlLoad(*storage);
    } catch (Error& error) {
        if (error.code() == ErrorCode::FileMissing && error.hint().empty())
            error.withHint(fmt::format("pg1-path must be the cluster's data directory; is '{}' right?", *path));
        throw;
    }
}

std::unique_ptr<db::PgConnection> connectPg(const config::Config& config) {
    db::PgConnectOptions options;
    if (config.has("pg-socket-path", 1)) options.socketPath = config.getString("pg-socket-path", 1);
    if (config.has("pg-host", 1)) {
        throw Error(ErrorCode::FeatureNotSupported, "pg1-host (a cluster reached over SSH or TLS) is not supported")
            .withHint("run pgark on the database host and connect through pg1-socket-path or pg1-port");
    }
    options.port = static_cast<unsigned>(config.getInt("pg-port", 1));
    if (config.has("pg-user", 1)) options.user = config.getString("pg-user", 1);
    if (config.has("pg-database", 1)) options.database = config.getString("pg-database", 1);
    if (config.takes("db-timeout")) options.timeout = config.getTime("db-timeout");
    options.applicationName = fmt::format("pgark [{}]", config.commandName());
    return db::makePgConnection(options);
}

}  // namespace pgark::command
