// backup: full, diff and incr backups of the local cluster into one repository, in the order of
// spec §4.7 / Appendix A.3, so that nothing counts as a backup until backup.manifest and
// backup.info are committed. The parent builds the manifest and is its only writer; each file is
// stored by backupFile() (file_job.h).
#include <fmt/format.h>
#include <zlib.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <ctime>
#include <thread>

#include "command/archive/archive_files.h"
#include "command/check/check.h"
#include "command/cluster.h"
#include "command/commands.h"
#include "command/backup/backup_copy.h"
#include "command/backup/backup_resume.h"
#include "command/backup/backup_store.h"
#include "command/expire/expire.h"
#include "command/backup/file_job.h"
#include "command/local/local_pool.h"
#include "command/stanza/stanza.h"
#include "common/crypto/cipher.h"
#include "common/crypto/hash.h"
#include "common/error.h"
#include "common/io/filter.h"
#include "common/io/memory_stream.h"
#include "common/lock.h"
#include "common/log.h"
#include "config/config.h"
#include "info/archive_info.h"
#include "info/backup_info.h"
#include "info/manifest.h"
#include "info/manifest_build.h"
#include "postgres/version.h"
#include "postgres/wal.h"
#include "storage/posix/posix_storage.h"

namespace pgark::command {
namespace {

std::int64_t nowSeconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string backupDir(const std::string& stanza) { return "backup/" + stanza; }

// Every label already used: backup.info's, and directories left in the repository (an unfinished
// backup still owns its label).
std::vector<std::string> existingLabels(Repo& repo, const std::string& stanza, const info::BackupInfo& backupInfo) {
    std::vector<std::string> labels = backupInfo.labels();
    repo.storage->list(backupDir(stanza), {.level = storage::InfoLevel::Exists}, [&](const storage::FileInfo& entry) {
        if (info::backupLabelValid(entry.name)) labels.push_back(entry.name);
    });
    return labels;
}

// diff: the newest full backup of the current cluster; incr: the newest backup of any type (§4.2).
const info::BackupEntry* choosePrior(const info::BackupInfo& backupInfo, info::BackupType type) {
    const auto& backups = backupInfo.backups();
    for (auto entry = backups.rbegin(); entry != backups.rend(); ++entry) {
        if (entry->dbId() != backupInfo.current().id) continue;
        if (type == info::BackupType::Diff && entry->type() != "full") continue;
        return &*entry;
    }
    return nullptr;
}

struct BackupSettings {
    std::string stanza;
    info::BackupType type = info::BackupType::Incr;
    bool online = true;
    bool startFast = false;
    bool archiveCheck = true;  // unset (false) for an offline backup
    bool archiveCopy = false;
    bool force = false;
    std::chrono::milliseconds archiveTimeout{60000};
    compress::CompressType compressType = compress::CompressType::Gz;
    int compressLevel = 6;
    std::optional<bool> checksumPage;
    bool delta = false;
    bool resume = true;
    unsigned processMax = 1;
    bool bundle = false;
    std::uint64_t bundleSize = 0;
    std::uint64_t bundleLimit = 0;
    bool hardlink = false;
    std::vector<std::string> excludes;
    std::map<std::string, std::string> annotations;
};

// Options of the repository the backup goes to (repo<N>-bundle, ...).
void readRepoSettings(const config::Config& config, unsigned index, BackupSettings& settings) {
    if (config.has("repo-block", index) && config.getBool("repo-block", index)) {
        throw Error(ErrorCode::FeatureNotSupported, "repo-block (block incremental, beta) is not supported by pgark")
            .withHint(fmt::format("run the backup with --no-repo{}-block", index));
    }
    settings.bundle = config.getBool("repo-bundle", index);
    if (settings.bundle) {
        settings.bundleSize = config.getSize("repo-bundle-size", index);
        settings.bundleLimit = config.getSize("repo-bundle-limit", index);
    }
    settings.hardlink = config.has("repo-hardlink", index) && config.getBool("repo-hardlink", index);
}

// repo-hardlink (spec §1.4): every file this backup references from an earlier one is also
// hard-linked into its own directory, so the directory looks like a full backup. Readers follow
// the manifest's reference, so this is a convenience only.
void hardlinkReferences(storage::Storage& repo, const std::string& stanza, info::Manifest& manifest) {
    if (!repo.has(storage::Feature::HardLink)) return;
    const std::string own = fmt::format("{}/{}", backupDir(stanza), manifest.data().label);
    for (const std::string& path : manifest.repoLayout().paths) repo.pathCreate(own + "/" + path, std::nullopt);
    for (const info::ManifestFile& file : manifest.files()) {
        if (!file.reference || file.bundleId != 0) continue;
        const info::RepoFileLocation from = manifest.repoFileLocation(stanza, file);
        const std::string to = backup::backupFileRepoPath(stanza, manifest.data().label, file.name, manifest.data().compressType);
        repo.remove(to, {});  // a resumed run may have linked it already
        repo.linkCreate(from.path, to, true);
    }
}

// Files were written without a directory fsync each; one sync per directory now, before the
// manifest makes them part of a backup.
void syncBackupPaths(storage::Storage& repo, const std::string& dir, const info::Manifest& manifest) {
    if (!repo.has(storage::Feature::PathSync)) return;
    std::set<std::string> dirs{dir, dir + "/bundle"};
    for (const info::ManifestFile& file : manifest.files()) {
        const auto slash = file.name.rfind('/');
        if (slash != std::string::npos) dirs.insert(dir + "/" + file.name.substr(0, slash));
    }
    for (const std::string& path : dirs)
        if (repo.info(path, storage::InfoLevel::Exists)) repo.pathSync(path);
}

BackupSettings readSettings(const config::Config& config) {
    BackupSettings settings;
    settings.stanza = config.getString("stanza");
    settings.type = *info::backupTypeFromName(config.getString("type"));
    settings.online = config.getBool("online");
    settings.startFast = config.getBool("start-fast");
    // Both depend on online (archive-copy through archive-check): absent when offline.
    settings.archiveCheck = config.has("archive-check") && config.getBool("archive-check");
    settings.archiveCopy = config.has("archive-copy") && config.getBool("archive-copy");
    settings.force = config.getBool("force");
    settings.archiveTimeout = config.getTime("archive-timeout");
    settings.compressType = *compress::compressTypeFromName(config.getString("compress-type"));
    settings.compressLevel = config.has("compress-level") ? static_cast<int>(config.getInt("compress-level"))
                                                          : compress::compressLevelRange(settings.compressType).defaultLevel;
    if (config.has("checksum-page")) settings.checksumPage = config.getBool("checksum-page");
    settings.delta = config.getBool("delta");
    settings.excludes = config.getList("exclude");
    settings.annotations = config.getHash("annotation");
    settings.resume = config.getBool("resume");
    settings.processMax = static_cast<unsigned>(config.getInt("process-max"));
    return settings;
}

// gzip level 9 of the plain manifest, encrypted like the manifest itself (spec §4.7 step 8).
void saveHistoryManifest(Repo& repo, const std::string& stanza, const info::Manifest& manifest,
                         const std::string& backupPass) {
    const std::string& label = manifest.data().label;
    const std::string text = info::renderManifest(manifest);
    io::FilterChain chain;
    chain.add(compress::makeCompressFilter(compress::CompressType::Gz, 9));
    if (!backupPass.empty()) chain.add(crypto::makeCipherFilter(crypto::CipherMode::Encrypt, backupPass));
    io::MemoryReadStream source(io::asBytes(text));
    auto reader = chain.reader(source);
    auto output = repo.storage->openWrite(
        fmt::format("{}/backup.history/{}/{}.manifest.gz", backupDir(stanza), label.substr(0, 4), label), {});
    io::copyStream(*reader, *output);
    output->commit();
}

}  // namespace

int runBackup(const config::Config& config) {
    BackupSettings settings = readSettings(config);
    const std::string lockPath = config.getString("lock-path");
    lock::stopFileCheck(lockPath, settings.stanza);
    lock::Lock held = lock::Lock::acquire(lockPath, settings.stanza, lock::LockType::Backup, {});

    auto repos = openRepos(config);
    Repo& repo = repos.front();  // --repo, or the lowest configured repository
    readRepoSettings(config, repo.index, settings);
    const std::string pgDataPath = *pgPath(config);
    const postgres::PgControl control = loadPgControl(config);
    info::BackupInfo backupInfo = info::BackupInfo::load(*repo.storage, info::backupInfoPath(settings.stanza), repo.cipherPass);
    const info::ArchiveInfo archiveInfo =
        info::ArchiveInfo::load(*repo.storage, info::archiveInfoPath(settings.stanza), repo.cipherPass);
    info::checkInfoMatch(archiveInfo, backupInfo);
    stanza::checkCluster(archiveInfo.current(), control, repo);

    const info::BackupEntry* prior = nullptr;
    if (settings.type != info::BackupType::Full) {
        prior = choosePrior(backupInfo, settings.type);
        if (!prior) {
            log::warn("no prior backup exists, {} backup has been changed to full", info::backupTypeName(settings.type));
            settings.type = info::BackupType::Full;
        }
    }
    std::optional<info::Manifest> priorManifest;
    compress::CompressType compressType = settings.compressType;
    int compressLevel = settings.compressLevel;
    if (prior) {
        priorManifest = info::loadManifest(*repo.storage, info::manifestPath(settings.stanza, prior->label()),
                                           backupInfo.cipherPass());
        // A backup set keeps one compression type: what the prior used (spec §4.2).
        if (priorManifest->data().compressType != settings.compressType) {
            log::warn("{} backup cannot alter compress-type option to '{}', reset to value in {}",
                      info::backupTypeName(settings.type), compress::compressTypeName(settings.compressType), prior->label());
            compressType = priorManifest->data().compressType;
            compressLevel = priorManifest->data().optionCompressLevel
                                ? static_cast<int>(*priorManifest->data().optionCompressLevel)
                                : compress::compressLevelRange(compressType).defaultLevel;
        }
    }
    // An unfinished backup is resumed (same label, its intact files kept) or removed (§4.7).
    std::optional<info::Manifest> resumed = backup::resumeFind(
        *repo.storage, settings.stanza, backupInfo,
        {.resume = settings.resume,
         .type = settings.type,
         .prior = prior ? std::optional(prior->label()) : std::nullopt,
         .compressType = compressType,
         .bundle = settings.bundle},
        backupInfo.cipherPass());

    std::unique_ptr<db::PgConnection> connection;
    std::optional<db::PgClient> client;
    if (settings.online) {
        connection = connectPg(config);
        client.emplace(*connection);
        if (!client->tryAdvisoryLock()) {
            throw Error(ErrorCode::LockAcquire, "unable to acquire the backup advisory lock on the cluster")
                .withHint("another backup (pgark or pgBackRest) is running on this cluster");
        }
        if (client->isInRecovery())
            throwError(ErrorCode::FeatureNotSupported, "backup from a standby is not supported yet");
    } else if (std::filesystem::exists(std::filesystem::path(pgDataPath) / "postmaster.pid")) {
        // pgBackRest 2.45's words and code (038), so scripts that look for them keep working.
        if (!settings.force) {
            throw Error(ErrorCode::PgRunning, "--no-online passed but postmaster.pid exists - looks like PostgreSQL is "
                                              "running. Shut down PostgreSQL and try again, or use --force.");
        }
        log::warn("--no-online passed and postmaster.pid exists but --force was passed so backup will continue though "
                  "it looks like PostgreSQL is running and the backup will probably not be consistent");
    }

    // The label comes from the start time and must sort after every label in the repository.
    info::BackupLabel label;
    if (resumed) {
        label = info::BackupLabel{.label = resumed->data().label, .time = nowSeconds()};
    } else {
        label = info::backupLabelCreate(settings.type, prior ? prior->label() : std::string(), nowSeconds(),
                                        existingLabels(repo, settings.stanza, backupInfo));
        while (nowSeconds() < label.time) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }

    std::optional<db::PgBackupStart> start;
    if (client) {
        log::info("execute non-exclusive backup start: {}", settings.startFast ? "start fast" : "wait for the next regular checkpoint");
        start = client->backupStart(fmt::format("pgark backup started at {}", label.label),
                                    {.fast = settings.startFast});
        log::info("backup start archive = {}, lsn = {}", start->walSegmentName, postgres::lsnToString(start->lsn));
    }

    // Unset: validate pages when the cluster has checksums, but not offline (a stopped cluster's
    // files may hold torn pages that recovery would repair: false alarms).
    bool checksumPage = settings.checksumPage.value_or(settings.online && control.pageChecksums());
    // A backup set validates pages throughout or not at all (spec §4.2): the prior's choice wins.
    if (priorManifest && priorManifest->data().optionChecksumPage &&
        *priorManifest->data().optionChecksumPage != checksumPage) {
        log::warn("{} backup cannot alter 'checksum-page' option to '{}', reset to '{}' from {}",
                  info::backupTypeName(settings.type), checksumPage, !checksumPage, prior->label());
        checksumPage = !checksumPage;
    }
    auto pgStorage = storage::makePosixStorage(pgDataPath, {});
    info::ManifestBuildOptions buildOptions{.pgVersion = control.version,
                                            .catalogVersion = control.catalogVersion,
                                            .pgDataPath = pgDataPath,
                                            .online = settings.online,
                                            .checksumPage = checksumPage,
                                            .bundle = settings.bundle,
                                            .excludes = settings.excludes};
    if (client) {
        std::map<unsigned, std::string> tablespaces;
        for (const auto& tablespace : client->tablespaces()) tablespaces[tablespace.oid] = tablespace.name;
        buildOptions.tablespaces = tablespaces;
    }
    info::Manifest manifest = info::Manifest::build(*pgStorage, buildOptions);

    info::ManifestData& data = manifest.data();
    data.type = settings.type;
    data.pg = backupInfo.current();
    data.timestampStart = label.time;
    data.optionArchiveCheck = settings.archiveCheck;
    data.optionArchiveCopy = settings.archiveCopy;
    data.optionBackupStandby = false;
    data.optionBufferSize = config.getSize("buffer-size");
    data.optionChecksumPage = checksumPage;
    data.compressType = compressType;
    data.optionCompressLevel = compressLevel;
    data.optionCompressLevelNetwork = config.getInt("compress-level-network");
    data.optionHardlink = settings.hardlink;
    data.optionOnline = settings.online;
    data.optionProcessMax = settings.processMax;
    data.annotations = settings.annotations;
    if (start) {
        data.archiveStart = start->walSegmentName;
        data.lsnStart = postgres::lsnToString(start->lsn);
    }
    if (client)
        for (const auto& database : client->databases()) manifest.dbAdd({.name = database.name, .id = database.oid, .lastSystemId = database.lastSystemId});

    // Give the walk's last second time to pass, so a file changed in it is caught by delta.
    const std::int64_t copyStart = nowSeconds() + (settings.online ? 1 : 0);
    manifest.buildValidate(settings.delta, copyStart);
    if (priorManifest) {
        manifest.buildIncr(*priorManifest, settings.type, data.archiveStart);
    } else if (resumed) {
        data.cipherPass = resumed->data().cipherPass;  // the files already stored were encrypted with it
    } else if (!repo.cipherPass.empty()) {
        data.cipherPass = crypto::cipherPassGenerate();  // a new file passphrase for every backup set
    }
    manifest.setLabel(label.label);
    // No file is read before the next second unless its timestamp is older than the second before
    // the walk's last: copyFiles() holds the others until copyStart (see CopyOptions::holdFrom).
    data.timestampCopyStart = copyStart;

    const std::string manifestFile = info::manifestPath(settings.stanza, label.label);
    // Only the .copy exists until the end: the directory is an unfinished backup, never a valid one.
    if (resumed) {
        const std::vector<std::string> keep = backup::resumeCandidates(manifest, *resumed);
        backup::resumeClean(*repo.storage, settings.stanza, label.label, keep);
    }
    info::saveManifestCopy(*repo.storage, manifestFile, manifest, backupInfo.cipherPass());

    backup::CopyOptions copyOptions{.stanza = settings.stanza,
                                    .compressLevel = compressLevel,
                                    .lsnStart = start ? std::optional(start->lsn) : std::nullopt,
                                    .processMax = settings.processMax,
                                    .bundle = settings.bundle,
                                    .bundleSize = settings.bundleSize,
                                    .bundleLimit = settings.bundleLimit,
                                    .groupSmallFiles = repo.spec.type == "s3",
                                    .manifestSaveThreshold = config.getSize("manifest-save-threshold"),
                                    .repo = repo.spec,
                                    .pg = storage::StorageSpec{.type = "posix", .fields = {{"path", pgDataPath}}},
                                    .resumed = resumed ? &*resumed : nullptr,
                                    .holdFrom = settings.online ? std::optional(copyStart - 2) : std::nullopt,
                                    .copyStart = copyStart};
    unsigned lastProgress = 0;
    const backup::CopyHooks hooks{
        .startPool = [&](unsigned workers) { return startLocalPool(config, workers); },
        .saveManifest = [&] { info::saveManifestCopy(*repo.storage, manifestFile, manifest, backupInfo.cipherPass()); },
        // info shows it as "backup/expire running - N% complete"; rewrite the lock file only when it changes.
        .progress =
            [&](double percent) {
                const auto now = static_cast<unsigned>(percent * 100);
                if (now == lastProgress) return;
                lastProgress = now;
                held.percentComplete(percent);
            },
    };
    backup::copyFiles(manifest, *pgStorage, copyOptions, hooks);
    if (settings.hardlink) hardlinkReferences(*repo.storage, settings.stanza, manifest);

    if (client) {
        const db::PgBackupStop stop = client->backupStop();
        log::info("backup stop archive = {}, lsn = {}", stop.walSegmentName, postgres::lsnToString(stop.lsn));
        data.timestampStop = nowSeconds();
        backup::storeText(*repo.storage, settings.stanza, manifest, "backup_label", stop.backupLabel,
                          data.timestampStop, compressLevel);
        if (stop.tablespaceMap)
            backup::storeText(*repo.storage, settings.stanza, manifest, "tablespace_map", *stop.tablespaceMap,
                              data.timestampStop, compressLevel);
        data.archiveStop = stop.walSegmentName;
        data.lsnStop = postgres::lsnToString(stop.lsn);

        if (settings.archiveCheck) {
            // The backup is only consistent with every WAL segment from start to stop.
            std::span<Repo> one(&repo, 1);
            const std::vector<std::string> segments =
                postgres::walSegmentRange(start->walSegmentName, stop.walSegmentName, control.walSegmentSize);
            for (const std::string& segment : segments)
                check::waitForSegment(one, settings.stanza, archiveInfo.archiveId(), segment, settings.archiveTimeout);
            // archive-copy: the backup carries that WAL itself, restorable without the archive.
            if (settings.archiveCopy)
                backup::archiveCopy(repo,
                                    {.stanza = settings.stanza,
                                     .archiveId = archiveInfo.archiveId(),
                                     .archivePass = archiveInfo.cipherPass(),
                                     .walPath = std::string(postgres::pgWalPath(control.version)),
                                     .walSegmentSize = control.walSegmentSize,
                                     .timestamp = data.timestampStop,
                                     .compressLevel = compressLevel},
                                    manifest, segments);
        }
    } else {
        data.timestampStop = nowSeconds();
    }
    syncBackupPaths(*repo.storage, backupDir(settings.stanza) + "/" + label.label, manifest);

    // Commit: manifest (.copy then main), history manifest, latest, backup.info, archive.info.
    manifest.validate(true);
    info::saveManifest(*repo.storage, manifestFile, manifest, backupInfo.cipherPass());
    saveHistoryManifest(repo, settings.stanza, manifest, backupInfo.cipherPass());
    if (repo.storage->has(storage::Feature::SymLink)) {
        const std::string latest = backupDir(settings.stanza) + "/latest";
        repo.storage->remove(latest, {});
        repo.storage->linkCreate(label.label, latest, false);
    }
    backupInfo.backupAdd(info::makeBackupEntry(manifest.summary()));
    backupInfo.save(*repo.storage, info::backupInfoPath(settings.stanza), repo.cipherPass);
    archiveInfo.save(*repo.storage, info::archiveInfoPath(settings.stanza), repo.cipherPass);

    const info::ManifestTotals totals = manifest.totals();
    log::info("new backup label = {}", label.label);
    log::info("{} backup size = {}, file total = {}", info::backupTypeName(settings.type), totals.sizeDelta,
              manifest.files().size());
    expireAfterBackup(config);  // as pgBackRest: expire under the same backup lock unless expire-auto=n
    return 0;
}

}  // namespace pgark::command
