// info: StanzaInfo -> pgBackRest 2.45's text and JSON. Every literal here was checked against the
// real 2.45 binary (see test/integration/info_compare.sh); where 2.45 shows a quirk (the lsn line and
// annotations only with --set, no "pct-cplt" in JSON, "database mismatch" keeping its per-repository
// lines) we keep it, because scripts parse this output.
#include <cstdio>
#include <ctime>

#include <algorithm>

#include <fmt/format.h>

#include "command/info/info.h"
#include "info/json.h"

namespace pgark::command::info {
namespace {

namespace json = ::pgark::info::json;

constexpr std::string_view kCipherNone = "none";
constexpr std::string_view kCipherAes = "aes-256-cbc";
constexpr std::string_view kLockRunning = "backup/expire running";
constexpr std::string_view kRepoSpacer = "               ";  // under "        repoN: "
constexpr std::string_view kStanzaSpacer = "            ";    // under "    status: "

std::string_view cipherName(bool encrypted) { return encrypted ? kCipherAes : kCipherNone; }

// "none", "aes-256-cbc", or "mixed" when the repositories differ.
std::string_view stanzaCipher(const StanzaInfo& stanza) {
    if (stanza.repos.empty()) return kCipherNone;
    const bool first = stanza.repos.front().encrypted;
    for (const RepoStatus& repo : stanza.repos)
        if (repo.encrypted != first) return "mixed";
    return cipherName(first);
}

std::string lockText(const StanzaInfo& stanza) {
    std::string text(kLockRunning);
    if (stanza.percentComplete)
        text += fmt::format(" - {}.{:02}% complete", *stanza.percentComplete / 100, *stanza.percentComplete % 100);
    return text;
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i > 0) out += separator;
        out += items[i];
    }
    return out;
}

// Every line of a multi-line error after the first is indented to stay under the first.
std::string indentLines(std::string_view text, std::string_view spacer) {
    std::string out(spacer);
    for (const char c : text) {
        out += c;
        if (c == '\n') out += spacer;
    }
    return out;
}

const json::Value* entryValue(const BackupItem& backup, std::string_view key) {
    const json::Value* value = backup.entry.find(key);
    return value != nullptr && !value->isNull() ? value : nullptr;
}

std::optional<std::string> entryString(const BackupItem& backup, std::string_view key) {
    const json::Value* value = entryValue(backup, key);
    if (value == nullptr) return std::nullopt;
    return value->asString();
}

// The backup's error flag: a manifest with failed page checksums (--set) says true; otherwise
// backup.info's backup-error, which backups made before 2.36 do not have.
std::optional<bool> backupError(const BackupItem& backup) {
    if (backup.detail && !backup.detail->errorFiles.empty()) return true;
    const json::Value* value = entryValue(backup, "backup-error");
    if (value == nullptr) return std::nullopt;
    return value->asBool();
}

// ------------------------------------------------------------------------------------------------
// Text
// ------------------------------------------------------------------------------------------------

void renderStatusText(std::string& out, const StanzaInfo& stanza) {
    out += "    status: ";
    const std::string_view message = statusMessage(stanza.code);
    switch (stanza.code) {
        case StatusCode::Ok:
            out += stanza.backupLockHeld ? fmt::format("ok ({})\n", lockText(stanza)) : std::string("ok\n");
            return;
        case StatusCode::Mixed:
        case StatusCode::PgMismatch:
        case StatusCode::Other: {
            out += stanza.code == StatusCode::Mixed ? std::string("mixed") : fmt::format("error ({})", message);
            if (stanza.backupLockHeld) out += fmt::format(" ({})", lockText(stanza));
            out += '\n';
            // The status of each repository follows; with one repository only the error text.
            const bool multiRepo = stanza.repos.size() > 1;
            const std::string_view spacer = multiRepo ? kRepoSpacer : kStanzaSpacer;
            for (const RepoStatus& repo : stanza.repos) {
                if (multiRepo) out += fmt::format("        repo{}: ", repo.key);
                if (repo.code == StatusCode::Ok) {
                    out += "ok\n";
                } else if (repo.code == StatusCode::Other) {
                    if (multiRepo) out += "error (other)\n";
                    out += indentLines(repo.errorText, spacer);
                    out += '\n';
                } else {
                    out += fmt::format("error ({})\n", statusMessage(repo.code));
                }
            }
            return;
        }
        default:
            out += fmt::format("error ({}{})\n", message,
                               stanza.backupLockHeld ? fmt::format(", {}", lockText(stanza)) : std::string());
            return;
    }
}

