// help command: command list, command help, option help.
#include "command/help/help.h"

#include <cstdio>

#include "command/command.h"
#include "command/help/text.h"
#include "common/error.h"
#include "version.h"

namespace pgark::command::help {

namespace {

using config::Category;
using config::OptionDef;
using config::OptionId;

constexpr std::size_t kWidth = 80;
constexpr std::size_t kOptionColumn = 36;  // where option summaries start in a command's help

std::string title(std::string_view what) { return fmt::format("{} {} - {}\n\n", kProjectName, kVersion, what); }

// The value given for the option on the help command line (index 1 for indexed options).
std::string currentValue(const config::Config& config, OptionId id) {
    const OptionDef& option = config::optionDef(id);
    const config::OptionValue* value = config.find({id, option.group == config::Group::None ? 0u : 1u});
    if (value == nullptr || value->source == config::Source::Default || value->values.empty()) return "";
    if (option.has(config::kSecure)) return "<redacted>";
    std::string text;
    for (const std::string& item : value->values) text += (text.empty() ? "" : ", ") + item;
    return text;
}

std::string defaultText(const OptionDef& option, config::CommandId command) {
    const std::string_view value = option.defaultFor(command);
    if (!value.empty()) return std::string(value);
    return std::string(option.defaultText);
}

std::string commandList() {
    std::string out = title("General help");
    out += "Usage:\n    pgark [options] [command]\n\nCommands:\n";
    for (const Command& command : commands()) {
        if (command.def->internal) continue;
        out += fmt::format("    {:<16}{}\n", command.name(), sentence(command.summary()));
    }
    out += "\nUse 'pgark help [command]' for more information.\n";
    return out;
}

std::string commandHelp(const config::Config& config, const Command& command) {
    std::string out = title(fmt::format("'{}' command help", command.name()));
    out += sentence(command.summary()) + "\n\n";
    out += wrap(command.description(), kWidth) + "\n";

    static constexpr std::pair<Category, std::string_view> kSections[] = {
        {Category::Command, "Command Options"}, {Category::General, "General Options"},
        {Category::Log, "Log Options"},         {Category::Repository, "Repository Options"},
        {Category::Stanza, "Stanza Options"},
    };
    for (const auto& [category, heading] : kSections) {
        std::string lines;
        for (const OptionId id : command.options()) {
            const OptionDef& option = config::optionDef(id);
            if (option.category != category || option.has(config::kInternal)) continue;
            std::string text(option.summary);
            const std::string current = currentValue(config, id);
            const std::string byDefault = defaultText(option, command.def->id);
            if (!current.empty() && !byDefault.empty())
                text += fmt::format(" [current={}, default={}]", current, byDefault);
            else if (!current.empty())
                text += fmt::format(" [current={}]", current);
            else if (!option.defaultFor(command.def->id).empty())
                text += fmt::format(" [default={}]", byDefault);
            const std::string left = fmt::format("  --{}", option.name);
            std::string line = left;
            if (left.size() + 1 > kOptionColumn) {
                line += '\n';
                line.append(kOptionColumn, ' ');
            } else {
                line.append(kOptionColumn - left.size(), ' ');
            }
            lines += line + wrap(text, kWidth, kOptionColumn) + "\n";
        }
        if (!lines.empty()) out += fmt::format("\n{}:\n\n{}", heading, lines);
    }
    out += fmt::format("\nUse 'pgark help {} [option]' for more information.\n", command.name());
    return out;
}

std::string optionHelp(const config::Config& config, const Command& command, std::string_view written) {
    // Any spelling names the option: indexed (pg1-port), unindexed (pg-port) or deprecated.
    const config::NameLookup lookup = config::lookupOptionName(written, config::NameMatch::Exact);
    const bool known = lookup.status == config::NameLookup::Status::Found ||
                       lookup.status == config::NameLookup::Status::IndexMissing ||
                       lookup.status == config::NameLookup::Status::IndexOutOfRange;
    if (!known || lookup.form != config::NameForm::Set || !config::optionDef(lookup.key.id).validFor(command.def->id))
        throw Error(ErrorCode::OptionInvalid,
                    fmt::format("option '{}' is not valid for command '{}'", written, command.name()))
            .withHint(fmt::format("run 'pgark help {}' to list its options", command.name()));

    const OptionId id = lookup.key.id;
    const OptionDef& option = config::optionDef(id);
    std::string out = title(fmt::format("'{}' command - '{}' option help", command.name(), option.name));
    out += sentence(option.summary) + "\n\n";
    out += wrap(option.description, kWidth) + "\n";
    if (option.has(config::kInternal))
        out += "\n" + wrap("For pgark's own use and for testing: not needed in a configuration.", kWidth) + "\n";
    if (option.has(config::kBeta)) out += "\n" + wrap("A beta feature: not for production, and it needs beta=y.", kWidth) + "\n";
    if (option.has(config::kSecure))
        out += "\n" + wrap("Secure: not allowed on the command line; use a configuration file or the environment.", kWidth) +
               "\n";

    // "label: value", long values wrapped under the value.
    std::string facts;
    auto fact = [&facts](std::string_view label, std::string_view value) {
        facts += fmt::format("{}: {}\n", label, wrap(value, kWidth, label.size() + 2));
    };
    if (const std::string current = currentValue(config, id); !current.empty()) fact("current", current);
    if (const std::string byDefault = defaultText(option, command.def->id); !byDefault.empty()) fact("default", byDefault);
    if (const std::string_view allowed = option.allowedFor(command.def->id); !allowed.empty())
        fact("allowed", commaList(allowed));
    if (!option.range.empty()) {
        const std::size_t dots = option.range.find("..");
        fact("allowed range", fmt::format("{} to {}", option.range.substr(0, dots), option.range.substr(dots + 2)));
    }
    if (option.group != config::Group::None)
        fact("indexed", fmt::format("{} to {}", option.indexedName(1), option.indexedName(config::kIndexMax)));
    const std::vector<std::string> old = config::deprecatedNames(option);
    if (!old.empty()) {
        std::string list;
        for (const std::string& name : old) list += (list.empty() ? "" : ", ") + name;
        fact(old.size() > 1 ? "deprecated names" : "deprecated name", list);
    }
    if (!facts.empty()) out += "\n" + facts;
    return out;
}

}  // namespace

std::string helpText(const config::Config& config) {
    const std::vector<std::string>& params = config.params();
    if (params.empty()) return commandList();
    // load() has already checked that the first parameter names a command.
    const config::CommandDef* def = config::findCommand(params.front());
    const Command& command = findCommand(def->id);
    if (params.size() == 1) return commandHelp(config, command);
    return optionHelp(config, command, params[1]);
}

int run(const config::Config& config) {
    const std::string text = helpText(config);
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
}

int runDocOptions(const config::Config&) {
    const std::string text = optionReference();
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
}

}  // namespace pgark::command::help
