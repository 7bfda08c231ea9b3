// restoreFile: the per-file work of a restore (spec §9.4, Appendix A.2). Decides whether an existing
// file can be kept (delta), otherwise streams the repository file or bundle segment through
// decryption and decompression into the PostgreSQL data directory in one pass, verifying size and
// sha1 against the manifest before the file becomes visible. Owner (chown as root) is not set here:
// the restore's clean/fix pass does it, as it does for paths. Plain function a worker calls; keeps
// no state; storages are borrowed for the call; not thread-safe beyond that.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/compress/compress.h"
#include "storage/storage.h"

namespace pgark::command::restore {

enum class RestoreDelta {
    Off,        // always write the file
    Checksum,   // --delta: keep an existing file whose first `size` bytes have the manifest sha1
    Timestamp,  // --delta --force: keep an existing file with the manifest size and mtime, no hashing
};

struct RestoreFileRequest {
    // Where the bytes are: backup/<stanza>/<label>/<name><ext>, or the bundle .../<label>/bundle/<bni>.
    std::string repoPath;
    std::uint64_t repoOffset = 0;           // `bno`: where the segment starts in a bundle, else 0
    // `repo-size` (or `size`): the segment length, required for a bundle; nullopt = to the end of the file.
    std::optional<std::uint64_t> repoSize;
    compress::CompressType compressType = compress::CompressType::None;  // the backup's compress-type
    std::string cipherPass;                 // the manifest's file sub-passphrase; "" = not encrypted. Never logged.

    std::string pgPath;                     // destination, relative to the PostgreSQL storage
    std::uint64_t size = 0;                 // manifest `size`, bytes
    std::string sha1;                       // manifest `checksum` (40 hex); ignored when size is 0
    std::int64_t mtime = 0;                 // manifest `timestamp`, seconds since the epoch
    mode_t mode = 0600;                     // manifest `mode` (after defaults)

    // Selective restore (--db-include/--db-exclude, spec §9.7): a sparse file of `size` zero bytes
    // instead of the repository's contents, so the excluded database's files exist for recovery.
    bool zero = false;
    RestoreDelta delta = RestoreDelta::Off;
    std::int64_t copyStartTime = 0;         // backup-timestamp-copy-start, seconds: Timestamp keeps only older files
    bool syncFile = true;                   // fsync the file before it is renamed into place
    bool syncPath = false;                  // fsync the directory too (false: the restore syncs every path at the end)
};

enum class RestoreCopyResult {
    Copied,   // written from the repository
    Created,  // an empty file written without reading the repository
    Kept,     // delta: the existing file matched (its length, mode and mtime were fixed up if needed)
};

std::string_view restoreCopyResultName(RestoreCopyResult result) noexcept;  // "copied", "created", "kept"

struct RestoreFileResult {
    RestoreCopyResult result = RestoreCopyResult::Copied;
    bool truncated = false;  // Kept: the existing file was longer and was cut to the manifest size
};

// The --delta decision alone (spec §9.4): whether the file already at pgPath can be kept (Checksum:
// its first `size` bytes have the manifest sha1; Timestamp: its size and mtime match and predate
// the backup's copy start), after cutting it to `size` and fixing its mode and mtime. nullopt: it
// must be written (always for delta Off and for a zeroed file). Safe to call from several threads at once for
// different files, each with its own `pg`.
[[nodiscard]] std::optional<RestoreFileResult> keepExisting(storage::Storage& pg, const RestoreFileRequest& request);

// keepExisting in two steps, for a caller that hashes the files itself (checkExisting): the
// existing file's info when it may be kept, nullopt when it must be written. With delta Timestamp
// that decides; with Checksum the file may be kept only if also its first `size` bytes have the
// manifest sha1 (keepNeedsHash).
[[nodiscard]] std::optional<storage::FileInfo> keepCandidate(storage::Storage& pg, const RestoreFileRequest& request);
inline bool keepNeedsHash(const RestoreFileRequest& request) noexcept {
    return request.delta == RestoreDelta::Checksum && request.size != 0;
}
// Keeps the candidate: cuts it to `size`, fixes its mode and mtime. nullopt when `pg` cannot fix
// it up (not local): it must be written after all.
[[nodiscard]] std::optional<RestoreFileResult> keepFile(storage::Storage& pg, const RestoreFileRequest& request,
                                                        const storage::FileInfo& existing);

// Restores one file from `repo` into `pg`. The file is written atomically with the manifest mode and
// mtime: on any failure nothing new is left at pgPath (an existing file there is untouched).
// Throws Error naming the repository file for a missing, corrupt, truncated or wrongly keyed
// repository file, and Error(Checksum) when the restored bytes differ from the manifest size or sha1.
[[nodiscard]] RestoreFileResult restoreFile(storage::Storage& repo, storage::Storage& pg,
                                            const RestoreFileRequest& request);

// Restores several files, as restoreFile each, in order; two neighbours that are both larger than
// one chunk (and only to be written) are restored side by side, their SHA-1s taken together
// (io::pipeChunkPair). Stops at the first failure, which names its file; a file of the pair that
// was restored intact is kept.
[[nodiscard]] std::vector<RestoreFileResult> restoreFiles(storage::Storage& repo, storage::Storage& pg,
                                                          const std::vector<RestoreFileRequest>& requests);

// Whether restoreFiles restores `request` side by side with a neighbour of the same kind.
bool restoredInPairs(const RestoreFileRequest& request) noexcept;

}  // namespace pgark::command::restore
