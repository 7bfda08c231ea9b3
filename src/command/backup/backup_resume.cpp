// Unfinished backups: find, judge, resume or remove. See backup_resume.h.
#include "command/backup/backup_resume.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "common/error.h"
#include "common/log.h"
#include "info/ini.h"

namespace pgark::command::backup {
namespace {

std::string labelDir(const std::string& stanza, const std::string& label) {
    return fmt::format("backup/{}/{}", stanza, label);
}

// Why `partial` cannot be resumed by the backup `want` describes; nullopt when it can.
std::optional<std::string> resumeRefusal(const info::Manifest& partial, const ResumeWant& want,
                                         const info::BackupInfo& backupInfo) {
    const info::ManifestData& data = partial.data();
    if (!want.resume) return "resume is disabled";
    // Files written by another version may differ in ways this one cannot check (§14.9).
    if (data.backrestVersion != info::kWriterVersion)
        return fmt::format("made by version {}, not {}", data.backrestVersion, info::kWriterVersion);
    if (data.type != want.type)
        return fmt::format("it is a {} backup, this is a {} backup", info::backupTypeName(data.type),
                           info::backupTypeName(want.type));
    if (data.prior != want.prior)
        return fmt::format("its prior backup is {}, not {}", data.prior.value_or("none"), want.prior.value_or("none"));
    if (data.compressType != want.compressType)
        return fmt::format("it is compressed with {}, not {}", compress::compressTypeName(data.compressType),
                           compress::compressTypeName(want.compressType));
    if (data.bundle || want.bundle) return std::string("bundled backups are not resumed");
    if (data.pg.id != backupInfo.current().id || data.pg.systemId != backupInfo.current().systemId)
        return std::string("it is of another database cluster or stanza version");
    return std::nullopt;
}

}  // namespace

std::optional<info::Manifest> resumeFind(storage::Storage& repo, const std::string& stanza,
                                         const info::BackupInfo& backupInfo, const ResumeWant& want,
                                         const std::string& cipherPass) {
    const std::vector<std::string> known = backupInfo.labels();
    std::vector<std::string> unfinished;
    repo.list(fmt::format("backup/{}", stanza), {.level = storage::InfoLevel::Basic}, [&](const storage::FileInfo& entry) {
        if (entry.type != storage::FileType::Path || !info::backupLabelValid(entry.name)) return;
        if (std::find(known.begin(), known.end(), entry.name) != known.end()) return;
        unfinished.push_back(entry.name);
    });
    std::sort(unfinished.begin(), unfinished.end());

    std::optional<info::Manifest> resumable;
    for (auto label = unfinished.rbegin(); label != unfinished.rend(); ++label) {
        const std::string manifestFile = info::manifestPath(stanza, *label);
        // A finished backup that backup.info does not list yet is pgBackRest's to reconstruct: not ours to judge.
        if (repo.info(manifestFile, storage::InfoLevel::Exists)) continue;
        std::optional<std::string> refusal;
        if (!resumable && label == unfinished.rbegin()) {
            std::optional<info::Manifest> partial;
            try {
                partial = info::loadManifestCopyIfExists(repo, manifestFile, cipherPass);
            } catch (const Error& error) {
                refusal = fmt::format("its manifest cannot be read ({})", error.message());
            }
            if (!refusal && !partial) refusal = "it has no backup.manifest.copy";
            if (!refusal) refusal = resumeRefusal(*partial, want, backupInfo);
            if (!refusal) {
                log::info("resumable backup {} of same type exists -- invalid files will be removed then the backup will resume",
                          *label);
                resumable = std::move(partial);
                continue;
            }
        } else {
            refusal = "a newer unfinished backup exists";
        }
        log::warn("backup {} cannot be resumed: {}; removing it", *label, *refusal);
        repo.removePath(labelDir(stanza, *label), {.recurse = true});
    }
    return resumable;
}

void resumeClean(storage::Storage& repo, const std::string& stanza, const std::string& label,
                 std::span<const std::string> keep) {
    const std::set<std::string, std::less<>> kept(keep.begin(), keep.end());
    const std::string copyName = std::string(info::kManifestFile) + ".copy";
    std::vector<std::string> stale;
    const std::string dir = labelDir(stanza, label);
    repo.list(dir, {.level = storage::InfoLevel::Basic, .recurse = true}, [&](const storage::FileInfo& entry) {
        if (entry.type == storage::FileType::Path) return;
        if (entry.name == copyName || kept.contains(entry.name)) return;
        stale.push_back(entry.name);
    });
    for (const std::string& name : stale) {
        log::detail("remove file {} left by the interrupted backup", repo.describe(dir + "/" + name));
        repo.remove(dir + "/" + name, {});
    }
}

}  // namespace pgark::command::backup
