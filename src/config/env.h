// Options from the environment (spec §12.2): PGARK_<NAME> first, PGBACKREST_<NAME> as fallback, the
// option name upper-cased with '-' -> '_' (PGARK_REPO1_CIPHER_PASS). Booleans are y/n; list and
// hash values are separated by ':'. Pure function over a copy of environ.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "config/raw_option.h"

namespace pgark::config {

// Reads the options out of `environment` ("NAME=value" entries). A PGBACKREST_ variable naming no
// option adds a warning to `warnings` (as pgBackRest does); a PGARK_ one is skipped silently, since
// the project's tooling uses that prefix too (PGARK_TEST_PORT). A --no-/--reset- form warns and is
// skipped. When both prefixes name one option, PGARK_ wins.
// Throws Error(OptionInvalidValue) for an empty value or a boolean other than y/n,
// Error(OptionDuplicate) when two names of one prefix set the same option (PGARK_REPO_PATH and
// PGARK_REPO1_PATH), Error(OptionInvalid) for an index error.
RawOptions parseEnvironment(std::span<const std::string> environment, std::vector<std::string>& warnings);

}  // namespace pgark::config
