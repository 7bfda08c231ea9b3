// Option name lookup. Every spelling is reduced to a "pattern": the name with its index replaced
// by '?' ("repo2-path" -> "repo?-path", "db3-port" -> "db?-port"). The index holds one entry per
// pattern, so indexed, deprecated and prefix lookups are all one map search.
#include "config/option_name.h"

#include <algorithm>
#include <map>
#include <optional>

#include "common/error.h"

namespace pgark::config {

namespace {

struct Entry {
    OptionId id;
    bool indexed;       // the pattern contains '?': the index comes from the written name
    bool indexMissing;  // an indexed option's bare name with no alias: "option requires an index"
};

// Ordered, so that all patterns sharing a prefix are adjacent (the prefix search walks them).
using PatternMap = std::map<std::string, Entry, std::less<>>;

// "repo-path" -> "repo?-path": the index goes after the group prefix, like indexedName().
std::string patternOf(std::string_view unindexedName) {
    const std::size_t dash = unindexedName.find('-');
    return std::string(unindexedName.substr(0, dash)) + "?" + std::string(unindexedName.substr(dash));
}

const PatternMap& patterns() {
    static const PatternMap instance = [] {
        PatternMap map;
        const auto table = optionTable();
        for (OptionId id = 0; id < table.size(); ++id) {
            const OptionDef& option = table[id];
            if (option.group == Group::None) {
                map.emplace(option.name, Entry{id, false, false});
            } else {
                map.emplace(patternOf(option.name), Entry{id, true, false});
                map.emplace(option.name, Entry{id, false, !option.has(kUnindexedAlias)});
            }
            std::string_view list = option.deprecated;
            while (!list.empty()) {
                const std::size_t space = list.find(' ');
                const std::string_view name = list.substr(0, space);
                map.emplace(name, Entry{id, name.find('?') != std::string_view::npos, false});
                list = space == std::string_view::npos ? std::string_view{} : list.substr(space + 1);
            }
        }
        return map;
    }();
    return instance;
}

struct Pattern {
    std::string text;     // "repo?-path"
    unsigned long index;  // the written index; 0 when the name had none
    bool hasIndex;
};

// "repo12-path" -> {"repo?-path", 12}. An index is digits right after the leading letters and
// followed by '-' (or the end, while typing a prefix such as "repo1").
Pattern patternOfWritten(std::string_view written) {
    std::size_t letters = 0;
    while (letters < written.size() && written[letters] >= 'a' && written[letters] <= 'z') ++letters;
    std::size_t digits = letters;
    while (digits < written.size() && written[digits] >= '0' && written[digits] <= '9') ++digits;
    if (letters == 0 || digits == letters || (digits < written.size() && written[digits] != '-'))
        return {std::string(written), 0, false};
    // More than 4 digits is out of range whatever they are; keep the number small enough to hold.
    const std::string_view number = written.substr(letters, digits - letters);
    const unsigned long index = number.size() > 4 ? kIndexMax + 1 : std::stoul(std::string(number));
    return {std::string(written.substr(0, letters)) + "?" + std::string(written.substr(digits)), index, true};
}

// The name as a user writes it, for the list of candidates of an ambiguous prefix.
std::string displayName(const std::string& pattern, const Pattern& written) {
    const std::size_t mark = pattern.find('?');
    if (mark == std::string::npos) return pattern;
    return pattern.substr(0, mark) + (written.hasIndex ? std::to_string(written.index) : "") + pattern.substr(mark + 1);
}

NameLookup found(const Entry& entry, const Pattern& written, NameForm form) {
    NameLookup result;
    if (entry.indexMissing) {
        result.status = NameLookup::Status::IndexMissing;
        result.key.id = entry.id;
        return result;
    }
    unsigned index = 0;
    if (entry.indexed) {
        if (written.index < 1 || written.index > kIndexMax) {
            result.status = NameLookup::Status::IndexOutOfRange;
            result.key.id = entry.id;
            return result;
        }
        index = static_cast<unsigned>(written.index);
    } else if (optionDef(entry.id).group != Group::None) {
        index = 1;  // an unindexed alias or deprecated name of an indexed option means index 1
    }
    result.status = NameLookup::Status::Found;
    result.key = {entry.id, index};
    result.form = form;
    return result;
}

// Plain Levenshtein distance; option names are short, so the quadratic cost does not matter.
std::size_t distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

}  // namespace

std::string keyName(const OptionKey& key) { return optionDef(key.id).indexedName(key.index); }

NameLookup lookupOptionName(std::string_view written, NameMatch match) {
    NameForm form = NameForm::Set;
    if (written.starts_with("no-")) {
        form = NameForm::Negate;
        written.remove_prefix(3);
    } else if (written.starts_with("reset-")) {
        form = NameForm::Reset;
        written.remove_prefix(6);
    }
    const Pattern pattern = patternOfWritten(written);
    const PatternMap& map = patterns();

    // Indexed patterns only match a written index and plain ones only an unindexed name: "repo1" is
    // neither the option "repo" nor any unindexed name.
    auto fits = [&](const PatternMap::value_type& item) {
        return (item.first.find('?') != std::string::npos) == pattern.hasIndex;
    };

    if (const auto exact = map.find(pattern.text); exact != map.end() && fits(*exact))
        return found(exact->second, pattern, form);
    if (match == NameMatch::Exact) return {};

    // Several spellings of one option (repo?-s3-verify-ssl, repo?-s3-verify-tls) count as one match.
    std::optional<Entry> first;
    bool single = true;
    std::vector<std::string> candidates;
    for (auto it = map.lower_bound(pattern.text); it != map.end() && it->first.starts_with(pattern.text); ++it) {
        if (!fits(*it)) continue;
        candidates.push_back(displayName(it->first, pattern));
        if (!first)
            first = it->second;
        else if (first->id != it->second.id || first->indexed != it->second.indexed)
            single = false;
    }
    if (candidates.empty()) return {};
    if (single) return found(*first, pattern, form);

    NameLookup result;
    result.status = NameLookup::Status::Ambiguous;
    result.candidates = std::move(candidates);
    return result;
}

void throwIfNameError(const NameLookup& lookup, std::string_view written) {
    switch (lookup.status) {
    case NameLookup::Status::Found:
    case NameLookup::Status::Unknown:
        return;
    case NameLookup::Status::Ambiguous: {
        constexpr std::size_t kShown = 8;
        std::string list;
        for (std::size_t i = 0; i < lookup.candidates.size() && i < kShown; ++i)
            list += (i == 0 ? "" : ", ") + lookup.candidates[i];
        if (lookup.candidates.size() > kShown) list += ", ...";
        throw Error(ErrorCode::OptionInvalid, fmt::format("option '{}' is ambiguous", written))
            .withHint(fmt::format("it is the start of several option names ({}): write more of the name", list));
    }
    case NameLookup::Status::IndexMissing:
        throw Error(ErrorCode::OptionInvalid, fmt::format("option '{}' requires an index", written))
            .withHint(fmt::format("add the index of the repository or cluster, e.g. {}",
                                  optionDef(lookup.key.id).indexedName(1)));
    case NameLookup::Status::IndexOutOfRange:
        throw Error(ErrorCode::OptionInvalid,
                    fmt::format("option '{}' has an invalid index: indexes go from 1 to {}", written, kIndexMax));
    }
}

std::string suggestOptionName(std::string_view written) {
    for (const std::string_view prefix : {"no-", "reset-"})
        if (written.starts_with(prefix)) written.remove_prefix(prefix.size());
    const Pattern pattern = patternOfWritten(written);
    std::string best;
    std::size_t bestDistance = 3;  // more than two edits away is not a typo
    for (const auto& [text, entry] : patterns()) {
        if (entry.indexMissing || (text.find('?') != std::string::npos) != pattern.hasIndex) continue;
        const std::size_t d = distance(pattern.text, text);
        if (d < bestDistance) {
            bestDistance = d;
            best = displayName(text, pattern);
        }
    }
    return best;
}

}  // namespace pgark::config
