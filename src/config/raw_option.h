// Option values as one source (command line, environment, config file) gave them, before
// precedence, dependencies, validation and defaults are applied by load.cpp. Plain data.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "config/option_name.h"

namespace pgark::config {

struct RawValue {
    NameForm form = NameForm::Set;    // Negate and Reset carry no values
    std::vector<std::string> values;  // one per occurrence for lists and hashes; booleans are "y"/"n"
    std::string written;              // the name as first written ("db-path"), for messages
};
using RawOptions = std::map<OptionKey, RawValue>;

}  // namespace pgark::config
