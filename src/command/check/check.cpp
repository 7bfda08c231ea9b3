// check: see check.h.
#include "command/check/check.h"

#include <fmt/format.h>

#include <filesystem>
#include <thread>

#include "command/archive/archive_files.h"
#include "command/stanza/stanza.h"
#include "common/error.h"
#include "common/log.h"
#include "postgres/version.h"

namespace pgark::command::check {
namespace {

std::string canonical(const std::string& path) {
    std::error_code ignored;
    const auto resolved = std::filesystem::weakly_canonical(path, ignored);
    return resolved.empty() ? path : resolved.string();
}

void checkSettings(const db::PgSettings& settings, const postgres::PgControl& control, const CheckOptions& options) {
    if (canonical(settings.dataDirectory) != canonical(options.pgPath)) {
        throw Error(ErrorCode::DbMismatch,
                    fmt::format("the server's data_directory '{}' is not pg1-path '{}'", settings.dataDirectory,
                                options.pgPath))
            .withHint("pg1-port or pg1-socket-path may point at another cluster");
    }
    if (postgres::pgVersionMajor(settings.serverVersion) != postgres::pgVersionMajor(control.version)) {
        throwError(ErrorCode::DbMismatch, "server version {} does not match the version in pg_control of '{}'",
                   settings.serverVersion, options.pgPath);
    }
    if (settings.archiveMode == "off") {
        throw Error(ErrorCode::ArchiveDisabled, "archive_mode must be enabled")
            .withHint("set archive_mode = on in postgresql.conf and restart PostgreSQL");
    }
    const std::string& command = settings.archiveCommand;
    if (command.empty() || command == "(disabled)") {
        throw Error(ErrorCode::ArchiveDisabled, "archive_command must be set")
            .withHint(fmt::format("set archive_command = 'pgark --stanza={} archive-push %p'", options.stanza));
    }
    if (command.find("pgark") == std::string::npos && command.find("pgbackrest") == std::string::npos) {
        throw Error(ErrorCode::ArchiveDisabled, fmt::format("archive_command '{}' calls neither pgark nor pgbackrest", command))
            .withHint(fmt::format("set archive_command = 'pgark --stanza={} archive-push %p'", options.stanza));
    }
}

}  // namespace

void waitForSegment(std::span<Repo> repos, const std::string& stanza, const std::string& archiveId,
                    const std::string& segment, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::vector<Repo*> waiting;
    for (Repo& repo : repos) waiting.push_back(&repo);
    auto sleep = std::chrono::milliseconds(20);
    for (;;) {
        std::erase_if(waiting, [&](Repo* repo) {
            if (archive::findStoredSegment(*repo->storage, stanza, archiveId, segment).empty()) return false;
            log::info("WAL segment {} successfully archived to '{}' on {}", segment,
                      repo->storage->describe(archive::archiveFileDir(stanza, archiveId, segment)), repo->name());
            return true;
        });
        if (waiting.empty()) return;
        if (std::chrono::steady_clock::now() >= deadline) break;
        std::this_thread::sleep_for(sleep);
        sleep = std::min(sleep * 2, std::chrono::milliseconds(500));
    }
    std::vector<std::string> names;
    for (const Repo* repo : waiting) names.push_back(repo->name());
    throw Error(ErrorCode::ArchiveTimeout,
                fmt::format("WAL segment {} was not archived to {} before the {}ms timeout", segment,
                            fmt::join(names, ", "), timeout.count()))
        .withHint("check that archive_command has the right options (especially --stanza and --config), "
                  "read the PostgreSQL server log for archive errors, and run 'start' if the stanza was stopped");
}

void checkStanza(db::PgClient& client, std::span<Repo> repos, const postgres::PgControl& control,
                 const CheckOptions& options) {
    const db::PgSettings settings = client.settings();
    checkSettings(settings, control, options);
    std::string archiveId;
    for (Repo& repo : repos) {
        const std::string repoArchiveId = stanza::stanzaCheck(repo, options.stanza, control);
        if (archiveId.empty()) archiveId = repoArchiveId;
    }
    if (!options.archiveCheck || client.isInRecovery()) {
        log::info("WAL switch skipped: the cluster is a standby or archive-check is off");
        return;
    }
    const std::string segment = client.switchWal();
    log::info("switched WAL to check archiving of segment {}", segment);
    waitForSegment(repos, options.stanza, archiveId, segment, options.archiveTimeout);
}

}  // namespace pgark::command::check
