// expire: removes the backups and WAL that the repo-retention-* options (or --set) no longer
// keep, one repository at a time, in the order of spec §10: backup manifests (newest dependent
// first), backup.info (+ .copy), `latest`, then the backup directories, then WAL, then history
// manifests. Planning is in retention.h / archive_retention.h; this applies a plan and logs it
// the way pgBackRest 2.45 does. expire_command.cpp is the config glue.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "command/expire/retention.h"
#include "command/repo.h"

namespace pgark::config {
class Config;
}

namespace pgark::command::expire {

struct ExpireOptions {
    std::string stanza;
    bool dryRun = false;                    // log what would go, change nothing
    std::optional<std::string> adhocLabel;  // --set: a valid label
    std::int64_t now = 0;                   // Unix seconds (time retention, history cut-off)
    bool warnAdhocMissing = false;          // warn when adhocLabel is not here (the last repo, not found before)
};

// Expires one repository. Returns true when options.adhocLabel was found in its backup.info.
// Throws the loaders' errors (missing or invalid backup.info/archive.info, a mismatch between
// them), Error(BackupSetInvalid) for an ad-hoc expire of the only full backup, and storage errors;
// nothing has been removed when a load or planning error is thrown.
bool expireRepo(Repo& repo, const RetentionSettings& settings, const ExpireOptions& options);

// repo<N>-retention-* of one configured repository.
[[nodiscard]] RetentionSettings readRetention(const config::Config& config, unsigned repoIndex);

}  // namespace pgark::command::expire

namespace pgark::command {

// The expire command: takes the backup lock, then expires every repository (or --repo). An error
// in one repository is logged and the others still run; then Error(Command) says how many failed.
int runExpire(const config::Config& config);

// Called at the end of a successful backup, which still holds the backup lock: runs expire over
// the same repositories unless expire-auto is off. Throws like runExpire.
void expireAfterBackup(const config::Config& config);

}  // namespace pgark::command
