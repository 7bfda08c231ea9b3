// Manifest: the model of backup/<stanza>/<label>/backup.manifest (spec §3): what one backup holds
// (targets, paths, files, links, databases), how it was made ([backup], [backup:db],
// [backup:option], [metadata], [cipher]), and the rules that tie the backups of a set together
// (labels §4.1, references §4.3, the size totals backup.info needs §2.6). Plain data plus
// invariants: every list is sorted by name and names are unique. The model never touches storage:
// manifest_io.cpp parses/renders/loads/saves it, manifest_build.cpp makes one from a PGDATA walk.
// Not thread-safe: the backup parent owns the manifest and is the only one that changes it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/compress/compress.h"
#include "info/backup_info.h"
#include "info/info_pg.h"
#include "info/ini.h"
#include "info/json.h"
#include "storage/storage.h"

namespace pgark::info {

inline constexpr std::string_view kManifestFile = "backup.manifest";
inline constexpr std::string_view kManifestTargetPgData = "pg_data";      // the data directory target
inline constexpr std::string_view kManifestTargetPgTblspc = "pg_tblspc";  // prefix of tablespace targets
// SHA-1 of empty input: the implied checksum of every zero-length file (§3.9).
inline constexpr std::string_view kSha1Empty = "da39a3ee5e6b4b0d3255bfef95601890afd80709";

enum class BackupType { Full, Diff, Incr };
std::string_view backupTypeName(BackupType type) noexcept;                     // "full", "diff", "incr"
std::optional<BackupType> backupTypeFromName(std::string_view name) noexcept;  // nullopt if unknown

// "backup/<stanza>/<label>/backup.manifest", relative to the repository root.
std::string manifestPath(std::string_view stanza, std::string_view label);

// A user or group name; nullopt when the id had no name on the host (written as JSON false).
using Owner = std::optional<std::string>;

struct ManifestFile {
    std::string name;                      // "pg_data/base/1/112", "pg_tblspc/16384/PG_15_202209061/5/16385"
    std::uint64_t size = 0;                // bytes of the original file
    std::uint64_t sizeRepo = 0;            // bytes stored in the repo (segment length when bundled); = size until copied
    std::int64_t timestamp = 0;            // mtime of the original, seconds since the epoch
    std::string checksum;                  // SHA-1 hex of the original; "" = not copied yet (kSha1Empty for size 0)
    std::string repoChecksum;              // "rck": SHA-1 hex of the stored bytes; "" = none recorded
    std::optional<bool> checksumPage;      // nullopt: pages not validated; true: validated (or to be), no error; false: errors
    std::optional<json::Array> checksumPageError;  // bad pages as written ([0,[2,4]]), only with checksumPage == false
    std::optional<std::string> reference;  // label of the earlier backup whose repo holds the data
    std::uint64_t bundleId = 0;            // "bni": stored in bundle/<bundleId>; 0 = stored as its own repo file
    std::uint64_t bundleOffset = 0;        // "bno": byte offset of its segment in the bundle
    mode_t mode = 0;                       // permission bits
    Owner user;
    Owner group;
    // Not saved: what the running backup still has to do with the file (set by build()/buildIncr()).
    bool copy = true;    // read it and store it (false: unchanged and referenced, or empty in a bundle)
    bool delta = false;  // re-read it and keep the reference when its checksum still matches (delta mode)

