// Stanza life cycle on the repositories: see stanza.h.
#include "command/stanza/stanza.h"

#include <fmt/format.h>

#include "common/crypto/cipher.h"
#include "common/error.h"
#include "common/log.h"
#include "info/archive_info.h"
#include "info/backup_info.h"
#include "info/info_file.h"
#include "postgres/version.h"

namespace pgark::command::stanza {
namespace {

std::string archiveDir(const std::string& stanza) { return "archive/" + stanza; }
std::string backupDir(const std::string& stanza) { return "backup/" + stanza; }

bool hasEntries(storage::Storage& storage, const std::string& path) {
    bool any = false;
    storage.list(path, {.level = storage::InfoLevel::Exists}, [&](const storage::FileInfo&) { any = true; });
    return any;
}

bool exists(storage::Storage& storage, const std::string& path) {
    return storage.info(path, storage::InfoLevel::Exists).has_value();
}

void checkMatchesCluster(const info::InfoPgData& current, const postgres::PgControl& control, const Repo& repo,
                         const std::string& stanza) {
    const std::string version = postgres::pgVersionToString(control.version);
    if (current.systemId != control.systemId || current.version != version) {
        throw Error(ErrorCode::FileInvalid,
                    fmt::format("stanza '{}' in {} is for PostgreSQL {} with system-id {}, but the cluster is "
                                "PostgreSQL {} with system-id {}",
                                stanza, repo.name(), current.version, current.systemId, version, control.systemId))
            .withHint("is this the correct stanza? After a major version upgrade run stanza-upgrade");
    }
}

// Rewrites an info file whose main file or copy is missing from the one that loaded.
template <class InfoModel>
void repairCopies(Repo& repo, const InfoModel& model, const std::string& path) {
    const std::string copy = path + std::string(info::kInfoCopyExt);
    if (exists(*repo.storage, path) && exists(*repo.storage, copy)) return;
    log::warn("{}: '{}' or its copy was missing and has been rewritten", repo.name(), repo.storage->describe(path));
    model.save(*repo.storage, path, repo.cipherPass);
}

void createInRepo(Repo& repo, const std::string& stanza, const postgres::PgControl& control) {
    const std::string archivePath = info::archiveInfoPath(stanza);
    const std::string backupPath = info::backupInfoPath(stanza);
    auto archiveInfo = info::ArchiveInfo::loadIfExists(*repo.storage, archivePath, repo.cipherPass);
    auto backupInfo = info::BackupInfo::loadIfExists(*repo.storage, backupPath, repo.cipherPass);

    if (archiveInfo && backupInfo) {
        info::checkInfoMatch(*archiveInfo, *backupInfo);
        checkMatchesCluster(archiveInfo->current(), control, repo, stanza);
        repairCopies(repo, *archiveInfo, archivePath);
        repairCopies(repo, *backupInfo, backupPath);
        log::info("stanza '{}' already exists on {} and is valid", stanza, repo.name());
        return;
    }
    if (archiveInfo || backupInfo) {
        throw Error(ErrorCode::FileMissing,
                    fmt::format("{} exists in {} but {} does not", archiveInfo ? "archive.info" : "backup.info",
                                repo.name(), archiveInfo ? "backup.info" : "archive.info"))
            .withHint("this may be a symptom of repository corruption; check the repository before going on");
    }
    if (hasEntries(*repo.storage, archiveDir(stanza)) || hasEntries(*repo.storage, backupDir(stanza))) {
        throw Error(ErrorCode::PathNotEmpty,
                    fmt::format("backup and/or archive directory of stanza '{}' in {} is not empty but holds no info "
                                "files",
                                stanza, repo.name()))
            .withHint("remove what is there (stanza-delete) or point repo-path elsewhere");
    }

    const std::string version = postgres::pgVersionToString(control.version);
    const bool encrypted = !repo.cipherPass.empty();
    const info::ArchiveInfo newArchive(control.systemId, version, encrypted ? crypto::cipherPassGenerate() : "");
    const info::BackupInfo newBackup(
        info::InfoPgData{.id = 1, .systemId = control.systemId, .version = version,
                         .catalogVersion = control.catalogVersion, .controlVersion = control.controlVersion},
        encrypted ? crypto::cipherPassGenerate() : "");
    newArchive.save(*repo.storage, archivePath, repo.cipherPass);
    newBackup.save(*repo.storage, backupPath, repo.cipherPass);
    log::info("stanza '{}' created on {}", stanza, repo.name());
}

}  // namespace

void stanzaCreate(std::span<Repo> repos, const std::string& stanza, const postgres::PgControl& control) {
    for (Repo& repo : repos) createInRepo(repo, stanza, control);
}

void checkCluster(const info::InfoPgData& current, const postgres::PgControl& control, const Repo& repo) {
    const std::string version = postgres::pgVersionToString(control.version);
    if (version != current.version || control.systemId != current.systemId) {
        throw Error(ErrorCode::ArchiveMismatch,
                    fmt::format("PostgreSQL version {}, system-id {} do not match {} stanza version {}, system-id {}",
                                version, control.systemId, repo.name(), current.version, current.systemId))
            .withHint("is this the correct stanza? After a major version upgrade run stanza-upgrade");
    }
}

std::string stanzaCheck(Repo& repo, const std::string& stanza, const postgres::PgControl& control) {
    const auto archiveInfo = info::ArchiveInfo::load(*repo.storage, info::archiveInfoPath(stanza), repo.cipherPass);
    const auto backupInfo = info::BackupInfo::load(*repo.storage, info::backupInfoPath(stanza), repo.cipherPass);
    info::checkInfoMatch(archiveInfo, backupInfo);
    checkCluster(archiveInfo.current(), control, repo);
    return archiveInfo.archiveId();
}

void stanzaUpgrade(std::span<Repo> repos, const std::string& stanza, const postgres::PgControl& control) {
    const std::string version = postgres::pgVersionToString(control.version);
    for (Repo& repo : repos) {
        auto archiveInfo = info::ArchiveInfo::load(*repo.storage, info::archiveInfoPath(stanza), repo.cipherPass);
        auto backupInfo = info::BackupInfo::load(*repo.storage, info::backupInfoPath(stanza), repo.cipherPass);
        const auto isCluster = [&](const info::InfoPgData& pg) {
            return pg.systemId == control.systemId && pg.version == version;
        };
        const bool archiveCurrent = isCluster(archiveInfo.current());
        const bool backupCurrent =
            isCluster(backupInfo.current()) && backupInfo.current().catalogVersion == control.catalogVersion;
        if (archiveCurrent && backupCurrent) {
            info::checkInfoMatch(archiveInfo, backupInfo);
            log::info("stanza '{}' on {} is already up to date", stanza, repo.name());
            continue;
        }
        // Each file is brought up to date on its own, so a run interrupted between the two saves
        // is finished by running stanza-upgrade again.
        if (!archiveCurrent) archiveInfo.historyAdd(control.systemId, version);
        if (!backupCurrent) backupInfo.historyAdd(control.systemId, version, control.catalogVersion, control.controlVersion);
        info::checkInfoMatch(archiveInfo, backupInfo);
        archiveInfo.save(*repo.storage, info::archiveInfoPath(stanza), repo.cipherPass);
        backupInfo.save(*repo.storage, info::backupInfoPath(stanza), repo.cipherPass);
        log::info("stanza '{}' on {} upgraded to PostgreSQL {} (archive id {})", stanza, repo.name(), version,
                  archiveInfo.archiveId());
    }
}

void stanzaDelete(std::span<Repo> repos, const std::string& stanza) {
    for (Repo& repo : repos) {
        // backup.info first: without it nobody takes the stanza for a usable one half way through.
        for (const std::string& file : {info::backupInfoPath(stanza), info::backupInfoPath(stanza) + ".copy",
                                        info::archiveInfoPath(stanza), info::archiveInfoPath(stanza) + ".copy"})
            repo.storage->remove(file, {});
        repo.storage->removePath(backupDir(stanza), {.recurse = true});
        repo.storage->removePath(archiveDir(stanza), {.recurse = true});
        log::info("stanza '{}' deleted from {}", stanza, repo.name());
    }
}

}  // namespace pgark::command::stanza
