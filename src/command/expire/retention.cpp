// Backup retention planning. See retention.h. The orders below are pgBackRest 2.45's, observed
// on real repositories: sets expire oldest first, each logged with its dependents ascending.
#include "command/expire/retention.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/error.h"

namespace pgark::command::expire {
namespace {

constexpr std::int64_t kSecondsPerDay = 86400;

std::vector<std::string> labelsOf(std::span<const BackupRef> backups, ArchiveRetentionType type) {
    std::vector<std::string> labels;
    for (const BackupRef& backup : backups)
        if (countsFor(type, backup.type)) labels.push_back(backup.label);
    return labels;
}

const BackupRef* find(std::span<const BackupRef> backups, std::string_view label) {
    for (const BackupRef& backup : backups)
        if (backup.label == label) return &backup;
    return nullptr;
}

// Removes `label` and its dependents from `backups`; returns the set (empty if already gone).
ExpireSet expireSet(std::vector<BackupRef>& backups, const std::string& label, std::string reason) {
    ExpireSet set{std::move(reason), {}};
    if (!find(backups, label)) return set;
    set.labels = dependents(backups, label);
    std::erase_if(backups, [&](const BackupRef& backup) {
        return std::find(set.labels.begin(), set.labels.end(), backup.label) != set.labels.end();
    });
    return set;
}

void addSet(BackupPlan& plan, ExpireSet set) {
    if (!set.labels.empty()) plan.sets.push_back(std::move(set));
}

// Count retention: every full backup but the newest `keep`, oldest first.
void expireFullCount(BackupPlan& plan, std::vector<BackupRef>& backups, unsigned keep) {
    const std::vector<std::string> fulls = labelsOf(backups, ArchiveRetentionType::Full);
    if (fulls.size() <= keep) return;
    for (std::size_t i = 0; i < fulls.size() - keep; i++) addSet(plan, expireSet(backups, fulls[i], "full"));
}

// Time retention: the newest full backup that stopped before the cut-off is the oldest one kept
// (it is needed to recover to any point after the cut-off). Returns the number of full backups
// expired.
std::size_t expireFullTime(BackupPlan& plan, std::vector<BackupRef>& backups, unsigned days, std::int64_t now) {
    const std::int64_t cutoff = now - static_cast<std::int64_t>(days) * kSecondsPerDay;
    std::optional<std::string> oldestKept;
    for (const BackupRef& backup : backups)
        if (backup.type == info::BackupType::Full && backup.timestampStop < cutoff) oldestKept = backup.label;
    if (!oldestKept) return 0;
    std::size_t expired = 0;
    for (const std::string& full : labelsOf(backups, ArchiveRetentionType::Full)) {
        if (full >= *oldestKept) break;
        addSet(plan, expireSet(backups, full, "time-based"));
        expired++;
    }
    return expired;
}

// Diff retention: full and diff backups count together, but only diffs expire (with their incrs).
void expireDiff(BackupPlan& plan, std::vector<BackupRef>& backups, unsigned keep) {
    const std::vector<std::string> labels = labelsOf(backups, ArchiveRetentionType::Diff);
    if (labels.size() <= keep) return;
    for (std::size_t i = 0; i < labels.size() - keep; i++) {
        const BackupRef* backup = find(backups, labels[i]);
        if (backup && backup->type == info::BackupType::Diff) addSet(plan, expireSet(backups, labels[i], "diff"));
    }
}

// Ad-hoc: the newest full backup may only go when an older full of the same cluster remains,
// so that the repository always keeps a restorable full backup.
void expireAdhoc(BackupPlan& plan, std::vector<BackupRef>& backups, const std::string& label) {
    const BackupRef* target = find(backups, label);
    if (!target) return;
    const std::vector<std::string> fulls = labelsOf(backups, ArchiveRetentionType::Full);
    if (!fulls.empty() && fulls.back() == label) {
        if (fulls.size() == 1 || find(backups, fulls[fulls.size() - 2])->dbId != target->dbId) {
            throwError(ErrorCode::BackupSetInvalid,
                       "full backup {} cannot be expired until another full backup has been created on this repo",
                       label);
        }
    }
    const std::string latest = backups.back().label;
    addSet(plan, expireSet(backups, label, "adhoc"));
    plan.latestExpired = !find(backups, latest);
}

// How many backups anchor WAL retention (§10.2). With time-based full retention the full count
// is in days, so it cannot be the default: the full backups left after a time-based expiry are.
void archiveRetention(BackupPlan& plan, const RetentionSettings& settings, std::optional<std::size_t> timeExpired,
                      std::size_t fullsLeft) {
    std::optional<unsigned> count = settings.archive;
    if (!count) {
        if (settings.fullType == FullRetentionType::Time) {
            if (settings.archiveType == ArchiveRetentionType::Full && timeExpired.value_or(0) > 0)
                count = static_cast<unsigned>(fullsLeft);
            else if (settings.archiveType == ArchiveRetentionType::Diff)
                count = settings.diff;
        } else if (settings.archiveType == ArchiveRetentionType::Full) {
            count = settings.full;
        } else if (settings.archiveType == ArchiveRetentionType::Diff) {
            count = settings.diff;
        }
    }
    plan.archiveRetention = count;
    if (!count)
        plan.archiveSkip =
            settings.fullType == FullRetentionType::Time ? ArchiveSkip::TimeNotMet : ArchiveSkip::NotSet;
}

}  // namespace

bool countsFor(ArchiveRetentionType type, info::BackupType backup) noexcept {
    switch (type) {
        case ArchiveRetentionType::Full: return backup == info::BackupType::Full;
        case ArchiveRetentionType::Diff: return backup != info::BackupType::Incr;
        case ArchiveRetentionType::Incr: return true;
    }
    return false;  // uncoverable - every enumerator is handled above
}

std::vector<BackupRef> backupRefs(const info::BackupInfo& backupInfo) {
    std::vector<BackupRef> refs;
    for (const info::BackupEntry& entry : backupInfo.backups()) {
        const auto type = info::backupTypeFromName(entry.type());
        if (!type)
            throwError(ErrorCode::FileInvalid, "backup.info: backup {} has unknown backup-type '{}'", entry.label(),
                       entry.type());
        refs.push_back({.label = entry.label(),
                        .type = *type,
                        .prior = entry.prior(),
                        .dbId = entry.dbId(),
                        .archiveStart = entry.archiveStart(),
                        .archiveStop = entry.archiveStop(),
                        .timestampStop = entry.timestampStop()});
    }
    return refs;
}

std::vector<std::string> dependents(std::span<const BackupRef> backups, std::string_view label) {
    std::vector<std::string> result{std::string(label)};
    for (const BackupRef& backup : backups) {
        if (backup.prior && std::find(result.begin(), result.end(), *backup.prior) != result.end() &&
            backup.label != label)
            result.push_back(backup.label);
    }
    std::sort(result.begin() + 1, result.end());
    return result;
}

BackupPlan planBackupExpire(std::vector<BackupRef> backups, const RetentionSettings& settings, std::int64_t now,
                            const std::optional<std::string>& adhocLabel) {
    std::sort(backups.begin(), backups.end(), [](const BackupRef& a, const BackupRef& b) { return a.label < b.label; });
    BackupPlan plan;
    std::optional<std::size_t> timeExpired;
    if (adhocLabel) {
        expireAdhoc(plan, backups, *adhocLabel);
    } else {
        if (settings.fullType == FullRetentionType::Time) {
            if (settings.full) timeExpired = expireFullTime(plan, backups, *settings.full, now);
        } else if (settings.full) {
            expireFullCount(plan, backups, *settings.full);
        }
        if (settings.diff) expireDiff(plan, backups, *settings.diff);
    }
    archiveRetention(plan, settings, timeExpired, labelsOf(backups, ArchiveRetentionType::Full).size());
    plan.remaining = std::move(backups);
    return plan;
}

}  // namespace pgark::command::expire

