// Manifest::build(): walk PGDATA (and the link destinations it holds) into a full-backup manifest,
// applying pgBackRest 2.45's exclusion list (spec §4.4) and link rules.
#include "info/manifest_build.h"

#include <algorithm>
#include <set>

#include "common/error.h"
#include "common/log.h"
#include "postgres/version.h"
#include "storage/posix/posix_storage.h"

namespace pgark::info {

namespace {

using storage::FileInfo;
using storage::FileType;
using storage::InfoLevel;

constexpr std::string_view kPgDataTblspc = "pg_data/pg_tblspc";  // manifest name of PGDATA/pg_tblspc
constexpr std::string_view kPgTmpPrefix = "pgsql_tmp";
constexpr std::string_view kPgInternalInit = "pg_internal.init";
constexpr std::string_view kArchiveStatus = "archive_status";
constexpr unsigned kMaxLinkHops = 16;  // following a symlinked PGDATA root

// Directories directly under PGDATA whose contents are useless after a restore; the directory
// itself is kept so PostgreSQL finds it.
constexpr std::string_view kContentExcluded[] = {"pg_dynshmem", "pg_notify",    "pg_replslot", "pg_serial",
                                                 "pg_snapshots", "pg_stat_tmp", "pg_subtrans"};

bool isDigits(std::string_view text) noexcept {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// `<digits>[_fsm|_vm][.<digits>]`: a relation data file name (never an _init fork).
bool isRelationFile(std::string_view name) noexcept {
    std::size_t digits = 0;
    while (digits < name.size() && name[digits] >= '0' && name[digits] <= '9') ++digits;
    if (digits == 0) return false;
    std::string_view rest = name.substr(digits);
    if (rest.starts_with("_fsm"))
        rest.remove_prefix(4);
    else if (rest.starts_with("_vm"))
        rest.remove_prefix(3);
    if (rest.empty()) return true;
    return rest[0] == '.' && isDigits(rest.substr(1));
}

// `t<digits>_<relation file>`: a temporary relation, dropped at restart.
bool isTempRelation(std::string_view name) noexcept {
    if (name.size() < 4 || name[0] != 't') return false;
    const std::size_t underscore = name.find('_');
    return underscore != std::string_view::npos && isDigits(name.substr(1, underscore - 1)) &&
           isRelationFile(name.substr(underscore + 1));
}

// pg_internal.init, or pg_internal.init.<pid> left behind by a crashed backend.
bool isInternalInit(std::string_view name) noexcept {
    if (!name.starts_with(kPgInternalInit)) return false;
    const std::string_view rest = name.substr(kPgInternalInit.size());
    return rest.empty() || (rest[0] == '.' && isDigits(rest.substr(1)));
}

// Database directories hold relation files: global, base/<oid>, pg_tblspc/<oid>/<PG_x_y>/<oid>.
bool isDbPathName(std::string_view name, std::string_view tablespaceDir) noexcept {
    if (name == "pg_data/global") return true;
    if (name.starts_with("pg_data/base/")) return isDigits(name.substr(13));
    if (!name.starts_with("pg_tblspc/")) return false;
    std::string_view rest = name.substr(10);
    const std::size_t slash = rest.find('/');
    if (slash == std::string_view::npos || !isDigits(rest.substr(0, slash))) return false;
    rest = rest.substr(slash + 1);
    return rest.size() > tablespaceDir.size() + 1 && rest.starts_with(tablespaceDir) && rest[tablespaceDir.size()] == '/' &&
           isDigits(rest.substr(tablespaceDir.size() + 1));
}

// Lexical normalization of an absolute path: drops "." and empty components, resolves "..".
std::string normalizeAbsolute(std::string_view path) {
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    while (start <= path.size()) {
        std::size_t end = path.find('/', start);
        if (end == std::string_view::npos) end = path.size();
        const std::string_view part = path.substr(start, end - start);
        if (part == "..") {
            if (!parts.empty()) parts.pop_back();
        } else if (!part.empty() && part != ".") {
            parts.push_back(part);
        }
        start = end + 1;
    }
    std::string result;
    for (const std::string_view part : parts) {
        result += '/';
        result += part;
    }
    return result.empty() ? "/" : result;
}

std::string_view parentOf(std::string_view path) noexcept {
    const std::size_t slash = path.rfind('/');
    if (slash == std::string_view::npos) return "";
    return slash == 0 ? std::string_view("/") : path.substr(0, slash);
}

std::string_view baseOf(std::string_view path) noexcept {
    const std::size_t slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string joinPath(std::string_view base, std::string_view name) {
    if (base.empty()) return std::string(name);
    if (base == "/") return "/" + std::string(name);
    return std::string(base) + "/" + std::string(name);
}

// The name a user knows: relative to PGDATA for pg_data/..., unchanged for tablespaces.
std::string_view pgName(std::string_view name) {
    constexpr std::string_view prefix = "pg_data/";
    return name.starts_with(prefix) ? name.substr(prefix.size()) : name;
}

Owner ownerOf(const std::string& name) { return name.empty() ? Owner() : Owner(name); }

// One walk. Storage handles opened for link destinations live as long as the walk.
class Builder {
public:
    Builder(storage::Storage& pgData, const ManifestBuildOptions& options) : pgData_(pgData), options_(options) {
        walName_ = "pg_data/" + std::string(walDirName(options.pgVersion));
        tablespaceDir_ = tablespaceDirName(options.pgVersion, options.catalogVersion);
        for (const std::string& exclude : options.excludes) {
            if (exclude.empty()) continue;
            if (exclude.back() == '/')
                excludeContent_.insert("pg_data/" + exclude.substr(0, exclude.size() - 1));
            else
                excludeSingle_.insert("pg_data/" + exclude);
        }
    }

    void run() {
        if (options_.pgDataPath.empty() || options_.pgDataPath[0] != '/')
            throwError(ErrorCode::Assert, "PGDATA path '{}' must be absolute", options_.pgDataPath);
        pgDataPath_ = normalizeAbsolute(options_.pgDataPath);

        const FileInfo root = rootInfo();
        paths.push_back(ManifestPath{.name = "pg_data", .mode = root.mode, .user = ownerOf(root.user), .group = ownerOf(root.group)});
        targets.push_back(ManifestTarget{.name = "pg_data", .type = TargetType::Path, .path = options_.pgDataPath});
        walkChildren(pgData_, "", pgDataPath_, "pg_data", false);
    }

    std::vector<ManifestTarget> targets;
    std::vector<ManifestPath> paths;
    std::vector<ManifestFile> files;
    std::vector<ManifestLink> links;

private:
    struct LinkCheck {
        std::string name;               // manifest name of the target
        std::string path;               // absolute destination directory
        std::optional<std::string> file;  // file links: the file name
    };

    // A storage rooted at an absolute directory outside PGDATA. Asked for only when there is a
    // link, so a PGDATA without links can be walked on any storage.
    std::unique_ptr<storage::Storage> openPath(const std::string& path) {
        if (options_.openPath) return options_.openPath(path);
        if (pgData_.type() != "posix")
            throwError(ErrorCode::Assert, "following links in '{}' storage needs ManifestBuildOptions::openPath",
                       pgData_.type());
        return storage::makePosixStorage(path, {});
    }

    // The data directory itself, following it if it is a symlink (pgBackRest does the same).
    FileInfo rootInfo() {
        std::optional<FileInfo> info = pgData_.info("", InfoLevel::Detail);
        if (!info) throwError(ErrorCode::PathMissing, "unable to list missing path '{}'", pgDataPath_);
        std::string at = pgDataPath_;
        for (unsigned hop = 0; info->type == FileType::Link; ++hop) {
            if (hop == kMaxLinkHops) throwError(ErrorCode::LinkDestination, "too many levels of links at '{}'", pgDataPath_);
            const std::string& destination = info->linkDestination;
            at = normalizeAbsolute(destination.starts_with('/') ? destination : joinPath(parentOf(at), destination));
            std::unique_ptr<storage::Storage> parent = openPath(std::string(parentOf(at)));
            info = parent->info(baseOf(at), InfoLevel::Detail);
            if (!info) throwError(ErrorCode::PathMissing, "unable to list missing path '{}'", at);
        }
        if (info->type != FileType::Path) throwError(ErrorCode::PathType, "PGDATA '{}' is not a directory", pgDataPath_);
        return *info;
    }

    // Lists `storagePath` in `storage` and processes every entry in name order.
    void walkChildren(storage::Storage& storage, const std::string& storagePath, const std::string& pgPath,
                      const std::string& manifestName, bool dbPath) {
        std::vector<FileInfo> entries;
        storage.list(storagePath, {.level = InfoLevel::Detail},
                     [&entries](const FileInfo& info) { entries.push_back(info); });
        std::sort(entries.begin(), entries.end(), [](const FileInfo& a, const FileInfo& b) { return a.name < b.name; });
        for (const FileInfo& entry : entries)
            processEntry(storage, joinPath(storagePath, entry.name), pgPath, manifestName, dbPath, entry);
    }

    bool isDbPath(std::string_view name) const { return isDbPathName(name, tablespaceDir_); }

    bool skipRootFile(std::string_view name) const {
        const unsigned v = options_.pgVersion;
        if (name == "postmaster.pid" || name == "postmaster.opts" || name == "backup_label.old") return true;
        if ((name == "recovery.signal" || name == "standby.signal") && v >= postgres::kPgVersion12) return true;
        if ((name == "recovery.conf" || name == "recovery.done") && v < postgres::kPgVersion12) return true;
        if (name == "postgresql.auto.conf.tmp" && v >= 90400) return true;
        // The real backup_label comes from pg_backup_stop(); a stale one would confuse recovery.
        if (name == "backup_label" && v >= 90600) return true;
        if ((name == "backup_manifest" || name == "backup_manifest.tmp") && v >= postgres::kPgVersion13) return true;
        return false;
    }

    // `storagePath` locates the entry in `storage`; `pgPath` is the absolute directory holding it
    // as seen through PGDATA (for messages and relative links); `parent` its manifest parent.
    void processEntry(storage::Storage& storage, const std::string& storagePath, const std::string& pgPath,
                      const std::string& parent, bool dbPath, const FileInfo& info) {
        // Temporary files and directories are dropped at restart: skip them anywhere.
        if (info.name.starts_with(kPgTmpPrefix)) return;

        const std::string manifestName = parent + "/" + info.name;
        if (excludeSingle_.contains(manifestName)) {
            log::info("exclude '{}/{}' from backup using '{}' exclusion", pgPath, info.name, pgName(manifestName));
            return;
        }

        switch (info.type) {
            case FileType::Path: {
                if (parent == kPgDataTblspc)
                    throwError(ErrorCode::LinkExpected, "'{}' is not a symlink - pg_tblspc should contain only symlinks",
                               manifestName);
                paths.push_back(ManifestPath{.name = manifestName, .mode = info.mode, .user = ownerOf(info.user),
                                             .group = ownerOf(info.group)});
                if (excludeContent_.contains(manifestName)) {
                    log::info("exclude contents of '{}/{}' from backup using '{}/' exclusion", pgPath, info.name,
                              pgName(manifestName));
                    return;
                }
                if (parent == "pg_data" && std::find(std::begin(kContentExcluded), std::end(kContentExcluded), info.name) !=
                                               std::end(kContentExcluded))
                    return;
                if (options_.online && parent == walName_ && info.name == kArchiveStatus) return;
                walkChildren(storage, storagePath, joinPath(pgPath, info.name), manifestName, isDbPath(manifestName));
                return;
            }
            case FileType::File: {
                if (parent == kPgDataTblspc)
                    throwError(ErrorCode::LinkExpected, "'{}' is not a symlink - pg_tblspc should contain only symlinks",
                               manifestName);
                if (dbPath && isInternalInit(info.name)) return;  // rebuilt at startup
                if (parent == "pg_data" && skipRootFile(info.name)) return;
                // Online, WAL comes from the archive (or archive-copy adds it at the end).
                if (options_.online && parent == walName_) return;
                if (dbPath && isTempRelation(info.name)) return;

                ManifestFile file{.name = manifestName,
                                  .size = info.size,
                                  .sizeRepo = info.size,
                                  .timestamp = info.mtime,
                                  .mode = info.mode,
                                  .user = ownerOf(info.user),
                                  .group = ownerOf(info.group)};
                if (info.size == 0 && options_.bundle) {
                    // Bundles store nothing for an empty file: its checksum is known already.
                    file.copy = false;
                    file.checksum = std::string(kSha1Empty);
                }
                // pg_filenode.map, PG_VERSION and pg_control live in database directories but are not
                // made of data pages.
                if (dbPath && options_.checksumPage && !manifestName.ends_with("/pg_filenode.map") &&
                    !manifestName.ends_with("/PG_VERSION") && manifestName != "pg_data/global/pg_control")
                    file.checksumPage = true;
                files.push_back(std::move(file));
                return;
            }
            case FileType::Link:
                processLink(pgPath, parent, dbPath, info, manifestName);
                return;
            case FileType::Special:
                log::warn("exclude special file '{}/{}' from backup", pgPath, info.name);
                return;
        }
    }

    void processLink(const std::string& pgPath, const std::string& parent, bool dbPath, const FileInfo& info,
                     const std::string& manifestName) {
        const std::string& destination = info.linkDestination;
        const std::string destinationAbsolute =
            normalizeAbsolute(destination.starts_with('/') ? destination : joinPath(pgPath, destination));

        // Everything about the destination is read through a storage rooted at its parent, so
        // that a link to a link is seen as one (info() does not follow the last component).
        opened_.push_back(openPath(std::string(parentOf(destinationAbsolute))));
        storage::Storage& destinationStorage = *opened_.back();
        const std::string destinationName(baseOf(destinationAbsolute));
        const std::optional<FileInfo> destinationInfo = destinationStorage.info(destinationName, InfoLevel::Detail);
        if (destinationInfo && destinationInfo->type == FileType::Link)
            throwError(ErrorCode::LinkDestination, "link '{}/{}' cannot reference another link '{}'", pgPath, info.name,
                       destinationAbsolute);

        links.push_back(ManifestLink{.name = manifestName, .destination = destination, .user = ownerOf(info.user),
                                     .group = ownerOf(info.group)});
        ManifestTarget target{.name = manifestName, .type = TargetType::Link};

        std::string childParent = parent;
        std::string childPgPath = pgPath;
        std::string childStoragePath = destinationName;
        std::string linkedName = info.name;
        const bool tablespace = parent == kPgDataTblspc;
        if (tablespace) {
            // Tablespaces are named pg_tblspc/<oid> (not pg_data/pg_tblspc/<oid>), as their files
            // are stored in the repository, and only their PG_<version>_<catalog> directory is taken.
            if (!isDigits(info.name) || info.name.size() > 10 || std::stoull(info.name) > 0xffffffffULL)
                throwError(ErrorCode::LinkDestination, "tablespace link '{}' is not named by an oid", manifestName);
            const std::string tablespaceName = std::string(kManifestTargetPgTblspc) + "/" + info.name;
            target.name = tablespaceName;
            target.tablespaceId = static_cast<unsigned>(std::stoull(info.name));
            if (options_.tablespaces) {
                const auto found = options_.tablespaces->find(target.tablespaceId);
                if (found == options_.tablespaces->end())
                    throw Error(ErrorCode::Assert, fmt::format("tablespace with oid {} not found in tablespace map",
                                                               target.tablespaceId))
                        .withHint("was a tablespace created or dropped during the backup?");
                target.tablespaceName = found->second;
            } else {
                target.tablespaceName = "ts" + info.name;
            }
            // The bare pg_tblspc entry (ignored by restore, but part of the format) copies pg_data,
            // pg_tblspc/<oid> copies pg_data/pg_tblspc: the link's own destination is not a data path.
            if (!hasPath(kManifestTargetPgTblspc)) {
                ManifestPath entry = *findPath("pg_data");
                entry.name = std::string(kManifestTargetPgTblspc);
                paths.push_back(std::move(entry));
            }
            ManifestPath entry = *findPath(kPgDataTblspc);
            entry.name = tablespaceName;
            paths.push_back(std::move(entry));

            childParent = tablespaceName;
            childPgPath = joinPath(pgPath, info.name);
            childStoragePath = joinPath(destinationName, tablespaceDir_);
            linkedName = tablespaceDir_;
        }

        std::optional<FileInfo> linked =
            tablespace && destinationInfo ? destinationStorage.info(childStoragePath, InfoLevel::Detail) : destinationInfo;
        if (linked) {
            if (linked->type == FileType::Path) {
                target.path = destination;
            } else {
                if (tablespace) throwError(ErrorCode::Format, "tablespace link '{}' points to a file", manifestName);
                target.path = std::string(parentOf(destination));
                target.file = std::string(baseOf(destination));
            }
        } else {
            target.path = destination;
        }
        checkLink(target, destinationAbsolute, linked.has_value() && linked->type != FileType::Path);
        targets.push_back(std::move(target));

        if (!linked)
            throwError(ErrorCode::FileMissing, "unable to get info for missing path/file '{}'",
                       tablespace ? joinPath(destinationAbsolute, tablespaceDir_) : destinationAbsolute);

        FileInfo renamed = *linked;
        renamed.name = linkedName;
        processEntry(destinationStorage, childStoragePath, childPgPath, childParent, dbPath, renamed);
    }

    // §4.4 rule 9: a destination inside PGDATA, two links to one directory (or one file), or one
    // linked directory inside another would be restored twice or into itself.
    void checkLink(const ManifestTarget& target, const std::string& destinationAbsolute, bool isFile) {
        LinkCheck check{.name = std::string(pgName(target.name)),
                        .path = isFile ? std::string(parentOf(destinationAbsolute)) : destinationAbsolute,
                        .file = isFile ? std::optional<std::string>(std::string(baseOf(destinationAbsolute))) : std::nullopt};
        if ((check.path + "/").starts_with(pgDataPath_ + "/"))
            throwError(ErrorCode::LinkDestination, "link '{}' destination '{}' is in PGDATA", check.name, check.path);

        for (const LinkCheck& other : linkChecks_) {
            if (other.path == check.path) {
                if (check.file && other.file) {
                    if (*check.file == *other.file)
                        throwError(ErrorCode::LinkDestination,
                                   "link '{}' ({}/{}) destination is the same file as link '{}' ({}/{})", check.name,
                                   check.path, *check.file, other.name, other.path, *other.file);
                    continue;
                }
                throwError(ErrorCode::LinkDestination, "link '{}' ({}) destination is the same directory as link '{}' ({})",
                           check.name, check.path, other.name, other.path);
            }
            // File links may share a directory with each other and sit in a linked directory's parent.
            if (check.file || other.file) continue;
            if ((check.path + "/").starts_with(other.path + "/"))
                throwError(ErrorCode::LinkDestination, "link '{}' ({}) destination is a subdirectory of link '{}' ({})",
                           check.name, check.path, other.name, other.path);
            if ((other.path + "/").starts_with(check.path + "/"))
                throwError(ErrorCode::LinkDestination, "link '{}' ({}) destination is a subdirectory of link '{}' ({})",
                           other.name, other.path, check.name, check.path);
        }
        linkChecks_.push_back(std::move(check));
    }

    const ManifestPath* findPath(std::string_view name) const {
        for (const ManifestPath& entry : paths)
            if (entry.name == name) return &entry;
        throwError(ErrorCode::Assert, "path '{}' is not in the manifest yet", name);
    }

    bool hasPath(std::string_view name) const {
        return std::any_of(paths.begin(), paths.end(), [name](const ManifestPath& entry) { return entry.name == name; });
    }

    storage::Storage& pgData_;
    const ManifestBuildOptions& options_;
    std::string pgDataPath_;
    std::string walName_;
    std::string tablespaceDir_;
    std::set<std::string, std::less<>> excludeContent_;
    std::set<std::string, std::less<>> excludeSingle_;
    std::vector<LinkCheck> linkChecks_;
    std::vector<std::unique_ptr<storage::Storage>> opened_;
};

// §4.4 rule 7: the main, fsm and vm forks of an unlogged relation are reset from its _init fork
// at startup, so only the _init fork is worth keeping. Needs `files` sorted by name.
void removeUnlogged(std::vector<ManifestFile>& files, const std::function<bool(std::string_view)>& isDbPath) {
    const auto exists = [&files](const std::string& name) {
        const auto found = std::lower_bound(files.begin(), files.end(), name,
                                            [](const ManifestFile& file, const std::string& key) { return file.name < key; });
        return found != files.end() && found->name == name;
    };
    std::vector<bool> drop(files.size(), false);
    std::string lastInit;
    bool lastUnlogged = false;
    for (std::size_t i = 0; i < files.size(); ++i) {
        const std::string& name = files[i].name;
        const std::size_t slash = name.rfind('/');
        const std::string_view fileName = std::string_view(name).substr(slash + 1);
        if (!isRelationFile(fileName) || !isDbPath(std::string_view(name).substr(0, slash))) continue;
        std::size_t digits = 0;
        while (digits < fileName.size() && fileName[digits] >= '0' && fileName[digits] <= '9') ++digits;
        std::string init = name.substr(0, slash + 1 + digits) + "_init";
        // Forks and segments of one relation are neighbours in name order: look each _init up once.
        if (init != lastInit) {
            lastUnlogged = exists(init);
            lastInit = std::move(init);
        }
        drop[i] = lastUnlogged;
    }
    std::size_t out = 0;
    for (std::size_t i = 0; i < files.size(); ++i) {
        if (drop[i]) continue;
        if (out != i) files[out] = std::move(files[i]);  // never self-move: it empties a std::string
        ++out;
    }
    files.resize(out);
}

}  // namespace

std::string tablespaceDirName(unsigned pgVersion, std::uint32_t catalogVersion) {
    return fmt::format("PG_{}_{}", postgres::pgVersionToString(pgVersion), catalogVersion);
}

std::string_view walDirName(unsigned pgVersion) noexcept { return pgVersion >= 100000 ? "pg_wal" : "pg_xlog"; }

Manifest Manifest::build(storage::Storage& pgData, const ManifestBuildOptions& options) {
    const postgres::PgVersionFacts* facts = postgres::pgVersionFacts(options.pgVersion);
    if (facts == nullptr)
        throw Error(ErrorCode::VersionNotSupported,
                    fmt::format("PostgreSQL version {} is not supported", postgres::pgVersionToString(options.pgVersion)))
            .withHint(std::string(postgres::kPgVersionSupportedHint));

    Builder builder(pgData, options);
    builder.run();

    Manifest manifest;
    ManifestData& data = manifest.data_;
    data.type = BackupType::Full;
    data.optionOnline = options.online;
    data.optionChecksumPage = options.checksumPage;
    data.bundle = options.bundle;
    data.pg.version = postgres::pgVersionToString(options.pgVersion);
    data.pg.catalogVersion = options.catalogVersion;
    data.pg.controlVersion = facts->controlVersion;

    manifest.targets_ = std::move(builder.targets);
    manifest.paths_ = std::move(builder.paths);
    manifest.files_ = std::move(builder.files);
    manifest.links_ = std::move(builder.links);
    manifest.sortLists();

    const std::string tablespaceDir = tablespaceDirName(options.pgVersion, options.catalogVersion);
    removeUnlogged(manifest.files_, [&tablespaceDir](std::string_view name) { return isDbPathName(name, tablespaceDir); });
    return manifest;
}

}  // namespace pgark::info
