// Manifest model: sorted lists, result recording, the diff/incr reference rules, totals, labels.
#include "info/manifest.h"

#include <time.h>

#include <algorithm>
#include <ctime>

#include "common/error.h"
#include "common/log.h"

namespace pgark::info {

namespace {

constexpr std::string_view kPgDataPrefix = "pg_data/";

// Lists are kept sorted by name; these find an entry or the place where it belongs.
template <class T>
auto lowerBound(std::vector<T>& list, std::string_view name) {
    return std::lower_bound(list.begin(), list.end(), name, [](const T& item, std::string_view key) { return item.name < key; });
}

template <class T>
auto lowerBound(const std::vector<T>& list, std::string_view name) {
    return std::lower_bound(list.begin(), list.end(), name, [](const T& item, std::string_view key) { return item.name < key; });
}

template <class T>
const T* findByName(const std::vector<T>& list, std::string_view name) noexcept {
    const auto found = lowerBound(list, name);
    return found != list.end() && found->name == name ? &*found : nullptr;
}

template <class T>
void insertSorted(std::vector<T>& list, T item, std::string_view what) {
    const auto found = lowerBound(list, item.name);
    if (found != list.end() && found->name == item.name)
        throwError(ErrorCode::Assert, "{} '{}' is already in the manifest", what, item.name);
    list.insert(found, std::move(item));
}

template <class T>
bool removeByName(std::vector<T>& list, std::string_view name) {
    const auto found = lowerBound(list, name);
    if (found == list.end() || found->name != name) return false;
    list.erase(found);
    return true;
}

template <class T>
void sortByName(std::vector<T>& list) {
    std::sort(list.begin(), list.end(), [](const T& a, const T& b) { return a.name < b.name; });
}

// The name a user knows: relative to PGDATA for pg_data/..., unchanged for tablespaces.
std::string_view pgName(std::string_view name) {
    return name.starts_with(kPgDataPrefix) ? name.substr(kPgDataPrefix.size()) : name;
}

bool allDigits(std::string_view text) noexcept {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "YYYYMMDD-HHMMSS" at `text` (the timestamp part of a label).
bool labelTimestamp(std::string_view text) noexcept {
    return text.size() == 15 && allDigits(text.substr(0, 8)) && text[8] == '-' && allDigits(text.substr(9, 6));
}

}  // namespace

std::string_view backupTypeName(BackupType type) noexcept {
    switch (type) {
        case BackupType::Full: return "full";
        case BackupType::Diff: return "diff";
        case BackupType::Incr: return "incr";
    }
    return "full";  // unreachable: every enumerator is handled above
}

std::optional<BackupType> backupTypeFromName(std::string_view name) noexcept {
    if (name == "full") return BackupType::Full;
    if (name == "diff") return BackupType::Diff;
    if (name == "incr") return BackupType::Incr;
    return std::nullopt;
}

std::string manifestPath(std::string_view stanza, std::string_view label) {
    return fmt::format("backup/{}/{}/{}", stanza, label, kManifestFile);
}

// ---------------------------------------------------------------------------------------------
// Lists

const ManifestFile* Manifest::file(std::string_view name) const noexcept { return findByName(files_, name); }
const ManifestPath* Manifest::path(std::string_view name) const noexcept { return findByName(paths_, name); }
const ManifestLink* Manifest::link(std::string_view name) const noexcept { return findByName(links_, name); }
const ManifestTarget* Manifest::target(std::string_view name) const noexcept { return findByName(targets_, name); }
const ManifestDb* Manifest::db(std::string_view name) const noexcept { return findByName(dbs_, name); }

const ManifestTarget& Manifest::targetBase() const {
    const ManifestTarget* base = target(kManifestTargetPgData);
    if (base == nullptr) throwError(ErrorCode::Assert, "manifest has no '{}' target", kManifestTargetPgData);
    return *base;
}

void Manifest::fileAdd(ManifestFile file) { insertSorted(files_, std::move(file), "file"); }
void Manifest::pathAdd(ManifestPath path) { insertSorted(paths_, std::move(path), "path"); }
void Manifest::linkAdd(ManifestLink link) { insertSorted(links_, std::move(link), "link"); }
void Manifest::targetAdd(ManifestTarget target) { insertSorted(targets_, std::move(target), "target"); }
void Manifest::dbAdd(ManifestDb db) { insertSorted(dbs_, std::move(db), "database"); }
bool Manifest::fileRemove(std::string_view name) { return removeByName(files_, name); }
bool Manifest::linkRemove(std::string_view name) { return removeByName(links_, name); }
bool Manifest::targetRemove(std::string_view name) { return removeByName(targets_, name); }

void Manifest::targetUpdate(std::string_view name, std::string path, std::optional<std::string> file) {
    const auto found = lowerBound(targets_, name);
    if (found == targets_.end() || found->name != name)
        throwError(ErrorCode::Assert, "target '{}' is not in the manifest", name);
    found->path = std::move(path);
    found->file = std::move(file);
}

void Manifest::sortLists() {
    sortByName(targets_);
    sortByName(paths_);
    sortByName(files_);
    sortByName(links_);
    sortByName(dbs_);
}

void Manifest::fileCopied(std::string_view name, const ManifestFileResult& result) {
    const auto found = lowerBound(files_, name);
    if (found == files_.end() || found->name != name)
        throwError(ErrorCode::Assert, "file '{}' is not in the manifest", name);
    ManifestFile& file = *found;
    file.size = result.size;
    file.sizeRepo = result.sizeRepo;
    file.checksum = result.checksum;
    file.repoChecksum = result.repoChecksum;
    file.checksumPage = result.checksumPage;
    // An error list only means something next to checksum-page=false.
    file.checksumPageError = result.checksumPage == false ? result.checksumPageError : std::nullopt;
    file.bundleId = result.bundleId;
    file.bundleOffset = result.bundleId != 0 ? result.bundleOffset : 0;
    file.reference.reset();
    file.copy = false;
    file.delta = false;
}

void Manifest::setLabel(std::string label) {
    if (std::find(data_.references.begin(), data_.references.end(), label) == data_.references.end())
        data_.references.push_back(label);
    data_.label = std::move(label);
}

// ---------------------------------------------------------------------------------------------
// Diff/incr

void Manifest::buildValidate(bool delta, std::int64_t copyStart) {
    data_.optionDelta = delta;
    // The walk finished during second `copyStart`; a change in that same second would not move an
    // mtime past what was recorded, so online copies start (and compare) from the next second.
    data_.timestampCopyStart = copyStart + (data_.optionOnline ? 1 : 0);
    if (delta) return;
    for (const ManifestFile& file : files_) {
        if (file.timestamp > copyStart) {
            log::warn("file '{}' has timestamp ({}) in the future (relative to copy start {}), enabling delta checksum",
                      pgName(file.name), file.timestamp, copyStart);
            data_.optionDelta = true;
            return;
        }
    }
}

void Manifest::buildIncr(const Manifest& prior, BackupType type, const std::optional<std::string>& archiveStart) {
    if (type == BackupType::Full) throwError(ErrorCode::Assert, "buildIncr needs a diff or incr backup type");
    if (type == BackupType::Diff && prior.data_.type != BackupType::Full)
        throwError(ErrorCode::Assert, "the prior of a diff backup must be a full backup, not '{}'", prior.data_.label);

    data_.prior = prior.data_.label;
    data_.references = prior.data_.references;
    data_.type = type;
    // One file passphrase per backup set: referenced files were encrypted with the prior's.
    data_.cipherPass = prior.data_.cipherPass;

    bool delta = data_.optionDelta.value_or(false);
    const std::optional<std::string>& priorStop = prior.data_.archiveStop;
    // The first 8 hex digits of a WAL segment name are its timeline. After a restore or a promotion
    // files can hold older data with newer mtimes, so mtimes can no longer be trusted.
    if (archiveStart && priorStop && archiveStart->substr(0, 8) != priorStop->substr(0, 8)) {
        log::warn("a timeline switch has occurred since the {} backup, enabling delta checksum\n"
                  "HINT: this is normal after restoring from backup or promoting a standby.",
                  prior.data_.label);
        delta = true;
    } else if (prior.data_.optionOnline != data_.optionOnline) {
        log::warn("the online option has changed since the {} backup, enabling delta checksum", prior.data_.label);
        delta = true;
    }

    // Anomalies that mean size+mtime cannot be trusted to detect a change.
    if (!delta) {
        for (const ManifestFile& file : files_) {
            const ManifestFile* old = prior.file(file.name);
            if (old == nullptr) continue;
            if (file.timestamp < old->timestamp) {
                log::warn("file '{}' has timestamp earlier than prior backup (prior {}, current {}), enabling delta checksum",
                          pgName(file.name), old->timestamp, file.timestamp);
                delta = true;
                break;
            }
            if (file.size != old->size && file.timestamp == old->timestamp) {
                log::warn("file '{}' has same timestamp ({}) as prior but different size (prior {}, current {}), enabling "
                          "delta checksum",
                          pgName(file.name), file.timestamp, old->size, file.size);
                delta = true;
                break;
            }
        }
    }
    data_.optionDelta = delta;

    for (ManifestFile& file : files_) {
        const ManifestFile* old = prior.file(file.name);
        // copy == false here only for empty files of a bundled backup: never stored, so never referenced.
        if (old == nullptr || !file.copy || file.size != old->size) continue;
        if (!delta && file.size != 0 && file.timestamp != old->timestamp) continue;

        file.sizeRepo = old->sizeRepo;
        file.checksum = old->checksum;
        file.repoChecksum = old->repoChecksum;
        file.checksumPage = old->checksumPage;
        file.checksumPageError = old->checksumPageError;
        file.bundleId = old->bundleId;
        file.bundleOffset = old->bundleOffset;
        file.reference = old->reference ? old->reference : prior.data_.label;
        file.delta = delta && file.size != 0;
        // Without delta an unchanged file is not even read; with delta it is read and compared.
        file.copy = (file.size != 0 && file.timestamp != old->timestamp) || file.delta;
    }
}

// ---------------------------------------------------------------------------------------------
// Derived facts

ManifestTotals Manifest::totals() const noexcept {
    ManifestTotals totals;
    for (const ManifestFile& file : files_) {
        const std::uint64_t repo = file.sizeRepo > 0 ? file.sizeRepo : file.size;
        totals.size += file.size;
        totals.repoSize += repo;
        if (!file.reference) {
            totals.sizeDelta += file.size;
            totals.repoSizeDelta += repo;
        }
    }
    return totals;
}

RepoFileLocation Manifest::repoFileLocation(std::string_view stanza, const ManifestFile& file) const {
    const std::string& owner = file.reference ? *file.reference : data_.label;
    if (file.bundleId != 0)
        return RepoFileLocation{.path = fmt::format("backup/{}/{}/bundle/{}", stanza, owner, file.bundleId),
                                .offset = file.bundleOffset,
                                .limit = file.sizeRepo};
    return RepoFileLocation{
        .path = fmt::format("backup/{}/{}/{}{}", stanza, owner, file.name, compress::compressExtension(data_.compressType))};
}

RepoLayout Manifest::repoLayout() const {
    RepoLayout layout;
    // Bundled backups have no per-file tree to mirror; hard links need the directories to exist.
    if (!(data_.type == BackupType::Full && !data_.bundle) && !data_.optionHardlink) return layout;
    for (const ManifestPath& entry : paths_) layout.paths.push_back(entry.name);
    for (const ManifestTarget& target : targets_) {
        if (target.tablespaceId == 0) continue;
        layout.links.emplace_back(fmt::format("pg_data/pg_tblspc/{}", target.tablespaceId),
                                  fmt::format("../../pg_tblspc/{}", target.tablespaceId));
    }
    return layout;
}

ManifestFile Manifest::pgDataFile(std::string_view name, std::uint64_t size, std::int64_t timestamp) const {
    const ManifestPath* base = path(kManifestTargetPgData);
    if (base == nullptr) throwError(ErrorCode::Assert, "manifest has no '{}' path", kManifestTargetPgData);
    return ManifestFile{.name = fmt::format("{}/{}", kManifestTargetPgData, name),
                        .size = size,
                        .sizeRepo = size,
                        .timestamp = timestamp,
                        .mode = static_cast<mode_t>(base->mode & 0644),
                        .user = base->user,
                        .group = base->group};
}

bool manifestFileSizeLimited(std::string_view name) noexcept {
    if (name == "pg_data/global/pg_control") return false;
    for (const std::string_view prefix : {"pg_data/base/", "pg_data/global/", "pg_data/pg_xact/", "pg_data/pg_clog/",
                                          "pg_data/pg_multixact/", "pg_tblspc/"})
        if (name.starts_with(prefix)) return true;
    return false;
}

bool manifestFileMayVanish(std::string_view name) noexcept { return name != "pg_data/global/pg_control"; }

bool Manifest::pageErrors() const noexcept {
    return std::any_of(files_.begin(), files_.end(), [](const ManifestFile& file) { return file.checksumPage == false; });
}

BackupSummary Manifest::summary() const {
    BackupSummary s;
    s.label = data_.label;
    s.type = std::string(backupTypeName(data_.type));
    s.prior = data_.prior;
    for (const std::string& label : data_.references)
        if (label != data_.label) s.references.push_back(label);
    s.archiveStart = data_.archiveStart;
    s.archiveStop = data_.archiveStop;
    s.lsnStart = data_.lsnStart;
    s.lsnStop = data_.lsnStop;
    s.timestampStart = data_.timestampStart;
    s.timestampStop = data_.timestampStop;
    s.dbId = data_.pg.id;
    s.backupError = pageErrors();
    const ManifestTotals sizes = totals();
    s.size = sizes.size;
    s.sizeDelta = sizes.sizeDelta;
    s.repoSize = sizes.repoSize;
    s.repoSizeDelta = sizes.repoSizeDelta;
    s.annotations = data_.annotations;
    s.optionArchiveCheck = data_.optionArchiveCheck;
    s.optionArchiveCopy = data_.optionArchiveCopy;
    s.optionBackupStandby = data_.optionBackupStandby.value_or(false);
    s.optionChecksumPage = data_.optionChecksumPage.value_or(false);
    s.optionCompress = data_.compressType != compress::CompressType::None;
    s.optionHardlink = data_.optionHardlink;
    s.optionOnline = data_.optionOnline;
    s.backrestVersion = data_.backrestVersion;
    return s;
}

void Manifest::validate(bool strict) const {
    std::string problems;
    for (const ManifestFile& file : files_) {
        if (file.checksum.empty() && file.size != 0) problems += fmt::format("\nmissing checksum for file '{}'", file.name);
        if (!strict) continue;
        if (file.size == 0 && file.checksum != kSha1Empty)
            problems += fmt::format("\ninvalid checksum '{}' for zero size file '{}'", file.checksum, file.name);
        if (file.size != 0 && file.sizeRepo == 0) problems += fmt::format("\nrepo size must be > 0 for file '{}'", file.name);
    }
    if (!problems.empty()) throwError(ErrorCode::Format, "manifest validation failed:{}", problems);
}

json::Array pageErrorList(std::span<const std::uint64_t> pages) {
    std::vector<std::uint64_t> sorted(pages.begin(), pages.end());
    std::sort(sorted.begin(), sorted.end());
    sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
    json::Array result;
    for (std::size_t i = 0; i < sorted.size();) {
        std::size_t last = i;
        while (last + 1 < sorted.size() && sorted[last + 1] == sorted[last] + 1) ++last;
        if (last == i)
            result.emplace_back(sorted[i]);
        else
            result.emplace_back(json::Array{json::Value(sorted[i]), json::Value(sorted[last])});
        i = last + 1;
    }
    return result;
}

// ---------------------------------------------------------------------------------------------
// Labels

std::string backupLabelFormat(BackupType type, std::string_view fullLabel, std::int64_t time) {
    const time_t seconds = static_cast<time_t>(time);
    struct tm local {};
    if (localtime_r(&seconds, &local) == nullptr)
        throwError(ErrorCode::Assert, "unable to convert time {} to local time", time);
    char stamp[32];
    const std::size_t length = std::strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &local);
    const std::string_view timestamp(stamp, length);

