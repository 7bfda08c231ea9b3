// Which configuration files are read (spec §12.1, plus pgark's own defaults) and reading them.
// Defaults: /etc/pgark/pgark.conf and /etc/pgark/conf.d/*.conf; when /etc/pgark/pgark.conf does not
// exist, pgBackRest's /etc/pgbackrest/pgbackrest.conf (then the legacy /etc/pgbackrest.conf) and
// /etc/pgbackrest/conf.d/*.conf, so an existing pgBackRest set-up works unchanged. `root` prefixes
// the default locations only, so tests can point them at a temporary directory.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/ini.h"

namespace pgark::config {

struct ConfigFileSettings {
    std::optional<std::string> config;             // --config: this main file, which must exist
    bool noConfig = false;                         // --no-config: no main file
    std::optional<std::string> configPath;         // --config-path: base of both defaults
    std::optional<std::string> configIncludePath;  // --config-include-path: must exist
    std::string root;                              // prefix of the default locations; "" = the real /
};

struct ConfigFiles {
    Ini ini;
    std::vector<std::string> files;  // the files read, in order
};

// Reads the main file, then the include path's *.conf files in name order. Rules (pgBackRest's):
// a default main file or include path may be missing; one given explicitly may not; when only
// --config is given no include path is read; the legacy /etc/pgbackrest.conf is tried only when
// neither --config nor --config-path is given. Throws Error(FileMissing) / Error(PathMissing) for
// a missing explicit file / path, Error(FileOpen) / Error(PathOpen) when one cannot be read (no
// permission), Error(FileRead) on a read failure, Error(Format) for a syntax error.
ConfigFiles loadConfigFiles(const ConfigFileSettings& settings);

}  // namespace pgark::config
