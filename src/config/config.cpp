// Config getters and the effective option list.
#include "config/config.h"

#include "common/error.h"
#include "config/value.h"

namespace pgark::config {

namespace {

std::string_view typeName(OptionType type) {
    switch (type) {
    case OptionType::Boolean:
        return "boolean";
    case OptionType::Integer:
        return "integer";
    case OptionType::Size:
        return "size";
    case OptionType::Time:
        return "time";
    case OptionType::String:
        return "string";
    case OptionType::StringId:
        return "string-id";
    case OptionType::Path:
        return "path";
    case OptionType::List:
        return "list";
    case OptionType::Hash:
        return "hash";
    }
    return "unknown";  // uncoverable - every type is handled above
}

}  // namespace

OptionKey Config::keyOf(std::string_view name, unsigned index) const {
    OptionKey key;
    if (const auto id = findOptionId(name)) {
        const OptionDef& option = optionDef(*id);
        if (option.group == Group::None && index != 0)
            throw Error(ErrorCode::Assert, fmt::format("option '{}' has no index", name));
        if (option.group != Group::None && (index < 1 || index > kIndexMax))
            throw Error(ErrorCode::Assert, fmt::format("option '{}' needs an index from 1 to {}", name, kIndexMax));
        key = {*id, index};
    } else {
        // An indexed spelling such as "repo2-path".
        const NameLookup lookup = lookupOptionName(name, NameMatch::Exact);
        if (lookup.status != NameLookup::Status::Found || lookup.form != NameForm::Set ||
            (index != 0 && index != lookup.key.index))
            throw Error(ErrorCode::Assert, fmt::format("option '{}' is not a known option name", name));
        key = lookup.key;
    }
    if (!optionDef(key.id).validFor(optionCommand_))
        throw Error(ErrorCode::Assert, fmt::format("option '{}' is not valid for command '{}'", keyName(key),
                                                   commandDef(optionCommand_).name));
    return key;
}

const OptionValue* Config::find(const OptionKey& key) const {
    const auto it = values_.find(key);
    return it == values_.end() ? nullptr : &it->second;
}

const OptionValue& Config::valueOf(std::string_view name, unsigned index, OptionType type) const {
    const OptionKey key = keyOf(name, index);
    const OptionDef& option = optionDef(key.id);
    // getString() reads any single-valued option; the other getters only their own type.
    const bool stringRead = type == OptionType::String && !option.multiValue();
    if (option.type != type && !stringRead)
        throw Error(ErrorCode::Assert, fmt::format("option '{}' has type {}, not {}", keyName(key),
                                                   typeName(option.type), typeName(type)));
    const OptionValue* value = find(key);
    if (value == nullptr || value->values.empty())
        throw Error(ErrorCode::Assert, fmt::format("option '{}' has no value", keyName(key)))
            .withHint("check has() before reading an optional option");
    return *value;
}

bool Config::takes(std::string_view name) const noexcept {
    const auto id = findOptionId(name);
    return id && optionDef(*id).validFor(optionCommand_);
}

bool Config::has(std::string_view name, unsigned index) const {
    const OptionValue* value = find(keyOf(name, index));
    return value != nullptr && !value->values.empty();
}

Source Config::source(std::string_view name, unsigned index) const {
    const OptionValue* value = find(keyOf(name, index));
    return value == nullptr ? Source::Default : value->source;
}

std::string Config::getString(std::string_view name, unsigned index) const {
    return valueOf(name, index, OptionType::String).values.front();
}

bool Config::getBool(std::string_view name, unsigned index) const {
    return valueOf(name, index, OptionType::Boolean).values.front() == "y";
}

std::int64_t Config::getInt(std::string_view name, unsigned index) const {
    return *parseInteger(valueOf(name, index, OptionType::Integer).values.front());
}

std::uint64_t Config::getSize(std::string_view name, unsigned index) const {
    return *parseSize(valueOf(name, index, OptionType::Size).values.front());
}

std::chrono::milliseconds Config::getTime(std::string_view name, unsigned index) const {
    return *parseTime(valueOf(name, index, OptionType::Time).values.front());
}

std::vector<std::string> Config::getList(std::string_view name, unsigned index) const {
    const OptionKey key = keyOf(name, index);
    if (optionDef(key.id).type != OptionType::List)
        throw Error(ErrorCode::Assert, fmt::format("option '{}' is not a list option", keyName(key)));
    const OptionValue* value = find(key);
    return value == nullptr ? std::vector<std::string>{} : value->values;
}

std::map<std::string, std::string> Config::getHash(std::string_view name, unsigned index) const {
    const OptionKey key = keyOf(name, index);
    if (optionDef(key.id).type != OptionType::Hash)
        throw Error(ErrorCode::Assert, fmt::format("option '{}' is not a hash option", keyName(key)));
    std::map<std::string, std::string> result;
    if (const OptionValue* value = find(key))
        for (const std::string& pair : value->values) {
            auto split = splitKeyValue(pair);
            result[split->first] = std::move(split->second);
        }
    return result;
}

std::vector<std::string> Config::effectiveOptions() const {
    std::vector<std::string> result;
    // values_ is ordered by option id (the table is sorted by name), then by index.
    for (const auto& [key, value] : values_) {
        const OptionDef& option = optionDef(key.id);
        const std::string name = keyName(key);
        if (value.source == Source::Default) {
            if (value.reset) result.push_back("--reset-" + name);
            continue;
        }
        if (value.negated || (option.type == OptionType::Boolean && value.values.front() == "n")) {
            result.push_back("--no-" + name);
        } else if (option.type == OptionType::Boolean) {
            result.push_back("--" + name);
        } else {
            for (const std::string& text : value.values) {
                if (option.has(kSecure))
                    result.push_back(fmt::format("--{}=<redacted>", name));
                else if (text.find(' ') != std::string::npos)
                    result.push_back(fmt::format("--{}=\"{}\"", name, text));
                else
                    result.push_back(fmt::format("--{}={}", name, text));
            }
        }
    }
    return result;
}

}  // namespace pgark::config
