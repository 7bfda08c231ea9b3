// Command-line parsing (spec §12.2): splits argv into options, the command and its parameters.
// Checks what can be checked without the command: option names, forms (--no-, --reset-),
// boolean arguments, duplicates and secure options. Validity for the command, values and
// dependencies are load.cpp's job. Pure function.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "config/raw_option.h"

namespace pgark::config {

struct CommandLine {
    std::string command;              // the first argument that is not an option; "" when none
    std::vector<std::string> params;  // the arguments after it that are not options
    RawOptions options;
};

// Parses argv without argv[0]. Options start with "--" and may come before or after the command;
// `--name=value` or `--name value`; booleans take `--name`, `--name=y|n` or `--no-name`; any
// unambiguous prefix of a name is accepted. Throws Error(OptionInvalid) for an unknown, ambiguous
// or malformed option, a secure option, a bad negate/reset form or a set+negate/reset mix;
// Error(OptionDuplicate) for an option given twice that is not a list or hash;
// Error(OptionInvalidValue) for a boolean argument other than y/n or an empty value.
CommandLine parseCommandLine(std::span<const std::string> args);

}  // namespace pgark::config
