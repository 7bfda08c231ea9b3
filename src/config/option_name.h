// Option names as users write them -> table rows: canonical names, indexed names (repo2-path),
// unindexed aliases meaning index 1 (repo-path), deprecated names (db-path, db2-path,
// retention-full), the --no-/--reset- forms and, on the command line only, unambiguous prefixes.
// The lookup index is built once on first use (thread-safe) and never changes.
#pragma once

#include <compare>
#include <string>
#include <string_view>
#include <vector>

#include "config/option_table.h"

namespace pgark::config {

struct OptionKey {
    OptionId id = 0;
    unsigned index = 0;  // 1..256 for repo/pg options, 0 for the others
    auto operator<=>(const OptionKey&) const = default;
};

// The option's name as messages and logs show it: "repo2-path", "stanza".
std::string keyName(const OptionKey& key);

enum class NameForm { Set, Negate, Reset };  // name, no-name, reset-name
enum class NameMatch { Exact, Prefix };      // Prefix: also any unambiguous prefix (command line)

struct NameLookup {
    enum class Status {
        Found,
        Unknown,          // no such option
        Ambiguous,        // a prefix of several options; `candidates` lists them
        IndexMissing,     // "repo-block": an indexed option written without its index
        IndexOutOfRange,  // "repo0-path", "repo257-path"
    };
    Status status = Status::Unknown;
    OptionKey key;                        // when Found
    NameForm form = NameForm::Set;        // when Found
    std::vector<std::string> candidates;  // when Ambiguous: names as the user would write them
};

// Looks up a name as written, without the leading "--".
NameLookup lookupOptionName(std::string_view written, NameMatch match);

// Throws Error(OptionInvalid) for the Ambiguous, IndexMissing and IndexOutOfRange outcomes of
// looking up `written`; does nothing for Found and Unknown (callers word "unknown" themselves).
void throwIfNameError(const NameLookup& lookup, std::string_view written);

// The option name closest to an unknown `written` one (a typo), for a "did you mean" hint;
// "" when nothing is close.
std::string suggestOptionName(std::string_view written);

}  // namespace pgark::config
