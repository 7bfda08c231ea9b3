// WAL retention for expire (spec §10.2): for each archive id, the backup that anchors retention,
// the WAL ranges that must stay, and which segment directories and files go. Pure functions:
// directory listings come in as arguments (or through a callback), and the result says what to
// remove and what to log; expire.cpp removes it.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "command/expire/retention.h"

namespace pgark::command::expire {

// WAL that must stay: segment names (24 hex) from `start` to `stop`, or on without end.
struct WalRange {
    std::string start;
    std::optional<std::string> stop;  // nullopt: everything from start on
};

// One cluster of the history, as archive.info names it.
struct ArchiveHistoryEntry {
    unsigned dbId = 0;
    std::string archiveId;  // "15-1"
};

struct ArchiveIdPlan {
    std::string archiveId;
    bool removePath = false;    // no backup of this cluster is left: the whole archive id goes
    // Set when WAL is expired selectively: each backup with a range to keep, ascending, ending
    // with the anchor (the oldest backup WAL retention keeps recovery from, range open-ended).
    std::vector<std::pair<std::string, WalRange>> kept;
};

// Decides per archive id (history oldest first, only those in `onDisk`) given the backups left
// (ascending) and `retention` backups of `type`. Nothing at all when fewer than `retention`
// backups of `type` exist. An archive id with no backup of `type` is removed unless it is
// `currentArchiveId`. Otherwise the anchor is the oldest of the newest `retention` backups of
// `type` that belongs to it (its newest backup of `type` when none does); older backups of that
// cluster with WAL keep their start..stop range, so they stay consistent. An offline anchor (no
// WAL range) expires nothing.
[[nodiscard]] std::vector<ArchiveIdPlan> planArchiveIds(std::span<const BackupRef> backups,
                                                        std::span<const ArchiveHistoryEntry> history,
                                                        std::string_view currentArchiveId,
                                                        std::span<const std::string> onDisk, unsigned retention,
                                                        ArchiveRetentionType type);

// What goes from one archive id with kept ranges: whole segment directories ("0000000100000002"),
// files ("0000000100000002/000000010000000200000001-<sha1>.gz") and timeline history files below
// the anchor's timeline ("00000001.history"), plus the log text pgBackRest prints for them.
struct WalRemoval {
    std::vector<std::string> paths;         // directories, relative to the archive id
    std::vector<std::string> files;         // files, relative to the archive id
    std::vector<std::string> historyFiles;  // relative to the archive id
    // "start = X, stop = Y" per run of removed WAL, pgBackRest's wording and quirks (a removed
    // directory restarts the run at its own name).
    std::vector<std::string> ranges;
};

// `dirs` are the names in the archive id directory (anything not 16 hex digits is ignored);
// `listDir(dir)` returns the names in one of them, asked only for kept directories up to the
// anchor's; `rootFiles` are the names directly in the archive id directory (for .history).
[[nodiscard]] WalRemoval planWalRemoval(const ArchiveIdPlan& plan, std::vector<std::string> dirs,
                                        const std::function<std::vector<std::string>(const std::string&)>& listDir,
                                        std::span<const std::string> rootFiles);

}  // namespace pgark::command::expire
