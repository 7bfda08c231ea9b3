// archive.info <-> ArchiveInfo.
#include "info/archive_info.h"

#include <algorithm>

#include "common/error.h"
#include "info/info_file.h"

namespace pgark::info {

namespace {

constexpr std::string_view kSectionCipher = "cipher";
constexpr std::string_view kSectionDb = "db";
constexpr std::string_view kSectionDbHistory = "db:history";
constexpr std::string_view kKeyCipherPass = "cipher-pass";
constexpr std::string_view kKeyDbId = "db-id";
constexpr std::string_view kKeySystemId = "db-system-id";
constexpr std::string_view kKeyVersion = "db-version";

const json::Value& member(const json::Value& object, std::string_view key) {
    const json::Value* found = object.find(key);
    if (found == nullptr) throwError(ErrorCode::Format, "missing key '{}'", key);
    return *found;
}

}  // namespace

std::string archiveInfoPath(std::string_view stanza) {
    return fmt::format("archive/{}/{}", stanza, kArchiveInfoFile);
}

ArchiveInfo::ArchiveInfo(std::uint64_t systemId, std::string version, std::string cipherPass)
    : history_{InfoPgData{.id = 1, .systemId = systemId, .version = std::move(version)}},
      currentIndex_(0),
      cipherPass_(std::move(cipherPass)) {}

ArchiveInfo ArchiveInfo::fromIni(const Ini& ini, std::string_view name) {
    ArchiveInfo info;
    try {
        // pgBackRest takes only the current id from [db]; the rest of [db] is a copy of that
        // history entry and is rewritten from it on save.
        const unsigned currentId = ini.get(kSectionDb, kKeyDbId).asUInt32();

        const Ini::Section* history = ini.section(kSectionDbHistory);
        if (history == nullptr || history->entries.empty()) throwError(ErrorCode::Format, "section '[db:history]' is missing");
        for (const Ini::Entry& entry : history->entries) {
            const json::Value value = json::parse(entry.value);
            // The system id sits under "db-id" here: a historic typo kept by pgBackRest (§2.5).
            info.history_.push_back(InfoPgData{.id = parseHistoryId(entry.key),
                                               .systemId = member(value, kKeyDbId).asUInt(),
                                               .version = member(value, kKeyVersion).asString()});
        }
        // Numeric order, whatever the file order (pgBackRest sorts after loading too).
        std::sort(info.history_.begin(), info.history_.end(),
                  [](const InfoPgData& a, const InfoPgData& b) { return a.id < b.id; });
        for (std::size_t i = 1; i < info.history_.size(); ++i)
            if (info.history_[i].id == info.history_[i - 1].id)
                throwError(ErrorCode::Format, "history id {} appears twice", info.history_[i].id);

        const auto current = std::find_if(info.history_.begin(), info.history_.end(),
                                          [currentId](const InfoPgData& pg) { return pg.id == currentId; });
        if (current == info.history_.end())
            throwError(ErrorCode::Format, "current db-id {} is not in '[db:history]'", currentId);
        info.currentIndex_ = static_cast<std::size_t>(current - info.history_.begin());

        if (const std::optional<json::Value> pass = ini.find(kSectionCipher, kKeyCipherPass)) info.cipherPass_ = pass->asString();
    } catch (const Error& error) {
        throw Error(ErrorCode::FileInvalid, fmt::format("invalid archive info file '{}': {}", name, error.message()))
            .withHint("the file passed its checksum but is not a valid archive.info; was it written by another tool?");
    }
    return info;
}

Ini ArchiveInfo::toIni() const {
    Ini ini;
    if (!cipherPass_.empty()) ini.set(kSectionCipher, kKeyCipherPass, json::Value(cipherPass_));
    const InfoPgData& pg = current();
    ini.set(kSectionDb, kKeyDbId, json::Value(pg.id));
    ini.set(kSectionDb, kKeySystemId, json::Value(pg.systemId));
    ini.set(kSectionDb, kKeyVersion, json::Value(pg.version));
    for (const InfoPgData& entry : history_) {
        json::Object value;
        value.emplace(std::string(kKeyDbId), json::Value(entry.systemId));
        value.emplace(std::string(kKeyVersion), json::Value(entry.version));
        ini.set(kSectionDbHistory, std::to_string(entry.id), json::Value(std::move(value)));
    }
    return ini;
}

ArchiveInfo ArchiveInfo::load(storage::Storage& repo, std::string_view path, std::string_view repoCipherPass) {
    return fromIni(loadInfoFile(repo, path, repoCipherPass), repo.describe(path));
}

std::optional<ArchiveInfo> ArchiveInfo::loadIfExists(storage::Storage& repo, std::string_view path,
                                                     std::string_view repoCipherPass) {
    std::optional<Ini> ini = loadInfoFileIfExists(repo, path, repoCipherPass);
    if (!ini) return std::nullopt;
    return fromIni(*ini, repo.describe(path));
}

void ArchiveInfo::save(storage::Storage& repo, std::string_view path, std::string_view repoCipherPass) const {
    saveInfoFile(repo, path, toIni(), repoCipherPass);
}

const InfoPgData* ArchiveInfo::historyById(unsigned id) const noexcept {
    for (const InfoPgData& pg : history_)
        if (pg.id == id) return &pg;
    return nullptr;
}

std::optional<std::string> ArchiveInfo::archiveIdFor(std::string_view version, std::uint64_t systemId) const {
    for (auto pg = history_.rbegin(); pg != history_.rend(); ++pg)
        if (pg->version == version && pg->systemId == systemId) return info::archiveId(*pg);
    return std::nullopt;
}

const InfoPgData& ArchiveInfo::historyAdd(std::uint64_t systemId, std::string version) {
    const unsigned id = current().id + 1;
    if (historyById(id) != nullptr)
        throwError(ErrorCode::Assert, "history id {} already exists in archive info", id);
    history_.push_back(InfoPgData{.id = id, .systemId = systemId, .version = std::move(version)});
    std::sort(history_.begin(), history_.end(), [](const InfoPgData& a, const InfoPgData& b) { return a.id < b.id; });
    currentIndex_ = static_cast<std::size_t>(historyById(id) - history_.data());
    return history_[currentIndex_];
}

}  // namespace pgark::info
