// The backup file job on the wire: one file, or the files of one bundle (spec §4.6), with the two
// storages they need, encoded into a protocol::Job for a `local` worker; the worker's handler runs
// backupFile() for each and replies with one BackupFileResult per file, in request order. A
// bundle is written atomically by the worker: if any of its files fails, nothing of it is left.
// Several files not bundled (a group of small files for an object store) are backed up a few at
// a time on threads of their own; a failure fails the job with an error that names the file
// ("file '<path>': ..."), and the files stored meanwhile are complete objects the manifest does
// not list (as after any failed job).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "command/backup/file_job.h"
#include "protocol/job.h"
#include "protocol/server.h"
#include "storage/factory.h"

namespace pgark::command::backup {

struct BackupJob {
    std::vector<BackupFileRequest> files;  // one file, a bundle's files, or a group of files stored on their own
    std::optional<std::string> bundlePath;  // backupBundleRepoPath(...): the files go into this one repository file
};

protocol::Job makeBackupFileJob(std::string key, const storage::StorageSpec& repo, const storage::StorageSpec& pg,
                                const BackupJob& job);
// One result per file of the job, in its order. Throws the worker's Error when the job failed.
std::vector<BackupFileResult> readBackupFileResults(const protocol::JobResult& result);

// Runs a job in this process (what the handler does after decoding).
std::vector<BackupFileResult> runBackupJob(storage::Storage& pg, storage::Storage& repo, const BackupJob& job);

protocol::HandlerEntry backupFileHandler();

}  // namespace pgark::command::backup
