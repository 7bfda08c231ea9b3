// Recovery settings of a restore (spec §9.6, PostgreSQL 12+ style): which lines go into the
// restored cluster's postgresql.auto.conf (restore_command and the recovery target options), which
// earlier recovery lines are commented out, and which signal file (recovery.signal or
// standby.signal) is created. planRecovery() validates the options before anything is written;
// writeRecovery() applies the plan to the restored data directory. Plain functions, no state.
#pragma once

#include <string>
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
};

// Reads --type, --target, --target-exclusive, --target-action, --target-timeline,
// --recovery-option, --cmd / restore_command and checks their combinations (e.g. --target is
// required for time/xid/lsn/name and refused for immediate/default). Throws Error(OptionInvalid*)
// with a hint; touches nothing.
RecoveryPlan planRecovery(const config::Config& config, const info::Manifest& manifest);

// Writes the plan into the restored PGDATA through `pg`: postgresql.auto.conf (earlier recovery
// lines commented out, values quoted safely) and the signal file. preserve/none leave the
// existing recovery settings alone as pgBackRest does.
void writeRecovery(storage::Storage& pg, const RecoveryPlan& plan);

}  // namespace pgark::command::restore
