// checkExisting: the --delta decision (keepExisting) for every file of a restore, made by the
// restore command itself on several threads before any job is handed out, so that only the files
// that must be written go to the workers. Hashing the existing files is what a no-change --delta
// restore spends its time on; doing it here lets it use max(process-max, 2) threads, as one restore
// worker already decodes, hashes and writes on three, and saves a round trip per file kept.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "command/restore/file_job.h"

namespace pgark::command::restore {

struct DeltaCheck {
    std::string root;            // the local directory request.pgPath is relative to
    RestoreFileRequest request;  // delta Checksum or Timestamp
};

// One answer per check, in the same order: the kept file's result, or nullopt if it must be
// written. Files are taken largest first by `threads` threads (at least 1). The first error of
// any check (an unreadable file, a failed fix-up) is rethrown once every thread has stopped.
[[nodiscard]] std::vector<std::optional<RestoreFileResult>> checkExisting(const std::vector<DeltaCheck>& checks,
                                                                          unsigned threads);

}  // namespace pgark::command::restore
