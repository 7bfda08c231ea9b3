// The copy phase of a backup (spec §4.7 step 5): turns the files the manifest says to copy into
// jobs (one per file, or one per bundle of small files, §4.6), runs them on `process-max` local
// workers, largest first, and applies every reply to the manifest on the caller's thread: the
// parent is the manifest's only writer. Progress is logged per file, reported through the
// backup lock, and the manifest is saved as backup.manifest.copy every manifest-save-threshold
// bytes so an interrupted backup can be resumed. A worker that dies or a file that fails (after
// the worker's own job-retry attempts) ends the copy with an Error; nothing waits forever.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "common/clock.h"
#include "info/manifest.h"
#include "postgres/types.h"
#include "protocol/pool.h"
#include "storage/factory.h"

namespace pgark::command::backup {

struct CopyOptions {
    std::string stanza;
    int compressLevel = 0;                  // for the manifest's compress type
    std::optional<postgres::Lsn> lsnStart;  // online backups: page checksum LSN limit
    unsigned processMax = 1;
    bool bundle = false;                    // repo-bundle
    std::uint64_t bundleSize = 0;           // repo-bundle-size: a bundle closes once it holds this much
    std::uint64_t bundleLimit = 0;          // repo-bundle-limit: larger files are stored on their own
    // Object stores (S3), where each file stored is a request: the small files that are not
    // bundled go in groups, jobs whose worker stores several at once, riding along with the
    // largest files (backup_copy.cpp).
    bool groupSmallFiles = false;
    std::uint64_t manifestSaveThreshold = 0;  // manifest-save-threshold, bytes
    storage::StorageSpec repo;              // reopened by each worker
    storage::StorageSpec pg;
    // An interrupted run of this backup (same label): its files that are listed here with a
    // checksum, unchanged in size and timestamp, are checked in the repository and kept if intact.
    const pgark::info::Manifest* resumed = nullptr;
    // Online backups: a file whose manifest timestamp is holdFrom or later is not read before
    // copyStart (seconds since the epoch). A later backup judges a file unchanged by its size and
    // timestamp, so a change made after the file is read must give it a later timestamp than the
    // one recorded: the copy of a file changed in the second of the walk, or the one before, waits
    // for the next second (as every file does in pgBackRest 2.45), while files last changed
    // earlier are read at once. nullopt: no file is held.
    std::optional<std::int64_t> holdFrom;
    std::int64_t copyStart = 0;
};

struct CopyHooks {
    std::function<protocol::WorkerPool(unsigned workers)> startPool;
    std::function<void()> saveManifest;            // writes backup.manifest.copy
    std::function<void(double percent)> progress;  // 0..100, after each finished job
    // The clock the held files wait on (CopyOptions::copyStart); nullptr: systemClock().
    Clock* clock = nullptr;
};

// The names (relative to the backup's directory) of the repository files a resume keeps a
// chance on: what copyFiles() will check rather than copy. Everything else in the directory of
// the interrupted run is stale and should be removed before copying.
std::vector<std::string> resumeCandidates(const pgark::info::Manifest& manifest, const pgark::info::Manifest& resumed);

// On an object store the groups of small files ride along with the largest files (see
// backup_copy.cpp). For each of `groups` groups: the index into `largeSizes` of the large file
// that carries it, or nullopt for a group that stays a job of its own. The `processMax` largest
// files carry a worker's share each; a share without a large file stays on its own.
std::vector<std::optional<std::size_t>> groupHosts(const std::vector<std::uint64_t>& largeSizes, std::size_t groups,
                                                   unsigned processMax);

// Copies every file marked copy or delta. `pgDescribe` only names files in log lines.
void copyFiles(pgark::info::Manifest& manifest, storage::Storage& pgDescribe, const CopyOptions& options,
               const CopyHooks& hooks);

}  // namespace pgark::command::backup