void renderCipherText(std::string& out, const StanzaInfo& stanza) {
    const std::string_view cipher = stanzaCipher(stanza);
    out += fmt::format("    cipher: {}\n", cipher);
    if (cipher == "mixed")
        for (const RepoStatus& repo : stanza.repos)
            out += fmt::format("        repo{}: {}\n", repo.key, cipherName(repo.encrypted));
}

void renderBackupText(std::string& out, const BackupItem& backup, const TextOptions& options) {
    const auto& entry = backup.entry;
    out += fmt::format("\n        {} backup: {}\n", entry.type(), entry.label());
    const auto formatTime = options.formatTime ? options.formatTime : formatLocalTime;
    out += fmt::format("            timestamp start/stop: {} / {}\n", formatTime(entry.timestampStart()),
                       formatTime(entry.timestampStop()));
    const auto walStart = entry.archiveStart();
    const auto walStop = entry.archiveStop();
    out += "            wal start/stop: ";
    out += walStart && walStop ? fmt::format("{} / {}\n", *walStart, *walStop) : std::string("n/a\n");
    if (backup.detail) {
        if (const auto lsnStart = entryString(backup, "backup-lsn-start")) {
            out += fmt::format("            lsn start/stop: {} / {}\n", *lsnStart,
                               entryString(backup, "backup-lsn-stop").value_or(""));
        }
    }
    out += fmt::format("            database size: {}, database backup size: {}\n", formatSize(entry.size()),
                       formatSize(entry.sizeDelta()));
    // Block incremental backups (beta in 2.45, never written by pgark) have no meaningful set size;
    // 2.45 then leaves "backup set size" out. UNVERIFIED against the binary: we cannot make one.
    const json::Value* sizeMap = entryValue(backup, "backup-info-repo-size-map");
    const json::Value* deltaMap = entryValue(backup, "backup-info-repo-size-map-delta");
    out += fmt::format("            repo{}: ", backup.repoKey);
    if (sizeMap == nullptr) out += fmt::format("backup set size: {}, ", formatSize(entry.repoSize()));
    out += fmt::format("backup size: {}\n",
                       formatSize(entry.repoSizeDelta() + (deltaMap != nullptr ? deltaMap->asUInt() : 0)));
    if (entryValue(backup, "backup-reference") != nullptr)
        out += fmt::format("            backup reference list: {}\n", join(entry.references(), ", "));

    if (backup.detail) {
        const BackupDetail& detail = *backup.detail;
        out += "            database list:";
        if (detail.databases.empty()) out += " none";
        for (std::size_t i = 0; i < detail.databases.size(); ++i)
            out += fmt::format("{} {} ({})", i > 0 ? "," : "", detail.databases[i].first, detail.databases[i].second);
        out += '\n';
        if (!detail.links.empty()) {
            out += "            symlinks:\n";
            for (const BackupLink& link : detail.links)
                out += fmt::format("                {} => {}\n", link.name, link.destination);
        }
        if (!detail.tablespaces.empty()) {
            out += "            tablespaces:\n";
            for (const BackupTablespace& tablespace : detail.tablespaces)
                out += fmt::format("                {} ({}) => {}\n", tablespace.name, tablespace.oid,
                                   tablespace.destination);
        }
    }
    if (backup.detail && !backup.detail->errorFiles.empty()) {
        out += fmt::format("            error list: {}\n", join(backup.detail->errorFiles, ", "));
    } else if (backupError(backup).value_or(false)) {
        out += "            error(s) detected during backup\n";
    }
    if (backup.detail) {
        const json::Value* annotation = entryValue(backup, "backup-annotation");
        if (annotation != nullptr && annotation->isObject() && !annotation->asObject().empty()) {
            out += "            annotation(s)\n";
            for (const auto& [key, value] : annotation->asObject())
                out += fmt::format("                {}: {}\n", key, value.isString() ? value.asString() : json::render(value));
        }
    }
}

