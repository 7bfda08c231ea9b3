// Config glue of expire: options -> RetentionSettings/ExpireOptions, pgBackRest's warnings about
// unset retention, the backup lock, and the loop over repositories. See expire.h.
#include <fmt/format.h>

#include <ctime>

#include "command/expire/expire.h"
#include "common/error.h"
#include "common/lock.h"
#include "common/log.h"
#include "config/config.h"
#include "info/manifest.h"

namespace pgark::command {
namespace expire {

RetentionSettings readRetention(const config::Config& config, unsigned repoIndex) {
    RetentionSettings settings;
    auto count = [&](std::string_view name) -> std::optional<unsigned> {
        if (!config.has(name, repoIndex)) return std::nullopt;
        return static_cast<unsigned>(config.getInt(name, repoIndex));
    };
    settings.full = count("repo-retention-full");
    settings.diff = count("repo-retention-diff");
    settings.archive = count("repo-retention-archive");
    settings.historyDays = count("repo-retention-history");
    if (config.getString("repo-retention-full-type", repoIndex) == "time") settings.fullType = FullRetentionType::Time;
    const std::string archiveType = config.getString("repo-retention-archive-type", repoIndex);
    if (archiveType == "diff") settings.archiveType = ArchiveRetentionType::Diff;
    if (archiveType == "incr") settings.archiveType = ArchiveRetentionType::Incr;
    return settings;
}

}  // namespace expire

namespace {

void expireAll(const config::Config& config) {
    expire::ExpireOptions options;
    options.stanza = config.getString("stanza");
    options.dryRun = config.takes("dry-run") && config.getBool("dry-run");
    if (config.takes("set") && config.has("set")) {
        options.adhocLabel = config.getString("set");
        if (!info::backupLabelValid(*options.adhocLabel)) {
            // pgBackRest's message, word for word; the info command lists the valid labels.
            throwError(ErrorCode::OptionInvalidValue, "'{}' is not a valid backup label format", *options.adhocLabel);
        }
    }
    options.now = static_cast<std::int64_t>(std::time(nullptr));

    std::vector<Repo> repos = openRepos(config);
    unsigned errors = 0;
    bool adhocFound = false;
    for (std::size_t i = 0; i < repos.size(); i++) {
        options.warnAdhocMissing = !adhocFound && i + 1 == repos.size();
        try {
            adhocFound |= expire::expireRepo(repos[i], expire::readRetention(config, repos[i].index), options);
        } catch (const Error& error) {
            // One repository failing must not keep the others from being expired.
            errors++;
            log::error("[{:03}]: {}: {}", error.exitCode(), repos[i].name(), error.what());
        }
    }
    if (errors > 0)
        throwError(ErrorCode::Command, "expire command encountered {} error(s), check the log file for details", errors);
}

}  // namespace

int runExpire(const config::Config& config) {
    const std::string lockPath = config.getString("lock-path");
    const std::string stanza = config.getString("stanza");
    lock::stopFileCheck(lockPath, stanza);
    const lock::Lock held = lock::Lock::acquire(lockPath, stanza, lock::LockType::Backup, {});
    expireAll(config);
    return 0;
}

void expireAfterBackup(const config::Config& config) {
    if (config.getBool("expire-auto")) expireAll(config);
}

}  // namespace pgark::command
