// Option values: parsing the text forms (y/n booleans, integers, sizes with units, times in seconds)
// and validating one value of an option against its row (type, allowed values, range, path rules).
// Pure functions, no state; messages name the option as the user sees it ('repo1-path').
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/option_table.h"

namespace pgark::config {

// "y" -> true, "n" -> false, anything else (including "Y", "yes") -> nullopt.
std::optional<bool> parseBool(std::string_view text) noexcept;
// Decimal integer with an optional leading '-'; nullopt for anything else or on overflow.
std::optional<std::int64_t> parseInteger(std::string_view text) noexcept;
// Whole number with an optional case-insensitive unit b, k/kb/kib, m/mb/mib, g.., t.., p.. (all
// powers of 1024): "2MiB" -> 2097152. nullopt for fractions, negatives, unknown units or overflow.
std::optional<std::uint64_t> parseSize(std::string_view text) noexcept;
// Seconds with an optional fraction ("60", "0.1"), rounded to the millisecond; nullopt otherwise.
std::optional<std::chrono::milliseconds> parseTime(std::string_view text) noexcept;

// The value of a numeric option (Integer, Size, Time) as one comparable number: the integer, bytes
// or milliseconds. nullopt when `text` is not of that type.
std::optional<std::int64_t> parseNumber(OptionType type, std::string_view text) noexcept;

// Checks one value (one element, for a list or hash) of `option` as `command` uses it and returns it
// normalised (a path loses its trailing '/'). `name` is the option's name for messages
// ("repo2-path"). Throws Error(OptionInvalidValue) for a malformed or disallowed value and
// Error(OptionInvalidRange) for a number outside the row's range.
std::string validateValue(const OptionDef& option, CommandId command, std::string_view name, std::string_view value);

// Splits "key=value" at the first '='; nullopt when there is no '=' or the key is empty.
std::optional<std::pair<std::string, std::string>> splitKeyValue(std::string_view text);

}  // namespace pgark::config
