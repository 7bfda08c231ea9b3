// Text helpers for help and the reference.
#include "command/help/text.h"

#include <cctype>

namespace pgark::command::help {

std::string wrap(std::string_view text, std::size_t width, std::size_t indent) {
    std::string out;
    std::size_t column = indent;  // the caller has already written the first line's indent
    bool firstWord = true;
    auto newLine = [&] {
        out += '\n';
        out.append(indent, ' ');
        column = indent;
        firstWord = true;
    };
    while (!text.empty()) {
        if (text.starts_with("\n\n")) {
            out += '\n';
            newLine();
            text.remove_prefix(2);
            continue;
        }
        if (text.front() == ' ' || text.front() == '\n') {
            text.remove_prefix(1);
            continue;
        }
        std::size_t end = 0;
        while (end < text.size() && text[end] != ' ' && text[end] != '\n') ++end;
        const std::string_view word = text.substr(0, end);
        text.remove_prefix(end);
        if (!firstWord && column + 1 + word.size() > width) newLine();
        if (!firstWord) {
            out += ' ';
            ++column;
        }
        out += word;
        column += word.size();
        firstWord = false;
    }
    return out;
}

std::string sentence(std::string_view summary) {
    std::string out(summary);
    if (!out.empty()) out.front() = static_cast<char>(std::toupper(static_cast<unsigned char>(out.front())));
    if (!out.empty() && out.back() != '.') out += '.';
    return out;
}

std::string commaList(std::string_view words) {
    std::string out;
    while (!words.empty()) {
        const std::size_t space = words.find(' ');
        if (!out.empty()) out += ", ";
        out += words.substr(0, space);
        if (space == std::string_view::npos) break;
        words.remove_prefix(space + 1);
    }
    return out;
}

std::string_view typeName(config::OptionType type) {
    using config::OptionType;
    switch (type) {
    case OptionType::Boolean:
        return "boolean";
    case OptionType::Integer:
        return "integer";
    case OptionType::Size:
        return "size";
    case OptionType::Time:
        return "time (seconds)";
    case OptionType::String:
        return "string";
    case OptionType::StringId:
        return "string-id";
    case OptionType::Path:
        return "path";
    case OptionType::List:
        return "list";
    case OptionType::Hash:
        return "hash (key=value)";
    }
    return "string";  // uncoverable - every type is handled above
}

}  // namespace pgark::command::help
