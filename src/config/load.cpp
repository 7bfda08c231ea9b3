// load(): the sources merged by precedence, then every option of the command resolved once:
// dependency first, then value validation or default, then the required check. Options are resolved
// in table order, recursively through their dependencies, so errors come in a stable order.
#include <algorithm>
#include <optional>
#include <set>

#include "common/error.h"
#include "config/config.h"
#include "config/config_file.h"
#include "config/env.h"
#include "config/file_options.h"
#include "config/option_rules.h"
#include "config/parse.h"
#include "config/value.h"

namespace pgark::config {

namespace {

struct Candidate {
    Source source;
    const RawValue* raw;
};

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

std::string quotedList(std::string_view list) {
    std::string result;
    for (const std::string_view word : words(list)) result += fmt::format("{}'{}'", result.empty() ? "" : ", ", word);
    return result;
}

}  // namespace

class ConfigBuilder {
public:
    ConfigBuilder(const LoadInput& input, bool readSources) : input_(input), readSources_(readSources) {}

    Config build() {
        const CommandLine commandLine = parseCommandLine(input_.args);
        chooseCommand(commandLine);
        for (const auto& [key, raw] : commandLine.options)
            if (!optionDef(key.id).validFor(config_.optionCommand_))
                throw Error(ErrorCode::OptionInvalid, fmt::format("option '{}' not valid for command '{}'", keyName(key),
                                                                  commandDef(config_.optionCommand_).name))
                    .withHint(fmt::format("run 'pgark help {}' to list its options", commandDef(config_.optionCommand_).name));

        RawOptions environment;
        RawOptions files;
        if (readSources_ && commandDef(config_.command_).readsConfig) {
            environment = parseEnvironment(input_.env, config_.warnings_);
            files = readFiles(commandLine.options, environment);
        }
        merge(files, Source::ConfigFile);
        merge(environment, Source::Environment);
        merge(commandLine.options, Source::CommandLine);
        config_.repoIndexes_ = indexesOf(Group::Repo);
        config_.pgIndexes_ = indexesOf(Group::Pg);

        // The stanza first: without it, a missing stanza option (pg1-path) would hide the real problem.
        if (const OptionId stanza = *findOptionId("stanza"); optionDef(stanza).validFor(config_.optionCommand_))
            resolve({stanza, 0});
        for (const OptionId id : optionsFor(config_.optionCommand_))
            for (const unsigned index : indexesFor(optionDef(id).group)) resolve({id, index});

        checkRepoSelection();
        warnRetention();
        return std::move(config_);
    }

    const std::vector<std::string>& warnings() const { return config_.warnings_; }

private:
    void chooseCommand(const CommandLine& commandLine) {
        if (commandLine.command.empty()) {
            if (!input_.args.empty())
                throw Error(ErrorCode::CommandRequired, "no command found")
                    .withHint("run 'pgark help' to list the commands");
            config_.command_ = CommandId::Help;  // no arguments at all: show the help
        } else {
            const CommandDef* command = findCommand(commandLine.command);
            if (command == nullptr)
                throw Error(ErrorCode::CommandInvalid, fmt::format("invalid command '{}'", commandLine.command))
                    .withHint("run 'pgark help' to list the commands");
            config_.command_ = command->id;
        }
        config_.optionCommand_ = config_.command_;
        config_.params_ = commandLine.params;

        const CommandDef& command = commandDef(config_.command_);
        if (!command.params && !config_.params_.empty())
            throw Error(ErrorCode::ParamInvalid, "command does not allow parameters")
                .withHint(fmt::format("'{}' takes options only", command.name));
        if (config_.command_ == CommandId::Help && !config_.params_.empty()) {
            // help <command> [<option>]: options given are checked as the described command's.
            if (config_.params_.size() > 2)
                throw Error(ErrorCode::ParamInvalid, "help takes at most a command and an option name");
            const CommandDef* described = findCommand(config_.params_.front());
            if (described == nullptr)
                throw Error(ErrorCode::CommandInvalid, fmt::format("invalid command '{}'", config_.params_.front()))
                    .withHint("run 'pgark help' to list the commands");
            config_.optionCommand_ = described->id;
        }
    }

