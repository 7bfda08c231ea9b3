// Recovery settings of a restore (spec §9.6, PostgreSQL 12+ style): which lines go into the
// restored cluster's postgresql.auto.conf (restore_command and the recovery target options), which
// earlier recovery lines are commented out, and which signal file (recovery.signal or
// standby.signal) is created. planRecovery() validates the options before anything is written;
// writeRecovery() applies the plan to the restored data directory. Plain functions, no state.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/storage.h"

namespace pgark::config {
class Config;
}
namespace pgark::info {
class Manifest;
}

namespace pgark::command::restore {

struct RecoveryPlan {
    std::string type;                                        // --type: default, immediate, time, ..., preserve, none
    std::vector<std::pair<std::string, std::string>> settings;  // key -> unquoted value, in the order written
    std::string signalFile;                                  // "recovery.signal", "standby.signal" or "" (none/preserve)
    mode_t signalMode = 0600;                                // the data directory's mode & 0644
};

// A value as postgresql.auto.conf needs it between single quotes: ' and \ doubled, as ALTER
// SYSTEM writes them (pgBackRest writes values unescaped, which breaks on a quote).
std::string quoteConfValue(std::string_view value);

// Reads --type, --target, --target-exclusive, --target-action, --target-timeline,
// --recovery-option, --cmd / restore_command and checks their combinations (e.g. --target is
// required for time/xid/lsn/name and refused for immediate/default). Throws Error(OptionInvalid*)
// with a hint; touches nothing.
RecoveryPlan planRecovery(const config::Config& config, const pgark::info::Manifest& manifest);

// Writes the plan into the restored PGDATA through `pg`: postgresql.auto.conf (earlier recovery
// lines commented out, values quoted safely) and the signal file. preserve/none leave the
// existing recovery settings alone as pgBackRest does.
// `now` (seconds since the epoch) dates the comments, in local time.
void writeRecovery(storage::Storage& pg, const RecoveryPlan& plan, std::int64_t now);

}  // namespace pgark::command::restore
