// Strict INI parsing, the §2.4 checksum, and canonical rendering.
#include "info/ini.h"

#include <algorithm>

#include "common/crypto/hash.h"
#include "common/error.h"

namespace pgark::info {

std::vector<IniLine> parseIniLines(std::string_view text) {
    std::vector<IniLine> lines;
    std::string section;
    bool haveSection = false;
    std::size_t lineNo = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        const std::string_view line = text.substr(pos, end - pos);
        pos = end + 1;
        ++lineNo;

        if (line.empty()) continue;

        // A section header starts with '[' and ends with ']'; nothing is trimmed (§2.1).
        if (line.front() == '[' && line.back() == ']') {
            if (line.size() < 3) throwError(ErrorCode::Format, "line {}: section name is empty", lineNo);
            section.assign(line.substr(1, line.size() - 2));
            haveSection = true;
            continue;
        }

        // Keys are raw and may hold '=', so try each '=' until the rest is valid JSON. The key
        // cannot be empty, so a leading '=' is part of the key.
        std::size_t split = std::string_view::npos;
        for (std::size_t eq = line.find('=', 1); eq != std::string_view::npos; eq = line.find('=', eq + 1)) {
            if (json::valid(line.substr(eq + 1))) {
                split = eq;
                break;
            }
        }
        if (split == std::string_view::npos)
            throwError(ErrorCode::Format, "line {}: expected '[section]' or 'key=<JSON value>'", lineNo);
        if (!haveSection) throwError(ErrorCode::Format, "line {}: key=value line before the first section", lineNo);
        lines.push_back(IniLine{section, std::string(line.substr(0, split)), std::string(line.substr(split + 1))});
    }
    return lines;
}

std::string iniChecksum(std::span<const IniLine> lines) {
    // The rendering is streamed into the hash piecewise: a manifest can be megabytes.
    crypto::Sha1Hasher hasher;
    auto update = [&hasher](std::string_view text) { hasher.update(io::asBytes(text)); };
    update("{");
    const std::string* current = nullptr;
    std::string key;
    for (const IniLine& line : lines) {
        if (line.section == kBackrestSection && line.key == kBackrestChecksumKey) continue;
        if (current == nullptr || *current != line.section) {
            if (current != nullptr) update("},");
            // pgBackRest writes the section name here without escaping; so do we.
            update("\"");
            update(line.section);
            update("\":{");
            current = &line.section;
        } else {
            update(",");
        }
        key.clear();
        json::appendString(key, line.key);
        update(key);
        update(":");
        update(line.value);
    }
    // An empty rendering still closes the outer object the same way pgBackRest does.
    update(current != nullptr ? "}}" : "}");
    return hasher.finalHex();
}

// ---------------------------------------------------------------------------------------------

Ini Ini::fromLines(std::span<const IniLine> lines) {
    Ini ini;
    for (const IniLine& line : lines) {
        Section* section = ini.findSection(line.section);
        if (section == nullptr) {
            ini.sections_.push_back(Section{line.section, {}, {}});
            section = &ini.sections_.back();
        }
        if (!section->index.emplace(line.key, section->entries.size()).second)
            throwError(ErrorCode::Format, "duplicate key '{}' in section '[{}]'", line.key, line.section);
        section->entries.push_back(Entry{line.key, line.value});
    }
    return ini;
}

Ini::Section* Ini::findSection(std::string_view name) noexcept {
    for (Section& section : sections_)
        if (section.name == name) return &section;
    return nullptr;
}

const Ini::Section* Ini::section(std::string_view name) const noexcept {
    for (const Section& section : sections_)
        if (section.name == name) return &section;
    return nullptr;
}

const std::string* Ini::raw(std::string_view sectionName, std::string_view key) const noexcept {
    const Section* found = section(sectionName);
    if (found == nullptr) return nullptr;
    const auto entry = found->index.find(key);
    return entry == found->index.end() ? nullptr : &found->entries[entry->second].value;
}

