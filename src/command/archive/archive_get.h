// archive-get of one file (spec §5.3): PostgreSQL's restore_command hook. Finds the file in the
// repositories in order (newest matching archive id first), decrypts, decompresses, verifies the
// content and writes the destination atomically. Verified means: the SHA-1 matches the stored
// name, or, for a segment whose every lz4/zst frame carries a content checksum, the decompressor
// checked those and the segment's first page header and size say it is this segment, whole (see
// fetch() in archive_get.cpp). Nothing unverified ever reaches the destination.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "command/repo.h"
#include "postgres/pg_control.h"

namespace pgark::command::archive {

struct GetOptions {
    std::string stanza;
    std::optional<postgres::PgControl> pgControl;  // selects the archive ids; all ids when absent
};

// Returns true when `walName` was found and written to `destPath` (absolute), false when no
// repository has it. Throws when a repository could not be searched and no other had the file,
// or when the stored file is corrupt (nothing is written then).
bool archiveGetFile(std::string_view walName, const std::string& destPath, std::span<Repo> repos,
                    const GetOptions& options);

}  // namespace pgark::command::archive
