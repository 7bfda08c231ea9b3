// The restore file job on the wire: a RestoreFileRequest plus the two storages it needs, encoded
// into a protocol::Job for a `local` worker, and the worker's handler that runs restoreFile()
// and replies with the RestoreFileResult. Workers cache the storages they open by spec.
#pragma once

#include <string>

#include "command/restore/file_job.h"
#include "protocol/job.h"
#include "protocol/server.h"
#include "storage/factory.h"

namespace pgark::command::restore {

// `key` must be unique in the run (the manifest file name is); it comes back in the JobResult.
protocol::Job makeRestoreFileJob(std::string key, const storage::StorageSpec& repo, const storage::StorageSpec& pg,
                                 const RestoreFileRequest& request);
// Throws the worker's Error when the job failed (JobResult::output()).
RestoreFileResult readRestoreFileResult(const protocol::JobResult& result);

protocol::HandlerEntry restoreFileHandler();

}  // namespace pgark::command::restore
