// Option value parsing and validation.
#include "config/value.h"

#include <cctype>
#include <limits>
#include <vector>

#include "common/error.h"

namespace pgark::config {

namespace {

std::optional<std::uint64_t> parseDigits(std::string_view text) noexcept {
    if (text.empty()) return std::nullopt;
    std::uint64_t result = 0;
    for (const char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        const auto digit = static_cast<std::uint64_t>(c - '0');
        if (result > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) return std::nullopt;
        result = result * 10 + digit;
    }
    return result;
}

std::vector<std::string_view> words(std::string_view list) {
    std::vector<std::string_view> result;
    while (!list.empty()) {
        const std::size_t space = list.find(' ');
        if (space != 0) result.push_back(list.substr(0, space));
        if (space == std::string_view::npos) break;
        list.remove_prefix(space + 1);
    }
    return result;
}

std::string joinWords(std::string_view list) {
    std::string result;
    for (const std::string_view word : words(list)) {
        if (!result.empty()) result += ", ";
        result += word;
    }
    return result;
}

// What a value of each type looks like, for the hint of an invalid value.
std::string_view typeHint(OptionType type) {
    switch (type) {
    case OptionType::Integer:
        return "the value must be a whole number";
    case OptionType::Size:
        return "the value must be a whole number of bytes with an optional unit: b, k/kb/kib, m/mb/mib, g.., t.., p.. "
               "(powers of 1024), e.g. 2MiB";
    case OptionType::Time:
        return "the value must be a number of seconds, fractions allowed, e.g. 0.5";
    default:
        return "";
    }
}

void checkRange(const OptionDef& option, std::string_view name, std::string_view value, std::int64_t number) {
    if (option.range.empty()) return;
    const std::size_t dots = option.range.find("..");
    const auto min = parseNumber(option.type, option.range.substr(0, dots));
    const auto max = parseNumber(option.type, option.range.substr(dots + 2));
    if (number < *min || number > *max)
        throw Error(ErrorCode::OptionInvalidRange,
                    fmt::format("'{}' is out of range for '{}' option", value, name))
            .withHint(fmt::format("allowed range is {} to {}", option.range.substr(0, dots),
                                  option.range.substr(dots + 2)));
}

}  // namespace

std::optional<bool> parseBool(std::string_view text) noexcept {
    if (text == "y") return true;
    if (text == "n") return false;
    return std::nullopt;
}

std::optional<std::int64_t> parseInteger(std::string_view text) noexcept {
    const bool negative = !text.empty() && text.front() == '-';
    if (negative) text.remove_prefix(1);
    const auto magnitude = parseDigits(text);
    if (!magnitude) return std::nullopt;
    const auto limit = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    if (*magnitude > limit + (negative ? 1 : 0)) return std::nullopt;
    if (negative) return *magnitude == limit + 1 ? std::numeric_limits<std::int64_t>::min()
                                                 : -static_cast<std::int64_t>(*magnitude);
    return static_cast<std::int64_t>(*magnitude);
}

std::optional<std::uint64_t> parseSize(std::string_view text) noexcept {
    std::size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
    const auto number = parseDigits(text.substr(0, digits));
    if (!number) return std::nullopt;

    // The unit, lower-cased into a small buffer: at most three letters ("kib").
    const std::string_view rest = text.substr(digits);
    if (rest.size() > 3) return std::nullopt;
    char buffer[3] = {};
    for (std::size_t i = 0; i < rest.size(); ++i)
        buffer[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(rest[i])));
    const std::string_view unit(buffer, rest.size());

    static constexpr std::string_view kUnits = "bkmgtp";
    unsigned shift = 0;
    if (!unit.empty()) {
        const std::size_t power = kUnits.find(unit.front());
        const std::string_view suffix = unit.substr(1);
        // "b" alone, or "k", "kb", "kib" and so on.
        const bool known = power != std::string_view::npos &&
                           (suffix.empty() || (power > 0 && (suffix == "b" || suffix == "ib")));
        if (!known) return std::nullopt;
        shift = static_cast<unsigned>(10 * power);
    }
    if (shift > 0 && *number > (std::numeric_limits<std::uint64_t>::max() >> shift)) return std::nullopt;
    return *number << shift;
}

