// Environment variables -> raw options.
#include "config/env.h"

#include <array>
#include <cctype>

#include "common/error.h"

namespace pgark::config {

namespace {

struct Prefix {
    std::string_view text;
    int rank;           // lower wins
    bool warnUnknown;   // PGARK_ also names the project's own tooling variables (PGARK_TEST_PORT...)
};
constexpr std::array<Prefix, 2> kPrefixes = {{{"PGARK_", 0, false}, {"PGBACKREST_", 1, true}}};

std::vector<std::string> splitColon(std::string_view value) {
    std::vector<std::string> result;
    for (;;) {
        const std::size_t colon = value.find(':');
        result.emplace_back(value.substr(0, colon));
        if (colon == std::string_view::npos) return result;
        value.remove_prefix(colon + 1);
    }
}

}  // namespace

RawOptions parseEnvironment(std::span<const std::string> environment, std::vector<std::string>& warnings) {
    RawOptions result;
    std::map<OptionKey, int> rankOf;  // which prefix set each option
    for (const std::string& entry : environment) {
        const Prefix* prefix = nullptr;
        for (const Prefix& candidate : kPrefixes)
            if (entry.starts_with(candidate.text)) prefix = &candidate;
        if (prefix == nullptr) continue;

        const std::size_t equal = entry.find('=');
        if (equal == std::string::npos) continue;
        const std::string variable = entry.substr(0, equal);
        const std::string_view value = std::string_view(entry).substr(equal + 1);
        std::string name = variable.substr(prefix->text.size());
        for (char& c : name) c = c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));

        const NameLookup lookup = lookupOptionName(name, NameMatch::Exact);
        if (lookup.status == NameLookup::Status::Unknown) {
            if (prefix->warnUnknown) warnings.push_back(fmt::format("environment contains invalid option '{}'", name));
            continue;
        }
        throwIfNameError(lookup, name);
        if (lookup.form != NameForm::Set) {
            warnings.push_back(fmt::format("environment contains invalid {} option '{}'",
                                           lookup.form == NameForm::Negate ? "negate" : "reset", name));
            continue;
        }

        const OptionDef& option = optionDef(lookup.key.id);
        const std::string shown = keyName(lookup.key);
        if (value.empty())
            throw Error(ErrorCode::OptionInvalidValue, fmt::format("environment variable '{}' must have a value", variable));
        if (option.type == OptionType::Boolean && value != "y" && value != "n")
            throw Error(ErrorCode::OptionInvalidValue,
                        fmt::format("environment boolean option '{}' must be 'y' or 'n'", shown));

        if (const auto seen = rankOf.find(lookup.key); seen != rankOf.end()) {
            if (seen->second < prefix->rank) continue;  // PGARK_ already set it
            if (seen->second == prefix->rank)
                throw Error(ErrorCode::OptionDuplicate,
                            fmt::format("environment sets option '{}' more than once ('{}' and '{}')", shown,
                                        result[lookup.key].written, name));
        }
        rankOf[lookup.key] = prefix->rank;
        RawValue& raw = result[lookup.key];
        raw.form = NameForm::Set;
        raw.written = name;
        raw.values = option.multiValue() ? splitColon(value) : std::vector<std::string>{std::string(value)};
    }
    return result;
}

}  // namespace pgark::config
