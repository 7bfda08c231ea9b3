// archive-push of one file (spec §5.2, Appendix A.4): PostgreSQL's archive_command hook. Validates
// a segment's header against archive.info, refuses a segment already stored with another checksum,
// compresses and encrypts, and writes atomically to every repository. Returns only when the file
// is durable in every repository; otherwise throws, and PostgreSQL keeps the segment and retries.
#pragma once

#include <optional>
#include <span>
#include <string>

#include "command/repo.h"
#include "common/compress/compress.h"
#include "postgres/pg_control.h"

namespace pgark::command::archive {

struct PushOptions {
    std::string stanza;
    compress::CompressType compressType = compress::CompressType::Gz;
    int compressLevel = 6;
    bool headerCheck = true;                          // archive-header-check
    bool modeCheck = true;                            // archive-mode-check: warn on an identical duplicate
    std::optional<postgres::PgControl> pgControl;     // the local cluster's, when pg1-path is set
};

// Pushes the file at `walPath` (absolute) into every repository in `repos`. A repository that
// fails does not stop the others; afterwards the first failure is thrown (its message names every
// failed repository).
void archivePushFile(const std::string& walPath, std::span<Repo> repos, const PushOptions& options);

}  // namespace pgark::command::archive
