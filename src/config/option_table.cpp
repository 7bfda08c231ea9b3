// The command and option tables (rows in commands.def and options.def) and their lookups.
#include "config/option_table.h"

#include <algorithm>
#include <string>
#include <unordered_map>

namespace pgark::config {

namespace {

// Command sets used by options.def. Named sets gather the commands that share most options so each
// row stays short; they follow pgBackRest 2.45's command lists for those options.
constexpr CommandSet kArchiveGet = commandBit(CommandId::ArchiveGet);
constexpr CommandSet kArchivePush = commandBit(CommandId::ArchivePush);
constexpr CommandSet kBackup = commandBit(CommandId::Backup);
constexpr CommandSet kCheck = commandBit(CommandId::Check);
constexpr CommandSet kExpire = commandBit(CommandId::Expire);
constexpr CommandSet kInfo = commandBit(CommandId::Info);
constexpr CommandSet kLocal = commandBit(CommandId::Local);
constexpr CommandSet kRestore = commandBit(CommandId::Restore);
constexpr CommandSet kStanzaCreate = commandBit(CommandId::StanzaCreate);
constexpr CommandSet kStanzaDelete = commandBit(CommandId::StanzaDelete);
constexpr CommandSet kStanzaUpgrade = commandBit(CommandId::StanzaUpgrade);
constexpr CommandSet kStart = commandBit(CommandId::Start);
constexpr CommandSet kStop = commandBit(CommandId::Stop);
constexpr CommandSet kVerify = commandBit(CommandId::Verify);

constexpr CommandSet kStanzaCommands = kStanzaCreate | kStanzaUpgrade | kStanzaDelete;
// Every command that reads the configuration (all but help, version and internal ones).
constexpr CommandSet kAllConfigCommands = kStanzaCommands | kCheck | kBackup | kArchivePush | kArchiveGet |
                                          kRestore | kInfo | kExpire | kVerify | kStart | kStop;
// Commands that may start worker or remote processes.
constexpr CommandSet kRemoteCommands =
    kStanzaCommands | kCheck | kBackup | kArchivePush | kArchiveGet | kRestore | kInfo | kVerify;
// Commands that open repository storage.
constexpr CommandSet kRepoCommands = kRemoteCommands | kExpire;
// Commands that may run away from the repository host (backup and expire must run on it).
constexpr CommandSet kRepoHostCommands = kRemoteCommands & ~kBackup;
// Commands that connect to PostgreSQL.
constexpr CommandSet kPgCommands = kStanzaCommands | kCheck | kBackup;
// Commands that hand jobs to worker processes.
constexpr CommandSet kJobCommands = kBackup | kArchivePush | kArchiveGet | kRestore | kVerify;

constexpr CommandDef kCommands[] = {
#include "config/commands.def"
};
static_assert(std::size(kCommands) == kCommandCount);

constexpr bool commandsInIdOrder() {
    for (std::size_t i = 0; i < std::size(kCommands); ++i)
        if (static_cast<std::size_t>(kCommands[i].id) != i) return false;
    return true;
}
static_assert(commandsInIdOrder(), "commands.def rows must follow the CommandId order");

const OptionDef kOptions[] = {
#include "config/options.def"
};

}  // namespace

bool OptionDef::negatable() const {
    return (type == OptionType::Boolean && section != Section::CommandLine) || has(kNegatable);
}

std::string_view OptionDef::defaultFor(CommandId command) const {
    for (const CommandRule& rule : rules)
        if (rule.command == command && rule.defaultValue) return *rule.defaultValue;
    return defaultValue;
}

std::string_view OptionDef::allowedFor(CommandId command) const {
    for (const CommandRule& rule : rules)
        if (rule.command == command && !rule.allowed.empty()) return rule.allowed;
    return allowed;
}

bool OptionDef::requiredFor(CommandId command) const {
    for (const CommandRule& rule : rules)
        if (rule.command == command && rule.required != Required::Inherit) return rule.required == Required::Yes;
    return required;
}

std::string OptionDef::indexedName(unsigned index) const {
    if (group == Group::None || index == 0) return std::string(name);
    // "repo-path" -> "repo3-path": the index goes after the group prefix.
    const std::size_t dash = name.find('-');
    return std::string(name.substr(0, dash)) + std::to_string(index) + std::string(name.substr(dash));
}

std::span<const CommandDef> commandTable() noexcept { return kCommands; }

const CommandDef& commandDef(CommandId id) noexcept { return kCommands[static_cast<std::size_t>(id)]; }

const CommandDef* findCommand(std::string_view name) noexcept {
    for (const CommandDef& command : kCommands)
        if (command.name == name) return &command;
    return nullptr;
}

std::span<const OptionDef> optionTable() noexcept { return kOptions; }

const OptionDef& optionDef(OptionId id) noexcept { return kOptions[id]; }

std::optional<OptionId> findOptionId(std::string_view unindexedName) noexcept {
    // The table is sorted by name (checked by a unit test), so a binary search finds the row.
    const auto* end = std::end(kOptions);
    const auto* found = std::lower_bound(std::begin(kOptions), end, unindexedName,
                                         [](const OptionDef& row, std::string_view key) { return row.name < key; });
    if (found == end || found->name != unindexedName) return std::nullopt;
    return static_cast<OptionId>(found - std::begin(kOptions));
}

std::vector<OptionId> optionsFor(CommandId command) {
    std::vector<OptionId> result;
    for (OptionId id = 0; id < std::size(kOptions); ++id)
        if (kOptions[id].validFor(command)) result.push_back(id);
    return result;
}

std::vector<std::string> deprecatedNames(const OptionDef& option) {
    std::vector<std::string> result;
    std::string_view list = option.deprecated;
    while (!list.empty()) {
        const std::size_t space = list.find(' ');
        std::string name(list.substr(0, space));
        list = space == std::string_view::npos ? std::string_view{} : list.substr(space + 1);
        // "db?-path" is written "db-path" for index 1, the way help shows indexed names.
        name.erase(std::remove(name.begin(), name.end(), '?'), name.end());
        if (std::find(result.begin(), result.end(), name) == result.end()) result.push_back(std::move(name));
    }
    return result;
}

}  // namespace pgark::config
