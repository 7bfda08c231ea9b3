// The command registry: for each command of the table in config/commands.def, the function that
// runs it. A command that is not written yet runs notImplemented(); its issue replaces that one
// entry in command.cpp with the function from its own folder (src/command/<name>/). Static data,
// safe to read from any thread.
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "common/log.h"
#include "config/config.h"
#include "config/option_table.h"

namespace pgark::command {

// Runs a command; returns the process exit status (0 = success; archive-get returns 1 for "not
// found"). Failures are thrown as pgark::Error.
using RunFunction = int (*)(const config::Config& config);

struct Command {
    const config::CommandDef* def;  // name, summary, description: the row in commands.def
    RunFunction run;

    std::string_view name() const noexcept { return def->name; }
    std::string_view summary() const noexcept { return def->summary; }
    std::string_view description() const noexcept { return def->description; }
    // True when the command refuses to run without --stanza.
    bool needsStanza() const;
    // The options the command takes, in name order.
    std::vector<config::OptionId> options() const { return config::optionsFor(def->id); }
};

// Every command, in CommandId order.
std::span<const Command> commands() noexcept;
const Command& findCommand(config::CommandId id) noexcept;

// Runs config.command(). Returns its exit status; throws what it throws.
int run(const config::Config& config);

// The log settings of a run: levels from log-level-console/-stderr/-file, the file
// <log-path>/<stanza>-<command>.log (all-<command>.log without a stanza), log-timestamp. Commands
// without those options (help, version) log at the defaults and to no file.
log::Settings logSettings(const config::Config& config);

// Runs the command as main does, with pgBackRest's log lines: "<command> command begin <version>:
// <options set by the user>" (secrets redacted), then "<command> command end: completed
// successfully" or "... aborted with exception [NNN]". An Error is logged as "[NNN]: message" and
// its code returned; any other exception is logged and returned as Unhandled. Never throws.
int execute(const config::Config& config) noexcept;

// The stub of a command not written yet: throws Error(CommandInvalid)
// "command '<name>' is not implemented yet".
[[noreturn]] int notImplemented(const config::Config& config);

}  // namespace pgark::command