std::optional<json::Value> Ini::find(std::string_view sectionName, std::string_view key) const {
    const std::string* text = raw(sectionName, key);
    if (text == nullptr) return std::nullopt;
    return json::parse(*text);
}

json::Value Ini::get(std::string_view sectionName, std::string_view key) const {
    const std::string* text = raw(sectionName, key);
    if (text == nullptr) throwError(ErrorCode::Format, "missing key '{}' in section '[{}]'", key, sectionName);
    return json::parse(*text);
}

void Ini::setRaw(std::string_view sectionName, std::string_view key, std::string rawValue) {
    Section* section = findSection(sectionName);
    if (section == nullptr) {
        sections_.push_back(Section{std::string(sectionName), {}, {}});
        section = &sections_.back();
    }
    const auto entry = section->index.find(key);
    if (entry != section->index.end()) {
        section->entries[entry->second].value = std::move(rawValue);
        return;
    }
    section->index.emplace(std::string(key), section->entries.size());
    section->entries.push_back(Entry{std::string(key), std::move(rawValue)});
}

bool Ini::remove(std::string_view sectionName, std::string_view key) {
    Section* section = findSection(sectionName);
    if (section == nullptr) return false;
    const auto entry = section->index.find(key);
    if (entry == section->index.end()) return false;
    section->entries.erase(section->entries.begin() + static_cast<std::ptrdiff_t>(entry->second));
    section->index.clear();
    for (std::size_t i = 0; i < section->entries.size(); ++i) section->index.emplace(section->entries[i].key, i);
    return true;
}

bool Ini::removeSection(std::string_view name) {
    const auto found = std::find_if(sections_.begin(), sections_.end(),
                                    [name](const Section& section) { return section.name == name; });
    if (found == sections_.end()) return false;
    sections_.erase(found);
    return true;
}

std::vector<IniLine> Ini::canonicalLines() const {
    std::vector<IniLine> lines;
    const std::string backrest(kBackrestSection);

    // Header: format and version first, as pgBackRest writes them, then any other keys it holds.
    const Section* header = section(kBackrestSection);
    const std::string* format = raw(kBackrestSection, kBackrestFormatKey);
    const std::string* version = raw(kBackrestSection, kBackrestVersionKey);
    lines.push_back({backrest, std::string(kBackrestFormatKey), format ? *format : std::to_string(kRepoFormat)});
    lines.push_back({backrest, std::string(kBackrestVersionKey), version ? *version : json::renderString(kWriterVersion)});
    if (header != nullptr) {
        for (const Entry& entry : header->entries) {
            if (entry.key == kBackrestFormatKey || entry.key == kBackrestVersionKey || entry.key == kBackrestChecksumKey)
                continue;
            lines.push_back({backrest, entry.key, entry.value});
        }
    }

    // Body: sections in byte order of their names (std::string's < compares as unsigned bytes).
    std::vector<const Section*> body;
    for (const Section& section : sections_)
        if (section.name != kBackrestSection && !section.entries.empty()) body.push_back(&section);
    std::sort(body.begin(), body.end(), [](const Section* a, const Section* b) { return a->name < b->name; });
    for (const Section* section : body)
        for (const Entry& entry : section->entries) lines.push_back({section->name, entry.key, entry.value});

    const std::string checksum = iniChecksum(lines);
    lines.push_back({backrest, std::string(kBackrestChecksumKey), json::renderString(checksum)});
    return lines;
}

std::string renderIniLines(std::span<const IniLine> lines) {
    std::string text;
    const std::string* current = nullptr;
    for (const IniLine& line : lines) {
        if (current == nullptr || *current != line.section) {
            if (current != nullptr) text.push_back('\n');
            text.push_back('[');
            text += line.section;
            text += "]\n";
            current = &line.section;
        }
        text += line.key;
        text.push_back('=');
        text += line.value;
        text.push_back('\n');
    }
    return text;
}

std::string Ini::render() const {
    const std::vector<IniLine> lines = canonicalLines();
    return renderIniLines(lines);
}

}  // namespace pgark::info