    friend bool operator==(const ManifestFile&, const ManifestFile&) = default;
};

struct ManifestPath {
    std::string name;  // "pg_data", "pg_data/base", "pg_tblspc/16384", ...
    mode_t mode = 0;   // permission bits
    Owner user;
    Owner group;
    friend bool operator==(const ManifestPath&, const ManifestPath&) = default;
};

struct ManifestLink {
    std::string name;         // "pg_data/pg_tblspc/16384", "pg_data/pg_wal"
    std::string destination;  // the link text as read (absolute or relative to the link's directory)
    Owner user;
    Owner group;
    friend bool operator==(const ManifestLink&, const ManifestLink&) = default;
};

enum class TargetType { Path, Link };

struct ManifestTarget {
    std::string name;                           // "pg_data", "pg_data/pg_wal", "pg_tblspc/16384"
    TargetType type = TargetType::Path;
    std::string path;                           // directory (link text as read; may be relative to the link's directory)
    std::optional<std::string> file;            // file links only: the file name inside `path`
    unsigned tablespaceId = 0;                  // tablespaces only: the oid (written as a JSON string)
    std::optional<std::string> tablespaceName;  // tablespaces only: pg_tablespace.spcname, or "ts<oid>" offline
    friend bool operator==(const ManifestTarget&, const ManifestTarget&) = default;
};

struct ManifestDb {
    std::string name;           // datname, raw (may hold '"', '=', non-ASCII)
    unsigned id = 0;            // database oid
    unsigned lastSystemId = 0;  // oid of template0 in 2.45 (historic name)
    friend bool operator==(const ManifestDb&, const ManifestDb&) = default;
};

// [backup], [backup:db], [backup:option], [metadata] and [cipher]. Optional members are keys that
// older pgBackRest versions did not write; nullopt leaves the key out.
struct ManifestData {
    std::string backrestVersion{kWriterVersion};    // [backrest] backrest-version of the loaded file (we write 2.45)
    std::string label;                              // backup-label
    BackupType type = BackupType::Full;             // backup-type
    std::optional<std::string> prior;               // backup-prior: diff/incr only
    std::vector<std::string> references;            // backup-reference: labels files may reference, oldest first, own last
    std::optional<std::string> archiveStart;        // WAL segment names and LSNs: online backups only
    std::optional<std::string> archiveStop;
    std::optional<std::string> lsnStart;            // "0/2000028"
    std::optional<std::string> lsnStop;
    std::int64_t timestampCopyStart = 0;            // seconds
    std::int64_t timestampStart = 0;                // seconds
    std::int64_t timestampStop = 0;                 // seconds
    bool bundle = false;                            // backup-bundle: small files may live in bundle/<n>
    InfoPgData pg;                                  // [backup:db]
    bool optionArchiveCheck = false;
    bool optionArchiveCopy = false;
    std::optional<bool> optionBackupStandby;
    std::optional<std::uint64_t> optionBufferSize;  // bytes
    std::optional<bool> optionChecksumPage;         // nullopt: pages were never validated in this backup set
    compress::CompressType compressType = compress::CompressType::None;  // option-compress(-type)
    std::optional<std::int64_t> optionCompressLevel;
    std::optional<std::int64_t> optionCompressLevelNetwork;
    std::optional<bool> optionDelta;
    bool optionHardlink = false;
    bool optionOnline = false;
    std::optional<unsigned> optionProcessMax;
    std::map<std::string, std::string> annotations;  // [metadata] annotation; empty values are never stored
    std::string cipherPass;                          // [cipher] cipher-pass: encrypts the data files; "" = none
    friend bool operator==(const ManifestData&, const ManifestData&) = default;
};

// What a worker reports for a file it stored in this backup (§4.5).
struct ManifestFileResult {
    std::uint64_t size = 0;                        // bytes read (files read to EOF may have grown or shrunk)
    std::uint64_t sizeRepo = 0;                    // bytes stored
    std::string checksum;                          // SHA-1 hex of the bytes read
    std::string repoChecksum;                      // SHA-1 hex of the bytes stored; "" if not recorded
    std::optional<bool> checksumPage;              // page validation outcome; nullopt = not validated
    std::optional<json::Array> checksumPageError;  // pageErrorList() of the bad pages when checksumPage == false
    std::uint64_t bundleId = 0;                    // 0 = stored as its own file
    std::uint64_t bundleOffset = 0;
};

// Byte totals for backup.info (§2.6); "delta" sums only the files stored by this backup itself.
struct ManifestTotals {
    std::uint64_t size = 0;           // Σ size
    std::uint64_t sizeDelta = 0;      // Σ size, files without a reference
    std::uint64_t repoSize = 0;       // Σ (sizeRepo if > 0 else size)
    std::uint64_t repoSizeDelta = 0;  // the same, files without a reference
    friend bool operator==(const ManifestTotals&, const ManifestTotals&) = default;
};

// Where the stored bytes of one file are (Appendix A.2), relative to the repository root.
struct RepoFileLocation {
    std::string path;                     // "backup/<stanza>/<owner>/<name><ext>" or ".../bundle/<bni>"
    std::uint64_t offset = 0;             // bytes to skip (bundle segments)
    std::optional<std::uint64_t> limit;   // bytes to read (bundle segments); nullopt = the whole file
    friend bool operator==(const RepoFileLocation&, const RepoFileLocation&) = default;
};

// What a backup writes into <label>/ besides files (§1.4): every manifest path as a directory, and
// per tablespace the cosmetic link pg_data/pg_tblspc/<oid> -> ../../pg_tblspc/<oid>.
struct RepoLayout {
    std::vector<std::string> paths;                           // relative to <label>/
    std::vector<std::pair<std::string, std::string>> links;  // {link, destination}, relative to <label>/
};

struct ManifestBuildOptions;  // manifest_build.h

class Manifest {
public:
    Manifest() = default;

    ManifestData& data() noexcept { return data_; }
    const ManifestData& data() const noexcept { return data_; }

