// expire on one repository: applies the retention plans and logs like pgBackRest 2.45. See expire.h.
#include "command/expire/expire.h"

#include <fmt/format.h>

#include <algorithm>

#include "command/expire/archive_retention.h"
#include "command/expire/reconstruct.h"
#include "common/error.h"
#include "common/log.h"
#include "info/archive_info.h"
#include "info/backup_info.h"
#include "info/manifest.h"

namespace pgark::command::expire {
namespace {

std::vector<std::string> listNames(storage::Storage& storage, const std::string& path, storage::FileType type) {
    std::vector<std::string> names;
    storage.list(path, {.level = storage::InfoLevel::Basic}, [&](const storage::FileInfo& entry) {
        if (entry.type == type) names.push_back(entry.name);
    });
    std::sort(names.begin(), names.end());
    return names;
}

std::string join(const std::vector<std::string>& labels) {
    std::string text;
    for (const std::string& label : labels) text += (text.empty() ? "" : ", ") + label;
    return text;
}

// Which backup directory not in backup.info survives: only with --set, the newest directory when
// it is unfinished (backup.manifest.copy without backup.manifest) and cannot depend on the expired
// set: another backup set, or one whose prior is still in backup.info. A plain expire removes
// unfinished backups too, as pgBackRest 2.45 does (a backup resumes or removes its own first).
std::optional<std::string> resumableBackup(Repo& repo, const std::string& backupDir,
                                           const std::vector<std::string>& onDisk, const BackupPlan& plan,
                                           const ExpireOptions& options, const std::string& cipherPass) {
    if (!options.adhocLabel) return std::nullopt;
    std::optional<std::string> newest;
    for (const std::string& name : onDisk)
        if (info::backupLabelValid(name)) newest = name;  // onDisk is sorted
    if (!newest) return std::nullopt;
    const std::string manifest = backupDir + "/" + *newest + "/backup.manifest";
    if (repo.storage->info(manifest, storage::InfoLevel::Exists) ||
        !repo.storage->info(manifest + ".copy", storage::InfoLevel::Exists))
        return std::nullopt;
    if (!newest->starts_with(options.adhocLabel->substr(0, 16))) return newest;
    const auto resume = info::loadManifestCopyIfExists(*repo.storage, manifest, cipherPass);
    if (!resume) return std::nullopt;
    const auto& prior = resume->data().prior;
    const bool priorKept = prior && std::any_of(plan.remaining.begin(), plan.remaining.end(),
                                                [&](const BackupRef& backup) { return backup.label == *prior; });
    return priorKept ? newest : std::nullopt;
}

void expireBackups(Repo& repo, const ExpireOptions& options, const std::string& backupDir, info::BackupInfo& backupInfo,
                   const BackupPlan& plan, bool reconstructed) {
    const std::string name = repo.name();
    if (plan.latestExpired) {
        log::warn("{0}: expiring latest backup {1} - the ability to perform point-in-time-recovery (PITR) may be "
                  "affected\nHINT: non-default settings for '{0}-retention-archive'/'{0}-retention-archive-type' "
                  "(even in prior expires) can cause gaps in the WAL.",
                  name, *options.adhocLabel);
    }
    for (const ExpireSet& set : plan.sets) {
        // Newest first, so that an interrupted expire never leaves a backup whose prior is gone.
        for (auto label = set.labels.rbegin(); label != set.labels.rend(); ++label) {
            if (!options.dryRun) {
                const std::string manifest = backupDir + "/" + *label + "/backup.manifest";
                repo.storage->remove(manifest, {});
                repo.storage->remove(manifest + ".copy", {});
            }
            backupInfo.backupRemove(*label);
        }
        log::info("{}: expire {} backup {}{}", name, set.reason, set.labels.size() > 1 ? "set " : "", join(set.labels));
    }
    if (options.dryRun) return;
    if (reconstructed || !plan.sets.empty()) backupInfo.save(*repo.storage, info::backupInfoPath(options.stanza), repo.cipherPass);
    if (plan.latestExpired && !plan.remaining.empty() && repo.storage->has(storage::Feature::SymLink)) {
        const std::string latest = backupDir + "/latest";
        repo.storage->remove(latest, {});
        repo.storage->linkCreate(plan.remaining.back().label, latest, false);
    }
}

void removeStrayBackups(Repo& repo, const ExpireOptions& options, const std::string& backupDir,
                        const info::BackupInfo& backupInfo, const BackupPlan& plan) {
    const std::vector<std::string> onDisk = listNames(*repo.storage, backupDir, storage::FileType::Path);
    const auto resumable = resumableBackup(repo, backupDir, onDisk, plan, options, backupInfo.cipherPass());
    for (const std::string& label : strayBackups(onDisk, plan.remaining, resumable)) {
        log::info("{}: remove expired backup {}", repo.name(), label);
        if (!options.dryRun) repo.storage->removePath(backupDir + "/" + label, {.recurse = true});
    }
}

void expireArchiveId(Repo& repo, const ExpireOptions& options, const std::string& archiveDir, const ArchiveIdPlan& plan) {
    const std::string name = repo.name();
    const std::string idPath = archiveDir + "/" + plan.archiveId;
    if (plan.removePath) {
        log::info("{}: remove archive path {}", name, repo.storage->describe(idPath));
        if (!options.dryRun) repo.storage->removePath(idPath, {.recurse = true});
        return;
    }
    if (plan.kept.empty()) return;  // the anchor is an offline backup: no WAL range to keep from
    for (std::size_t i = 0; i < plan.kept.size(); i++) {
        const auto& [label, range] = plan.kept[i];
        if (range.stop)
            log::detail("{}: {} archive retention on backup {}, start = {}, stop = {}", name, plan.archiveId, label,
                        range.start, *range.stop);
        else
            log::detail("{}: {} archive retention on backup {}, start = {}", name, plan.archiveId, label, range.start);
    }
    const WalRemoval removal = planWalRemoval(
        plan, listNames(*repo.storage, idPath, storage::FileType::Path),
        [&](const std::string& dir) { return listNames(*repo.storage, idPath + "/" + dir, storage::FileType::File); },
        listNames(*repo.storage, idPath, storage::FileType::File));
    if (!options.dryRun) {
        for (const std::string& path : removal.paths) repo.storage->removePath(idPath + "/" + path, {.recurse = true});
        for (const std::string& file : removal.files) repo.storage->remove(idPath + "/" + file, {});
    }
    if (removal.paths.empty() && removal.files.empty()) log::info("{}: {} no archive to remove", name, plan.archiveId);
    for (const std::string& range : removal.ranges) log::info("{}: {} remove archive, {}", name, plan.archiveId, range);
    for (const std::string& file : removal.historyFiles) {
        log::info("{}: {} remove history file {}", name, plan.archiveId, file);
        if (!options.dryRun) repo.storage->remove(idPath + "/" + file, {});
    }
}

void expireArchive(Repo& repo, const ExpireOptions& options, const RetentionSettings& settings,
                   const info::BackupInfo& backupInfo, const BackupPlan& plan) {
    if (!plan.archiveRetention) {
        if (plan.archiveSkip == ArchiveSkip::TimeNotMet)
            log::info("{}: time-based archive retention not met - archive logs will not be expired", repo.name());
        else
            log::info("option '{}-retention-archive' is not set - archive logs will not be expired", repo.name());
        return;
    }
    const info::ArchiveInfo archiveInfo =
        info::ArchiveInfo::load(*repo.storage, info::archiveInfoPath(options.stanza), repo.cipherPass);
    info::checkInfoMatch(archiveInfo, backupInfo);
    std::vector<ArchiveHistoryEntry> history;
    for (const info::InfoPgData& pg : archiveInfo.history()) history.push_back({pg.id, info::archiveId(pg)});
    const std::string archiveDir = "archive/" + options.stanza;
    const std::vector<std::string> onDisk = listNames(*repo.storage, archiveDir, storage::FileType::Path);
    for (const ArchiveIdPlan& idPlan : planArchiveIds(plan.remaining, history, archiveInfo.archiveId(), onDisk,
                                                      *plan.archiveRetention, settings.archiveType))
        expireArchiveId(repo, options, archiveDir, idPlan);
}

void expireHistory(Repo& repo, const ExpireOptions& options, const std::string& backupDir, unsigned days,
                   const BackupPlan& plan) {
    const std::string historyDir = backupDir + "/backup.history";
    const std::string cutoff =
        info::backupLabelFormat(info::BackupType::Full, "", options.now - static_cast<std::int64_t>(days) * 86400);
    const HistoryRemoval removal = planHistoryExpire(
        listNames(*repo.storage, historyDir, storage::FileType::Path),
        [&](const std::string& year) { return listNames(*repo.storage, historyDir + "/" + year, storage::FileType::File); },
        cutoff, plan.remaining);
    for (const std::string& year : removal.years) {
        log::info("{}: remove expired backup history path {}", repo.name(), year);
        if (!options.dryRun) repo.storage->removePath(historyDir + "/" + year, {.recurse = true});
    }
    for (const std::string& manifest : removal.manifests) {
        log::info("{}: remove expired backup history manifest {}", repo.name(), manifest.substr(5));
        if (!options.dryRun) repo.storage->remove(historyDir + "/" + manifest, {});
    }
}

}  // namespace

bool expireRepo(Repo& repo, const RetentionSettings& settings, const ExpireOptions& options) {
    const std::string backupDir = "backup/" + options.stanza;
    info::BackupInfo backupInfo =
        info::BackupInfo::load(*repo.storage, info::backupInfoPath(options.stanza), repo.cipherPass);
    const bool reconstructed = reconstructBackupInfo(*repo.storage, options.stanza, backupInfo);
    const bool adhocFound = options.adhocLabel && backupInfo.backup(*options.adhocLabel);
    const BackupPlan plan = planBackupExpire(backupRefs(backupInfo), settings, options.now, options.adhocLabel);
    if (options.adhocLabel && !adhocFound && options.warnAdhocMissing)
        log::warn("backup {} does not exist\nHINT: run the info command and confirm the backup is listed",
                  *options.adhocLabel);

    expireBackups(repo, options, backupDir, backupInfo, plan, reconstructed);
    removeStrayBackups(repo, options, backupDir, backupInfo, plan);
    expireArchive(repo, options, settings, backupInfo, plan);
    if (settings.historyDays) expireHistory(repo, options, backupDir, *settings.historyDays, plan);
    return adhocFound;
}

}  // namespace pgark::command::expire
