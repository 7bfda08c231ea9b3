// The command and option tables (pgBackRest 2.45 semantics, spec §12): every command and every
// option is described once, in commands.def and options.def, and these rows drive parsing,
// validation, help and the generated reference doc/configuration.md. This header is only the
// shape of a row and the lookups; it knows nothing about argv, files or the environment.
// The tables are immutable static data: safe to read from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/log.h"

namespace pgark::config {

// Order = the rows of commands.def (alphabetical, as help lists them).
enum class CommandId : std::uint8_t {
    ArchiveGet,
    ArchivePush,
    Backup,
    Check,
    DocOptions,
    Expire,
    Help,
    Info,
    Local,
    Restore,
    StanzaCreate,
    StanzaDelete,
    StanzaUpgrade,
    Start,
    Stop,
    Verify,
    Version,
};
inline constexpr std::size_t kCommandCount = 17;

struct CommandDef {
    CommandId id;
    std::string_view name;                    // "archive-push"
    bool params = false;                      // accepts parameters after the command name
    bool readsConfig = true;                  // false: no config file, no environment (help, version)
    bool internal = false;                    // hidden from help and from the reference
    log::Level beginLevel = log::Level::Info; // level of the "command begin/end" lines
    std::string_view summary;                 // one line, lowercase start, no final period
    std::string_view description;             // paragraphs separated by "\n\n"
};

enum class OptionType : std::uint8_t { Boolean, Integer, Size, Time, String, StringId, Path, List, Hash };
enum class Section : std::uint8_t {
    CommandLine,  // command line or environment only; ignored with a warning in a config file
    Global,       // any config file section
    Stanza,       // only in [<stanza>] sections; ignored with a warning in [global]
};
enum class Group : std::uint8_t { None, Repo, Pg };  // indexed options: repo<N>-*, pg<N>-*, N = 1..256
enum class Category : std::uint8_t { Command, General, Log, Repository, Stanza };  // how help groups them

inline constexpr unsigned kIndexMax = 256;

using CommandSet = std::uint32_t;  // bit (1 << CommandId)
constexpr CommandSet commandBit(CommandId id) { return CommandSet{1} << static_cast<unsigned>(id); }

// Flags of an option row.
inline constexpr unsigned kSecure = 1;          // refused on the command line; "<redacted>" in logs
inline constexpr unsigned kNegatable = 2;       // --no-<name> although not a global boolean (config, online)
inline constexpr unsigned kInternal = 4;        // hidden from help; marked internal in the reference
inline constexpr unsigned kBeta = 8;            // setting it needs beta=y
inline constexpr unsigned kUnindexedAlias = 16; // the bare name (repo-path) is accepted and means index 1

// The option is only valid while `option` has a value and, when `values` is not empty, one of those
// (space separated; "y"/"n" for booleans). A dependency on an option the command lacks is ignored.
struct Dependency {
    std::string_view option;
    std::string_view values;
};

enum class Required : std::uint8_t { Inherit, Yes, No };

// A per-command exception to the row's default, allowed values or required flag.
struct CommandRule {
    CommandId command;
    std::optional<std::string_view> defaultValue = std::nullopt;  // "" = no default for this command
    std::string_view allowed = {};                                 // "" = the row's
    Required required = Required::Inherit;
};

struct OptionDef {
    std::string_view name;       // unindexed: "repo-path", "pg-port"
    OptionType type;
    Section section;
    Category category;
    Group group = Group::None;
    CommandSet commands = 0;
    std::string_view defaultValue = {};  // as written in a config file; "" = none
    std::string_view defaultText = {};   // for help when the default is computed (see defaults.cpp)
    std::string_view allowed = {};       // StringId and Size: space separated allowed values
    std::string_view range = {};         // Integer/Size/Time: "min..max" in the option's own syntax
    bool required = false;
    Dependency depend = {};
    unsigned flags = 0;
    std::string_view deprecated = {};    // space separated old names; '?' stands for the index
    std::initializer_list<CommandRule> rules = {};
    std::string_view summary;            // one line, lowercase start, no final period
    std::string_view description;        // paragraphs separated by "\n\n"

    bool has(unsigned flag) const { return (flags & flag) != 0; }
    bool validFor(CommandId command) const { return (commands & commandBit(command)) != 0; }
    bool multiValue() const { return type == OptionType::List || type == OptionType::Hash; }
    // --no-<name>: booleans that may appear in a config file, plus rows flagged kNegatable.
    bool negatable() const;
    // --reset-<name>: any option that may appear in a config file.
    bool resettable() const { return section != Section::CommandLine; }
    // The default, the allowed values and the required flag for `command`, rules applied.
    std::string_view defaultFor(CommandId command) const;
    std::string_view allowedFor(CommandId command) const;
    bool requiredFor(CommandId command) const;
    // "repo3-path" for index 3; the bare name for index 0 or an ungrouped option.
    std::string indexedName(unsigned index) const;
};

std::span<const CommandDef> commandTable() noexcept;
const CommandDef& commandDef(CommandId id) noexcept;
const CommandDef* findCommand(std::string_view name) noexcept;  // nullptr if unknown

std::span<const OptionDef> optionTable() noexcept;  // sorted by name
using OptionId = std::size_t;                        // position in optionTable()
const OptionDef& optionDef(OptionId id) noexcept;
std::optional<OptionId> findOptionId(std::string_view unindexedName) noexcept;  // exact, canonical name
std::vector<OptionId> optionsFor(CommandId command);  // table order

// Old names of an option as the user would write them for index 1 ("db-path", "retention-full"),
// deduplicated, in table order: what help prints as "deprecated names".
std::vector<std::string> deprecatedNames(const OptionDef& option);

}  // namespace pgark::config