// The text output groups the history entries of all repositories by cluster (system id and
// version): "db (prior)" for each older cluster, "db (current)" last.
struct DbGroup {
    std::uint64_t systemId = 0;
    std::string version;
    bool current = false;
    std::optional<std::string> walMin;
    std::optional<std::string> walMax;
    std::vector<const BackupItem*> backups;
};

void renderDbText(std::string& out, const StanzaInfo& stanza, const TextOptions& options) {
    std::vector<DbGroup> groups;
    auto groupOf = [&](unsigned repoKey, unsigned dbId) -> DbGroup* {
        for (const DbInfo& db : stanza.dbs) {
            if (db.repoKey != repoKey || db.id != dbId) continue;
            for (DbGroup& group : groups)
                if (group.systemId == db.systemId && group.version == db.version) return &group;
        }
        return nullptr;
    };
    for (const DbInfo& db : stanza.dbs) {
        const bool known = std::any_of(groups.begin(), groups.end(), [&](const DbGroup& group) {
            return group.systemId == db.systemId && group.version == db.version;
        });
        if (known) continue;
        DbGroup group{.systemId = db.systemId, .version = db.version};
        group.current = stanza.current && stanza.current->systemId == db.systemId && stanza.current->version == db.version;
        groups.push_back(std::move(group));
    }
    for (const ArchiveRange& range : stanza.archives) {
        DbGroup* group = groupOf(range.repoKey, range.dbId);
        if (group == nullptr || !range.min) continue;
        if (!group->walMin || *range.min < *group->walMin) group->walMin = range.min;
        if (range.max && (!group->walMax || *range.max > *group->walMax)) group->walMax = range.max;
    }
    for (const BackupItem& backup : stanza.backups)
        if (DbGroup* group = groupOf(backup.repoKey, backup.entry.dbId())) group->backups.push_back(&backup);

    // With --set (backups carry their detail) only the cluster holding the backup is shown.
    const bool setFilter = std::any_of(stanza.backups.begin(), stanza.backups.end(),
                                       [](const BackupItem& backup) { return backup.detail.has_value(); });
    auto render = [&](const DbGroup& group) {
        if (setFilter && group.backups.empty()) return;
        if (!group.current && group.backups.empty() && !group.walMin) return;
        out += fmt::format("\n    db ({})\n", group.current ? "current" : "prior");
        out += fmt::format("        wal archive min/max ({}): ", group.version);
        out += group.walMin ? fmt::format("{}/{}\n", *group.walMin, group.walMax.value_or(*group.walMin))
                            : std::string("none present\n");
        for (const BackupItem* backup : group.backups) renderBackupText(out, *backup, options);
    };
    for (const DbGroup& group : groups)
        if (!group.current) render(group);
    for (const DbGroup& group : groups)
        if (group.current) render(group);
}

void renderStanzaText(std::string& out, const StanzaInfo& stanza, const TextOptions& options) {
    out += fmt::format("stanza: {}\n", stanza.name);
    renderStatusText(out, stanza);
    if (stanza.code != StatusCode::MissingStanzaPath) renderCipherText(out, stanza);
    if (!stanza.dbs.empty()) renderDbText(out, stanza, options);
}

// ------------------------------------------------------------------------------------------------
// JSON
// ------------------------------------------------------------------------------------------------

