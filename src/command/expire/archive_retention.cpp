// WAL retention planning. See archive_retention.h. Comparisons are on names: a directory is the
// first 16 characters of its segments' names, a file is compared by its first 24 characters (so
// partial segments and .backup files follow their segment), exactly as pgBackRest compares.
#include "command/expire/archive_retention.h"

#include <algorithm>

#include <fmt/format.h>

namespace pgark::command::expire {
namespace {

bool isHex(std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'); });
}

bool isSegmentDir(std::string_view name) { return name.size() == 16 && isHex(name); }
bool isWalFile(std::string_view name) { return name.size() >= 24 && isHex(name.substr(0, 24)); }
bool isHistoryFile(std::string_view name) {
    return name.size() == 16 && isHex(name.substr(0, 8)) && name.substr(8) == ".history";
}

bool dirInRange(std::string_view dir, const WalRange& range) {
    return dir >= std::string_view(range.start).substr(0, 16) &&
           (!range.stop || dir <= std::string_view(*range.stop).substr(0, 16));
}

bool walInRange(std::string_view wal, const WalRange& range) {
    return wal >= range.start && (!range.stop || wal <= *range.stop);
}

template <class Pred>
bool anyRange(const ArchiveIdPlan& plan, Pred pred) {
    return std::any_of(plan.kept.begin(), plan.kept.end(), [&](const auto& kept) { return pred(kept.second); });
}

// The running "start = X, stop = Y" of removed WAL, printed when a kept file ends it.
struct RangeLog {
    std::optional<std::string> start, stop;
    std::vector<std::string>& out;
    void flush() {
        if (start) out.push_back(fmt::format("start = {}, stop = {}", *start, *stop));
        start.reset();
    }
};

}  // namespace

std::vector<ArchiveIdPlan> planArchiveIds(std::span<const BackupRef> backups, std::span<const ArchiveHistoryEntry> history,
                                          std::string_view currentArchiveId, std::span<const std::string> onDisk,
                                          unsigned retention, ArchiveRetentionType type) {
    std::vector<const BackupRef*> ofType;  // newest first
    for (auto backup = backups.rbegin(); backup != backups.rend(); ++backup)
        if (countsFor(type, backup->type)) ofType.push_back(&*backup);
    std::vector<ArchiveIdPlan> plans;
    if (retention == 0 || ofType.size() < retention) return plans;
    const std::span<const BackupRef* const> newest(ofType.data(), retention);

    for (const ArchiveHistoryEntry& entry : history) {
        if (std::find(onDisk.begin(), onDisk.end(), entry.archiveId) == onDisk.end()) continue;
        ArchiveIdPlan plan{.archiveId = entry.archiveId};
        const BackupRef* anchor = nullptr;
        const BackupRef* newestOfDb = nullptr;
        for (const BackupRef* backup : ofType) {
            if (backup->dbId != entry.dbId) continue;
            if (!newestOfDb) newestOfDb = backup;
            if (std::find(newest.begin(), newest.end(), backup) != newest.end()) anchor = backup;
        }
        if (!newestOfDb) {
            // The current archive id stays: WAL is still being pushed to it.
            if (entry.archiveId != currentArchiveId) {
                plan.removePath = true;
                plans.push_back(std::move(plan));
            }
            continue;
        }
        if (!anchor) anchor = newestOfDb;
        if (anchor->archiveStart) {
            for (const BackupRef& backup : backups) {
                if (backup.label >= anchor->label) break;
                if (backup.dbId == entry.dbId && backup.archiveStart && backup.archiveStop)
                    plan.kept.push_back({backup.label, {*backup.archiveStart, *backup.archiveStop}});
            }
            plan.kept.push_back({anchor->label, {*anchor->archiveStart, std::nullopt}});
        }
        plans.push_back(std::move(plan));
    }
    return plans;
}

WalRemoval planWalRemoval(const ArchiveIdPlan& plan, std::vector<std::string> dirs,
                          const std::function<std::vector<std::string>(const std::string&)>& listDir,
                          std::span<const std::string> rootFiles) {
    WalRemoval removal;
    if (plan.kept.empty()) return removal;
    const std::string& anchorStart = plan.kept.back().second.start;
    const std::string_view anchorDir = std::string_view(anchorStart).substr(0, 16);
    RangeLog log{.out = removal.ranges};

    std::erase_if(dirs, [](const std::string& dir) { return !isSegmentDir(dir); });
    std::sort(dirs.begin(), dirs.end());
    for (const std::string& dir : dirs) {
        if (!anyRange(plan, [&](const WalRange& range) { return dirInRange(dir, range); })) {
            removal.paths.push_back(dir);
            // pgBackRest restarts the logged run at each removed directory.
            log.start = dir;
            log.stop = dir;
            continue;
        }
        if (dir > anchorDir) continue;
        std::vector<std::string> files = listDir(dir);
        std::erase_if(files, [](const std::string& file) { return !isWalFile(file); });
        std::sort(files.begin(), files.end());
        for (const std::string& file : files) {
            const std::string wal = file.substr(0, 24);
            if (anyRange(plan, [&](const WalRange& range) { return walInRange(wal, range); })) {
                log.flush();
                continue;
            }
            removal.files.push_back(dir + "/" + file);
            if (!log.start) log.start = wal;
            log.stop = wal;
        }
    }
    log.flush();

    std::vector<std::string> histories(rootFiles.begin(), rootFiles.end());
    std::sort(histories.begin(), histories.end());
    for (const std::string& name : histories)
        if (isHistoryFile(name) && std::string_view(name).substr(0, 8) < std::string_view(anchorStart).substr(0, 8))
            removal.historyFiles.push_back(name);
    return removal;
}

}  // namespace pgark::command::expire
