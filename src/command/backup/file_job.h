// backupFile: the per-file work of a backup (spec §4.5, §4.6, §4.8, Appendix A.3 step 5). One pass
// over the PostgreSQL file through bounded buffers: sha1 + size of the original, optional page
// checksum verification, compression, encryption, then sha1 + size of the stored bytes, written to
// its own repository file or appended to an open bundle. Plain functions a worker calls; they keep
// no state between calls and never touch the manifest (the parent applies the result). Storages
// and the bundle stream are borrowed for the call; not thread-safe beyond that.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/compress/compress.h"
#include "common/io/page_checksum_filter.h"
#include "common/io/stream.h"
#include "postgres/types.h"
#include "storage/storage.h"

namespace pgark::command::backup {

// "backup/<stanza>/<label>/<manifest name><ext>": where a file stored on its own lives (spec §4.5).
std::string backupFileRepoPath(std::string_view stanza, std::string_view label, std::string_view manifestName,
                               compress::CompressType compressType);
// "backup/<stanza>/<label>/bundle/<bundleId>" (spec §4.6).
std::string backupBundleRepoPath(std::string_view stanza, std::string_view label, std::uint64_t bundleId);
// The segment number of a relation file from its name's numeric suffix ("base/1/16384.3" -> 3);
// 0 when there is no numeric suffix.
std::uint32_t relationSegmentNo(std::string_view pgPath) noexcept;

// The prior backup's copy of a file, for a delta backup.
struct PriorFile {
    std::string sha1;        // manifest `checksum` of the prior copy (40 hex)
    std::uint64_t size = 0;  // manifest `size` of the prior copy, bytes
};

struct BackupFileRequest {
    std::string pgPath;      // relative to the PostgreSQL storage: "base/16384/1259"
    std::string repoPath;    // repository file when not bundled (backupFileRepoPath); ignored for a bundle
    // Read at most this many bytes: the size in the manifest for relation files, which may grow while
    // the backup runs (WAL replay covers the growth). nullopt = read to the end (pg_control, configs).
    std::optional<std::uint64_t> sizeLimit;
    bool ignoreMissing = true;   // a file removed during the backup is skipped; false for pg_control
    compress::CompressType compressType = compress::CompressType::None;
    int compressLevel = 0;       // used unless compressType is None
    // Threads that may compress this one file (lz4, zst): a large file is then cut into frames
    // compressed side by side while this thread reads, hashes and checks pages. The parent sizes
    // it as the cores per worker, at least two on a multi-core machine (backup_copy.cpp); 1 =
    // compress on this thread.
    unsigned compressThreads = 1;
    std::string cipherPass;      // the backup's file sub-passphrase; "" = no encryption. Never logged.
    bool checksumPage = false;   // verify data page checksums (relation files of a cluster with checksums)
    // How a page that fails its checksum is judged (io::PageChecksumOptions): true re-reads it and
    // forgives it if it changed meanwhile (pgBackRest 2.45); false forgives it when its LSN is at or
    // beyond lsnLimit (the backup start LSN) and reports it otherwise.
    bool pageReRead = true;
    std::optional<postgres::Lsn> lsnLimit;
    // Delta backup: when the file still has exactly this size and sha1 it is not copied (the manifest
    // keeps its reference to the prior backup).
    std::optional<PriorFile> delta;
    // Resume: repoPath already holds this file from an interrupted run of the same backup. When
    // its stored bytes still have this size and sha1 it is kept as it is (result Resumed);
    // otherwise the file is copied again over it. Not used with a bundle.
    std::optional<PriorFile> resume;
    bool repoSyncPath = true;    // fsync the repository directory after each file (false: caller syncs once)
};

// An open bundle the parent or worker is filling (spec §4.6). backupFile appends one complete,
// independently decodable segment per file and advances `offset`; it never commits or aborts
// `stream`. If backupFile throws after it began a segment, the bundle holds a partial segment and
// the caller must abort it.
struct BundleSink {
    io::WriteStream& stream;
    std::uint64_t offset = 0;  // bytes already in the bundle = where the next segment starts
};

enum class BackupCopyResult {
    Copied,     // stored in the repository (or, for an empty file in a bundle, nothing to store)
    Unchanged,  // delta: same size and sha1 as the prior copy, not stored again
    Missing,    // removed since the manifest was built: not an error, drop it from the manifest
    Resumed,    // resume: the repository copy left by an interrupted backup is intact and kept
};

std::string_view backupCopyResultName(BackupCopyResult result) noexcept;  // "copied", "unchanged", "missing", "resumed"

struct BackupFileResult {
    BackupCopyResult result = BackupCopyResult::Copied;
    std::uint64_t size = 0;      // bytes read from PostgreSQL: the manifest `size`
    std::uint64_t sizeRepo = 0;  // bytes stored: the manifest `repo-size` (0 for Unchanged, Missing, Resumed)
    std::string sha1;            // of the bytes read: the manifest `checksum` ("" for Missing and Resumed)
    std::optional<std::string> rck;  // sha1 of the stored bytes, only when compressed or encrypted
    std::optional<io::PageChecksumResult> pageChecksum;  // when checksumPage and the file was copied
    std::optional<std::uint64_t> bundleOffset;           // the segment's `bno`; nullopt when nothing went to a bundle
};

// Backs up one file from `pg` to `repo` (or into `bundle` when given; `repo` is then unused).
// Missing file: returns Missing when request.ignoreMissing, else throws Error(FileMissing).
// A non-bundled repository file is written atomically: on any error nothing is left at repoPath.
// An empty file in a bundle adds nothing to it (spec §4.6); a non-bundled empty file is still
// stored as an empty compressed/encrypted stream (spec §4.5). Throws Error for read, write,
// compression or encryption failures.
[[nodiscard]] BackupFileResult backupFile(storage::Storage& pg, storage::Storage& repo,
                                          const BackupFileRequest& request, BundleSink* bundle = nullptr);

}  // namespace pgark::command::backup
