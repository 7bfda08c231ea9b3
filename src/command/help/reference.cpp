// The option reference (doc/configuration.md), generated from the tables.
#include <fmt/format.h>

#include "command/command.h"
#include "command/help/help.h"
#include "command/help/text.h"

namespace pgark::command::help {

namespace {

using config::OptionDef;

constexpr std::string_view kIntro = R"(# Configuration reference

<!-- Generated from src/config/options.def and commands.def by `pgark doc-options`; do not edit by hand.
     A unit test fails when this file and the tables differ: regenerate it with
     `build/pgark doc-options > doc/configuration.md`. -->

pgark takes pgBackRest 2.45's options with the same names, types, defaults and rules, so a
`pgbackrest.conf` works unchanged.

## Where options come from

Highest priority first:

1. **Command line**: `--name=value` or `--name value`. Booleans: `--name`, `--name=y`, `--name=n`,
   `--no-name`. `--reset-name` ignores the configuration file and the environment and uses the
   default. Any unambiguous prefix of a name is accepted (`--log-level-con`). An option may be given
   once, except list and hash options, which accumulate. Secure options are refused here.
2. **Environment**: `PGARK_<NAME>`, else `PGBACKREST_<NAME>`, with the name upper-cased and `-`
   written `_` (`PGARK_REPO1_CIPHER_PASS`). Booleans are `y` or `n`; list and hash values are
   separated by `:`.
3. **Configuration files**: `/etc/pgark/pgark.conf` plus `/etc/pgark/conf.d/*.conf`. When
   `/etc/pgark/pgark.conf` does not exist, pgBackRest's `/etc/pgbackrest/pgbackrest.conf` (else the
   legacy `/etc/pgbackrest.conf`) plus `/etc/pgbackrest/conf.d/*.conf`. `--config`, `--config-path`,
   `--config-include-path` and `--no-config` change this. Sections are searched in the order
   `[<stanza>:<command>]`, `[<stanza>]`, `[global:<command>]`, `[global]`; the first that has an
   option wins. Lines are `name=value`; `#` starts a comment line; repeat a list or hash option on
   several lines.
4. **Default**, below.

Repository and cluster options are indexed: `repo1-path` to `repo256-path`, `pg1-path` to
`pg256-path`. Sizes take a unit (`b`, `k`/`kb`/`kib`, `m`, `g`, `t`, `p`, all powers of 1024, any
case): `2MiB`. Times are seconds, fractions allowed: `0.5`.
)";

std::string commandNames(config::CommandSet set) {
    std::string out;
    for (const config::CommandDef& command : config::commandTable())
        if ((set & config::commandBit(command.id)) != 0) out += fmt::format("{}`{}`", out.empty() ? "" : ", ", command.name);
    return out;
}

std::string whereText(config::Section section) {
    switch (section) {
    case config::Section::CommandLine:
        return "command line or environment only";
    case config::Section::Global:
        return "command line, environment, or any section of a configuration file";
    case config::Section::Stanza:
        return "command line, environment, or a stanza section (`[<stanza>]`, `[<stanza>:<command>]`) of a "
               "configuration file";
    }
    return "";  // uncoverable - every section is handled above
}

std::string code(std::string_view text) { return fmt::format("`{}`", text); }

// Prose from the tables may name placeholders such as <stanza>, which markdown would take for HTML.
std::string escape(std::string_view text) {
    std::string out;
    for (const char c : text) {
        if (c == '<')
            out += "&lt;";
        else if (c == '>')
            out += "&gt;";
        else
            out += c;
    }
    return out;
}

std::string codeList(std::string_view words) {
    std::string out;
    while (!words.empty()) {
        const std::size_t space = words.find(' ');
        out += (out.empty() ? "" : ", ") + code(words.substr(0, space));
        if (space == std::string_view::npos) break;
        words.remove_prefix(space + 1);
    }
    return out;
}