json::Value optionalString(const std::optional<std::string>& value) {
    return value ? json::Value(*value) : json::Value();
}

json::Value backupJson(const BackupItem& backup) {
    const auto& entry = backup.entry;
    json::Object out;
    if (const json::Value* annotation = entryValue(backup, "backup-annotation")) out["annotation"] = *annotation;
    out["archive"] = json::Object{{"start", optionalString(entry.archiveStart())},
                                  {"stop", optionalString(entry.archiveStop())}};
    const json::Value* format = entry.find("backrest-format");
    const json::Value* version = entry.find("backrest-version");
    out["backrest"] = json::Object{{"format", format != nullptr ? *format : json::Value()},
                                   {"version", version != nullptr ? *version : json::Value()}};
    out["database"] = json::Object{{"id", entry.dbId()}, {"repo-key", backup.repoKey}};
    if (const auto error = backupError(backup)) out["error"] = *error;

    json::Object repository{{"delta", entry.repoSizeDelta()}, {"size", entry.repoSize()}};
    if (const json::Value* deltaMap = entryValue(backup, "backup-info-repo-size-map-delta"))
        repository["delta-map"] = *deltaMap;
    if (const json::Value* sizeMap = entryValue(backup, "backup-info-repo-size-map")) repository["size-map"] = *sizeMap;
    out["info"] = json::Object{
        {"delta", entry.sizeDelta()}, {"repository", std::move(repository)}, {"size", entry.size()}};
    out["label"] = entry.label();
    if (const auto lsnStart = entryString(backup, "backup-lsn-start"))
        out["lsn"] = json::Object{{"start", *lsnStart}, {"stop", optionalString(entryString(backup, "backup-lsn-stop"))}};
    out["prior"] = optionalString(entry.prior());
    const json::Value* reference = entryValue(backup, "backup-reference");
    out["reference"] = reference != nullptr ? *reference : json::Value();
    out["timestamp"] = json::Object{{"start", entry.timestampStart()}, {"stop", entry.timestampStop()}};
    out["type"] = entry.type();

    if (backup.detail) {
        const BackupDetail& detail = *backup.detail;
        json::Array databases;
        for (const auto& [name, oid] : detail.databases) databases.emplace_back(json::Object{{"name", name}, {"oid", oid}});
        out["database-ref"] = std::move(databases);
        if (!detail.errorFiles.empty()) {
            json::Array files(detail.errorFiles.begin(), detail.errorFiles.end());
            out["error-list"] = std::move(files);
        }
        json::Array links;
        for (const BackupLink& link : detail.links)
            links.emplace_back(json::Object{{"destination", link.destination}, {"name", link.name}});
        out["link"] = links.empty() ? json::Value() : json::Value(std::move(links));
        json::Array tablespaces;
        for (const BackupTablespace& tablespace : detail.tablespaces) {
            tablespaces.emplace_back(json::Object{
                {"destination", tablespace.destination}, {"name", tablespace.name}, {"oid", tablespace.oid}});
        }
        out["tablespace"] = tablespaces.empty() ? json::Value() : json::Value(std::move(tablespaces));
    }
    return out;
}