    if (type == BackupType::Full) return fmt::format("{}F", timestamp);
    if (fullLabel.size() < 16 || !backupLabelValid(fullLabel))
        throwError(ErrorCode::Assert, "invalid prior backup label '{}'", fullLabel);
    return fmt::format("{}_{}{}", fullLabel.substr(0, 16), timestamp, type == BackupType::Diff ? 'D' : 'I');
}

BackupLabel backupLabelCreate(BackupType type, std::string_view fullLabel, std::int64_t time,
                              std::span<const std::string> existing) {
    const std::string* latest = nullptr;
    for (const std::string& label : existing)
        if (latest == nullptr || label > *latest) latest = &label;

    BackupLabel result{backupLabelFormat(type, fullLabel, time), time};
    if (latest == nullptr || result.label > *latest) return result;

    // Two backups close together (offline, or a very fast one): one second later may do.
    result = BackupLabel{backupLabelFormat(type, fullLabel, time + 1), time + 1};
    if (result.label > *latest) return result;

    throw Error(ErrorCode::Format, fmt::format("new backup label '{}' is not later than latest backup label '{}'",
                                               result.label, *latest))
        .withHint("has the time zone changed, or is there clock skew? Labels use the local time of the backup host");
}

bool backupLabelValid(std::string_view label) noexcept {
    if (label.size() != 16 && label.size() != 33) return false;
    if (!labelTimestamp(label.substr(0, 15)) || label[15] != 'F') return false;
    if (label.size() == 16) return true;
    return label[16] == '_' && labelTimestamp(label.substr(17, 15)) && (label[32] == 'D' || label[32] == 'I');
}

std::optional<BackupType> backupLabelType(std::string_view label) noexcept {
    if (!backupLabelValid(label)) return std::nullopt;
    if (label.size() == 16) return BackupType::Full;
    return label.back() == 'D' ? BackupType::Diff : BackupType::Incr;
}

}  // namespace pgark::info