    RawOptions readFiles(const RawOptions& commandLine, const RawOptions& environment) {
        // The options that locate the files and pick their sections come from the command line or
        // the environment only.
        auto early = [&](std::string_view name) -> const RawValue* {
            const OptionKey key{*findOptionId(name), 0};
            if (const auto it = commandLine.find(key); it != commandLine.end()) return &it->second;
            if (const auto it = environment.find(key); it != environment.end()) return &it->second;
            return nullptr;
        };
        auto path = [&](std::string_view name) -> std::optional<std::string> {
            const RawValue* raw = early(name);
            if (raw == nullptr || raw->form != NameForm::Set) return std::nullopt;
            const OptionDef& option = optionDef(*findOptionId(name));
            return validateValue(option, config_.optionCommand_, name, raw->values.front());
        };

        ConfigFileSettings settings;
        settings.root = input_.root;
        settings.config = path("config");
        const RawValue* config = early("config");
        settings.noConfig = config != nullptr && config->form == NameForm::Negate;
        settings.configPath = path("config-path");
        settings.configIncludePath = path("config-include-path");
        const RawValue* stanza = early("stanza");
        const std::string stanzaName = stanza != nullptr && stanza->form == NameForm::Set ? stanza->values.front() : "";

        const ConfigFiles loaded = loadConfigFiles(settings);
        return fileOptions(loaded.ini, config_.optionCommand_, stanzaName, config_.warnings_);
    }

    // Higher sources are merged last and replace lower ones; options the command lacks are dropped.
    void merge(const RawOptions& options, Source source) {
        for (const auto& [key, raw] : options)
            if (optionDef(key.id).validFor(config_.optionCommand_)) merged_[key] = Candidate{source, &raw};
    }

    std::vector<unsigned> indexesOf(Group group) const {
        std::set<unsigned> indexes;
        for (const auto& [key, candidate] : merged_)
            if (optionDef(key.id).group == group && candidate.raw->form != NameForm::Reset) indexes.insert(key.index);
        if (indexes.empty()) return {1};
        return {indexes.begin(), indexes.end()};
    }

    const std::vector<unsigned>& indexesFor(Group group) const {
        static const std::vector<unsigned> kUngrouped{0};
        switch (group) {
        case Group::Repo:
            return config_.repoIndexes_;
        case Group::Pg:
            return config_.pgIndexes_;
        case Group::None:
            break;
        }
        return kUngrouped;
    }

    // Resolves another option for a rule or dependency of an option at `index`.
    const OptionValue* resolveNamed(std::string_view name, const OptionDef& from, unsigned index) {
        const OptionId id = *findOptionId(name);
        const OptionDef& option = optionDef(id);
        if (!option.validFor(config_.optionCommand_)) return nullptr;
        return resolve({id, option.group == Group::None ? 0 : (option.group == from.group ? index : 1)});
    }

    // nullopt when the dependency is met; otherwise the message for a command-line value.
    std::optional<std::string> unmetDependency(const OptionDef& option, const OptionKey& key) {
        const Dependency& depend = option.depend;
        if (depend.option.empty()) return std::nullopt;
        const OptionId dependId = *findOptionId(depend.option);
        const OptionDef& dependDef = optionDef(dependId);
        if (!dependDef.validFor(config_.optionCommand_)) return std::nullopt;  // see Dependency
        const OptionValue* value = resolveNamed(depend.option, option, key.index);
        const std::vector<std::string_view> allowed = words(depend.values);
        if (value != nullptr && !value->values.empty() &&
            (allowed.empty() || std::find(allowed.begin(), allowed.end(), value->values.front()) != allowed.end()))
            return std::nullopt;

        const std::string dependName = dependDef.indexedName(dependDef.group == Group::None ? 0 : key.index);
        std::string condition;
        if (allowed.empty() || (dependDef.type == OptionType::Boolean && allowed.front() == "y"))
            condition = fmt::format("'{}'", dependName);
        else if (dependDef.type == OptionType::Boolean)
            condition = fmt::format("'no-{}'", dependName);
        else if (allowed.size() == 1)
            condition = fmt::format("'{}' = '{}'", dependName, allowed.front());
        else
            condition = fmt::format("'{}' in ({})", dependName, quotedList(depend.values));
        return fmt::format("option '{}' not valid without option {}", keyName(key), condition);
    }

