// Consistency of the command and option tables (commands.def, options.def): the rows must agree with
// each other, because parsing, help and the reference all trust them.
#include "config/option_table.h"

#include <set>

#include <catch2/catch.hpp>

#include "config/option_name.h"
#include "config/value.h"

using namespace pgark::config;

namespace {

std::vector<std::string_view> words(std::string_view list) {
    std::vector<std::string_view> result;
    while (!list.empty()) {
        const std::size_t space = list.find(' ');
        result.push_back(list.substr(0, space));
        if (space == std::string_view::npos) break;
        list.remove_prefix(space + 1);
    }
    return result;
}

}  // namespace

TEST_CASE("the command table is in CommandId order and names are unique", "[unit][config]") {
    std::set<std::string_view> names;
    for (const CommandDef& command : commandTable()) {
        CHECK(&commandDef(command.id) == &command);
        CHECK(findCommand(command.name) == &command);
        CHECK(names.insert(command.name).second);
        CHECK_FALSE(command.summary.empty());
        CHECK_FALSE(command.description.empty());
    }
    CHECK(findCommand("nope") == nullptr);
}

TEST_CASE("the option table is sorted and every row is consistent", "[unit][config]") {
    const auto table = optionTable();
    REQUIRE(table.size() > 140);
    for (std::size_t i = 1; i < table.size(); ++i) {
        INFO(table[i - 1].name << " / " << table[i].name);
        CHECK(table[i - 1].name < table[i].name);
    }

    for (OptionId id = 0; id < table.size(); ++id) {
        const OptionDef& option = table[id];
        INFO("option " << option.name);
        CHECK(findOptionId(option.name) == id);
        CHECK(option.commands != 0);
        CHECK_FALSE(option.summary.empty());
        CHECK_FALSE(option.description.empty());
        CHECK(option.summary.back() != '.');

        // Indexed rows are named after their group.
        if (option.group == Group::Repo) CHECK(option.name.starts_with("repo-"));
        if (option.group == Group::Pg) CHECK(option.name.starts_with("pg-"));

        // Secure options must be settable somewhere else than the command line.
        if (option.has(kSecure)) CHECK(option.section != Section::CommandLine);

        // String ids list their allowed values (per command where rules give them).
        for (const CommandDef& command : commandTable()) {
            if (!option.validFor(command.id)) continue;
            if (option.type == OptionType::StringId) CHECK_FALSE(option.allowedFor(command.id).empty());
            // The default, when there is one, passes the option's own validation.
            const std::string_view defaultValue = option.defaultFor(command.id);
            if (!defaultValue.empty())
                CHECK_NOTHROW(validateValue(option, command.id, option.name, defaultValue));
        }
        for (const CommandRule& rule : option.rules) CHECK(option.validFor(rule.command));

        // Ranges parse with the option's type, min <= max.
        if (!option.range.empty()) {
            const std::size_t dots = option.range.find("..");
            REQUIRE(dots != std::string_view::npos);
            const auto min = parseNumber(option.type, option.range.substr(0, dots));
            const auto max = parseNumber(option.type, option.range.substr(dots + 2));
            REQUIRE(min);
            REQUIRE(max);
            CHECK(*min <= *max);
        }
        if (option.type == OptionType::Size)
            for (const std::string_view word : words(option.allowed)) CHECK(parseSize(word));

        // A dependency names an existing option of the same group (or an ungrouped one) with
        // values that option accepts, and the chain ends.
        if (!option.depend.option.empty()) {
            const auto dependId = findOptionId(option.depend.option);
            REQUIRE(dependId);
            const OptionDef& depend = optionDef(*dependId);
            CHECK((depend.group == Group::None || depend.group == option.group));
            for (const std::string_view value : words(option.depend.values)) {
                if (depend.type == OptionType::Boolean) {
                    CHECK(parseBool(value));
                } else {
                    bool allowedSomewhere = false;
                    for (const CommandDef& command : commandTable())
                        if (depend.validFor(command.id))
                            for (const std::string_view allowed : words(depend.allowedFor(command.id)))
                                allowedSomewhere = allowedSomewhere || allowed == value;
                    CHECK(allowedSomewhere);
                }
            }
            std::set<std::string_view> seen{option.name};
            for (const OptionDef* step = &depend; !step->depend.option.empty();
                 step = &optionDef(*findOptionId(step->depend.option)))
                REQUIRE(seen.insert(step->name).second);
        }
    }
}

