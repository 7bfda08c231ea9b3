// ini: the strict INI layer shared by archive.info, backup.info and backup.manifest (spec §2.1,
// §2.3, §2.4). Parsing keeps file order and every value's raw JSON text, because the checksum is
// computed over exactly those bytes; rendering writes the canonical order of pgBackRest 2.45 with
// the [backrest] header and checksum trailer. Knows nothing about storage or encryption
// (info_file.h does that) nor about what the keys mean (the models do). Plain data, no threads.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "info/json.h"

namespace pgark::info {

inline constexpr std::string_view kBackrestSection = "backrest";
inline constexpr std::string_view kBackrestFormatKey = "backrest-format";
inline constexpr std::string_view kBackrestVersionKey = "backrest-version";
inline constexpr std::string_view kBackrestChecksumKey = "backrest-checksum";
inline constexpr std::uint64_t kRepoFormat = 5;           // the only repository format we read or write
inline constexpr std::string_view kWriterVersion = "2.45"; // written as backrest-version (spec §14.9)

// One `key=value` line as found in a file: section, raw key, raw JSON value text.
struct IniLine {
    std::string section;
    std::string key;
    std::string value;
    friend bool operator==(const IniLine&, const IniLine&) = default;
};

// Splits `text` into value lines in file order (§2.1): `[name]` lines open sections, empty lines
// are skipped, every other line is `key=value` split at the first '=' (after a non-empty key)
// whose remainder is one valid JSON value. Throws Error(Format) "line <n>: <reason>" otherwise;
// the line text is never quoted, since values may be passphrases.
std::vector<IniLine> parseIniLines(std::string_view text);

// The backrest-checksum of §2.4 over `lines` in the given order, skipping [backrest]
// backrest-checksum: SHA-1 (40 lowercase hex) of {"section":{"<escaped key>":<raw value>,...},...}.
std::string iniChecksum(std::span<const IniLine> lines);

// An INI document: sections in first-appearance order, each with its entries in insertion order.
// A section named twice in a file (the two [backrest] sections) is merged into one.
class Ini {
public:
    struct Entry {
        std::string key;
        std::string value;  // raw JSON text
    };
    struct Section {
        std::string name;
        std::vector<Entry> entries;
        std::map<std::string, std::size_t, std::less<>> index;  // key -> position in entries; kept by Ini
    };

    Ini() = default;

    // Builds from parsed lines; throws Error(Format) if a key repeats within a section.
    static Ini fromLines(std::span<const IniLine> lines);
    static Ini parse(std::string_view text) { return fromLines(parseIniLines(text)); }

    const std::vector<Section>& sections() const noexcept { return sections_; }
    const Section* section(std::string_view name) const noexcept;  // nullptr if absent
    bool hasSection(std::string_view name) const noexcept { return section(name) != nullptr; }

    // The raw JSON text of a value; nullptr if absent. The pointer lives until the next change.
    const std::string* raw(std::string_view section, std::string_view key) const noexcept;
    // The parsed value; nullopt if absent. Throws Error(JsonFormat) if the text is not valid JSON
    // (only possible for text put in by set()).
    std::optional<json::Value> find(std::string_view section, std::string_view key) const;
    // The parsed value; throws Error(Format) "missing key '<key>' in section '[<section>]'" if absent.
    json::Value get(std::string_view section, std::string_view key) const;

    // Replaces the value in place, or appends the key at the end of its section (created at the end
    // if new). `rawValue` must be valid JSON (not checked here; parse() would reject the file later).
    void setRaw(std::string_view section, std::string_view key, std::string rawValue);
    void set(std::string_view section, std::string_view key, const json::Value& value) {
        setRaw(section, key, json::render(value));
    }
    // Returns whether something was removed.
    bool remove(std::string_view section, std::string_view key);
    bool removeSection(std::string_view name);

    // The canonical file order of §2.3: [backrest] first with its keys (backrest-format=5 and
    // backrest-version="2.45" added first when absent, an old checksum dropped), then the other
    // non-empty sections in byte order of their names with entries in stored order, then the
    // trailer [backrest] backrest-checksum computed over everything before it.
    std::vector<IniLine> canonicalLines() const;
    // canonicalLines() as file text: one empty line between sections, '\n' after every line.
    std::string render() const;

private:
    Section* findSection(std::string_view name) noexcept;
    std::vector<Section> sections_;
};

// Renders lines as file text, opening a section whenever the section name changes.
std::string renderIniLines(std::span<const IniLine> lines);

}  // namespace pgark::info
