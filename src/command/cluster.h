// The local cluster as commands reach it through pg1-*: its pg_control and a libpq session.
// Reads the configuration; kept apart from the command logic so that logic runs on plain facts.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "db/pg_client.h"
#include "postgres/pg_control.h"

namespace pgark::config {
class Config;
}

namespace pgark::command {

// pg1-path, or nullopt when the command has no such option set.
std::optional<std::string> pgPath(const config::Config& config);
// pg_control of the cluster at pg1-path; throws Error(OptionRequired) when pg1-path is unset.
postgres::PgControl loadPgControl(const config::Config& config);
// A session with the cluster from pg1-socket-path/-host, pg1-port, pg1-user, pg1-database, db-timeout.
std::unique_ptr<db::PgConnection> connectPg(const config::Config& config);

}  // namespace pgark::command
