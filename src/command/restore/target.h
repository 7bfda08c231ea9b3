// The restore's destination (spec §9.3, §9.5): remapping the manifest's targets to where this
// restore puts them (pg1-path, --tablespace-map[-all], --link-map, --link-all), checking that the
// destination may be written, removing what a --delta/--force restore must not keep, and creating
// the directories and links the files go into. PGDATA and tablespaces are always local, so this
// works on the file system directly (chmod, chown, symlink: the Storage interface has none of them).
// Plain functions over a manifest the caller owns; not thread-safe.
#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "info/manifest.h"

namespace pgark::command::restore {

struct RemapOptions {
    std::string pgPath;                                  // pg1-path
    std::map<std::string, std::string> tablespaceMap;    // --tablespace-map: name or oid -> path
    std::optional<std::string> tablespaceMapAll;         // --tablespace-map-all
    std::map<std::string, std::string> linkMap;          // --link-map: link below PGDATA -> destination
    bool linkAll = false;                                // --link-all
};

// Points every target of `manifest` at its destination: pg_data at pg1-path, tablespaces at their
// mapped (or recorded) paths, links kept with --link-all/--link-map or else dropped, so their
// contents are restored as plain directories/files at the link's place (with a warning).
// Throws Error(TablespaceMap) / Error(LinkMap) for a map naming nothing in the backup or a
// tablespace mapped twice, with a hint.
void remapTargets(pgark::info::Manifest& manifest, const RemapOptions& options);

// Maps manifest names to absolute paths after remapping: "pg_data/base/1" -> <pg1-path>/base/1,
// "pg_tblspc/16384/PG_15_x/5" -> <tablespace path>/PG_15_x/5.
class RestorePaths {
public:
    explicit RestorePaths(const pgark::info::Manifest& manifest);
    std::string absolute(std::string_view name) const;
    // The directory a target's contents go in and are checked/cleaned: pg1-path for pg_data,
    // <path>/PG_<version>_<catalog> for a tablespace (other versions may share the tablespace),
    // the link destination for a directory link; for a file link, the destination file.
    std::string targetRoot(const pgark::info::ManifestTarget& target) const;

private:
    const pgark::info::Manifest& manifest_;
};

// Who owns what is restored. Only root changes owners: manifest names are looked up on this
// host; a name unknown here (or none recorded) falls back to the data directory's owner.
class Ownership {
public:
    explicit Ownership(const std::string& pgPath);
    bool active() const noexcept { return active_; }
    // chown (lchown for links) to the manifest's user/group; no-op unless running as root.
    void apply(const std::string& path, const pgark::info::Owner& user, const pgark::info::Owner& group, bool link = false) const;

private:
    bool active_ = false;
    uid_t defaultUid_ = 0;
    gid_t defaultGid_ = 0;
};

// Non-delta restore: every existing target root must be empty (backup.manifest excepted, and the
// recovery files with --type=preserve) and a file link's destination must not exist; otherwise
// Error(PathNotEmpty) "... try --delta". Missing roots are fine (created later).
void checkTargetsEmpty(const pgark::info::Manifest& manifest, const RestorePaths& paths, bool preserve);

// --delta/--force: removes from every target root whatever the manifest does not list (files,
// directories, links with another destination, special files) without following links, and
// resets the mode (and owner as root) of the directories that stay. `keep` names (pg_data/...)
// survive although not in the manifest (backup.manifest, recovery files with preserve).
void cleanTargets(const pgark::info::Manifest& manifest, const RestorePaths& paths, const Ownership& owners,
                  const std::vector<std::string>& keep);

// Creates every manifest directory (mode, owner) and link that is missing.
void createPathsAndLinks(const pgark::info::Manifest& manifest, const RestorePaths& paths, const Ownership& owners);

}  // namespace pgark::command::restore