    const OptionValue* resolve(const OptionKey& key) {
        if (const auto state = state_.find(key); state != state_.end()) {
            if (!state->second)  // uncoverable - the table has no dependency cycle (unit-tested)
                throw Error(ErrorCode::Assert, fmt::format("option '{}' depends on itself", keyName(key)));
            const auto it = config_.values_.find(key);
            return it == config_.values_.end() ? nullptr : &it->second;
        }
        state_[key] = false;
        const OptionDef& option = optionDef(key.id);
        const CommandId command = config_.optionCommand_;
        const auto candidate = merged_.find(key);
        const Candidate* given = candidate == merged_.end() ? nullptr : &candidate->second;
        const bool reset = given != nullptr && given->raw->form == NameForm::Reset;
        if (reset) given = nullptr;

        if (const auto unmet = unmetDependency(option, key)) {
            // A value from a file or the environment that does not apply is dropped, as the same file
            // serves every command and set-up; on the command line it is a mistake worth an error.
            if (given != nullptr && given->source == Source::CommandLine)
                throw Error(ErrorCode::OptionInvalid, *unmet);
            state_[key] = true;
            return nullptr;
        }

        OptionValue value;
        value.reset = reset;
        const ResolveFn others = [this, &option, &key](std::string_view name, unsigned) {
            return resolveNamed(name, option, key.index);
        };
        if (given != nullptr) {
            value.source = given->source;
            value.negated = given->raw->form == NameForm::Negate;
            if (value.negated && option.type == OptionType::Boolean) value.values = {"n"};
            for (const std::string& text : given->raw->values)
                value.values.push_back(validateValue(option, command, keyName(key), text));
            if (option.name == "compress-level") checkCompressLevel(value.values.front(), others);
            if (option.has(kBeta)) {
                const OptionValue* beta = resolveNamed("beta", option, key.index);
                if (beta == nullptr || beta->values.front() != "y")
                    throw Error(ErrorCode::OptionInvalid,
                                fmt::format("option '{}' is not valid without option 'beta'", keyName(key)))
                        .withHint("beta features are not for production; set beta=y (or --beta) to use them anyway");
            }
        } else {
            const std::optional<std::string> computed = computedDefault(option, key.index, others, input_.exePath);
            const std::string_view defaultValue = computed ? std::string_view(*computed) : option.defaultFor(command);
            if (!defaultValue.empty()) value.values = {std::string(defaultValue)};
        }

        if (value.values.empty() && !value.negated && option.requiredFor(command) && config_.command_ != CommandId::Help)
            throwRequired(option, key);

        state_[key] = true;
        if (value.values.empty() && !value.negated && !value.reset) return nullptr;
        const auto [it, inserted] = config_.values_.emplace(key, std::move(value));
        return &it->second;
    }

    [[noreturn]] void throwRequired(const OptionDef& option, const OptionKey& key) const {
        Error error(ErrorCode::OptionRequired, fmt::format("{} command requires option: {}",
                                                           commandDef(config_.optionCommand_).name, keyName(key)));
        if (option.section == Section::Stanza)
            error.withHint("does this stanza exist?");
        else if (option.name == "stanza")
            error.withHint("name the stanza with --stanza=<name> (or PGARK_STANZA in the environment)");
        else
            error.withHint(fmt::format("set {} in the configuration file or the environment", keyName(key)));
        throw error;
    }

