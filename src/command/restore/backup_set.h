// Which backup a restore uses (spec §9.1): --set, else the newest that can reach a time or lsn
// target, else the newest backup of the first repository that has one. Pure decisions over the
// backup.info files already loaded; the restore command loads them and acts on the choice.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "info/backup_info.h"

namespace pgark::command::restore {

struct RepoBackups {
    unsigned repoIndex = 1;                // the N of repo<N>, for messages
    const pgark::info::BackupInfo* info = nullptr;  // nullptr: the repository has no usable backup.info
};

struct BackupSetRequest {
    std::string set = "latest";  // --set
    std::string type = "default";  // --type
    std::optional<std::string> target;  // --target
};

struct BackupSetChoice {
    std::size_t repo = 0;  // position in the span given to chooseBackupSet
    std::string label;
};

// Throws Error(BackupSetInvalid) when --set names no backup in the searched repositories, when no
// repository holds a backup, or no backup ends at or before an lsn target; Error(Format) for a
// time target that cannot be read.
[[nodiscard]] BackupSetChoice chooseBackupSet(const std::vector<RepoBackups>& repos, const BackupSetRequest& request);

// `YYYY-MM-DD HH:MM:SS[.fraction][±HH[[:]MM]]` as seconds since the epoch (fraction dropped);
// no offset means local time. nullopt when the text does not have that form.
[[nodiscard]] std::optional<std::int64_t> parseTargetTime(std::string_view text);

}  // namespace pgark::command::restore
