// info: the `info` command (spec §13.3). gatherInfo() reads every repository (backup.info,
// archive.info, the WAL directories, the backup lock and, for --set, the manifest) into plain
// StanzaInfo values; renderText() and renderJson() turn those into exactly the text and JSON that
// pgBackRest 2.45 prints, so scripts written for one tool work with the other. Rendering is pure
// (no storage, no clock), which is what the unit tests exercise. Not thread-safe: one call at a time
// per set of repositories.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "command/repo.h"
#include "common/lock.h"
#include "info/backup_info.h"

namespace pgark::config {
class Config;
}

namespace pgark::command::info {

// pgBackRest's stanza and repository status codes; the number is what JSON shows as "code".
enum class StatusCode : int {
    Ok = 0,
    MissingStanzaPath = 1,  // no backup/<stanza> entry in the repository
    NoBackup = 2,           // backup.info has no current backup
    MissingStanzaData = 3,  // backup/<stanza> exists but neither backup.info nor its copy does
    Mixed = 4,              // stanza only: the repositories disagree
    PgMismatch = 5,         // stanza only: the repositories' current clusters differ
    BackupNotFound = 6,     // --set names a backup no repository holds
    Other = 99,             // any other error; RepoStatus::errorText says which
};

// "ok", "missing stanza path", ..., "different across repos", "other".
std::string_view statusMessage(StatusCode code) noexcept;

// One repository's view of one stanza.
struct RepoStatus {
    unsigned key = 1;                // the N of repo<N>
    bool encrypted = false;          // repo<N>-cipher-type: aes-256-cbc (true) or none
    StatusCode code = StatusCode::Ok;
    std::string errorText;           // Other only: "[<ErrorName>] <message>", possibly several lines
};

// One [db:history] entry of a repository's backup.info.
struct DbInfo {
    unsigned repoKey = 1;
    unsigned id = 0;                 // history id
    std::uint64_t systemId = 0;
    std::string version;             // "15", "9.6"
};

// The WAL stored for one history entry: the lowest and highest segment names found.
struct ArchiveRange {
    unsigned repoKey = 1;
    unsigned dbId = 0;               // the backup.info history id it belongs to
    std::string archiveId;           // "15-1" (the archive.info entry matching that history entry)
    std::optional<std::string> min;  // 24 hex; nullopt when no segment is stored
    std::optional<std::string> max;
};

struct BackupLink {
    std::string name;                // "pg_wal", or the file name of a file link
    std::string destination;         // the link's path (plus "/<file>" for a file link)
};

struct BackupTablespace {
    std::string name;                // pg_tablespace.spcname
    std::string destination;         // the tablespace directory
    std::uint64_t oid = 0;
};

// What --set adds from the backup's manifest.
struct BackupDetail {
    std::vector<std::pair<std::string, std::uint64_t>> databases;  // user databases (name, oid), by name
    std::vector<BackupLink> links;
    std::vector<BackupTablespace> tablespaces;
    std::vector<std::string> errorFiles;  // files whose page checksums failed, PGDATA-relative
};

struct BackupItem {
    unsigned repoKey = 1;
    ::pgark::info::BackupEntry entry;     // the backup.info line, all keys kept
    std::optional<BackupDetail> detail;   // only for the backup --set asked for
};

// The cluster a stanza currently backs up: grouping key of the text output's "db (current)".
struct CurrentPg {
    std::uint64_t systemId = 0;
    std::string version;
};

struct StanzaInfo {
    std::string name;                         // "[invalid]" when no repository could be listed
    StatusCode code = StatusCode::Ok;         // overall: the repositories' common code, Mixed or PgMismatch
    bool backupLockHeld = false;              // a backup or expire holds <lock-path>/<stanza>-backup.lock
    std::optional<unsigned> percentComplete;  // from that lock file, percent x 100
    std::vector<RepoStatus> repos;            // every repository asked, ascending key
    std::vector<DbInfo> dbs;                  // repository by repository, oldest history id first
    std::vector<ArchiveRange> archives;       // same order as dbs; current entries and those with WAL
    std::vector<BackupItem> backups;          // oldest first (merged across repositories by stop time)
    std::optional<CurrentPg> current;         // from the first repository that could be read
};

struct GatherOptions {
    std::optional<std::string> stanza;  // --stanza; nullopt = every stanza found under backup/
    std::optional<std::string> set;     // --set: one backup label, shown with its manifest detail
    std::optional<std::string> type;    // --type: "full", "diff" or "incr"; only backups of that type
    // Reads the backup lock of a stanza (lock::readLock with lock-path); empty = never held.
    std::function<lock::LockInfo(const std::string& stanza)> readBackupLock;
};

// Reads the repositories (borrowed for the call) in the order given. Errors of one repository
// become that repository's RepoStatus (StatusCode::Other) as pgBackRest reports them; nothing
// about a repository's content throws. Returns the stanzas sorted by name, empty when no
// repository has any stanza (and no --stanza was given).
[[nodiscard]] std::vector<StanzaInfo> gatherInfo(std::span<Repo> repos, const GatherOptions& options);

struct TextOptions {
    // Unix seconds -> "YYYY-MM-DD HH:MM:SS"; empty = formatLocalTime (the TZ of the process).
    std::function<std::string(std::int64_t)> formatTime;
};

// pgBackRest 2.45's text: "No stanzas exist in the repository.\n" for an empty list, otherwise one
// block per stanza separated by an empty line, each line ending in '\n'.
[[nodiscard]] std::string renderText(std::span<const StanzaInfo> stanzas, const TextOptions& options);
// pgBackRest 2.45's --output=json: one compact array, keys sorted, no trailing newline.
[[nodiscard]] std::string renderJson(std::span<const StanzaInfo> stanzas);

// Sizes as pgBackRest prints them: "1023B", "8.2KB", "3MB", "25.7MB", "10240GB".
[[nodiscard]] std::string formatSize(std::uint64_t bytes);
// Unix seconds as local time "YYYY-MM-DD HH:MM:SS" (localtime_r).
[[nodiscard]] std::string formatLocalTime(std::int64_t seconds);

// The info command: options -> gatherInfo -> text or JSON on stdout. Returns 0; throws
// Error(OptionInvalid) for --set without --stanza and the errors of openRepos().
int runInfo(const config::Config& config);

}  // namespace pgark::command::info
