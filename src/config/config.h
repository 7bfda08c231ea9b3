// Config: the typed, validated options of one run, built once by load() from the command line, the
// environment (PGARK_*, then PGBACKREST_*) and the configuration files, with pgBackRest 2.45's
// precedence (command line > environment > file > default), dependencies and defaults. Commands
// read it through the getters below; nothing else in pgark reads argv, option environment
// variables or configuration files. Immutable after load: safe to share between threads.
//
// Names passed to the getters are canonical option names. An indexed option takes its index as a
// separate argument, getString("repo-path", 2), or inside the name, getString("repo2-path").
// Asking for an option that the command does not have, or with the wrong getter, is a programming
// error: Error(Assert).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "config/option_name.h"
#include "config/option_table.h"

namespace pgark::config {

enum class Source : std::uint8_t { Default, ConfigFile, Environment, CommandLine };

// One option's resolved value.
struct OptionValue {
    Source source = Source::Default;
    bool reset = false;               // --reset-<name>: the default is used
    bool negated = false;             // --no-<name> (for config: no main file, and no value)
    std::vector<std::string> values;  // empty = no value; several only for lists and hashes
};

class Config {
public:
    CommandId command() const noexcept { return command_; }
    std::string_view commandName() const noexcept { return commandDef(command_).name; }
    // The non-option arguments after the command: archive-push's WAL path, help's command name.
    const std::vector<std::string>& params() const noexcept { return params_; }

    // True when the command takes the option at all (backup takes process-max, info does not), so
    // code shared by several commands can ask before reading. Unknown names are false.
    bool takes(std::string_view name) const noexcept;
    // True when the option has a value (given or default).
    bool has(std::string_view name, unsigned index = 0) const;
    // The value's text: the only getter for string, string-id and path options, and the text as
    // given for the others. Throws Error(Assert) when the option has no value (check has() first).
    std::string getString(std::string_view name, unsigned index = 0) const;
    bool getBool(std::string_view name, unsigned index = 0) const;
    std::int64_t getInt(std::string_view name, unsigned index = 0) const;
    std::uint64_t getSize(std::string_view name, unsigned index = 0) const;  // bytes
    std::chrono::milliseconds getTime(std::string_view name, unsigned index = 0) const;
    std::vector<std::string> getList(std::string_view name, unsigned index = 0) const;  // empty when unset
    // key -> value; empty when unset; a key given twice keeps its last value.
    std::map<std::string, std::string> getHash(std::string_view name, unsigned index = 0) const;
    Source source(std::string_view name, unsigned index = 0) const;

    // Indexes of the configured repositories / clusters, ascending: those with any repo<N>-* / pg<N>-*
    // option set (pgBackRest's rule); {1} when none is set.
    const std::vector<unsigned>& repoIndexes() const noexcept { return repoIndexes_; }
    const std::vector<unsigned>& pgIndexes() const noexcept { return pgIndexes_; }

    // Every option set by the user (not defaults), as the "command begin" log line lists them:
    // "--archive-timeout=30", "--no-online", "--repo1-cipher-pass=<redacted>", one entry per list
    // value, values with spaces quoted, options in name order and indexes ascending.
    std::vector<std::string> effectiveOptions() const;

    // Warnings found while loading (unknown options in files, ...), for main to log once logging
    // is set up. Each is one message, possibly with a "\nHINT: ..." line.
    const std::vector<std::string>& warnings() const noexcept { return warnings_; }

    // The resolved value of one option, or nullptr when it has none. For the help command.
    const OptionValue* find(const OptionKey& key) const;

private:
    friend class ConfigBuilder;

    OptionKey keyOf(std::string_view name, unsigned index) const;
    const OptionValue& valueOf(std::string_view name, unsigned index, OptionType type) const;

    CommandId command_ = CommandId::Help;
    CommandId optionCommand_ = CommandId::Help;  // whose options apply: for help, the command described
    std::vector<std::string> params_;
    std::map<OptionKey, OptionValue> values_;
    std::vector<unsigned> repoIndexes_{1};
    std::vector<unsigned> pgIndexes_{1};
    std::vector<std::string> warnings_;
};

struct LoadInput {
    std::vector<std::string> args;  // argv without argv[0]
    std::vector<std::string> env;   // "NAME=value" entries, as in environ
    std::string root;               // prefix of the default config file locations; "" = the real /
    std::string exePath = "pgark";  // default of the cmd option: the running binary
};

// Parses, merges and validates everything for the command found in input.args. No arguments at all
// means help. Commands that read no configuration (help, version) ignore env and files. Throws
// Error(CommandRequired) when there is no command, Error(CommandInvalid) for an unknown one,
// Error(ParamInvalid) for parameters a command does not take, Error(OptionInvalid) for an option
// the command does not have (command line) or an unmet dependency (command line),
// Error(OptionRequired) for a missing required option, and the errors of parseCommandLine(),
// parseEnvironment(), loadConfigFiles(), fileOptions() and validateValue().
Config load(const LoadInput& input);

// load() that also hands back the warnings found when it throws (a file with an unknown option and
// a missing required one), so that main can log them before the error, as pgBackRest does.
// `warnings` receives the same list as Config::warnings() on success.
Config load(const LoadInput& input, std::vector<std::string>& warnings);

// load() with no environment and no configuration files: for tests and internal callers.
Config loadArgs(std::vector<std::string> args);

}  // namespace pgark::config
