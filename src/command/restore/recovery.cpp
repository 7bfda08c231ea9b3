// Recovery settings of a restore. See recovery.h. The lines and their order follow spec §9.6 so a
// cluster restored by pgark recovers exactly as one restored by pgBackRest; the one deliberate
// difference is that values are quoted the way ALTER SYSTEM quotes them.
#include "command/restore/recovery.h"

#include <cstdlib>
#include <ctime>
#include <fmt/format.h>
#include <regex>

#include "command/info/info.h"
#include "common/error.h"
#include "common/log.h"
#include "config/config.h"
#include "info/manifest.h"

namespace pgark::command::restore {
namespace {

// Options of the restore command line that archive-get must not inherit: they tune this run
// (workers, logging), not the repository the archive is read from.
bool notForArchiveGet(std::string_view name) {
    static constexpr std::string_view kSkip[] = {"exec-id",   "job-retry",        "job-retry-interval", "log-level-console",
                                                 "log-level-file", "log-level-stderr", "log-subprocess",     "log-timestamp",
                                                 "process",   "process-max"};
    for (std::string_view skip : kSkip)
        if (name == skip) return true;
    return false;
}

// One shell word: PostgreSQL runs restore_command through /bin/sh.
std::string shellWord(std::string_view text) {
    const bool plain = !text.empty() && text.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                               "0123456789_-./:=,@+%") == std::string_view::npos;
    if (plain) return std::string(text);
    std::string out = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\' || c == '$' || c == '`') out += '\\';
        out += c;
    }
    return out + "\"";
}

// "--name=value" words for every option set on the restore command line that archive-get takes,
// in option table order (pgBackRest passes exactly those: config file options are read again by
// archive-get itself).
std::vector<std::string> archiveGetOptions(const config::Config& config) {
    std::vector<std::string> words;
    const auto table = config::optionTable();
    for (config::OptionId id = 0; id < table.size(); id++) {
        const config::OptionDef& option = table[id];
        if (!option.validFor(config::CommandId::ArchiveGet) || option.has(config::kSecure) || notForArchiveGet(option.name))
            continue;
        std::vector<unsigned> indexes{0};
        if (option.group == config::Group::Repo) indexes = config.repoIndexes();
        if (option.group == config::Group::Pg) indexes = config.pgIndexes();
        for (unsigned index : indexes) {
            const config::OptionKey key{id, index};
            const config::OptionValue* value = config.find(key);
            if (value == nullptr || value->source != config::Source::CommandLine) continue;
            const std::string name = config::keyName(key);
            if (value->reset) {
                words.push_back("--reset-" + name);
            } else if (value->negated || (option.type == config::OptionType::Boolean && value->values.front() == "n")) {
                words.push_back("--no-" + name);
            } else if (option.type == config::OptionType::Boolean) {
                words.push_back("--" + name);
            } else {
                for (const std::string& text : value->values) words.push_back(shellWord("--" + name + "=" + text));
            }
        }
    }
    return words;
}

std::string restoreCommand(const config::Config& config) {
    std::string command = shellWord(config.getString("cmd"));
    for (const std::string& word : archiveGetOptions(config)) command += " " + word;
    return command + " archive-get %f \"%p\"";
}

constexpr std::string_view kAutoConf = "postgresql.auto.conf";

}  // namespace

std::string quoteConfValue(std::string_view value) {
    std::string out;
    for (char c : value) {
        if (c == '\'' || c == '\\') out += c;
        out += c;
    }
    return out;
}

RecoveryPlan planRecovery(const config::Config& config, const pgark::info::Manifest& manifest) {
    RecoveryPlan plan;
    plan.type = config.getString("type");
    // An offline backup is consistent by itself: unless asked, PostgreSQL just starts on it.
    if (!manifest.data().optionOnline && config.source("type") == config::Source::Default) plan.type = "none";
    const std::string& type = plan.type;
    const bool targeted = type == "time" || type == "xid" || type == "lsn" || type == "name";
    if (targeted && !config.has("target"))
        throw Error(ErrorCode::OptionRequired, "restore command requires option: target")
            .withHint(fmt::format("--type={} recovers up to --target=<{}>", type, type));
    if (type == "preserve") return plan;
    // Before 12 the settings go to recovery.conf, which pgark does not write yet.
    if (type != "none" && std::atoi(manifest.data().pg.version.c_str()) < 12)
        throw Error(ErrorCode::FeatureNotSupported,
                    fmt::format("recovery settings for PostgreSQL {} (recovery.conf) are not supported yet",
                                manifest.data().pg.version))
            .withHint("restore with --type=none or --type=preserve and write recovery.conf by hand");

    if (type != "none") {
        const std::map<std::string, std::string> options = config.getHash("recovery-option");
        std::map<std::string, std::string> given;
        for (const auto& [key, value] : options) {
            std::string name = key;
            for (char& c : name)
                if (c == '-') c = '_';
            given[name] = value;
        }
        for (const auto& [key, value] : given) plan.settings.emplace_back(key, value);
        if (config.getString("archive-mode") == "off") plan.settings.emplace_back("archive_mode", "off");
        if (!given.contains("restore_command")) plan.settings.emplace_back("restore_command", restoreCommand(config));
        if (type == "immediate") plan.settings.emplace_back("recovery_target", "immediate");
        if (targeted) plan.settings.emplace_back("recovery_target_" + type, config.getString("target"));
        if (config.takes("target-exclusive") && config.has("target-exclusive") && config.getBool("target-exclusive"))
            plan.settings.emplace_back("recovery_target_inclusive", "false");
        if ((targeted || type == "immediate") && config.getString("target-action") != "pause")
            plan.settings.emplace_back("recovery_target_action", config.getString("target-action"));
        if (config.has("target-timeline"))
            plan.settings.emplace_back("recovery_target_timeline", config.getString("target-timeline"));
        else if (type == "immediate")
            plan.settings.emplace_back("recovery_target_timeline", "current");
    }
    const pgark::info::ManifestPath* data = manifest.path(pgark::info::kManifestTargetPgData);
    plan.signalMode = data ? (data->mode & 0644) : 0600;
    if (type == "standby")
        plan.signalFile = "standby.signal";
    else if (type != "none" || manifest.data().optionOnline)
        plan.signalFile = "recovery.signal";  // 2.45 writes it for an online backup even with type=none
    return plan;
}

void writeRecovery(storage::Storage& pg, const RecoveryPlan& plan, std::int64_t now) {
    if (plan.type == "preserve") return;
    const std::string stamp = command::info::formatLocalTime(now);
    // Earlier targets in the restored file would combine with ours (PostgreSQL refuses several
    // recovery_target_* at once), so they are commented out, never deleted.
    static const std::regex kTargetLine(
        "^[\t ]*(recovery_target|recovery_target_action|recovery_target_inclusive|recovery_target_lsn|"
        "recovery_target_name|recovery_target_time|recovery_target_timeline|recovery_target_xid)[\t ]*=");
    const std::optional<storage::FileInfo> existing = pg.info(kAutoConf, storage::InfoLevel::Detail);
    std::string text = existing ? storage::readText(pg, kAutoConf) : std::string();
    std::string content;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        const std::string line = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
        if (std::regex_search(line, kTargetLine)) content += fmt::format("# Removed by pgark restore on {} # ", stamp);
        content += line;
        if (end == std::string::npos) break;
        content += '\n';
        start = end + 1;
    }
    if (!plan.settings.empty()) {
        while (!content.empty() && (content.back() == '\n' || content.back() == ' ' || content.back() == '\t'))
            content.pop_back();
        if (!content.empty()) content += "\n\n";
        content += fmt::format("# Recovery settings generated by pgark restore on {}\n", stamp);
        for (const auto& [key, value] : plan.settings) content += fmt::format("{} = '{}'\n", key, quoteConfValue(value));
    }
    if (content != text || !existing) {
        storage::writeText(pg, kAutoConf, content,
                           {.syncPath = false, .mode = existing ? existing->mode : mode_t{0600}});
        log::info("write {} {}", existing ? "updated" : "new", pg.describe(kAutoConf));
    }
    if (!plan.signalFile.empty()) storage::writeText(pg, plan.signalFile, "", {.syncPath = false, .mode = plan.signalMode});
}

}  // namespace pgark::command::restore
