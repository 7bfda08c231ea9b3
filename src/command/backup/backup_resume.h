// Unfinished backups (spec §4.7 "Resumable backup", §14.8-9): a label directory in
// backup/<stanza> with no backup.manifest and no entry in backup.info is what a killed or failed
// backup left. It never counts as a backup (info and restore read only backup.info and
// backup.manifest); the next backup either resumes the newest one, keeping the files it finished
// that are still intact, or removes it. Runs in the backup parent under the backup lock, so no
// other backup (pgark or pgBackRest) is writing such a directory meanwhile.
#pragma once

#include <optional>
#include <span>
#include <string>

#include "info/backup_info.h"
#include "info/manifest.h"
#include "storage/storage.h"

namespace pgark::command::backup {

// What the new backup will be: an unfinished one is resumed only if it was the same.
struct ResumeWant {
    bool resume = true;                      // the resume option
    pgark::info::BackupType type = pgark::info::BackupType::Full;
    std::optional<std::string> prior;        // label of the prior backup (diff/incr)
    compress::CompressType compressType = compress::CompressType::None;
    bool bundle = false;
};

// Removes every unfinished backup directory except the newest one when it can be resumed, and
// returns that one's saved manifest (backup.manifest.copy). Logs why an unfinished backup is not
// resumed. `cipherPass` is backup.info's sub-passphrase.
[[nodiscard]] std::optional<pgark::info::Manifest> resumeFind(storage::Storage& repo, const std::string& stanza,
                                                       const pgark::info::BackupInfo& backupInfo, const ResumeWant& want,
                                                       const std::string& cipherPass);

// Removes from backup/<stanza>/<label>/ every file except backup.manifest.copy and `keep`
// (names relative to that directory): partial writes, files whose source changed, bundles.
void resumeClean(storage::Storage& repo, const std::string& stanza, const std::string& label,
                 std::span<const std::string> keep);

}  // namespace pgark::command::backup
