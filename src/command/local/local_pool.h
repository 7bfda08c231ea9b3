// Local worker processes: the hidden `pgark local` sub-command that serves file jobs over its
// stdin/stdout, and startLocalPool(), which a parent command (backup, restore, verify) uses to
// start `process-max` of them. Every job handler any command defines is registered in
// local.cpp's table; jobs carry everything a worker needs (storage specs with their secrets,
// passphrases), so nothing secret is ever on a worker's command line.
#pragma once

#include "protocol/pool.h"

namespace pgark::config {
class Config;
}

namespace pgark::command {

// Job command ids (protocol::CommandId). Stable numbers: parent and worker are the same binary,
// but a mismatch must fail as a protocol error rather than run the wrong handler.
inline constexpr protocol::CommandId kJobBackupFile = 1;
inline constexpr protocol::CommandId kJobRestoreFile = 2;
inline constexpr protocol::CommandId kJobVerifyFile = 3;

// Starts `processMax` workers (this binary, `local` command) with the parent's log levels and
// job-retry settings; protocol-timeout bounds every job. Throws Error(Execute) when one cannot
// start.
protocol::WorkerPool startLocalPool(const config::Config& config, unsigned processMax);

// The `local` command: serve jobs on stdin/stdout until the parent says exit or closes the pipe.
int runLocal(const config::Config& config);

}  // namespace pgark::command