std::optional<std::chrono::milliseconds> parseTime(std::string_view text) noexcept {
    // Integer arithmetic, so that "0.1" is exactly 100 ms: milliseconds from the first three
    // fraction digits, rounded by the fourth.
    const std::size_t dot = text.find('.');
    const auto whole = parseDigits(text.substr(0, dot));
    constexpr std::uint64_t kMaxSeconds = 1'000'000'000'000;  // far beyond any range, and safe to scale
    if (!whole || *whole > kMaxSeconds) return std::nullopt;
    std::uint64_t millis = *whole * 1000;
    if (dot != std::string_view::npos) {
        const std::string_view fraction = text.substr(dot + 1);
        if (!parseDigits(fraction)) return std::nullopt;
        std::uint64_t scale = 100;
        for (std::size_t i = 0; i < fraction.size() && i < 3; ++i, scale /= 10)
            millis += scale * static_cast<std::uint64_t>(fraction[i] - '0');
        if (fraction.size() > 3 && fraction[3] >= '5') ++millis;
    }
    return std::chrono::milliseconds(static_cast<std::int64_t>(millis));
}

std::optional<std::int64_t> parseNumber(OptionType type, std::string_view text) noexcept {
    switch (type) {
    case OptionType::Integer:
        return parseInteger(text);
    case OptionType::Size: {
        const auto bytes = parseSize(text);
        if (!bytes || *bytes > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
            return std::nullopt;
        return static_cast<std::int64_t>(*bytes);
    }
    case OptionType::Time: {
        const auto time = parseTime(text);
        if (!time) return std::nullopt;
        return time->count();
    }
    default:
        return std::nullopt;
    }
}

std::optional<std::pair<std::string, std::string>> splitKeyValue(std::string_view text) {
    const std::size_t equal = text.find('=');
    if (equal == std::string_view::npos || equal == 0) return std::nullopt;
    return std::make_pair(std::string(text.substr(0, equal)), std::string(text.substr(equal + 1)));
}

std::string validateValue(const OptionDef& option, CommandId command, std::string_view name, std::string_view value) {
    switch (option.type) {
    case OptionType::Boolean:
        if (!parseBool(value))
            throw Error(ErrorCode::OptionInvalidValue,
                        fmt::format("boolean option '{}' must be 'y' or 'n'", name));
        return std::string(value);

    case OptionType::Integer:
    case OptionType::Size:
    case OptionType::Time: {
        const auto number = parseNumber(option.type, value);
        if (!number)
            throw Error(ErrorCode::OptionInvalidValue, fmt::format("'{}' is not valid for '{}' option", value, name))
                .withHint(std::string(typeHint(option.type)));
        const std::string_view allowed = option.allowedFor(command);
        if (!allowed.empty()) {
            bool found = false;
            for (const std::string_view word : words(allowed)) found = found || parseNumber(option.type, word) == number;
            if (!found)
                throw Error(ErrorCode::OptionInvalidValue,
                            fmt::format("'{}' is not allowed for '{}' option", value, name))
                    .withHint(fmt::format("allowed values are {}", joinWords(allowed)));
        }
        checkRange(option, name, value, *number);
        return std::string(value);
    }

    case OptionType::StringId: {
        const std::string_view allowed = option.allowedFor(command);
        for (const std::string_view word : words(allowed))
            if (word == value) return std::string(value);
        throw Error(ErrorCode::OptionInvalidValue, fmt::format("'{}' is not allowed for '{}' option", value, name))
            .withHint(fmt::format("allowed values are {}", joinWords(allowed)));
    }

    case OptionType::Path: {
        if (value.empty() || value.front() != '/')
            throw Error(ErrorCode::OptionInvalidValue, fmt::format("'{}' must begin with / for '{}' option", value, name))
                .withHint("give an absolute path");
        if (value.find("//") != std::string_view::npos)
            throw Error(ErrorCode::OptionInvalidValue, fmt::format("'{}' cannot contain // for '{}' option", value, name));
        // A trailing slash is dropped so that paths compare and join the same way however they were typed.
        if (value.size() > 1 && value.back() == '/') value.remove_suffix(1);
        return std::string(value);
    }

    case OptionType::Hash:
        if (!splitKeyValue(value))
            throw Error(ErrorCode::OptionInvalidValue, fmt::format("key/value '{}' not valid for '{}' option", value, name))
                .withHint("write each pair as key=value");
        return std::string(value);

    case OptionType::String:
    case OptionType::List:
        return std::string(value);
    }
    return std::string(value);  // uncoverable - every type is handled above
}

}  // namespace pgark::config
