// info: repositories -> StanzaInfo, following what pgBackRest 2.45's info does (checked against the
// binary on synthetic repositories: which entries count as stanzas, how WAL directories are read,
// how the statuses of several repositories combine, when the backup lock is looked at).
#include <algorithm>
#include <charconv>
#include <set>

#include <fmt/format.h>

#include "command/info/info.h"
#include "common/error.h"
#include "info/archive_info.h"
#include "info/info_file.h"
#include "info/json.h"

namespace pgark::command::info {
namespace {

namespace model = ::pgark::info;
namespace json = ::pgark::info::json;

constexpr std::string_view kInvalidStanza = "[invalid]";
constexpr std::string_view kPgDataPrefix = "pg_data/";

// pgBackRest matches WAL names with [0-F] and [0-f], i.e. ranges in ASCII order that also admit a
// few punctuation characters. We use the same ranges so both tools count the same files.
bool allInRange(std::string_view text, char low, char high) {
    return std::all_of(text.begin(), text.end(), [&](char c) { return c >= low && c <= high; });
}

// A segment directory: the first 16 characters of a WAL name ("0000000100000000").
bool isWalDir(std::string_view name) { return name.size() == 16 && allInRange(name, '0', 'F'); }

// A stored segment "<24 hex>-<sha1>[.gz|.bz2|.lz4|.zst|.xz]". Partial segments and backup history
// files do not count for the archive range, as in 2.45.
bool isWalSegmentFile(std::string_view name) {
    constexpr std::size_t kBase = 24 + 1 + 40;
    if (name.size() < kBase || name[24] != '-') return false;
    if (!allInRange(name.substr(0, 24), '0', 'F') || !allInRange(name.substr(25, 40), '0', 'f')) return false;
    const std::string_view ext = name.substr(kBase);
    return ext.empty() || ext == ".gz" || ext == ".bz2" || ext == ".lz4" || ext == ".zst" || ext == ".xz";
}

std::string errorText(const Error& error) { return fmt::format("[{}] {}", errorCodeName(error.code()), error.what()); }

std::vector<std::string> listNames(storage::Storage& storage, const std::string& path) {
    std::vector<std::string> names;
    storage.list(path, {}, [&](const storage::FileInfo& entry) { names.push_back(entry.name); });
    std::sort(names.begin(), names.end());
    return names;
}

// The archive id a backup.info history entry's WAL lives under: the archive.info entry with the
// same id, system id and version, else the newest one with the same system id and version (the
// ids of the two files may differ after an upgrade). Throws Error(ArchiveMismatch) when none.
std::string archiveIdFor(const model::ArchiveInfo& archive, const model::InfoPgData& pg) {
    const auto& history = archive.history();
    auto same = [&](const model::InfoPgData& entry) {
        return entry.systemId == pg.systemId && entry.version == pg.version;
    };
    for (auto it = history.rbegin(); it != history.rend(); ++it)
        if (it->id == pg.id && same(*it)) return model::archiveId(*it);
    for (auto it = history.rbegin(); it != history.rend(); ++it)
        if (same(*it)) return model::archiveId(*it);
    throw Error(ErrorCode::ArchiveMismatch,
                fmt::format("unable to retrieve the archive id for database version '{}' and system-id '{}'",
                            pg.version, pg.systemId));
}

// Lowest and highest stored segment of one archive id: the lowest of the first segment directory
// that holds any, the highest of the last one that does.
std::pair<std::optional<std::string>, std::optional<std::string>> walRange(storage::Storage& storage,
                                                                           std::string_view stanza,
                                                                           std::string_view archiveId) {
    const std::string path = fmt::format("archive/{}/{}", stanza, archiveId);
    std::vector<std::string> dirs = listNames(storage, path);
    std::erase_if(dirs, [](const std::string& name) { return !isWalDir(name); });
    auto segments = [&](const std::string& dir) {
        std::vector<std::string> files = listNames(storage, path + "/" + dir);
        std::erase_if(files, [](const std::string& name) { return !isWalSegmentFile(name); });
        return files;  // sorted
    };
    std::pair<std::optional<std::string>, std::optional<std::string>> range;
    for (const std::string& dir : dirs) {
        const auto files = segments(dir);
        if (files.empty()) continue;
        range.first = files.front().substr(0, 24);
        break;
    }
    for (auto it = dirs.rbegin(); it != dirs.rend(); ++it) {
        const auto files = segments(*it);
        if (files.empty()) continue;
        range.second = files.back().substr(0, 24);
        break;
    }
    return range;
}

std::string pgPath(std::string_view manifestName) {
    return std::string(manifestName.starts_with(kPgDataPrefix) ? manifestName.substr(kPgDataPrefix.size())
                                                                : manifestName);
}

std::string manifestPath(std::string_view stanza, std::string_view label) {
    return fmt::format("backup/{}/{}/backup.manifest", stanza, label);
}

// Entries of a manifest section in name order (pgBackRest sorts its lists after loading).
std::vector<const model::Ini::Entry*> sortedEntries(const model::Ini& ini, std::string_view section) {
    std::vector<const model::Ini::Entry*> entries;
    if (const model::Ini::Section* found = ini.section(section))
        for (const model::Ini::Entry& entry : found->entries) entries.push_back(&entry);
    std::sort(entries.begin(), entries.end(), [](const auto* a, const auto* b) { return a->key < b->key; });
    return entries;
}

const json::Value& member(const json::Value& object, std::string_view key, std::string_view where) {
    const json::Value* value = object.find(key);
    if (value == nullptr) throwError(ErrorCode::Format, "missing key '{}' in '{}'", key, where);
    return *value;
}

// The --set detail from a backup's manifest (encrypted with the backup set passphrase).
BackupDetail loadDetail(storage::Storage& storage, std::string_view stanza, std::string_view label,
                        std::string_view cipherPass) {
    const std::string path = manifestPath(stanza, label);
    const model::Ini manifest = model::loadInfoFile(storage, path, cipherPass);
    BackupDetail detail;
    // Template databases (oid at or below template0's) are not worth listing.
    for (const auto* entry : sortedEntries(manifest, "db")) {
        const json::Value value = json::parse(entry->value);
        const std::uint64_t oid = member(value, "db-id", path).asUInt();
        if (oid > member(value, "db-last-system-id", path).asUInt()) detail.databases.emplace_back(entry->key, oid);
    }
    for (const auto* entry : sortedEntries(manifest, "backup:target")) {
        const json::Value value = json::parse(entry->value);
        if (member(value, "type", path).asString() != "link") continue;
        const std::string& destination = member(value, "path", path).asString();
        if (const json::Value* name = value.find("tablespace-name")) {
            const std::string& id = member(value, "tablespace-id", path).asString();
            std::uint64_t oid = 0;
            const auto parsed = std::from_chars(id.data(), id.data() + id.size(), oid);
            if (parsed.ec != std::errc() || parsed.ptr != id.data() + id.size())
                throwError(ErrorCode::Format, "invalid tablespace-id '{}' in '{}'", id, path);
            detail.tablespaces.push_back({.name = name->asString(), .destination = destination, .oid = oid});
        } else if (const json::Value* file = value.find("file")) {
            detail.links.push_back({.name = file->asString(), .destination = destination + "/" + file->asString()});
        } else {
            detail.links.push_back({.name = pgPath(entry->key), .destination = destination});
        }
    }
    for (const auto* entry : sortedEntries(manifest, "target:file")) {
        // Only files with failed page checksums carry checksum-page=false; skip the parse otherwise.
        if (entry->value.find("\"checksum-page\":false") == std::string::npos) continue;
        const json::Value parsed = json::parse(entry->value);  // outlives the pointer into it
        const json::Value* checksumPage = parsed.find("checksum-page");
        if (checksumPage != nullptr && checksumPage->isBool() && !checksumPage->asBool())
            detail.errorFiles.push_back(pgPath(entry->key));
    }
    return detail;
}

// One repository's view of one stanza while gathering.
struct RepoState {
    RepoStatus status;
    std::optional<model::BackupInfo> backupInfo;  // set while the repository's data is shown
    bool readable = false;                        // backup.info, archive.info and WAL all read
    std::vector<DbInfo> dbs;
    std::vector<ArchiveRange> archives;
    std::optional<BackupDetail> detail;           // --set found in this repository