TEST_CASE("every spelling of every option resolves back to it", "[unit][config]") {
    const auto table = optionTable();
    for (OptionId id = 0; id < table.size(); ++id) {
        const OptionDef& option = table[id];
        INFO("option " << option.name);
        const unsigned index = option.group == Group::None ? 0 : 7;
        const NameLookup canonical = lookupOptionName(option.indexedName(index), NameMatch::Exact);
        REQUIRE(canonical.status == NameLookup::Status::Found);
        CHECK(canonical.key.id == id);
        CHECK(canonical.key.index == index);

        for (std::string_view list = option.deprecated; !list.empty();) {
            const std::size_t space = list.find(' ');
            std::string name(list.substr(0, space));
            list = space == std::string_view::npos ? std::string_view{} : list.substr(space + 1);
            const bool indexed = name.find('?') != std::string::npos;
            if (indexed) name.replace(name.find('?'), 1, "3");
            INFO("deprecated name " << name);
            const NameLookup old = lookupOptionName(name, NameMatch::Exact);
            REQUIRE(old.status == NameLookup::Status::Found);
            CHECK(old.key.id == id);
            CHECK(old.key.index == (option.group == Group::None ? 0u : indexed ? 3u : 1u));
        }
    }
}

TEST_CASE("OptionDef helpers apply per-command rules", "[unit][config]") {
    const OptionDef& type = optionDef(*findOptionId("type"));
    CHECK(type.defaultFor(CommandId::Backup) == "incr");
    CHECK(type.defaultFor(CommandId::Restore) == "default");
    CHECK(type.defaultFor(CommandId::Info).empty());
    CHECK(type.allowedFor(CommandId::Info) == "full diff incr");

    const OptionDef& stanza = optionDef(*findOptionId("stanza"));
    CHECK(stanza.requiredFor(CommandId::Backup));
    CHECK_FALSE(stanza.requiredFor(CommandId::Info));
    CHECK_FALSE(stanza.requiredFor(CommandId::Stop));

    CHECK(optionDef(*findOptionId("repo-path")).indexedName(12) == "repo12-path");
    CHECK(optionDef(*findOptionId("pg-host-port")).indexedName(256) == "pg256-host-port");
    CHECK(optionDef(*findOptionId("repo-path")).indexedName(0) == "repo-path");

    CHECK(optionDef(*findOptionId("start-fast")).negatable());
    CHECK(optionDef(*findOptionId("online")).negatable());
    CHECK(optionDef(*findOptionId("config")).negatable());
    CHECK_FALSE(optionDef(*findOptionId("force")).negatable());
    CHECK_FALSE(optionDef(*findOptionId("stanza")).resettable());
    CHECK(optionDef(*findOptionId("repo-path")).resettable());

    CHECK(deprecatedNames(optionDef(*findOptionId("repo-storage-verify-tls"))) ==
          std::vector<std::string>{"repo-s3-verify-ssl", "repo-azure-verify-tls", "repo-s3-verify-tls"});
    CHECK(deprecatedNames(optionDef(*findOptionId("pg-path"))) == std::vector<std::string>{"db-path"});
}

TEST_CASE("optionsFor lists a command's options in table order", "[unit][config]") {
    const std::vector<OptionId> start = optionsFor(CommandId::Start);
    std::vector<std::string_view> names;
    for (const OptionId id : start) names.push_back(optionDef(id).name);
    CHECK(names == std::vector<std::string_view>{"beta", "config", "config-include-path", "config-path", "exec-id",
                                                 "lock-path", "log-level-console", "log-level-file", "log-level-stderr",
                                                 "log-path", "log-timestamp", "neutral-umask", "stanza"});
    CHECK(optionsFor(CommandId::Version).empty());
    CHECK(optionsFor(CommandId::Help).empty());
}