    // ---- building: build() lives in manifest_build.cpp, the rest is pure model ----
    // Walks `pgData` (rooted at the data directory) per §4.4 and returns a full-backup manifest
    // with every file to copy. Borrowed storage is used only during the call. Throws
    // Error(LinkExpected) for a non-link in pg_tblspc, Error(LinkDestination) for a bad link,
    // Error(FileMissing) for a dangling link, and whatever the storage throws.
    [[nodiscard]] static Manifest build(storage::Storage& pgData, const ManifestBuildOptions& options);
    // Records the delta option and the copy start time (+1 s when online, as the caller waits out
    // the second that the walk ended in) and switches delta on, with a warning, when a file's
    // mtime is later than `copyStart`. Call after build(), before buildIncr().
    void buildValidate(bool delta, std::int64_t copyStart);
    // Makes this a diff/incr of `prior` (§4.3): prior label, its reference list and cipher
    // passphrase; switches delta on (with a warning) on a timeline change, a changed online
    // option, an mtime earlier than the prior's, or an equal mtime with another size; then every
    // file whose size matches (and mtime, unless delta or empty) inherits the prior's checksums,
    // sizes, page results, bundle location and reference. Throws Error(Assert) for a full `type`
    // or a diff whose prior is not a full backup.
    void buildIncr(const Manifest& prior, BackupType type, const std::optional<std::string>& archiveStart);

    // ---- serialization (manifest_io.cpp) ----
    // From a parsed, checksum-verified file; `name` is for messages. Throws Error(FileInvalid)
    // for a missing or mistyped key, and Error(FeatureNotSupported) for block-incremental or
    // bundle-raw backups (pgBackRest 2.45 beta formats, §4.9).
    [[nodiscard]] static Manifest fromIni(const Ini& ini, std::string_view name);
    // The sections of §3.1 with the defaults of §3.10 derived from the pg_data path entry and
    // every entry compacted against them. Throws Error(Assert) if there is no pg_data path.
    [[nodiscard]] Ini toIni() const;

    // ---- lists (each sorted by name) ----
    const std::vector<ManifestFile>& files() const noexcept { return files_; }
    const std::vector<ManifestPath>& paths() const noexcept { return paths_; }
    const std::vector<ManifestLink>& links() const noexcept { return links_; }
    const std::vector<ManifestTarget>& targets() const noexcept { return targets_; }
    const std::vector<ManifestDb>& dbs() const noexcept { return dbs_; }

    // nullptr if absent.
    const ManifestFile* file(std::string_view name) const noexcept;
    const ManifestPath* path(std::string_view name) const noexcept;
    const ManifestLink* link(std::string_view name) const noexcept;
    const ManifestTarget* target(std::string_view name) const noexcept;
    const ManifestDb* db(std::string_view name) const noexcept;
    // The pg_data target; throws Error(Assert) if there is none.
    const ManifestTarget& targetBase() const;

    // Inserts in name order; throws Error(Assert) if the name is already there.
    void fileAdd(ManifestFile file);
    void pathAdd(ManifestPath path);
    void linkAdd(ManifestLink link);
    void targetAdd(ManifestTarget target);
    void dbAdd(ManifestDb db);
    // Each returns whether something was removed (a file that vanished during the backup, a
    // target or link dropped by a restore remapping).
    bool fileRemove(std::string_view name);
    bool linkRemove(std::string_view name);
    bool targetRemove(std::string_view name);
    // Replaces a target's path (and file), as restore remapping does; throws Error(Assert) if absent.
    void targetUpdate(std::string_view name, std::string path, std::optional<std::string> file);

    // Records a file stored by this backup: sizes, checksums, page results and bundle location
    // from `result`; the reference is cleared and copy/delta reset. Throws Error(Assert) if the
    // file is not in the manifest.
    void fileCopied(std::string_view name, const ManifestFileResult& result);

    // Sets backup-label and appends it to the reference list (if not there yet).
    void setLabel(std::string label);

    // ---- derived facts ----
    // Where `file` is stored: its own repo file, named after the manifest entry with the
    // extension of the backup's compression, or its segment of a bundle; in the backup named by
    // its reference, else in this one. Empty files of a bundled backup are stored nowhere: the
    // caller creates them without reading (their bundleId is 0, so the path returned is unused).
    [[nodiscard]] RepoFileLocation repoFileLocation(std::string_view stanza, const ManifestFile& file) const;
    // The directories and links to create under <label>/ (§1.4): only for a full backup without
    // bundles or any backup with hard links (option-hardlink); empty otherwise.
    [[nodiscard]] RepoLayout repoLayout() const;
    // A file the backup adds itself after pg_backup_stop() (backup_label, tablespace_map; §4.4):
    // `name` relative to PGDATA, mode = data directory mode & 0644, owner = the data directory's.
    // Throws Error(Assert) if there is no pg_data path.
    [[nodiscard]] ManifestFile pgDataFile(std::string_view name, std::uint64_t size, std::int64_t timestamp) const;
    [[nodiscard]] ManifestTotals totals() const noexcept;
    // True when any file has page checksum errors (backup-error in backup.info).
    [[nodiscard]] bool pageErrors() const noexcept;
    // The backup.info entry of this (finished) backup: labels, times, sizes, options (§2.6).
    [[nodiscard]] BackupSummary summary() const;
    // §3.12: every file must have a checksum (size 0 implies one); with `strict` (before the
    // final save) a zero-length file must carry kSha1Empty and a non-empty file a repo size > 0.
    // Throws Error(Format) "manifest validation failed:" listing every problem.
    void validate(bool strict) const;

