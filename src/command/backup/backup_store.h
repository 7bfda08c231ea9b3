// Files the backup parent stores itself, outside the worker pool: backup_label and tablespace_map
// (returned by pg_backup_stop) and, with archive-copy, the WAL segments the backup needs (spec §4.7
// steps 6 and 7). Each is stored like backupFile() stores a file of PGDATA: compressed with the
// backup's type, encrypted with the backup's file passphrase, as its own repo file (never bundled).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "command/repo.h"
#include "common/io/filter.h"
#include "common/io/stream.h"
#include "info/manifest.h"

namespace pgark::command::backup {

// Stores what `source` yields (after the `decode` filters, if any: e.g. decrypt and decompress an
// archived segment) at `repoPath`. The result's size/checksum are of the decoded bytes; the
// repo checksum is recorded only when the stored bytes differ from them (compressed or encrypted).
info::ManifestFileResult storeStream(storage::Storage& repo, const std::string& repoPath, io::ReadStream& source,
                                     const info::ManifestData& data, int compressLevel,
                                     std::vector<std::unique_ptr<io::Filter>> decode = {});

// Adds `name` (relative to PGDATA) holding `text` to the manifest, stamped `timestamp`, and stores it.
void storeText(storage::Storage& repo, const std::string& stanza, info::Manifest& manifest, std::string_view name,
               std::string_view text, std::int64_t timestamp, int compressLevel);

struct ArchiveCopyOptions {
    std::string stanza;
    std::string archiveId;           // "15-1"
    std::string archivePass;         // archive.info's sub-passphrase, "" when not encrypted
    std::string walPath;             // "pg_wal" ("pg_xlog" before PostgreSQL 10)
    std::uint64_t walSegmentSize = 0;
    std::int64_t timestamp = 0;      // the backup stop time
    int compressLevel = 0;
};

// archive-copy: copies each of `segments` (already confirmed in the archive of `repo`) into the
// backup as pg_data/<walPath>/<segment>: size = the WAL segment size, checksum = the one in the
// archived name (checked against the bytes), no repo checksum, as pgBackRest 2.45 records them.
// Throws Error(FileMissing) for a segment no longer in the archive, Error(Checksum) for one whose
// content does not match its name.
void archiveCopy(Repo& repo, const ArchiveCopyOptions& options, info::Manifest& manifest,
                 std::span<const std::string> segments);

}  // namespace pgark::command::backup