namespace pgark::command::expire {

std::vector<std::string> strayBackups(std::vector<std::string> onDisk, std::span<const BackupRef> current,
                                      const std::optional<std::string>& resumable) {
    std::erase_if(onDisk, [&](const std::string& label) {
        return !info::backupLabelValid(label) || (resumable && label == *resumable) ||
               std::any_of(current.begin(), current.end(), [&](const BackupRef& backup) { return backup.label == label; });
    });
    std::sort(onDisk.rbegin(), onDisk.rend());
    return onDisk;
}

HistoryRemoval planHistoryExpire(std::vector<std::string> years,
                                 const std::function<std::vector<std::string>(const std::string&)>& listYear,
                                 std::string_view cutoffLabel, std::span<const BackupRef> current) {
    constexpr std::string_view kExt = ".manifest.gz";
    const std::string_view cutoffYear = cutoffLabel.substr(0, 4);
    HistoryRemoval removal;
    std::sort(years.begin(), years.end());
    for (const std::string& year : years) {
        if (year.size() != 4 || !std::all_of(year.begin(), year.end(), [](char c) { return c >= '0' && c <= '9'; }))
            continue;
        if (year < cutoffYear) {
            removal.years.push_back(year);
            continue;
        }
        for (const std::string& name : listYear(year)) {
            if (!name.ends_with(kExt)) continue;
            const std::string label = name.substr(0, name.size() - kExt.size());
            if (!info::backupLabelValid(label) || label >= cutoffLabel) continue;
            if (std::any_of(current.begin(), current.end(), [&](const BackupRef& b) { return b.label == label; }))
                continue;
            removal.manifests.push_back(year + "/" + name);
        }
    }
    std::sort(removal.manifests.rbegin(), removal.manifests.rend());
    return removal;
}

}  // namespace pgark::command::expire
