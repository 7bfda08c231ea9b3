// backup.info <-> BackupInfo, backup entries, and the archive/backup history check.
#include "info/backup_info.h"

#include <algorithm>

#include "common/error.h"
#include "info/info_file.h"

namespace pgark::info {

namespace {

constexpr std::string_view kSectionBackupCurrent = "backup:current";
constexpr std::string_view kSectionCipher = "cipher";
constexpr std::string_view kSectionDb = "db";
constexpr std::string_view kSectionDbHistory = "db:history";
constexpr std::string_view kKeyCipherPass = "cipher-pass";
constexpr std::string_view kKeyCatalogVersion = "db-catalog-version";
constexpr std::string_view kKeyControlVersion = "db-control-version";
constexpr std::string_view kKeyDbId = "db-id";
constexpr std::string_view kKeySystemId = "db-system-id";
constexpr std::string_view kKeyVersion = "db-version";

// Keys every backup entry must have for the rest of the engine (info, expire, restore set
// selection) to work. The option-* flags and backup-error are not required: older versions
// wrote fewer of them, and nothing here depends on them.
constexpr std::string_view kRequiredEntryKeys[] = {
    "backrest-format",        "backrest-version",   "backup-archive-start",   "backup-archive-stop",
    "backup-info-repo-size",  "backup-info-repo-size-delta", "backup-info-size", "backup-info-size-delta",
    "backup-timestamp-start", "backup-timestamp-stop",       "backup-type",      "db-id",
};

const json::Value& member(const json::Value& object, std::string_view key) {
    const json::Value* found = object.find(key);
    if (found == nullptr) throwError(ErrorCode::Format, "missing key '{}'", key);
    return *found;
}

std::optional<std::string> stringOrNull(const json::Value& value) {
    if (value.isNull()) return std::nullopt;
    return value.asString();
}

void sortHistory(std::vector<InfoPgData>& history) {
    std::sort(history.begin(), history.end(), [](const InfoPgData& a, const InfoPgData& b) { return a.id < b.id; });
}

// Checks an entry's core keys now, so a bad file fails at load rather than deep inside a command.
void validateEntry(const BackupEntry& entry) {
    for (const std::string_view key : kRequiredEntryKeys)
        if (entry.find(key) == nullptr) throwError(ErrorCode::Format, "backup '{}' lacks key '{}'", entry.label(), key);
    const std::string type = entry.type();
    if (type != "full" && type != "diff" && type != "incr")
        throwError(ErrorCode::Format, "backup '{}' has invalid backup-type '{}'", entry.label(), type);
    (void)entry.dbId();
    (void)entry.archiveStart();
    (void)entry.archiveStop();
    (void)entry.timestampStart();
    (void)entry.timestampStop();
    (void)entry.size();
    (void)entry.sizeDelta();
    (void)entry.repoSize();
    (void)entry.repoSizeDelta();
    (void)entry.prior();
    (void)entry.references();
}

}  // namespace

std::string backupInfoPath(std::string_view stanza) {
    return fmt::format("backup/{}/{}", stanza, kBackupInfoFile);
}

// ---------------------------------------------------------------------------------------------
// BackupEntry

const json::Value* BackupEntry::find(std::string_view key) const {
    const auto found = data_.find(std::string(key));
    return found == data_.end() ? nullptr : &found->second;
}

const json::Value& BackupEntry::required(std::string_view key) const {
    const json::Value* value = find(key);
    if (value == nullptr) throwError(ErrorCode::Format, "backup '{}' lacks key '{}'", label_, key);
    return *value;
}

std::string BackupEntry::type() const { return required("backup-type").asString(); }

std::optional<std::string> BackupEntry::prior() const {
    const json::Value* value = find("backup-prior");
    if (value == nullptr) return std::nullopt;
    return stringOrNull(*value);
}

std::vector<std::string> BackupEntry::references() const {
    std::vector<std::string> result;
    const json::Value* value = find("backup-reference");
    if (value == nullptr || value->isNull()) return result;
    for (const json::Value& item : value->asArray()) result.push_back(item.asString());
    return result;
}

unsigned BackupEntry::dbId() const { return required("db-id").asUInt32(); }
std::optional<std::string> BackupEntry::archiveStart() const { return stringOrNull(required("backup-archive-start")); }
std::optional<std::string> BackupEntry::archiveStop() const { return stringOrNull(required("backup-archive-stop")); }
std::int64_t BackupEntry::timestampStart() const { return required("backup-timestamp-start").asInt(); }
std::int64_t BackupEntry::timestampStop() const { return required("backup-timestamp-stop").asInt(); }
std::uint64_t BackupEntry::size() const { return required("backup-info-size").asUInt(); }
std::uint64_t BackupEntry::sizeDelta() const { return required("backup-info-size-delta").asUInt(); }
std::uint64_t BackupEntry::repoSize() const { return required("backup-info-repo-size").asUInt(); }
std::uint64_t BackupEntry::repoSizeDelta() const { return required("backup-info-repo-size-delta").asUInt(); }

BackupEntry makeBackupEntry(const BackupSummary& s) {
    json::Object data;
    auto optionalString = [](const std::optional<std::string>& value) {
        return value ? json::Value(*value) : json::Value();
    };
    data["backrest-format"] = json::Value(kRepoFormat);
    data["backrest-version"] = json::Value(s.backrestVersion);
    if (!s.annotations.empty()) {
        json::Object annotations;
        for (const auto& [key, value] : s.annotations) annotations.emplace(key, json::Value(value));
        data["backup-annotation"] = json::Value(std::move(annotations));
    }
    data["backup-archive-start"] = optionalString(s.archiveStart);
    data["backup-archive-stop"] = optionalString(s.archiveStop);
    data["backup-error"] = json::Value(s.backupError);
    data["backup-info-repo-size"] = json::Value(s.repoSize);
    data["backup-info-repo-size-delta"] = json::Value(s.repoSizeDelta);
    data["backup-info-size"] = json::Value(s.size);
    data["backup-info-size-delta"] = json::Value(s.sizeDelta);
    if (s.lsnStart) data["backup-lsn-start"] = json::Value(*s.lsnStart);
    if (s.lsnStop) data["backup-lsn-stop"] = json::Value(*s.lsnStop);
    if (s.prior) data["backup-prior"] = json::Value(*s.prior);
    if (!s.references.empty()) {
        std::vector<std::string> sorted = s.references;
        std::sort(sorted.begin(), sorted.end());
        sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
        json::Array references;
        for (std::string& label : sorted) references.emplace_back(std::move(label));
        data["backup-reference"] = json::Value(std::move(references));
    }
    data["backup-timestamp-start"] = json::Value(s.timestampStart);
    data["backup-timestamp-stop"] = json::Value(s.timestampStop);
    data["backup-type"] = json::Value(s.type);
    data["db-id"] = json::Value(s.dbId);
    data["option-archive-check"] = json::Value(s.optionArchiveCheck);
    data["option-archive-copy"] = json::Value(s.optionArchiveCopy);
    data["option-backup-standby"] = json::Value(s.optionBackupStandby);
    data["option-checksum-page"] = json::Value(s.optionChecksumPage);
    data["option-compress"] = json::Value(s.optionCompress);
    data["option-hardlink"] = json::Value(s.optionHardlink);
    data["option-online"] = json::Value(s.optionOnline);
    return BackupEntry(s.label, std::move(data));
}

// ---------------------------------------------------------------------------------------------
// BackupInfo

BackupInfo::BackupInfo(InfoPgData pg, std::string cipherPass) : cipherPass_(std::move(cipherPass)) {
    pg.id = 1;
    history_.push_back(std::move(pg));
}

BackupInfo BackupInfo::fromIni(const Ini& ini, std::string_view name) {
    BackupInfo info;
    try {
        // As in archive.info, [db] contributes only the current id (pgBackRest does the same).
        const unsigned currentId = ini.get(kSectionDb, kKeyDbId).asUInt32();

        const Ini::Section* history = ini.section(kSectionDbHistory);
        if (history == nullptr || history->entries.empty()) throwError(ErrorCode::Format, "section '[db:history]' is missing");
        for (const Ini::Entry& entry : history->entries) {
            const json::Value value = json::parse(entry.value);
            info.history_.push_back(InfoPgData{.id = parseHistoryId(entry.key),
                                               .systemId = member(value, kKeySystemId).asUInt(),
                                               .version = member(value, kKeyVersion).asString(),
                                               .catalogVersion = member(value, kKeyCatalogVersion).asUInt32(),
                                               .controlVersion = member(value, kKeyControlVersion).asUInt32()});
        }
        sortHistory(info.history_);
        for (std::size_t i = 1; i < info.history_.size(); ++i)
            if (info.history_[i].id == info.history_[i - 1].id)
                throwError(ErrorCode::Format, "history id {} appears twice", info.history_[i].id);
        const InfoPgData* current = info.historyById(currentId);
        if (current == nullptr) throwError(ErrorCode::Format, "current db-id {} is not in '[db:history]'", currentId);
        info.currentIndex_ = static_cast<std::size_t>(current - info.history_.data());

        if (const Ini::Section* backups = ini.section(kSectionBackupCurrent)) {
            for (const Ini::Entry& entry : backups->entries) {
                json::Value value = json::parse(entry.value);
                BackupEntry backup(entry.key, std::move(value.asObject()));
                validateEntry(backup);
                info.backups_.push_back(std::move(backup));
            }
        }
        std::sort(info.backups_.begin(), info.backups_.end(),
                  [](const BackupEntry& a, const BackupEntry& b) { return a.label() < b.label(); });

        if (const std::optional<json::Value> pass = ini.find(kSectionCipher, kKeyCipherPass)) info.cipherPass_ = pass->asString();
    } catch (const Error& error) {
        throw Error(ErrorCode::FileInvalid, fmt::format("invalid backup info file '{}': {}", name, error.message()))
            .withHint("the file passed its checksum but is not a valid backup.info; was it written by another tool?");
    }
    return info;
}

Ini BackupInfo::toIni() const {
    Ini ini;
    for (const BackupEntry& backup : backups_)
        ini.set(kSectionBackupCurrent, backup.label(), json::Value(backup.data()));
    if (!cipherPass_.empty()) ini.set(kSectionCipher, kKeyCipherPass, json::Value(cipherPass_));
    const InfoPgData& pg = current();
    ini.set(kSectionDb, kKeyCatalogVersion, json::Value(pg.catalogVersion));
    ini.set(kSectionDb, kKeyControlVersion, json::Value(pg.controlVersion));
    ini.set(kSectionDb, kKeyDbId, json::Value(pg.id));
    ini.set(kSectionDb, kKeySystemId, json::Value(pg.systemId));
    ini.set(kSectionDb, kKeyVersion, json::Value(pg.version));
    for (const InfoPgData& entry : history_) {
        json::Object value;
        value.emplace(std::string(kKeyCatalogVersion), json::Value(entry.catalogVersion));
        value.emplace(std::string(kKeyControlVersion), json::Value(entry.controlVersion));
        value.emplace(std::string(kKeySystemId), json::Value(entry.systemId));
        value.emplace(std::string(kKeyVersion), json::Value(entry.version));
        ini.set(kSectionDbHistory, std::to_string(entry.id), json::Value(std::move(value)));
    }
    return ini;
}

BackupInfo BackupInfo::load(storage::Storage& repo, std::string_view path, std::string_view repoCipherPass) {
    return fromIni(loadInfoFile(repo, path, repoCipherPass), repo.describe(path));
}

std::optional<BackupInfo> BackupInfo::loadIfExists(storage::Storage& repo, std::string_view path,
                                                   std::string_view repoCipherPass) {
    std::optional<Ini> ini = loadInfoFileIfExists(repo, path, repoCipherPass);
    if (!ini) return std::nullopt;
    return fromIni(*ini, repo.describe(path));
}

void BackupInfo::save(storage::Storage& repo, std::string_view path, std::string_view repoCipherPass) const {
    saveInfoFile(repo, path, toIni(), repoCipherPass);
}

const InfoPgData* BackupInfo::historyById(unsigned id) const noexcept {
    for (const InfoPgData& pg : history_)
        if (pg.id == id) return &pg;
    return nullptr;
}

const InfoPgData& BackupInfo::historyAdd(std::uint64_t systemId, std::string version, std::uint32_t catalogVersion,
                                         std::uint32_t controlVersion) {
    const unsigned id = current().id + 1;
    if (historyById(id) != nullptr) throwError(ErrorCode::Assert, "history id {} already exists in backup info", id);
    history_.push_back(InfoPgData{.id = id,
                                  .systemId = systemId,
                                  .version = std::move(version),
                                  .catalogVersion = catalogVersion,
                                  .controlVersion = controlVersion});
    sortHistory(history_);
    currentIndex_ = static_cast<std::size_t>(historyById(id) - history_.data());
    return history_[currentIndex_];
}

std::vector<std::string> BackupInfo::labels() const {
    std::vector<std::string> result;
    result.reserve(backups_.size());
    for (const BackupEntry& backup : backups_) result.push_back(backup.label());
    return result;
}

const BackupEntry* BackupInfo::backup(std::string_view label) const noexcept {
    const auto found = std::lower_bound(backups_.begin(), backups_.end(), label,
                                        [](const BackupEntry& entry, std::string_view key) { return entry.label() < key; });
    return found != backups_.end() && found->label() == label ? &*found : nullptr;
}

void BackupInfo::backupAdd(BackupEntry entry) {
    const auto found = std::lower_bound(backups_.begin(), backups_.end(), entry.label(),
                                        [](const BackupEntry& a, const std::string& key) { return a.label() < key; });
    if (found != backups_.end() && found->label() == entry.label())
        *found = std::move(entry);
    else
        backups_.insert(found, std::move(entry));
}

bool BackupInfo::backupRemove(std::string_view label) {
    const auto found = std::find_if(backups_.begin(), backups_.end(),
                                    [label](const BackupEntry& entry) { return entry.label() == label; });
    if (found == backups_.end()) return false;
    backups_.erase(found);
    return true;
}

// ---------------------------------------------------------------------------------------------

namespace {

std::string describePg(const InfoPgData* pg) {
    if (pg == nullptr) return "(none)";
    return fmt::format("id = {}, version = {}, system-id = {}", pg->id, pg->version, pg->systemId);
}

[[noreturn]] void throwMismatch(std::string_view what, const InfoPgData* archive, const InfoPgData* backup) {
    throw Error(ErrorCode::FileInvalid, fmt::format("archive.info and backup.info do not match ({})\narchive: {}\nbackup : {}",
                                                    what, describePg(archive), describePg(backup)))
        .withHint("this may be a symptom of repository corruption; check that both files belong to this stanza");
}

bool sameCluster(const InfoPgData& a, const InfoPgData& b) {
    return a.id == b.id && a.systemId == b.systemId && a.version == b.version;
}

}  // namespace

void checkInfoMatch(const ArchiveInfo& archive, const BackupInfo& backup) {
    if (!sameCluster(archive.current(), backup.current())) throwMismatch("current", &archive.current(), &backup.current());
    for (const InfoPgData& pg : archive.history()) {
        const InfoPgData* other = backup.historyById(pg.id);
        if (other == nullptr || !sameCluster(pg, *other)) throwMismatch("history", &pg, other);
    }
    for (const InfoPgData& pg : backup.history())
        if (archive.historyById(pg.id) == nullptr) throwMismatch("history", nullptr, &pg);
}

}  // namespace pgark::info