    // --repo must name a configured repository.
    void checkRepoSelection() const {
        const auto repo = findOptionId("repo");
        const auto it = config_.values_.find({*repo, 0});
        if (it == config_.values_.end() || it->second.values.empty()) return;
        const auto selected = static_cast<unsigned>(*parseInteger(it->second.values.front()));
        const std::vector<unsigned>& configured = config_.repoIndexes_;
        if (std::find(configured.begin(), configured.end(), selected) != configured.end()) return;
        std::string list;
        for (const unsigned index : configured) list += fmt::format("{}repo{}", list.empty() ? "" : ", ", index);
        throw Error(ErrorCode::OptionInvalidValue, fmt::format("repo{} is not configured (option 'repo' = {})", selected,
                                                               selected))
            .withHint(fmt::format("configured repositories: {}", list));
    }

    // pgBackRest warns on every backup and expire when full backups would never expire, and when
    // the WAL retention type has no count to go by.
    void warnRetention() {
        if (config_.command_ != CommandId::Backup && config_.command_ != CommandId::Expire) return;
        for (const unsigned index : config_.repoIndexes_) {
            auto value = [&](std::string_view name) -> std::optional<std::string> {
                const auto it = config_.values_.find({*findOptionId(name), index});
                if (it == config_.values_.end() || it->second.values.empty()) return std::nullopt;
                return it->second.values.front();
            };
            const std::string fullType = value("repo-retention-full-type").value_or("count");
            const std::string archiveType = value("repo-retention-archive-type").value_or("full");
            const bool full = value("repo-retention-full").has_value();
            const bool diff = value("repo-retention-diff").has_value();
            if (!full) {
                config_.warnings_.push_back(fmt::format(
                    "option 'repo{0}-retention-full' is not set for 'repo{0}-retention-full-type={1}', the repository "
                    "may run out of space\nHINT: to retain full backups indefinitely (without warning), set option "
                    "'repo{0}-retention-full' to the maximum.",
                    index, fullType));
            }
            if (!value("repo-retention-archive")) {
                if (archiveType == "diff" && !diff) {
                    config_.warnings_.push_back(fmt::format(
                        "WAL segments will not be expired: option 'repo{0}-retention-archive-type=diff' but neither "
                        "option 'repo{0}-retention-archive' nor option 'repo{0}-retention-diff' is set",
                        index));
                } else if (archiveType == "incr") {
                    config_.warnings_.push_back(fmt::format(
                        "WAL segments will not be expired: option 'repo{0}-retention-archive-type=incr' but option "
                        "'repo{0}-retention-archive' is not set",
                        index));
                }
            } else if (archiveType == "diff" && !diff) {
                config_.warnings_.push_back(fmt::format(
                    "option 'repo{0}-retention-diff' is not set for 'repo{0}-retention-archive-type=diff'\nHINT: to "
                    "retain differential backups indefinitely (without warning), set option 'repo{0}-retention-diff' "
                    "to the maximum.",
                    index));
            }
        }
    }

    const LoadInput& input_;
    const bool readSources_;
    Config config_;
    std::map<OptionKey, Candidate> merged_;
    std::map<OptionKey, bool> state_;  // false = being resolved, true = done
};

Config load(const LoadInput& input) { return ConfigBuilder(input, true).build(); }

Config load(const LoadInput& input, std::vector<std::string>& warnings) {
    ConfigBuilder builder(input, true);
    try {
        Config config = builder.build();
        warnings = config.warnings();
        return config;
    } catch (...) {
        warnings = builder.warnings();
        throw;
    }
}

Config loadArgs(std::vector<std::string> args) {
    LoadInput input;
    input.args = std::move(args);
    return ConfigBuilder(input, false).build();
}

}  // namespace pgark::config