    friend bool operator==(const Manifest&, const Manifest&) = default;

private:
    void sortLists();  // build() adds in walk order, then sorts once

    ManifestData data_;
    std::vector<ManifestTarget> targets_;
    std::vector<ManifestPath> paths_;
    std::vector<ManifestFile> files_;
    std::vector<ManifestLink> links_;
    std::vector<ManifestDb> dbs_;
};

// §4.5: true when a backup reads `name` only up to the size the manifest recorded (relation and
// SLRU files: growth during the backup is replayed from WAL); false when it reads to the end and
// records the size read (global/pg_control and everything else).
[[nodiscard]] bool manifestFileSizeLimited(std::string_view name) noexcept;
// §4.5: every file may vanish during a backup (it is then dropped from the manifest) except
// global/pg_control.
[[nodiscard]] bool manifestFileMayVanish(std::string_view name) noexcept;

// Page numbers (any order, duplicates allowed) in the manifest's compact form: consecutive runs
// of two or more become [first,last], e.g. {0,2,3,4} -> [0,[2,4]].
[[nodiscard]] json::Array pageErrorList(std::span<const std::uint64_t> pages);

// ---- labels (§4.1) ----

// "YYYYMMDD-HHMMSSF", or "<first 16 chars of fullLabel>_YYYYMMDD-HHMMSS" + D/I, with `time`
// (seconds since the epoch) in the local time zone of the process, as pgBackRest does.
// `fullLabel` is any label of the set (the prior's); it is ignored for a full backup.
[[nodiscard]] std::string backupLabelFormat(BackupType type, std::string_view fullLabel, std::int64_t time);

struct BackupLabel {
    std::string label;
    std::int64_t time = 0;  // seconds the label encodes: `time` or `time + 1`
};

// A new label that sorts after every label in `existing` (backup directories and the newest
// history manifest): made from `time`, else from `time + 1` (the caller must then wait for that
// second to begin before it starts). Throws Error(Format) when even that is not later, with
// hints about time zone changes and clock skew.
[[nodiscard]] BackupLabel backupLabelCreate(BackupType type, std::string_view fullLabel, std::int64_t time,
                                            std::span<const std::string> existing);

// True for `^[0-9]{8}-[0-9]{6}F(_[0-9]{8}-[0-9]{6}[DI])?$`.
[[nodiscard]] bool backupLabelValid(std::string_view label) noexcept;
// The type a valid label names; nullopt for an invalid label.
[[nodiscard]] std::optional<BackupType> backupLabelType(std::string_view label) noexcept;

// ---- load and save (manifest_io.cpp, spec §1.3, §4.7) ----
// `cipherPass` is the backup.info sub-passphrase (§7.2), "" for an unencrypted repository.

// The manifest text before encryption (what history manifests gzip).
[[nodiscard]] std::string renderManifest(const Manifest& manifest);

// Loads `path`, falling back to `path`.copy on any error (as pgBackRest does); throws like
// loadInfoFile when both fail, and Error(FileInvalid) for a file that is not a valid manifest.
[[nodiscard]] Manifest loadManifest(storage::Storage& repo, std::string_view path, std::string_view cipherPass);
// Loads only `path`.copy (resume of an unfinished backup); nullopt when it does not exist.
[[nodiscard]] std::optional<Manifest> loadManifestCopyIfExists(storage::Storage& repo, std::string_view path,
                                                               std::string_view cipherPass);
// Writes only `path`.copy, atomically: the periodic save of a backup in progress. A directory
// holding just the .copy is an unfinished backup.
void saveManifestCopy(storage::Storage& repo, std::string_view path, const Manifest& manifest,
                      std::string_view cipherPass);
// Writes `path`.copy and then `path` with identical bytes: the second write is the commit point
// of a backup.
void saveManifest(storage::Storage& repo, std::string_view path, const Manifest& manifest, std::string_view cipherPass);

}  // namespace pgark::info
