// manifest_build: what Manifest::build() needs to turn a walk of PGDATA into the file, path, link
// and target lists of a new backup (spec §4.4): the PostgreSQL version facts, the backup options
// that change the walk, the tablespace names, and the seam that opens link destinations outside
// PGDATA. Options are plain data; the borrowed seam is called only during build().
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "info/manifest.h"
#include "storage/storage.h"

namespace pgark::info {

struct ManifestBuildOptions {
    unsigned pgVersion = 0;            // major version in server_version_num form: 150000
    std::uint32_t catalogVersion = 0;  // pg_control catalog version: names the tablespace directories
    std::string pgDataPath;            // absolute path of PGDATA: the pg_data target; relative links resolve against it
    bool online = true;                // online: skip pg_wal contents (WAL comes from the archive)
    bool checksumPage = false;         // flag relation files for page checksum validation
    bool bundle = false;               // empty files need no copy (and get no repo file)
    std::vector<std::string> excludes;  // --exclude values relative to PGDATA: "dir/" = contents only, else the entry
    // Tablespace oid -> name (pg_tablespace, online backups); nullopt = offline: names become "ts<oid>".
    std::optional<std::map<unsigned, std::string>> tablespaces;
    // Opens a Storage rooted at an absolute directory, used to look at link destinations (which lie
    // outside PGDATA by rule). Empty: a POSIX storage, which needs a POSIX `pgData`.
    std::function<std::unique_ptr<storage::Storage>(const std::string& absolutePath)> openPath;
};

// "PG_<version>_<catalog version>": the directory PostgreSQL makes inside every tablespace,
// e.g. "PG_15_202209061" (spec §3.9).
[[nodiscard]] std::string tablespaceDirName(unsigned pgVersion, std::uint32_t catalogVersion);

// "pg_wal", or "pg_xlog" before PostgreSQL 10.
[[nodiscard]] std::string_view walDirName(unsigned pgVersion) noexcept;

}  // namespace pgark::info
