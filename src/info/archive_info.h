// ArchiveInfo: the model of archive/<stanza>/archive.info (spec §2.5): the cluster history, the
// current entry that names the archive id WAL is pushed under ("15-1"), and the archive
// sub-passphrase that encrypts WAL (§7.2). The model is plain data; load()/save() are the only
// functions that touch storage, through info_file.h. Not thread-safe; copy it per thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "info/info_pg.h"
#include "info/ini.h"
#include "storage/storage.h"

namespace pgark::info {

inline constexpr std::string_view kArchiveInfoFile = "archive.info";

// "archive/<stanza>/archive.info", relative to the repository root.
std::string archiveInfoPath(std::string_view stanza);

class ArchiveInfo {
public:
    // A new archive.info as stanza-create writes it: history id 1 = (systemId, version).
    // `cipherPass` is the archive sub-passphrase, "" for an unencrypted repository.
    ArchiveInfo(std::uint64_t systemId, std::string version, std::string cipherPass);

    // From a parsed, checksum-verified file; `name` is for messages. Throws Error(FileInvalid)
    // naming `name` for a missing or mistyped key, a bad history id, or a current id absent from
    // the history. Unknown keys and sections are ignored, as pgBackRest does.
    [[nodiscard]] static ArchiveInfo fromIni(const Ini& ini, std::string_view name);
    // [cipher] (if any), [db] from the current entry, [db:history] in ascending numeric id, with
    // the system id under the historic key "db-id" (§2.5).
    [[nodiscard]] Ini toIni() const;

    // `path` is usually archiveInfoPath(stanza); `repoCipherPass` is repo<N>-cipher-pass or "".
    // Errors as loadInfoFile() and fromIni().
    [[nodiscard]] static ArchiveInfo load(storage::Storage& repo, std::string_view path, std::string_view repoCipherPass);
    // nullopt when neither the file nor its .copy exists.
    [[nodiscard]] static std::optional<ArchiveInfo> loadIfExists(storage::Storage& repo, std::string_view path,
                                                                 std::string_view repoCipherPass);
    // Writes the file and its .copy (saveInfoFile).
    void save(storage::Storage& repo, std::string_view path, std::string_view repoCipherPass) const;

    const InfoPgData& current() const noexcept { return history_[currentIndex_]; }
    std::string archiveId() const { return info::archiveId(current()); }
    const std::vector<InfoPgData>& history() const noexcept { return history_; }  // ascending id
    const InfoPgData* historyById(unsigned id) const noexcept;  // nullptr if absent

    // The archive id of the newest history entry with this version and system id (what
    // archive-get searches), nullopt if none matches.
    std::optional<std::string> archiveIdFor(std::string_view version, std::uint64_t systemId) const;

    // stanza-upgrade: appends id = current id + 1 and makes it current; returns the new entry.
    const InfoPgData& historyAdd(std::uint64_t systemId, std::string version);

    const std::string& cipherPass() const noexcept { return cipherPass_; }  // archive sub-passphrase, "" if none

private:
    ArchiveInfo() = default;
    std::vector<InfoPgData> history_;
    std::size_t currentIndex_ = 0;
    std::string cipherPass_;
};

}  // namespace pgark::info
