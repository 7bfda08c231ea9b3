// The configuration file syntax (spec §12.1): lines trimmed; blank lines and lines starting with
// '#' ignored; "[section]"; "key=value" split at the first '=', both sides trimmed; values are
// literal. Several files are read as one text, as pgBackRest concatenates them: a section named
// twice is one section, and a file that starts without a header continues the previous file's
// last section. Plain data; one Ini per load.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pgark::config {

struct IniEntry {
    std::string key;
    std::string value;  // may be empty: whether that is allowed is the reader's decision
    std::string file;   // for messages
    unsigned line = 0;
};

class Ini {
public:
    // Appends the entries of `text`. Throws Error(Format) naming `file` and the line for a key
    // outside any section, a line without '=', an empty key or an unclosed section header. The
    // message never repeats a value (it may be a secret).
    void parse(std::string_view text, std::string_view file);

    // The entries of a section in file order; nullptr when no file has the section.
    const std::vector<IniEntry>* section(std::string_view name) const;

private:
    std::vector<std::pair<std::string, std::vector<IniEntry>>> sections_;
    std::size_t current_ = 0;  // index in sections_ + 1; 0 = before the first header
};

}  // namespace pgark::config