json::Value stanzaJson(const StanzaInfo& stanza) {
    json::Array archives;
    for (const ArchiveRange& range : stanza.archives) {
        archives.emplace_back(json::Object{{"database", json::Object{{"id", range.dbId}, {"repo-key", range.repoKey}}},
                                           {"id", range.archiveId},
                                           {"max", optionalString(range.max)},
                                           {"min", optionalString(range.min)}});
    }
    json::Array backups;
    for (const BackupItem& backup : stanza.backups) backups.push_back(backupJson(backup));
    json::Array dbs;
    for (const DbInfo& db : stanza.dbs) {
        dbs.emplace_back(json::Object{
            {"id", db.id}, {"repo-key", db.repoKey}, {"system-id", db.systemId}, {"version", db.version}});
    }
    json::Array repos;
    for (const RepoStatus& repo : stanza.repos) {
        const std::string message =
            repo.code == StatusCode::Other ? repo.errorText : std::string(statusMessage(repo.code));
        repos.emplace_back(json::Object{{"cipher", cipherName(repo.encrypted)},
                                        {"key", repo.key},
                                        {"status", json::Object{{"code", static_cast<int>(repo.code)}, {"message", message}}}});
    }
    // 2.45 reports only whether the lock is held here; the percentage appears in the text only.
    json::Object status{{"code", static_cast<int>(stanza.code)},
                        {"lock", json::Object{{"backup", json::Object{{"held", stanza.backupLockHeld}}}}},
                        {"message", statusMessage(stanza.code)}};
    return json::Object{{"archive", std::move(archives)}, {"backup", std::move(backups)},
                        {"cipher", stanzaCipher(stanza)},    {"db", std::move(dbs)},
                        {"name", stanza.name},               {"repo", std::move(repos)},
                        {"status", std::move(status)}};
}

}  // namespace

std::string_view statusMessage(StatusCode code) noexcept {
    switch (code) {
        case StatusCode::Ok: return "ok";
        case StatusCode::MissingStanzaPath: return "missing stanza path";
        case StatusCode::NoBackup: return "no valid backups";
        case StatusCode::MissingStanzaData: return "missing stanza data";
        case StatusCode::Mixed: return "different across repos";
        case StatusCode::PgMismatch: return "database mismatch across repos";
        case StatusCode::BackupNotFound: return "requested backup not found";
        case StatusCode::Other: return "other";
    }
    return "other";  // uncoverable - every enumerator is handled above
}

std::string formatSize(std::uint64_t bytes) {
    // pgBackRest prints one decimal unless the first decimal digit of the truncated value is 0;
    // the test is done in double as there, so the two tools agree on every boundary.
    constexpr std::uint64_t kKb = 1024;
    auto scaled = [bytes](std::uint64_t unit, std::string_view suffix) {
        const double value = static_cast<double>(bytes) / static_cast<double>(unit);
        const auto tenths = static_cast<std::uint64_t>(static_cast<double>(bytes) / (static_cast<double>(unit) / 10.0));
        if (tenths % 10 == 0) return fmt::format("{}{}", bytes / unit, suffix);
        // printf's rounding (ties to even on exact halves such as 1.25), which is what 2.45 uses.
        char buffer[64];
        const int length = std::snprintf(buffer, sizeof(buffer), "%.1f", value);
        return std::string(buffer, static_cast<std::size_t>(length)) + std::string(suffix);
    };
    if (bytes < kKb) return fmt::format("{}B", bytes);
    if (bytes < kKb * kKb) return scaled(kKb, "KB");
    if (bytes < kKb * kKb * kKb) return scaled(kKb * kKb, "MB");
    return scaled(kKb * kKb * kKb, "GB");
}

std::string formatLocalTime(std::int64_t seconds) {
    const auto time = static_cast<std::time_t>(seconds);
    std::tm local{};
    localtime_r(&time, &local);
    char buffer[32];
    const std::size_t length = std::strftime(buffer, sizeof(buffer), "%Y-%m-%d %H:%M:%S", &local);
    return std::string(buffer, length);
}

std::string renderText(std::span<const StanzaInfo> stanzas, const TextOptions& options) {
    if (stanzas.empty()) return "No stanzas exist in the repository.\n";
    std::string out;
    for (std::size_t i = 0; i < stanzas.size(); ++i) {
        if (i > 0) out += '\n';
        renderStanzaText(out, stanzas[i], options);
    }
    return out;
}

std::string renderJson(std::span<const StanzaInfo> stanzas) {
    json::Array out;
    for (const StanzaInfo& stanza : stanzas) out.push_back(stanzaJson(stanza));
    return json::render(out);
}

}  // namespace pgark::command::info
