// The restore's destination: remap, check, clean, create. See target.h.
#include "command/restore/target.h"

#include <dirent.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fmt/format.h>
#include <set>

#include "common/error.h"
#include "common/log.h"

namespace pgark::command::restore {
namespace {

namespace fs = std::filesystem;

bool isTablespace(const pgark::info::ManifestTarget& target) { return target.tablespaceId != 0; }

std::string parentOf(std::string_view path) {
    const auto slash = path.rfind('/');
    return slash == std::string_view::npos ? std::string() : std::string(path.substr(0, slash));
}

std::optional<struct stat> lstatPath(const std::string& path) {
    struct stat info {};
    if (::lstat(path.c_str(), &info) == 0) return info;
    if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
    throwSys(ErrorCode::FileInfo, errno, fmt::format("unable to get info for '{}'", path));
}

std::string readLink(const std::string& path) {
    std::error_code error;
    const fs::path destination = fs::read_symlink(path, error);
    if (error) throwSys(ErrorCode::LinkOpen, error.value(), fmt::format("unable to read link '{}'", path));
    return destination.string();
}

std::vector<std::string> listNames(const std::string& path) {
    std::vector<std::string> names;
    DIR* dir = ::opendir(path.c_str());
    if (dir == nullptr) throwSys(ErrorCode::PathOpen, errno, fmt::format("unable to list path '{}'", path));
    while (const dirent* entry = ::readdir(dir)) {
        const std::string_view name = entry->d_name;
        if (name != "." && name != "..") names.emplace_back(name);
    }
    ::closedir(dir);
    std::sort(names.begin(), names.end());
    return names;
}

void removeAll(const std::string& path) {
    std::error_code error;
    fs::remove_all(path, error);
    if (error) throwSys(ErrorCode::PathRemove, error.value(), fmt::format("unable to remove '{}'", path));
}

void makeDirectory(const std::string& path, mode_t mode) {
    std::error_code error;
    fs::create_directories(path, error);
    if (error) throwSys(ErrorCode::PathCreate, error.value(), fmt::format("unable to create path '{}'", path));
    if (::chmod(path.c_str(), mode) == -1)
        throwSys(ErrorCode::FileMode, errno, fmt::format("unable to set mode of path '{}'", path));
}

// The link's destination as the file system sees it: relative destinations count from the link's
// own directory.
std::string resolveFrom(const std::string& linkAbsolute, const std::string& destination) {
    if (destination.starts_with('/')) return destination;
    return (fs::path(parentOf(linkAbsolute)) / destination).lexically_normal().string();
}

void updateLinkDestination(pgark::info::Manifest& manifest, const std::string& name, const std::string& destination) {
    const pgark::info::ManifestLink* link = manifest.link(name);
    if (link == nullptr) return;
    pgark::info::ManifestLink updated = *link;
    updated.destination = destination;
    manifest.linkRemove(name);
    manifest.linkAdd(std::move(updated));
}

}  // namespace

void remapTargets(pgark::info::Manifest& manifest, const RemapOptions& options) {
    const pgark::info::ManifestTarget& base = manifest.targetBase();
    if (base.path != options.pgPath) {
        log::info("remap data directory to '{}'", options.pgPath);
        manifest.targetUpdate(base.name, options.pgPath, std::nullopt);
    }

    std::set<std::string> tablespaceKeysUsed;
    std::set<std::string> linkKeysUsed;
    const std::vector<pgark::info::ManifestTarget> targets = manifest.targets();  // copy: the loop changes the list
    for (const pgark::info::ManifestTarget& target : targets) {
        if (target.name == pgark::info::kManifestTargetPgData) continue;
        if (isTablespace(target)) {
            const std::string id = std::to_string(target.tablespaceId);
            const std::string name = target.tablespaceName.value_or("");
            const auto byId = options.tablespaceMap.find(id);
            const auto byName = name.empty() ? options.tablespaceMap.end() : options.tablespaceMap.find(name);
            std::optional<std::string> path;
            if (byId != options.tablespaceMap.end() && byName != options.tablespaceMap.end() && byId->second != byName->second)
                throw Error(ErrorCode::TablespaceMap,
                            fmt::format("tablespace remapped by name '{}' and id {} with different paths", name, id))
                    .withHint("map each tablespace once, by name or by oid");
            if (byId != options.tablespaceMap.end()) {
                path = byId->second;
                tablespaceKeysUsed.insert(id);
            }
            if (byName != options.tablespaceMap.end()) {
                path = byName->second;
                tablespaceKeysUsed.insert(name);
            }
            if (!path && options.tablespaceMapAll) path = *options.tablespaceMapAll + "/" + name;
            if (path && *path != target.path) {
                log::info("map tablespace '{}' to '{}'", target.name, *path);
                manifest.targetUpdate(target.name, *path, std::nullopt);
                updateLinkDestination(manifest, std::string(pgark::info::kManifestTargetPgData) + "/" + target.name, *path);
            }
            continue;
        }
        // A link below PGDATA other than a tablespace (pg_wal on another disk, a linked config file).
        const std::string relative = target.name.substr(pgark::info::kManifestTargetPgData.size() + 1);
        const auto mapped = options.linkMap.find(relative);
        if (mapped != options.linkMap.end()) {
            linkKeysUsed.insert(relative);
            std::string path = mapped->second;
            std::optional<std::string> file;
            std::string destination = path;
            if (target.file) {
                file = fs::path(path).filename().string();
                path = parentOf(mapped->second);
            }
            log::info("map link '{}' to '{}'", relative, mapped->second);
            manifest.targetUpdate(target.name, path, file);
            updateLinkDestination(manifest, target.name, destination);
            continue;
        }
        if (options.linkAll) continue;
        if (target.file)
            log::warn("file link '{}' will be restored as a file at the same location", relative);
        else
            log::warn("contents of directory link '{}' will be restored in a directory at the same location", relative);
        manifest.linkRemove(target.name);
        manifest.targetRemove(target.name);
    }
    for (const auto& [key, path] : options.tablespaceMap)
        if (!tablespaceKeysUsed.contains(key))
            throw Error(ErrorCode::TablespaceMap, fmt::format("unable to remap invalid tablespace '{}'", key))
                .withHint("name a tablespace of the backup by name or oid (see its backup.manifest [backup:target])");
    for (const auto& [key, path] : options.linkMap)
        if (!linkKeysUsed.contains(key))
            throw Error(ErrorCode::LinkMap, fmt::format("unable to remap invalid link '{}'", key))
                .withHint("name a link of the backup relative to the data directory, e.g. pg_wal");
}

RestorePaths::RestorePaths(const pgark::info::Manifest& manifest) : manifest_(manifest) {}

std::string RestorePaths::absolute(std::string_view name) const {
    // The target is the longest of pg_data and pg_tblspc/<oid> that prefixes the name.
    const auto slash = name.find('/');
    std::string_view targetName = name.substr(0, slash);
    if (targetName == "pg_tblspc" && slash != std::string_view::npos) {
        const auto second = name.find('/', slash + 1);
        targetName = name.substr(0, second);
    }
    const pgark::info::ManifestTarget* target = manifest_.target(targetName);
    if (target == nullptr) throwError(ErrorCode::Assert, "no target for manifest entry '{}'", name);
    return target->path + std::string(name.substr(targetName.size()));
}

std::string RestorePaths::targetRoot(const pgark::info::ManifestTarget& target) const {
    if (target.name == pgark::info::kManifestTargetPgData) return target.path;
    if (isTablespace(target)) {
        const std::string prefix = target.name + "/";
        for (const pgark::info::ManifestPath& path : manifest_.paths())
            if (path.name.starts_with(prefix) && path.name.find('/', prefix.size()) == std::string::npos)
                return target.path + "/" + path.name.substr(prefix.size());
        const pgark::info::InfoPgData& pg = manifest_.data().pg;
        return fmt::format("{}/PG_{}_{}", target.path, pg.version, pg.catalogVersion);
    }
    const std::string directory = resolveFrom(absolute(target.name), target.path);
    return target.file ? directory + "/" + *target.file : directory;
}

Ownership::Ownership(const std::string& pgPath) {
    active_ = ::geteuid() == 0;
    struct stat info {};
    if (::stat(pgPath.c_str(), &info) == 0) {
        defaultUid_ = info.st_uid;
        defaultGid_ = info.st_gid;
    } else {
        defaultUid_ = ::geteuid();
        defaultGid_ = ::getegid();
    }
}

void Ownership::apply(const std::string& path, const pgark::info::Owner& user, const pgark::info::Owner& group, bool link) const {
    if (!active_) return;
    uid_t uid = defaultUid_;
    gid_t gid = defaultGid_;
    if (user)
        if (const passwd* entry = ::getpwnam(user->c_str())) uid = entry->pw_uid;
    if (group)
        if (const struct group* entry = ::getgrnam(group->c_str())) gid = entry->gr_gid;
    const int rc = link ? ::lchown(path.c_str(), uid, gid) : ::chown(path.c_str(), uid, gid);
    if (rc == -1) throwSys(ErrorCode::FileOwner, errno, fmt::format("unable to set ownership for '{}'", path));
}

void checkTargetsEmpty(const pgark::info::Manifest& manifest, const RestorePaths& paths, bool preserve) {
    for (const pgark::info::ManifestTarget& target : manifest.targets()) {
        const std::string root = paths.targetRoot(target);
        const auto info = lstatPath(root);
        if (!info) continue;
        if (target.file)
            throw Error(ErrorCode::FileExists, fmt::format("unable to restore file '{}' because it already exists", root))
                .withHint("try using --delta if this is what you intended");
        if (!S_ISDIR(info->st_mode))
            throw Error(ErrorCode::PathType, fmt::format("unable to restore to '{}' because it is not a directory", root))
                .withHint("check pg1-path and the tablespace/link maps");
        for (const std::string& name : listNames(root)) {
            if (target.name == pgark::info::kManifestTargetPgData) {
                if (name == pgark::info::kManifestFile) continue;  // left by an interrupted restore
                if (preserve && (name == "recovery.signal" || name == "standby.signal" || name == "postgresql.auto.conf"))
                    continue;
            }
            throw Error(ErrorCode::PathNotEmpty,
                        fmt::format("unable to restore to path '{}' because it contains files", root))
                .withHint("try using --delta if this is what you intended");
        }
    }
}

namespace {

// Depth-first below `directory` (manifest name `name`): what the manifest does not list goes.
void cleanPath(const pgark::info::Manifest& manifest, const Ownership& owners, const std::set<std::string>& keep,
               const std::string& directory, const std::string& name) {
    for (const std::string& entry : listNames(directory)) {
        const std::string entryPath = directory + "/" + entry;
        const std::string entryName = name + "/" + entry;
        if (keep.contains(entryName)) continue;
        const auto info = lstatPath(entryPath);
        if (!info) continue;
        if (S_ISLNK(info->st_mode)) {
            const pgark::info::ManifestLink* link = manifest.link(entryName);
            if (link != nullptr && readLink(entryPath) == link->destination) {
                owners.apply(entryPath, link->user, link->group, true);
                continue;
            }
            log::detail("remove link '{}'", entryPath);
            if (::unlink(entryPath.c_str()) == -1)
                throwSys(ErrorCode::FileRemove, errno, fmt::format("unable to remove link '{}'", entryPath));
        } else if (S_ISDIR(info->st_mode)) {
            const pgark::info::ManifestPath* path = manifest.path(entryName);
            if (path != nullptr && manifest.link(entryName) == nullptr) {
                if ((info->st_mode & 07777) != path->mode && ::chmod(entryPath.c_str(), path->mode) == -1)
                    throwSys(ErrorCode::FileMode, errno, fmt::format("unable to set mode of path '{}'", entryPath));
                owners.apply(entryPath, path->user, path->group);
                cleanPath(manifest, owners, keep, entryPath, entryName);
                continue;
            }
            log::detail("remove path '{}'", entryPath);
            removeAll(entryPath);
        } else {
            if (S_ISREG(info->st_mode) && manifest.file(entryName) != nullptr) continue;  // restoreFile decides
            log::detail("remove file '{}'", entryPath);
            if (::unlink(entryPath.c_str()) == -1)
                throwSys(ErrorCode::FileRemove, errno, fmt::format("unable to remove file '{}'", entryPath));
        }
    }
}

// The manifest name of a target's root directory (see RestorePaths::targetRoot).
std::string rootName(const pgark::info::ManifestTarget& target, const std::string& root) {
    if (isTablespace(target)) return target.name + "/" + fs::path(root).filename().string();
    return target.name;
}

}  // namespace

void cleanTargets(const pgark::info::Manifest& manifest, const RestorePaths& paths, const Ownership& owners,
                  const std::vector<std::string>& keep) {
    const std::set<std::string> kept(keep.begin(), keep.end());
    for (const pgark::info::ManifestTarget& target : manifest.targets()) {
        if (target.file) continue;  // a linked file is simply overwritten
        const std::string root = paths.targetRoot(target);
        const auto info = lstatPath(root);
        if (!info) continue;
        if (!S_ISDIR(info->st_mode))
            throw Error(ErrorCode::PathType, fmt::format("unable to restore to '{}' because it is not a directory", root))
                .withHint("check pg1-path and the tablespace/link maps");
        log::info("remove invalid files/links/paths from '{}'", root);
        cleanPath(manifest, owners, kept, root, rootName(target, root));
    }
}

void createPathsAndLinks(const pgark::info::Manifest& manifest, const RestorePaths& paths, const Ownership& owners) {
    auto ensureLink = [&](const pgark::info::ManifestLink& link) {
        const std::string linkPath = paths.absolute(link.name);
        const auto info = lstatPath(linkPath);
        if (info && S_ISLNK(info->st_mode) && readLink(linkPath) == link.destination) return;
        if (info) removeAll(linkPath);
        std::error_code error;
        fs::create_directory_symlink(link.destination, linkPath, error);
        if (error)
            throwSys(ErrorCode::FileOpen, error.value(),
                     fmt::format("unable to create link '{}' to '{}'", linkPath, link.destination));
        owners.apply(linkPath, link.user, link.group, true);
    };

    for (const pgark::info::ManifestPath& path : manifest.paths()) {
        if (path.name == "pg_tblspc") continue;  // a cosmetic entry: tablespaces are pg_tblspc/<oid> targets
        std::string directory;
        const pgark::info::ManifestTarget* target = manifest.target(path.name);
        if (const pgark::info::ManifestLink* link = manifest.link(path.name); link != nullptr && target != nullptr) {
            // A directory link kept with --link-all or --link-map: its destination, then the link.
            directory = resolveFrom(paths.absolute(path.name), target->path);
            makeDirectory(directory, path.mode);
            ensureLink(*link);
        } else if (target != nullptr && isTablespace(*target)) {
            directory = target->path;
            makeDirectory(directory, path.mode);
        } else {
            directory = paths.absolute(path.name);
            const auto info = lstatPath(directory);
            if (!info || !S_ISDIR(info->st_mode)) {
                if (info) removeAll(directory);
                makeDirectory(directory, path.mode);
            } else if ((info->st_mode & 07777) != path.mode && ::chmod(directory.c_str(), path.mode) == -1) {
                throwSys(ErrorCode::FileMode, errno, fmt::format("unable to set mode of path '{}'", directory));
            }
        }
        owners.apply(directory, path.user, path.group);
    }
    for (const pgark::info::ManifestLink& link : manifest.links()) {
        const pgark::info::ManifestTarget* target = manifest.target(link.name);
        // File links: the destination directory must exist for the file restored through it.
        if (target != nullptr && target->file) {
            const std::string directory = resolveFrom(paths.absolute(link.name), target->path);
            if (!lstatPath(directory)) makeDirectory(directory, 0700);
        }
        ensureLink(link);
    }
}

}  // namespace pgark::command::restore
