// check: proves the whole archiving path works (spec §13.2): the cluster is set up for archiving,
// its archive_command calls pgark or pgbackrest, the stanza's info files match the cluster in every
// repository, and a WAL segment switched now reaches every repository within archive-timeout.
#pragma once

#include <chrono>
#include <span>
#include <string>

#include "command/repo.h"
#include "db/pg_client.h"
#include "postgres/pg_control.h"

namespace pgark::command::check {

struct CheckOptions {
    std::string stanza;
    std::string pgPath;                        // pg1-path, compared with the server's data_directory
    std::chrono::milliseconds archiveTimeout;  // archive-timeout
    bool archiveCheck = true;                  // false: skip the WAL switch (a standby)
};

// Throws Error(ArchiveDisabled) for archive_mode off or no archive_command, Error(DbMismatch) when
// the server is not the cluster at pg1-path, the stanza errors of stanza::stanzaCheck, and
// Error(ArchiveTimeout) when the segment does not arrive in time.
void checkStanza(db::PgClient& client, std::span<Repo> repos, const postgres::PgControl& control,
                 const CheckOptions& options);

// Waits until `segment` is stored in every repository (any checksum, any compression); throws
// Error(ArchiveTimeout) naming the repositories still missing it.
void waitForSegment(std::span<Repo> repos, const std::string& stanza, const std::string& archiveId,
                    const std::string& segment, std::chrono::milliseconds timeout);

}  // namespace pgark::command::check
