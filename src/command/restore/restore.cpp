// restore: a backup set from the repository into pg1-path, in the order of spec §9.2, so that an
// interrupted restore can never be started by PostgreSQL (global/pg_control is removed first and
// renamed into place last) and can be finished by running it again with --delta (the manifest
// copy in PGDATA/backup.manifest marks a half-restored directory). The parent owns the manifest
// and decides; `local` workers (process-max of them) copy the files, largest first.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <map>
#include <fmt/format.h>
#include <set>

#include "command/cluster.h"
#include "command/commands.h"
#include "command/info/info.h"
#include "command/local/local_pool.h"
#include "command/repo.h"
#include "command/restore/backup_set.h"
#include "command/restore/delta_check.h"
#include "command/restore/file_job.h"
#include "command/restore/file_job_protocol.h"
#include "command/restore/job_groups.h"
#include "command/restore/recovery.h"
#include "command/restore/selective.h"
#include "command/restore/target.h"
#include "common/error.h"
#include "common/log.h"
#include "config/config.h"
#include "info/backup_info.h"
#include "info/manifest.h"
#include "storage/factory.h"
#include "storage/posix/sync_file_systems.h"

namespace pgark::command {
namespace {

using restore::RestoreDelta;

constexpr std::string_view kPgControl = "pg_data/global/pg_control";
constexpr std::string_view kPgControlTemp = "global/pg_control.pgbackrest.tmp";

std::int64_t nowSeconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

void syncDirectory(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY);
    if (fd == -1) throwSys(ErrorCode::PathOpen, errno, fmt::format("unable to open path '{}' for sync", path));
    const int rc = ::fsync(fd);
    const int error = errno;
    ::close(fd);
    if (rc == -1) throwSys(ErrorCode::PathSync, error, fmt::format("unable to sync path '{}'", path));
}

// The path below pg1-path (tablespace files are reached through their pg_tblspc/<oid> links).
std::string pgRelativePath(std::string_view name) {
    if (name == kPgControl) return std::string(kPgControlTemp);
    if (name.starts_with("pg_data/")) return std::string(name.substr(8));
    return std::string(name);
}

storage::StorageSpec posixSpec(const std::string& path) {
    return {.type = "posix", .fields = {{"path", path}}};
}

// Jobs handed out in the order they were added (groupRestoreFiles decides it).
class FileJobs final : public protocol::JobSource {
public:
    void add(protocol::Job job) { jobs_.push_back(std::move(job)); }
    std::optional<protocol::Job> next(unsigned) override {
        if (next_ == jobs_.size()) return std::nullopt;
        return std::move(jobs_[next_++]);
    }
    std::size_t count() const noexcept { return jobs_.size(); }

private:
    std::vector<protocol::Job> jobs_;
    std::size_t next_ = 0;
};

struct Settings {
    std::string stanza;
    std::string pgPath;
    bool delta = false;
    bool force = false;
    unsigned processMax = 1;
    restore::BackupSetRequest set;
};

Settings readSettings(const config::Config& config) {
    Settings settings;
    settings.stanza = config.getString("stanza");
    const std::optional<std::string> path = pgPath(config);
    if (!path)
        throw Error(ErrorCode::OptionRequired, "restore command requires option: pg1-path")
            .withHint("set pg1-path to the data directory to restore into");
    settings.pgPath = *path;
    while (settings.pgPath.size() > 1 && settings.pgPath.back() == '/') settings.pgPath.pop_back();
    settings.delta = config.getBool("delta");
    settings.force = config.getBool("force");
    settings.processMax = static_cast<unsigned>(config.getInt("process-max"));
    settings.set.set = config.getString("set");
    settings.set.type = config.getString("type");
    if (config.has("target")) settings.set.target = config.getString("target");
    return settings;
}

// Step 1 of §9.2: never write under a running cluster, and only clean a directory that looks like
// one PostgreSQL (or an interrupted restore) used.
void checkDestination(Settings& settings) {
    if (exists(settings.pgPath + "/postmaster.pid"))
        throw Error(ErrorCode::PgRunning, "unable to restore while PostgreSQL is running")
            .withHint(fmt::format("presence of 'postmaster.pid' in '{}' indicates PostgreSQL is running.\n"
                                  "HINT: remove 'postmaster.pid' only if PostgreSQL is not running.",
                                  settings.pgPath));
    if ((settings.delta || settings.force) && exists(settings.pgPath) && !exists(settings.pgPath + "/PG_VERSION") &&
        !exists(settings.pgPath + "/backup.manifest")) {
        log::warn("--delta or --force specified but unable to find 'PG_VERSION' or 'backup.manifest' in '{}' to "
                  "confirm that this is a valid $PGDATA directory. --delta and --force have been disabled and if any "
                  "files exist in the destination directories the restore will be aborted.",
                  settings.pgPath);
        settings.delta = settings.force = false;
    }
}

struct Loaded {
    std::vector<Repo> repos;
    std::vector<std::optional<pgark::info::BackupInfo>> infos;
    std::size_t repo = 0;
    std::string label;
};

Loaded chooseBackup(const config::Config& config, const Settings& settings) {
    Loaded loaded;
    loaded.repos = openRepos(config);
    std::vector<restore::RepoBackups> candidates;
    for (Repo& repo : loaded.repos) {
        try {
            loaded.infos.push_back(
                pgark::info::BackupInfo::loadIfExists(*repo.storage, pgark::info::backupInfoPath(settings.stanza), repo.cipherPass));
        } catch (const Error& error) {
            if (loaded.repos.size() == 1) throw;
            log::warn("{}: {} [{:03}]: {}", repo.name(), "unable to load backup.info", error.exitCode(), error.what());
            loaded.infos.emplace_back();
        }
    }
    for (std::size_t i = 0; i < loaded.repos.size(); i++)
        candidates.push_back({loaded.repos[i].index, loaded.infos[i] ? &*loaded.infos[i] : nullptr});
    const restore::BackupSetChoice choice = restore::chooseBackupSet(candidates, settings.set);
    loaded.repo = choice.repo;
    loaded.label = choice.label;
    return loaded;
}

}  // namespace

