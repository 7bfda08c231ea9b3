// Configuration file sections -> raw options for one command.
#include "config/file_options.h"

#include "common/error.h"

namespace pgark::config {

RawOptions fileOptions(const Ini& ini, CommandId command, const std::string& stanza, std::vector<std::string>& warnings) {
    const std::string commandName(commandDef(command).name);
    std::vector<std::string> sections;
    if (!stanza.empty()) {
        sections.push_back(stanza + ":" + commandName);
        sections.push_back(stanza);
    }
    sections.push_back("global:" + commandName);
    sections.push_back("global");

    RawOptions result;
    for (const std::string& sectionName : sections) {
        const std::vector<IniEntry>* entries = ini.section(sectionName);
        if (entries == nullptr) continue;
        const bool global = sectionName.starts_with("global");
        const bool commandSection = sectionName.find(':') != std::string::npos;

        RawOptions section;
        for (const IniEntry& entry : *entries) {
            const NameLookup lookup = lookupOptionName(entry.key, NameMatch::Exact);
            if (lookup.status == NameLookup::Status::Unknown) {
                warnings.push_back(fmt::format("configuration file contains invalid option '{}'", entry.key));
                continue;
            }
            throwIfNameError(lookup, entry.key);
            if (lookup.form != NameForm::Set) {
                warnings.push_back(fmt::format("configuration file contains {} option '{}'",
                                               lookup.form == NameForm::Negate ? "negate" : "reset", entry.key));
                continue;
            }
            const OptionDef& option = optionDef(lookup.key.id);
            const std::string name = keyName(lookup.key);
            if (option.section == Section::CommandLine) {
                warnings.push_back(fmt::format("configuration file contains command-line only option '{}'", entry.key));
                continue;
            }
            if (option.section == Section::Stanza && global) {
                warnings.push_back(fmt::format("configuration file contains stanza-only option '{}' in global section '{}'",
                                               entry.key, sectionName));
                continue;
            }
            if (!option.validFor(command)) {
                if (commandSection)
                    warnings.push_back(fmt::format("configuration file contains option '{}' invalid for section '{}'",
                                                   entry.key, sectionName));
                continue;
            }
            if (entry.value.empty())
                throw Error(ErrorCode::OptionInvalidValue,
                            fmt::format("section '{}', key '{}' must have a value", sectionName, entry.key))
                    .withHint(fmt::format("see line {} of '{}'", entry.line, entry.file));
            if (option.type == OptionType::Boolean && entry.value != "y" && entry.value != "n")
                throw Error(ErrorCode::OptionInvalidValue,
                            fmt::format("boolean option '{}' must be 'y' or 'n'", name))
                    .withHint(fmt::format("see line {} of '{}'", entry.line, entry.file));

            auto [it, inserted] = section.try_emplace(lookup.key);
            RawValue& raw = it->second;
            if (inserted) {
                raw.written = entry.key;
            } else if (raw.written != entry.key) {
                throw Error(ErrorCode::OptionDuplicate,
                            fmt::format("configuration file contains duplicate options ('{}', '{}') in section '[{}]'",
                                        raw.written, entry.key, sectionName))
                    .withHint("keep one of the two names");
            } else if (!option.multiValue()) {
                throw Error(ErrorCode::OptionDuplicate,
                            fmt::format("option '{}' cannot be set multiple times in section '[{}]'", name, sectionName))
                    .withHint("only list and hash options may be repeated");
            }
            raw.values.push_back(entry.value);
        }
        // A higher-priority section already set these options: it wins as a whole.
        for (auto& [key, raw] : section) result.try_emplace(key, std::move(raw));
    }
    return result;
}

}  // namespace pgark::config
