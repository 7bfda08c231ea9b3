// version: prints the binary's name and version ("pgark 0.1.0"). Reads no configuration file.
#pragma once

#include <string>

#include "config/config.h"

namespace pgark::command::version {

// "pgark <version>\n", the version from the build (CMake's project version).
std::string versionText();

// Writes versionText() to stdout; returns 0.
int run(const config::Config& config);

}  // namespace pgark::command::version