std::string optionSection(const OptionDef& option) {
    std::string out = fmt::format("#### `{}`\n\n{} {}\n\n", option.name, escape(sentence(option.summary)),
                                  escape(option.description));

    out += fmt::format("- type: {}", typeName(option.type));
    if (option.group != config::Group::None)
        out += fmt::format(", indexed: `{}` to `{}`", option.indexedName(1), option.indexedName(config::kIndexMax));
    if (option.has(config::kUnindexedAlias)) out += fmt::format(" (`{}` means `{}`)", option.name, option.indexedName(1));
    out += "\n";

    // Defaults and allowed values, with the commands that have their own.
    std::string defaults = option.defaultValue.empty() ? "" : code(option.defaultValue);
    std::string allowed = codeList(option.allowed);
    for (const config::CommandRule& rule : option.rules) {
        const std::string_view name = config::commandDef(rule.command).name;
        if (rule.defaultValue && !rule.defaultValue->empty())
            defaults += fmt::format("{}`{}` ({})", defaults.empty() ? "" : ", ", *rule.defaultValue, name);
        if (!rule.allowed.empty())
            allowed += fmt::format("{}{} ({})", allowed.empty() ? "" : "; ", codeList(rule.allowed), name);
    }
    if (!option.defaultText.empty()) defaults = escape(option.defaultText);
    out += fmt::format("- default: {}\n", defaults.empty() ? "none" : defaults);
    if (!allowed.empty()) out += fmt::format("- allowed: {}\n", allowed);
    if (!option.range.empty()) {
        const std::size_t dots = option.range.find("..");
        out += fmt::format("- range: `{}` to `{}`\n", option.range.substr(0, dots), option.range.substr(dots + 2));
    }

    out += fmt::format("- set on: {}\n", whereText(option.section));
    out += fmt::format("- commands: {}\n", commandNames(option.commands));

    config::CommandSet required = 0;
    for (const config::CommandDef& command : config::commandTable())
        if (option.validFor(command.id) && option.requiredFor(command.id)) required |= config::commandBit(command.id);
    if (required != 0) out += fmt::format("- required by: {}\n", commandNames(required));

    if (!option.depend.option.empty()) {
        if (option.depend.values.empty())
            out += fmt::format("- only when `{}` is set\n", option.depend.option);
        else if (option.depend.values.find(' ') == std::string_view::npos)
            out += fmt::format("- only when `{}={}`\n", option.depend.option, option.depend.values);
        else
            out += fmt::format("- only when `{}` is one of {}\n", option.depend.option, codeList(option.depend.values));
    }
    if (option.negatable()) out += fmt::format("- negate with `--no-{}`\n", option.name);
    const std::vector<std::string> old = config::deprecatedNames(option);
    if (!old.empty()) {
        std::string list;
        for (const std::string& name : old) list += (list.empty() ? "" : ", ") + code(name);
        out += fmt::format("- deprecated name{}: {}\n", old.size() > 1 ? "s" : "", list);
    }
    if (option.has(config::kSecure))
        out += "- secure: refused on the command line, shown as `<redacted>` in logs\n";
    if (option.has(config::kBeta)) out += "- beta: needs `beta=y`\n";
    if (option.has(config::kInternal)) out += "- internal: for pgark's own use and for testing\n";
    return out + "\n";
}

}  // namespace

std::string optionReference() {
    std::string out(kIntro);

    out += "\n## Commands\n\n| command | what it does | needs `--stanza` |\n|---|---|---|\n";
    for (const Command& command : commands()) {
        if (command.def->internal) continue;
        out += fmt::format("| `{}` | {} | {} |\n", command.name(), escape(sentence(command.summary())),
                           command.needsStanza() ? "yes" : "no");
    }

    static constexpr std::pair<config::Category, std::string_view> kSections[] = {
        {config::Category::Command, "Command options"},   {config::Category::General, "General options"},
        {config::Category::Log, "Log options"},           {config::Category::Repository, "Repository options"},
        {config::Category::Stanza, "Stanza (cluster) options"},
    };
    out += "\n## Options\n";
    for (const auto& [category, heading] : kSections) {
        out += fmt::format("\n### {}\n\n", heading);
        for (const OptionDef& option : config::optionTable())
            if (option.category == category) out += optionSection(option);
    }
    // One trailing newline, as editors save files.
    while (out.ends_with("\n\n")) out.pop_back();
    return out;
}

}  // namespace pgark::command::help
