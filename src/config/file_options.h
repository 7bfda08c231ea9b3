// Options from the configuration files for one command and stanza (spec §12.1). Sections are
// searched [<stanza>:<command>], [<stanza>], [global:<command>], [global]; the first section that
// has an option wins, and list values are not merged across sections. Pure function.
#pragma once

#include <string>
#include <vector>

#include "config/ini.h"
#include "config/raw_option.h"

namespace pgark::config {

// Returns the options valid for `command` (stanza "" = only the global sections). Adds a warning
// to `warnings` for, and skips: an unknown option, a --no-/--reset- form, a command-line only
// option, a stanza-only option in a global section, and an option not valid for the command in a
// command section ([global:backup]). An option not valid for the command in a general section is
// skipped silently (one file serves every command). Throws Error(OptionInvalidValue) for an empty
// value or a boolean other than y/n, Error(OptionDuplicate) for an option repeated in one section
// that is not a list or hash (or set there under two names), Error(OptionInvalid) for an index error.
RawOptions fileOptions(const Ini& ini, CommandId command, const std::string& stanza, std::vector<std::string>& warnings);

}  // namespace pgark::config
