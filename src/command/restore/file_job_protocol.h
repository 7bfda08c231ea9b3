// The restore file job on the wire: one or more RestoreFileRequests plus the two storages they
// need, encoded into a protocol::Job for a `local` worker, and the worker's handler that runs
// restoreFiles() and replies with a RestoreFileResult per file. A job of several files saves the
// round trips of small files and lets two large ones be hashed together. Workers cache the
// storages they open by spec.
#pragma once

#include <string>
#include <vector>

#include "command/restore/file_job.h"
#include "protocol/job.h"
#include "protocol/server.h"
#include "storage/factory.h"

namespace pgark::command::restore {

// `key` must be unique in the run (the first file's manifest name is); it comes back in the
// JobResult. `requests` is not empty.
protocol::Job makeRestoreFilesJob(std::string key, const storage::StorageSpec& repo, const storage::StorageSpec& pg,
                                  const std::vector<RestoreFileRequest>& requests);
// The results in the order of the requests. Throws the worker's Error when the job failed
// (JobResult::output()), and Error(Protocol) when the count is not `expected`.
std::vector<RestoreFileResult> readRestoreFilesResult(const protocol::JobResult& result, std::size_t expected);

protocol::HandlerEntry restoreFileHandler();

}  // namespace pgark::command::restore
