// Configuration file syntax.
#include "config/ini.h"

#include "common/error.h"

namespace pgark::config {

namespace {

std::string_view trim(std::string_view text) {
    const std::size_t first = text.find_first_not_of(" \t\r");
    if (first == std::string_view::npos) return {};
    const std::size_t last = text.find_last_not_of(" \t\r");
    return text.substr(first, last - first + 1);
}

}  // namespace

void Ini::parse(std::string_view text, std::string_view file) {
    unsigned lineNumber = 0;
    while (!text.empty()) {
        const std::size_t newline = text.find('\n');
        const std::string_view line = trim(text.substr(0, newline));
        text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
        ++lineNumber;
        if (line.empty() || line.front() == '#') continue;

        if (line.front() == '[') {
            if (line.back() != ']' || line.size() < 3)
                throw Error(ErrorCode::Format,
                            fmt::format("invalid section header at line {} of '{}'", lineNumber, file))
                    .withHint("write a section header as [name]");
            const std::string name(trim(line.substr(1, line.size() - 2)));
            current_ = 0;
            for (std::size_t i = 0; i < sections_.size() && current_ == 0; ++i)
                if (sections_[i].first == name) current_ = i + 1;
            if (current_ == 0) {
                sections_.emplace_back(name, std::vector<IniEntry>{});
                current_ = sections_.size();
            }
            continue;
        }

        const std::size_t equal = line.find('=');
        if (equal == std::string_view::npos)
            throw Error(ErrorCode::Format, fmt::format("missing '=' in key/value at line {} of '{}'", lineNumber, file))
                .withHint("write options as name=value");
        const std::string_view key = trim(line.substr(0, equal));
        if (key.empty())
            throw Error(ErrorCode::Format, fmt::format("missing key in key/value at line {} of '{}'", lineNumber, file));
        if (current_ == 0)
            throw Error(ErrorCode::Format,
                        fmt::format("key/value found outside of a section at line {} of '{}': {}", lineNumber, file, key))
                .withHint("put options under a section header such as [global]");
        sections_[current_ - 1].second.push_back(
            {std::string(key), std::string(trim(line.substr(equal + 1))), std::string(file), lineNumber});
    }
}

const std::vector<IniEntry>* Ini::section(std::string_view name) const {
    for (const auto& [sectionName, entries] : sections_)
        if (sectionName == name) return &entries;
    return nullptr;
}

}  // namespace pgark::config