    bool hasData() const {
        return backupInfo && (status.code == StatusCode::Ok || status.code == StatusCode::NoBackup);
    }
    void drop() {
        backupInfo.reset();
        dbs.clear();
        archives.clear();
        detail.reset();
    }
};

void loadRepo(Repo& repo, const std::string& stanza, RepoState& state) {
    storage::Storage& storage = *repo.storage;
    auto backupInfo = model::BackupInfo::loadIfExists(storage, model::backupInfoPath(stanza), repo.cipherPass);
    if (!backupInfo) {
        state.status.code = StatusCode::MissingStanzaData;
        return;
    }
    const auto archiveInfo = model::ArchiveInfo::load(storage, model::archiveInfoPath(stanza), repo.cipherPass);
    const unsigned currentId = backupInfo->current().id;
    for (const model::InfoPgData& pg : backupInfo->history()) {
        state.dbs.push_back({.repoKey = repo.index, .id = pg.id, .systemId = pg.systemId, .version = pg.version});
        const std::string archiveId = archiveIdFor(archiveInfo, pg);
        auto [min, max] = walRange(storage, stanza, archiveId);
        // Older clusters are listed only when WAL of theirs is still stored.
        if (pg.id == currentId || min) {
            state.archives.push_back({.repoKey = repo.index,
                                      .dbId = pg.id,
                                      .archiveId = archiveId,
                                      .min = std::move(min),
                                      .max = std::move(max)});
        }
    }
    state.status.code = backupInfo->backups().empty() ? StatusCode::NoBackup : StatusCode::Ok;
    state.backupInfo = std::move(backupInfo);
    state.readable = true;
}

struct Listing {
    std::set<std::string> names;       // entries of backup/
    std::optional<std::string> error;  // errorText() when backup/ could not be listed
};

StanzaInfo gatherStanza(std::span<Repo> repos, std::span<const Listing> listings, const std::string& name,
                        const GatherOptions& options) {
    std::vector<RepoState> states(repos.size());
    for (std::size_t i = 0; i < repos.size(); ++i) {
        RepoState& state = states[i];
        state.status.key = repos[i].index;
        state.status.encrypted = !repos[i].cipherPass.empty();
        if (listings[i].error) {
            state.status.code = StatusCode::Other;
            state.status.errorText = *listings[i].error;
            continue;
        }
        if (!listings[i].names.contains(name)) {
            state.status.code = StatusCode::MissingStanzaPath;
            continue;
        }
        try {
            loadRepo(repos[i], name, state);
        } catch (const Error& error) {
            state.drop();
            state.readable = false;
            state.status.code = StatusCode::Other;
            state.status.errorText = errorText(error);
        }
    }

    if (options.set) {
        // A repository holds the backup when backup.info lists it and its manifest exists.
        bool found = false;
        for (std::size_t i = 0; i < states.size(); ++i) {
            RepoState& state = states[i];
            if (!state.hasData() || state.backupInfo->backup(*options.set) == nullptr) continue;
            if (!repos[i].storage->info(manifestPath(name, *options.set), storage::InfoLevel::Exists)) continue;
            found = true;
            try {
                state.detail = loadDetail(*repos[i].storage, name, *options.set, state.backupInfo->cipherPass());
            } catch (const Error& error) {
                state.drop();
                state.status.code = StatusCode::Other;
                state.status.errorText = errorText(error);
            }
        }
        if (!found) {
            for (RepoState& state : states) {
                if (!state.hasData()) continue;
                state.status.code = StatusCode::BackupNotFound;
                state.drop();
            }
        }
    }

    StanzaInfo stanza;
    stanza.name = name;
    // Like 2.45, the lock is looked at only when some repository's stanza could be read.
    const bool anyReadable = std::any_of(states.begin(), states.end(), [](const RepoState& s) { return s.readable; });
    if (anyReadable && options.readBackupLock) {
        const lock::LockInfo lock = options.readBackupLock(name);
        // 2.45 ignores a lock file it cannot parse (no exec id or pid): not a running backup.
        stanza.backupLockHeld = lock.held && lock.pid.has_value() && !lock.execId.empty();
        if (stanza.backupLockHeld) stanza.percentComplete = lock.pctCplt;
    }

    bool pgMismatch = false;
    for (RepoState& state : states) {
        stanza.repos.push_back(state.status);
        if (!state.hasData()) continue;
        const model::InfoPgData& current = state.backupInfo->current();
        if (!stanza.current) {
            stanza.current = CurrentPg{.systemId = current.systemId, .version = current.version};
        } else if (stanza.current->systemId != current.systemId || stanza.current->version != current.version) {
            pgMismatch = true;
        }
        stanza.dbs.insert(stanza.dbs.end(), state.dbs.begin(), state.dbs.end());
        stanza.archives.insert(stanza.archives.end(), state.archives.begin(), state.archives.end());
    }

    // Backups of all repositories merged oldest first by stop time; each backup.info is already in
    // label order, and on equal times the lower repository comes first.
    std::vector<std::size_t> next(states.size(), 0);
    while (true) {
        std::optional<std::size_t> pick;
        for (std::size_t i = 0; i < states.size(); ++i) {
            if (!states[i].hasData() || next[i] >= states[i].backupInfo->backups().size()) continue;
            if (!pick || states[i].backupInfo->backups()[next[i]].timestampStop() <
                             states[*pick].backupInfo->backups()[next[*pick]].timestampStop())
                pick = i;
        }
        if (!pick) break;
        const RepoState& state = states[*pick];
        const model::BackupEntry& entry = state.backupInfo->backups()[next[*pick]++];
        if (options.type && entry.type() != *options.type) continue;
        if (options.set && (entry.label() != *options.set || !state.detail)) continue;
        stanza.backups.push_back(BackupItem{.repoKey = state.status.key, .entry = entry, .detail = state.detail});
    }

    if (!states.empty()) {
        stanza.code = states.front().status.code;
        for (const RepoState& state : states)
            if (state.status.code != stanza.code) stanza.code = StatusCode::Mixed;
    }
    if (pgMismatch) stanza.code = StatusCode::PgMismatch;
    return stanza;
}

}  // namespace

std::vector<StanzaInfo> gatherInfo(std::span<Repo> repos, const GatherOptions& options) {
    std::vector<Listing> listings(repos.size());
    std::set<std::string> names;
    for (std::size_t i = 0; i < repos.size(); ++i) {
        try {
            for (std::string& entry : listNames(*repos[i].storage, "backup")) listings[i].names.insert(std::move(entry));
        } catch (const Error& error) {
            listings[i].error = errorText(error);
        }
        names.insert(listings[i].names.begin(), listings[i].names.end());
    }
    if (options.stanza) {
        names = {*options.stanza};
    } else if (names.empty()) {
        // Nothing found, but a repository could not be listed: report that rather than nothing.
        const bool anyError = std::any_of(listings.begin(), listings.end(), [](const Listing& l) { return l.error.has_value(); });
        if (anyError) names = {std::string(kInvalidStanza)};
    }
    std::vector<StanzaInfo> stanzas;
    for (const std::string& name : names) stanzas.push_back(gatherStanza(repos, listings, name, options));
    return stanzas;
}

}  // namespace pgark::command::info
