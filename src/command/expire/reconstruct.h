// backup.info reconstruction (spec §2.7), as pgBackRest 2.45 does it when expire loads backup.info:
// a backup whose backup.manifest is gone leaves backup.info with its dependents, and a finished
// backup directory backup.info does not list is added back from its manifest. Each change is
// logged as a warning, in pgBackRest's words. Only backupInfo (in memory) changes; the caller
// saves it.
#pragma once

#include <string>

#include "info/backup_info.h"
#include "storage/storage.h"

namespace pgark::command::expire {

// Returns true when `backupInfo` changed. Throws the manifest loader's errors for a
// backup.manifest that cannot be read.
bool reconstructBackupInfo(storage::Storage& repo, const std::string& stanza, info::BackupInfo& backupInfo);

}  // namespace pgark::command::expire