int runRestore(const config::Config& config) {
    Settings settings = readSettings(config);
    checkDestination(settings);

    Loaded loaded = chooseBackup(config, settings);
    Repo& repo = loaded.repos[loaded.repo];
    const pgark::info::BackupInfo& backupInfo = *loaded.infos[loaded.repo];
    const pgark::info::BackupEntry& entry = *backupInfo.backup(loaded.label);
    log::info("{}: restore backup set {}, recovery will start at {}", repo.name(), loaded.label,
              command::info::formatLocalTime(entry.timestampStart()));

    pgark::info::Manifest manifest =
        pgark::info::loadManifest(*repo.storage, pgark::info::manifestPath(settings.stanza, loaded.label), backupInfo.cipherPass());
    if (manifest.data().label != loaded.label)
        throw Error(ErrorCode::FileInvalid, fmt::format("requested backup '{}' and manifest label '{}' do not match",
                                                        loaded.label, manifest.data().label))
            .withHint("the backup directory was renamed or copied: restore it under its own label");
    manifest.validate(false);

    restore::remapTargets(manifest, {.pgPath = settings.pgPath,
                                     .tablespaceMap = config.getHash("tablespace-map"),
                                     .tablespaceMapAll = config.has("tablespace-map-all")
                                                             ? std::optional(config.getString("tablespace-map-all"))
                                                             : std::nullopt,
                                     .linkMap = config.getHash("link-map"),
                                     .linkAll = config.getBool("link-all")});
    // Validates every recovery option before anything is written.
    const restore::RecoveryPlan plan = restore::planRecovery(config, manifest);
    const bool preserve = plan.type == "preserve";

    // tablespace_map would make PostgreSQL recreate the links of the backed-up host; the links
    // were made from the (remapped) manifest instead. preserve keeps the recovery settings in place.
    manifest.fileRemove("pg_data/tablespace_map");
    std::vector<std::string> keep{"pg_data/backup.manifest"};
    if (preserve) {
        manifest.fileRemove("pg_data/postgresql.auto.conf");
        for (const char* name : {"pg_data/postgresql.auto.conf", "pg_data/recovery.signal", "pg_data/standby.signal"})
            keep.emplace_back(name);
    }

    const std::set<unsigned> zeroed =
        restore::zeroedDatabases(manifest, config.getList("db-include"), config.getList("db-exclude"));
    for (const pgark::info::ManifestDb& db : manifest.dbs())
        if (zeroed.contains(db.id)) log::info("database '{}' (oid {}) is restored as sparse, zeroed files", db.name, db.id);

    const restore::RestorePaths paths(manifest);
    if (!settings.delta && !settings.force) restore::checkTargetsEmpty(manifest, paths, preserve);

    // An async archive-get queue of the old cluster would feed it stale WAL.
    if (config.has("spool-path")) {
        std::error_code ignored;
        std::filesystem::remove_all(
            std::filesystem::path(config.getString("spool-path")) / "archive" / settings.stanza / "in", ignored);
    }

    // From here on the directory is not startable until the very end.
    if (::unlink((settings.pgPath + "/global/pg_control").c_str()) == -1 && errno != ENOENT)
        throwSys(ErrorCode::FileRemove, errno, fmt::format("unable to remove '{}/global/pg_control'", settings.pgPath));
    const restore::Ownership owners(settings.pgPath);
    if (settings.delta || settings.force) restore::cleanTargets(manifest, paths, owners, keep);
    restore::createPathsAndLinks(manifest, paths, owners);

    const storage::StorageSpec pgSpec = posixSpec(settings.pgPath);
    auto pg = storage::makeStorage(pgSpec);
    storage::writeText(*pg, pgark::info::kManifestFile, pgark::info::renderManifest(manifest), {.mode = mode_t{0600}});

    const RestoreDelta delta = settings.delta ? (settings.force ? RestoreDelta::Timestamp : RestoreDelta::Checksum)
                                              : RestoreDelta::Off;
    struct Planned {
        const pgark::info::ManifestFile* file;
        storage::StorageSpec spec;
        restore::RestoreFileRequest request;
    };
    std::vector<Planned> planned;
    std::uint64_t total = 0;
    for (const pgark::info::ManifestFile& file : manifest.files()) {
        const pgark::info::RepoFileLocation location = manifest.repoFileLocation(settings.stanza, file);
        restore::RestoreFileRequest request;
        request.repoPath = location.path;
        request.repoOffset = location.offset;
        request.repoSize = location.limit;
        request.compressType = manifest.data().compressType;
        request.cipherPass = manifest.data().cipherPass;
        request.pgPath = pgRelativePath(file.name);
        request.size = file.size;
        request.sha1 = file.size == 0 ? std::string(pgark::info::kSha1Empty) : file.checksum;
        request.mtime = file.timestamp;
        request.mode = file.mode;
        request.zero = restore::zeroedFile(file.name, zeroed);
        request.delta = delta;
        request.copyStartTime = manifest.data().timestampCopyStart;
        // Files are not synced one by one: every file system is synced once at the end, before
        // pg_control appears (storage::posix::FileSystemSync), and every path after that.
        request.syncFile = false;
        request.syncPath = false;
        storage::StorageSpec spec = pgSpec;
        // A file link kept by --link-all/--link-map: written in the link's destination directory.
        if (const pgark::info::ManifestTarget* target = manifest.target(file.name); target != nullptr && target->file) {
            const std::string destination = paths.targetRoot(*target);
            spec = posixSpec(std::filesystem::path(destination).parent_path().string());
            request.pgPath = *target->file;
        }
        total += file.size;
        planned.push_back({&file, std::move(spec), std::move(request)});
    }
    // Every directory written to; their file systems are synced once at the end (opened now, so
    // that a writeback error of any file written from here on is reported by that sync).
    std::vector<std::string> directories;
    for (const pgark::info::ManifestPath& path : manifest.paths()) {
        if (path.name == "pg_tblspc") continue;
        directories.push_back(manifest.target(path.name) && manifest.target(path.name)->tablespaceId != 0
                                  ? manifest.target(path.name)->path
                                  : paths.absolute(path.name));
    }
    std::set<std::string> fileLinkDirectories;  // where --link-all/--link-map put linked files
    for (const Planned& file : planned)
        if (const std::string& directory = file.spec.field("path"); directory != settings.pgPath)
            fileLinkDirectories.insert(directory);
    directories.insert(directories.end(), fileLinkDirectories.begin(), fileLinkDirectories.end());
    const storage::posix::FileSystemSync fileSystems(directories);
    log::info("restore {} files ({}) with {} process{}", planned.size(), command::info::formatSize(total),
              settings.processMax, settings.processMax == 1 ? "" : "es");

    std::uint64_t done = 0;
    const auto record = [&](const pgark::info::ManifestFile& file, const restore::RestoreFileResult& restored) {
        const std::string path = file.name == kPgControl ? settings.pgPath + "/" + std::string(kPgControlTemp)
                                                         : paths.absolute(file.name);
        owners.apply(path, file.user, file.group);
        done += file.size;
        const unsigned percent = total == 0 ? 100 : static_cast<unsigned>(done * 100 / total);
        if (restore::zeroedFile(file.name, zeroed))
            log::detail("restore zeroed file {} ({}, {}%)", path, command::info::formatSize(file.size), percent);
        else if (restored.result == restore::RestoreCopyResult::Kept)
            log::detail("restore file {} - exists and matches backup ({}, {}%)", path, command::info::formatSize(file.size),
                        percent);
        else
            log::detail("restore file {} ({}, {}%){}", path, command::info::formatSize(file.size), percent,
                        file.size == 0 ? "" : " checksum " + file.checksum);
    };

    // --delta: which existing files can be kept is decided here, on several threads, before the
    // workers start; they are sent only the files to write, with nothing left to compare.
    std::vector<std::optional<restore::RestoreFileResult>> kept(planned.size());
    if (delta != RestoreDelta::Off) {
        std::vector<restore::DeltaCheck> checks;
        std::vector<std::size_t> checked;
        for (std::size_t i = 0; i < planned.size(); i++) {
            if (planned[i].request.zero) continue;
            checks.push_back({planned[i].spec.field("path"), planned[i].request});
            checked.push_back(i);
        }
        std::vector<std::optional<restore::RestoreFileResult>> answers =
            restore::checkExisting(checks, std::max(settings.processMax, 2u));
        for (std::size_t i = 0; i < checked.size(); i++) kept[checked[i]] = answers[i];
    }

    std::vector<std::size_t> toWrite;  // indices into planned
    std::vector<restore::GroupCandidate> candidates;
    for (std::size_t i = 0; i < planned.size(); i++) {
        if (kept[i]) {
            record(*planned[i].file, *kept[i]);
            continue;
        }
        planned[i].request.delta = RestoreDelta::Off;
        toWrite.push_back(i);
        candidates.push_back({.size = planned[i].file->size,
                              .paired = restore::restoredInPairs(planned[i].request),
                              .alone = planned[i].spec.field("path") != settings.pgPath});
    }
    FileJobs jobs;
    std::map<std::string, std::vector<std::size_t>> jobFiles;  // job key -> indices into planned
    for (const std::vector<std::size_t>& group : restore::groupRestoreFiles(candidates)) {
        std::vector<std::size_t>& files = jobFiles[planned[toWrite[group.front()]].file->name];
        std::vector<restore::RestoreFileRequest> requests;
        for (const std::size_t g : group) {
            files.push_back(toWrite[g]);
            requests.push_back(planned[toWrite[g]].request);
        }
        const Planned& first = planned[files.front()];
        jobs.add(restore::makeRestoreFilesJob(first.file->name, repo.spec, first.spec, requests));
    }
    if (jobs.count() != 0) {
        protocol::WorkerPool pool = startLocalPool(config, settings.processMax);
        pool.run(jobs, [&](protocol::JobResult&& result) {
            const std::vector<std::size_t>& files = jobFiles.at(result.key);
            const std::vector<restore::RestoreFileResult> results = restore::readRestoreFilesResult(result, files.size());
            for (std::size_t i = 0; i < files.size(); i++) record(*planned[files[i]].file, results[i]);
        });
    }

    restore::writeRecovery(*pg, plan, nowSeconds());
    // Written by this process: as root they need the data directory's owner like everything else.
    if (owners.active()) {
        const pgark::info::ManifestPath* data = manifest.path(pgark::info::kManifestTargetPgData);
        for (const std::string& name : {std::string("postgresql.auto.conf"), plan.signalFile})
            if (!name.empty() && exists(settings.pgPath + "/" + name))
                owners.apply(settings.pgPath + "/" + name, data ? data->user : std::nullopt,
                             data ? data->group : std::nullopt);
    }

    // The end: the marker goes, everything is durable, and only then does pg_control appear.
    pg->remove(pgark::info::kManifestFile, {});
    fileSystems.sync();
    for (const std::string& directory : directories) syncDirectory(directory);
    log::info("restore global/pg_control (performed last to ensure aborted restores cannot be started)");
    if (std::rename((settings.pgPath + "/" + std::string(kPgControlTemp)).c_str(),
                    (settings.pgPath + "/global/pg_control").c_str()) == -1)
        throwSys(ErrorCode::FileMove, errno, fmt::format("unable to move '{}' into place", kPgControlTemp));
    syncDirectory(settings.pgPath + "/global");

    log::info("restore size = {}, file total = {}", command::info::formatSize(total), manifest.files().size());
    return 0;
}

}  // namespace pgark::command
