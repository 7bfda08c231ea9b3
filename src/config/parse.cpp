// Command-line parsing: one pass over argv.
#include "config/parse.h"

#include <optional>

#include "common/error.h"

namespace pgark::config {

namespace {

std::string_view formVerb(NameForm form) {
    switch (form) {
    case NameForm::Set:
        return "set";
    case NameForm::Negate:
        return "negated";
    case NameForm::Reset:
        return "reset";
    }
    return "set";  // uncoverable - every form is handled above
}

[[noreturn]] void throwUnknown(std::string_view arg, std::string_view name) {
    Error error(ErrorCode::OptionInvalid, fmt::format("invalid option '{}'", arg));
    const std::string suggestion = suggestOptionName(name);
    error.withHint(suggestion.empty() ? std::string("run 'pgark help <command>' to list the options of a command")
                                      : fmt::format("did you mean '--{}'?", suggestion));
    throw error;
}

// Adds one occurrence, enforcing: one form per option, and one value unless a list or hash.
void record(RawOptions& options, const OptionKey& key, NameForm form, std::optional<std::string> value,
            std::string_view written) {
    const OptionDef& option = optionDef(key.id);
    const std::string name = keyName(key);
    auto [it, inserted] = options.try_emplace(key);
    RawValue& raw = it->second;
    if (inserted) {
        raw.form = form;
        raw.written = std::string(written);
    } else if (raw.form != form) {
        // "set and negated", "negated and reset": the two forms contradict each other.
        const bool setFirst = raw.form == NameForm::Set || (raw.form == NameForm::Negate && form == NameForm::Reset);
        throw Error(ErrorCode::OptionInvalid,
                    fmt::format("option '{}' cannot be {} and {}", name, formVerb(setFirst ? raw.form : form),
                                formVerb(setFirst ? form : raw.form)));
    } else if (form != NameForm::Set || !option.multiValue()) {
        throw Error(ErrorCode::OptionDuplicate, fmt::format("option '{}' cannot be set multiple times", name))
            .withHint(option.multiValue() ? "" : "give it once; only list and hash options may be repeated");
    }
    if (value) raw.values.push_back(std::move(*value));
}

}  // namespace

CommandLine parseCommandLine(std::span<const std::string> args) {
    CommandLine result;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (!arg.starts_with("-") || arg == "-") {
            // The first plain argument is the command, the others its parameters.
            if (result.command.empty())
                result.command = arg;
            else
                result.params.push_back(arg);
            continue;
        }
        if (!arg.starts_with("--") || arg.size() == 2)
            throw Error(ErrorCode::OptionInvalid, fmt::format("invalid option '{}'", arg))
                .withHint("options start with '--', e.g. --stanza=main");

        const std::string_view body = std::string_view(arg).substr(2);
        const std::size_t equal = body.find('=');
        const std::string_view name = body.substr(0, equal);
        std::optional<std::string> value;
        if (equal != std::string_view::npos) value = std::string(body.substr(equal + 1));

        const NameLookup lookup = lookupOptionName(name, NameMatch::Prefix);
        if (lookup.status == NameLookup::Status::Unknown) throwUnknown(fmt::format("--{}", name), name);
        throwIfNameError(lookup, fmt::format("--{}", name));

        const OptionDef& option = optionDef(lookup.key.id);
        const std::string shown = keyName(lookup.key);
        switch (lookup.form) {
        case NameForm::Negate:
            if (!option.negatable())
                throw Error(ErrorCode::OptionInvalid, fmt::format("option 'no-{}' cannot be negated", shown));
            if (value)
                throw Error(ErrorCode::OptionInvalid, fmt::format("option 'no-{}' does not allow an argument", shown));
            break;
        case NameForm::Reset:
            if (!option.resettable())
                throw Error(ErrorCode::OptionInvalid, fmt::format("option 'reset-{}' cannot be reset", shown))
                    .withHint("only options that may appear in a configuration file can be reset");
            if (value)
                throw Error(ErrorCode::OptionInvalid, fmt::format("option 'reset-{}' does not allow an argument", shown));
            break;
        case NameForm::Set:
            // Checked before reading the value so that a secret is never echoed back in a message.
            if (option.has(kSecure))
                throw Error(ErrorCode::OptionInvalid,
                            fmt::format("option '{}' is not allowed on the command-line", shown))
                    .withHint("this option could expose secrets in the process list: specify it in a configuration "
                              "file or in the environment (PGARK_<NAME> or PGBACKREST_<NAME>) instead");
            if (option.type == OptionType::Boolean) {
                if (!value) {
                    value = "y";
                } else if (*value != "y" && *value != "n") {
                    throw Error(ErrorCode::OptionInvalidValue,
                                fmt::format("boolean option '--{}' argument must be 'y' or 'n'", name));
                }
            } else if (!value) {
                if (i + 1 >= args.size())
                    throw Error(ErrorCode::OptionInvalid, fmt::format("option '--{}' requires an argument", name))
                        .withHint(fmt::format("write --{}=<value>", shown));
                value = args[++i];
            }
            if (value->empty())
                throw Error(ErrorCode::OptionInvalidValue, fmt::format("option '--{}' must have a value", name));
            break;
        }
        record(result.options, lookup.key, lookup.form, std::move(value), name);
    }
    return result;
}

}  // namespace pgark::config
