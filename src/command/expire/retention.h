// Backup retention for expire (spec §10.1): which backups the repo-retention-* options (or an
// ad-hoc --set) expire, in the order pgBackRest 2.45 expires them, and how many backups then
// anchor WAL retention. Pure functions over a list of backups: nothing here reads configuration
// or touches storage; expire.cpp applies the plan.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "info/backup_info.h"
#include "info/manifest.h"

namespace pgark::command::expire {

enum class FullRetentionType { Count, Time };
enum class ArchiveRetentionType { Full, Diff, Incr };

// The repo<N>-retention-* options of one repository; nullopt = not set.
struct RetentionSettings {
    std::optional<unsigned> full;                          // backups (count) or days (time)
    FullRetentionType fullType = FullRetentionType::Count;
    std::optional<unsigned> diff;                          // full and diff backups to keep
    std::optional<unsigned> archive;                       // set explicitly (no default applied)
    ArchiveRetentionType archiveType = ArchiveRetentionType::Full;
    std::optional<unsigned> historyDays;                   // repo-retention-history
};

// One [backup:current] entry, as retention sees it.
struct BackupRef {
    std::string label;
    info::BackupType type = info::BackupType::Full;
    std::optional<std::string> prior;         // diff/incr: the backup it is based on
    unsigned dbId = 1;                        // history id of the cluster
    std::optional<std::string> archiveStart;  // nullopt: offline backup
    std::optional<std::string> archiveStop;
    std::int64_t timestampStop = 0;           // Unix seconds
};

// The backups of backup.info in ascending label order. Throws what BackupEntry's getters throw
// for a malformed entry.
[[nodiscard]] std::vector<BackupRef> backupRefs(const info::BackupInfo& backupInfo);

// `label` followed by every backup whose backup-prior chain leads to it, in ascending label
// order (`backups` ascending). Just {label} when nothing depends on it.
[[nodiscard]] std::vector<std::string> dependents(std::span<const BackupRef> backups, std::string_view label);

// One expiry: a backup and its dependents, ascending, and why ("full", "diff", "time-based",
// "adhoc": the word in "expire <reason> backup set ...").
struct ExpireSet {
    std::string reason;
    std::vector<std::string> labels;
};

// Why WAL is not expired, when it is not.
enum class ArchiveSkip { None, NotSet, TimeNotMet };

struct BackupPlan {
    std::vector<ExpireSet> sets;           // in the order pgBackRest expires (and logs) them
    std::vector<BackupRef> remaining;      // the backups left, ascending
    bool latestExpired = false;            // the newest backup was expired (ad-hoc only)
    std::optional<unsigned> archiveRetention;  // backups of archiveType that anchor WAL; nullopt = keep all WAL
    ArchiveSkip archiveSkip = ArchiveSkip::None;  // set when archiveRetention is nullopt
};

// Plans one repository's backup expiry. With `adhocLabel` only that backup and its dependents
// expire (the retention options then only drive WAL retention); a label not in `backups` expires
// nothing. Otherwise full retention (count: keep the newest N full backups; time: expire every
// full backup older than the newest full backup that stopped more than N days before `now`),
// then diff retention (keep the newest N of full and diff backups counted together; only diffs
// expire). `now` is Unix seconds. Throws Error(BackupSetInvalid) when the ad-hoc label is the
// only full backup.
[[nodiscard]] BackupPlan planBackupExpire(std::vector<BackupRef> backups, const RetentionSettings& settings,
                                          std::int64_t now, const std::optional<std::string>& adhocLabel);

// True when a backup of type `backup` counts for retention of `type`: full counts only full
// backups, diff counts full and diff backups, incr counts every backup.
[[nodiscard]] bool countsFor(ArchiveRetentionType type, info::BackupType backup) noexcept;

}  // namespace pgark::command::expire

namespace pgark::command::expire {

// The backup directories to remove after backup.info is saved: every valid label in `onDisk` that
// is not in `current`, newest first, except `resumable` (a newest unfinished backup that a later
// backup may resume).
[[nodiscard]] std::vector<std::string> strayBackups(std::vector<std::string> onDisk, std::span<const BackupRef> current,
                                                    const std::optional<std::string>& resumable);

// History manifests to remove with repo-retention-history (spec §10.3): whole year directories
// older than the year of `cutoffLabel`, then (newest first) "<year>/<label>.manifest.gz" files
// whose label sorts before `cutoffLabel` and is not a current backup. `years` are the names in
// backup.history/; `listYear(year)` the names in one year (asked only for years not removed).
struct HistoryRemoval {
    std::vector<std::string> years;
    std::vector<std::string> manifests;
};
[[nodiscard]] HistoryRemoval planHistoryExpire(std::vector<std::string> years,
                                               const std::function<std::vector<std::string>(const std::string&)>& listYear,
                                               std::string_view cutoffLabel, std::span<const BackupRef> current);

}  // namespace pgark::command::expire
