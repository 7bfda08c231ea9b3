// help: the text of `pgark help`, `pgark help <command>` and `pgark help <command> <option>`, and
// the option reference doc/configuration.md (printed by the internal `pgark doc-options`), all
// generated from the command and option tables. Reads no configuration file: "current" values
// come only from options given on the help command line.
#pragma once

#include <string>

#include "config/config.h"

namespace pgark::command::help {

// The help text for config.params(): none (the command list), a command, or a command and an
// option (any spelling: "pg1-port", "retention-full"). Throws Error(OptionInvalid) for an option
// the command does not take.
std::string helpText(const config::Config& config);

// Writes helpText() to stdout; returns 0.
int run(const config::Config& config);

// The markdown of doc/configuration.md. A unit test compares the committed file with it.
std::string optionReference();

// `pgark doc-options`: writes optionReference() to stdout; returns 0.
int runDocOptions(const config::Config& config);

}  // namespace pgark::command::help
