// BackupInfo: the model of backup/<stanza>/backup.info (spec §2.6): the cluster history, the
// list of backups ([backup:current]) and the backup-set sub-passphrase that encrypts manifests
// (§7.2). Each backup entry keeps its whole JSON object, so keys we do not know (a newer or
// older pgBackRest) survive a load/save round trip. Also the §2.7 check that archive.info and
// backup.info agree. Plain data; only load()/save() touch storage. Not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "info/archive_info.h"
#include "info/info_pg.h"
#include "info/ini.h"
#include "info/json.h"
#include "storage/storage.h"

namespace pgark::info {

inline constexpr std::string_view kBackupInfoFile = "backup.info";

// "backup/<stanza>/backup.info", relative to the repository root.
std::string backupInfoPath(std::string_view stanza);

// One [backup:current] line: a label and its JSON object (keys sorted, unknown keys kept).
// The typed getters throw Error(JsonFormat) for a mistyped value and Error(Format) for a missing
// required one; optional keys come back as std::optional / empty.
class BackupEntry {
public:
    BackupEntry(std::string label, json::Object data) : label_(std::move(label)), data_(std::move(data)) {}

    const std::string& label() const noexcept { return label_; }
    const json::Object& data() const noexcept { return data_; }
    json::Object& data() noexcept { return data_; }
    const json::Value* find(std::string_view key) const;
    void set(std::string_view key, json::Value value) { data_[std::string(key)] = std::move(value); }

    std::string type() const;                          // "full", "diff", "incr"
    std::optional<std::string> prior() const;          // backup-prior: diff/incr only
    std::vector<std::string> references() const;       // backup-reference: empty for a full backup
    unsigned dbId() const;                             // history id of the cluster backed up
    std::optional<std::string> archiveStart() const;   // first WAL segment; nullopt for offline (null)
    std::optional<std::string> archiveStop() const;    // last WAL segment; nullopt for offline (null)
    std::int64_t timestampStart() const;               // Unix seconds
    std::int64_t timestampStop() const;                // Unix seconds
    std::uint64_t size() const;                        // backup-info-size, bytes
    std::uint64_t sizeDelta() const;                   // backup-info-size-delta, bytes
    std::uint64_t repoSize() const;                    // backup-info-repo-size, bytes
    std::uint64_t repoSizeDelta() const;               // backup-info-repo-size-delta, bytes

    friend bool operator==(const BackupEntry&, const BackupEntry&) = default;

private:
    const json::Value& required(std::string_view key) const;
    std::string label_;
    json::Object data_;
};

// Typed input for a new [backup:current] entry, filled in by the backup command after the
// manifest is final. makeBackupEntry() writes exactly the keys pgBackRest 2.45 writes (§2.6).
struct BackupSummary {
    std::string label;
    std::string type;                             // "full", "diff", "incr"
    std::optional<std::string> prior;             // diff/incr
    std::vector<std::string> references;          // other labels referenced (diff/incr), any order
    std::optional<std::string> archiveStart;      // nullopt = offline backup (written as null)
    std::optional<std::string> archiveStop;
    std::optional<std::string> lsnStart;          // online only, "0/5000028"
    std::optional<std::string> lsnStop;
    std::int64_t timestampStart = 0;              // Unix seconds
    std::int64_t timestampStop = 0;               // Unix seconds
    unsigned dbId = 1;                            // history id
    bool backupError = false;                     // page checksum errors were found
    std::uint64_t size = 0;                       // bytes, all files
    std::uint64_t sizeDelta = 0;                  // bytes, files without a reference
    std::uint64_t repoSize = 0;                   // bytes stored, all files
    std::uint64_t repoSizeDelta = 0;              // bytes stored, files without a reference
    std::map<std::string, std::string> annotations;  // --annotation key=value
    bool optionArchiveCheck = true;
    bool optionArchiveCopy = false;
    bool optionBackupStandby = false;
    bool optionChecksumPage = true;
    bool optionCompress = true;                   // compress-type != none
    bool optionHardlink = false;
    bool optionOnline = true;
    std::string backrestVersion{kWriterVersion};  // version that made the backup (from its manifest)
};

[[nodiscard]] BackupEntry makeBackupEntry(const BackupSummary& summary);

class BackupInfo {
public:
    // A new backup.info as stanza-create writes it: history id 1 = `pg` (its id is ignored), no
    // backups. `cipherPass` is the backup-set sub-passphrase, "" for an unencrypted repository.
    BackupInfo(InfoPgData pg, std::string cipherPass);

    // From a parsed, checksum-verified file; `name` is for messages. Throws Error(FileInvalid)
    // naming `name` when a required key is missing or mistyped (including the core keys of each
    // backup entry), a history id is bad, or the current id is absent from the history.
    [[nodiscard]] static BackupInfo fromIni(const Ini& ini, std::string_view name);
    // [backup:current] sorted by label (omitted when empty), [cipher], [db] from the current
    // entry, [db:history] in ascending numeric id.
    [[nodiscard]] Ini toIni() const;

    [[nodiscard]] static BackupInfo load(storage::Storage& repo, std::string_view path, std::string_view repoCipherPass);
    [[nodiscard]] static std::optional<BackupInfo> loadIfExists(storage::Storage& repo, std::string_view path,
                                                                std::string_view repoCipherPass);
    void save(storage::Storage& repo, std::string_view path, std::string_view repoCipherPass) const;

    const InfoPgData& current() const noexcept { return history_[currentIndex_]; }
    const std::vector<InfoPgData>& history() const noexcept { return history_; }  // ascending id
    const InfoPgData* historyById(unsigned id) const noexcept;                    // nullptr if absent
    // stanza-upgrade: appends id = current id + 1 and makes it current; returns the new entry.
    const InfoPgData& historyAdd(std::uint64_t systemId, std::string version, std::uint32_t catalogVersion,
                                 std::uint32_t controlVersion);

    const std::vector<BackupEntry>& backups() const noexcept { return backups_; }  // ascending label
    std::vector<std::string> labels() const;
    const BackupEntry* backup(std::string_view label) const noexcept;  // nullptr if absent
    // Inserts in label order, replacing an entry with the same label.
    void backupAdd(BackupEntry entry);
    // Returns false if there was no such label. Dependents are the caller's business (expire).
    bool backupRemove(std::string_view label);

    const std::string& cipherPass() const noexcept { return cipherPass_; }  // backup-set sub-passphrase, "" if none

private:
    BackupInfo() = default;
    std::vector<InfoPgData> history_;
    std::size_t currentIndex_ = 0;
    std::vector<BackupEntry> backups_;
    std::string cipherPass_;
};

// §2.7: the current entries must be equal (id, system id, version), and every history id must
// exist in both files with the same system id and version. Throws Error(FileInvalid) describing
// both sides otherwise, with a hint.
void checkInfoMatch(const ArchiveInfo& archive, const BackupInfo& backup);

}  // namespace pgark::info
