// Small text helpers shared by help and the reference: wrapping and sentence case. Pure functions.
#pragma once

#include <string>
#include <string_view>

#include "config/option_table.h"

namespace pgark::command::help {

// Wraps `text` (paragraphs separated by "\n\n") so that no line passes column `width`. The first
// line is taken to start at column `indent` (the caller wrote that much already); later lines get
// `indent` spaces.
std::string wrap(std::string_view text, std::size_t width, std::size_t indent = 0);

// "get help" -> "Get help."
std::string sentence(std::string_view summary);

// "16KiB 32KiB" -> "16KiB, 32KiB".
std::string commaList(std::string_view words);

// The option's type as the reference names it: "boolean", "size", "string-id", ...
std::string_view typeName(config::OptionType type);

}  // namespace pgark::command::help
