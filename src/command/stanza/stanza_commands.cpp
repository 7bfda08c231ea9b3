// stanza-create, stanza-upgrade and stanza-delete as commands: options, locks, then the cores.
#include <filesystem>

#include "command/cluster.h"
#include "command/commands.h"
#include "command/stanza/stanza.h"
#include "postgres/version.h"
#include "common/error.h"
#include "common/lock.h"
#include "config/config.h"

namespace pgark::command {
namespace {

// The stanza commands change both info files: they exclude archive-push/get async and backup.
lock::Lock stanzaLock(const config::Config& config) {
    return lock::Lock::acquire(config.getString("lock-path"), config.getString("stanza"), lock::LockType::All, {});
}

// With --online (the default) the running server must be the cluster whose pg_control we read.
void checkOnline(const config::Config& config, const postgres::PgControl& control) {
    if (!config.getBool("online")) return;
    auto connection = connectPg(config);
    db::PgClient client(*connection);
    const unsigned serverVersion = client.serverVersion();
    if (postgres::pgVersionMajor(serverVersion) != postgres::pgVersionMajor(control.version)) {
        throwError(ErrorCode::DbMismatch,
                   "the server's version {} does not match the version of pg_control in '{}'", serverVersion,
                   *pgPath(config));
    }
}

}  // namespace

int runStanzaCreate(const config::Config& config) {
    lock::stopFileCheck(config.getString("lock-path"), config.getString("stanza"));
    const postgres::PgControl control = loadPgControl(config);
    checkOnline(config, control);
    const lock::Lock held = stanzaLock(config);
    auto repos = openRepos(config);
    stanza::stanzaCreate(repos, config.getString("stanza"), control);
    return 0;
}

int runStanzaUpgrade(const config::Config& config) {
    lock::stopFileCheck(config.getString("lock-path"), config.getString("stanza"));
    const postgres::PgControl control = loadPgControl(config);
    checkOnline(config, control);
    const lock::Lock held = stanzaLock(config);
    auto repos = openRepos(config);
    stanza::stanzaUpgrade(repos, config.getString("stanza"), control);
    return 0;
}

int runStanzaDelete(const config::Config& config) {
    const std::string stanza = config.getString("stanza");
    const std::string lockPath = config.getString("lock-path");
    // Deleting is only allowed once the stanza is stopped, so nothing pushes WAL while it goes.
    if (!std::filesystem::exists(lock::stopFilePath(lockPath, stanza)) &&
        !std::filesystem::exists(lock::stopFilePath(lockPath, std::nullopt))) {
        throw Error(ErrorCode::Stop, fmt::format("stanza '{}' must be stopped before it is deleted", stanza))
            .withHint(fmt::format("run 'pgark --stanza={} stop' first", stanza));
    }
    if (const auto path = pgPath(config);
        path && std::filesystem::exists(std::filesystem::path(*path) / "postmaster.pid") && !config.getBool("force")) {
        throw Error(ErrorCode::PgRunning,
                    fmt::format("PostgreSQL may be running: '{}/postmaster.pid' exists", *path))
            .withHint("stop PostgreSQL before deleting its stanza, or use --force if it is not running");
    }
    const lock::Lock held = stanzaLock(config);
    auto repos = openRepos(config);
    stanza::stanzaDelete(repos, stanza);
    return 0;
}

}  // namespace pgark::command
