// Manifest <-> Ini (spec §3, byte-exact with pgBackRest 2.45), and load/save with the .copy rules.
#include <algorithm>
#include <set>

#include "common/error.h"
#include "info/info_file.h"
#include "info/manifest.h"

namespace pgark::info {

namespace {

constexpr std::string_view kSectionBackup = "backup";
constexpr std::string_view kSectionBackupDb = "backup:db";
constexpr std::string_view kSectionBackupOption = "backup:option";
constexpr std::string_view kSectionBackupTarget = "backup:target";
constexpr std::string_view kSectionCipher = "cipher";
constexpr std::string_view kSectionDb = "db";
constexpr std::string_view kSectionMetadata = "metadata";
constexpr std::string_view kSectionFile = "target:file";
constexpr std::string_view kSectionFileDefault = "target:file:default";
constexpr std::string_view kSectionLink = "target:link";
constexpr std::string_view kSectionLinkDefault = "target:link:default";
constexpr std::string_view kSectionPath = "target:path";
constexpr std::string_view kSectionPathDefault = "target:path:default";

constexpr mode_t kFileModeDefaultMask = 0640;  // file default mode = data directory mode & 0640 (§3.10)

// ---- reading helpers ----

const json::Value& member(const json::Value& object, std::string_view key, std::string_view entry) {
    const json::Value* found = object.find(key);
    if (found == nullptr) throwError(ErrorCode::Format, "missing key '{}' in '{}'", key, entry);
    return *found;
}

std::optional<std::string> optionalString(const Ini& ini, std::string_view section, std::string_view key) {
    const std::optional<json::Value> value = ini.find(section, key);
    if (!value || value->isNull()) return std::nullopt;
    return value->asString();
}

std::optional<bool> optionalBool(const Ini& ini, std::string_view section, std::string_view key) {
    const std::optional<json::Value> value = ini.find(section, key);
    if (!value) return std::nullopt;
    return value->asBool();
}

Owner parseOwner(const json::Value& value) {
    // false = the id had no name when the backup was made; true never means anything.
    if (value.isBool()) {
        if (value.asBool()) throwError(ErrorCode::Format, "owner must be a name or false, not true");
        return std::nullopt;
    }
    return value.asString();
}

mode_t parseMode(const json::Value& value) {
    const std::string& text = value.asString();
    if (text.empty() || text.size() > 6 || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '7'; }))
        throwError(ErrorCode::Format, "invalid mode '{}'", text);
    return static_cast<mode_t>(std::stoul(text, nullptr, 8));
}

// Entry defaults from a [target:*:default] section; absent keys leave the value unset.
struct Defaults {
    mode_t mode = 0;
    Owner user;
    Owner group;
};

Defaults parseDefaults(const Ini& ini, std::string_view section) {
    Defaults defaults;
    if (const std::optional<json::Value> mode = ini.find(section, "mode")) defaults.mode = parseMode(*mode);
    if (const std::optional<json::Value> user = ini.find(section, "user")) defaults.user = parseOwner(*user);
    if (const std::optional<json::Value> group = ini.find(section, "group")) defaults.group = parseOwner(*group);
    return defaults;
}

void refuseBeta(std::string_view name, std::string_view what) {
    throw Error(ErrorCode::FeatureNotSupported,
                fmt::format("manifest '{}' describes a {} backup, which pgark does not read", name, what))
        .withHint("block incremental is a beta format of pgBackRest 2.45 that later versions changed; restore it with "
                  "pgBackRest 2.45");
}

ManifestFile parseFile(const Ini::Entry& entry, const Defaults& defaults, std::string_view name) {
    const json::Value value = json::parse(entry.value);
    if (!value.isObject()) throwError(ErrorCode::Format, "file '{}' is not a JSON object", entry.key);
    if (value.find("bi") != nullptr || value.find("bim") != nullptr) refuseBeta(name, "block incremental");

    ManifestFile file;
    file.name = entry.key;
    const json::Value* size = value.find("size");
    if (size == nullptr) throwError(ErrorCode::Format, "missing size for file '{}'", entry.key);
    file.size = size->asUInt();
    const json::Value* timestamp = value.find("timestamp");
    if (timestamp == nullptr) throwError(ErrorCode::Format, "missing timestamp for file '{}'", entry.key);
    file.timestamp = timestamp->asInt();

    const json::Value* sizeRepo = value.find("repo-size");
    file.sizeRepo = sizeRepo != nullptr ? sizeRepo->asUInt() : file.size;
    if (const json::Value* checksum = value.find("checksum")) file.checksum = checksum->asString();
    // Zero-length files carry no checksum key: the empty SHA-1 is implied (§3.9).
    if (file.size == 0) file.checksum = std::string(kSha1Empty);
    if (const json::Value* rck = value.find("rck")) file.repoChecksum = rck->asString();
    if (const json::Value* page = value.find("checksum-page")) {
        file.checksumPage = page->asBool();
        if (const json::Value* errors = value.find("checksum-page-error")) file.checksumPageError = errors->asArray();
    }
    if (const json::Value* reference = value.find("reference")) file.reference = reference->asString();
    if (const json::Value* bundleId = value.find("bni")) {
        file.bundleId = bundleId->asUInt();
        if (const json::Value* offset = value.find("bno")) file.bundleOffset = offset->asUInt();
    }
    const json::Value* mode = value.find("mode");
    file.mode = mode != nullptr ? parseMode(*mode) : defaults.mode;
    const json::Value* user = value.find("user");
    file.user = user != nullptr ? parseOwner(*user) : defaults.user;
    const json::Value* group = value.find("group");
    file.group = group != nullptr ? parseOwner(*group) : defaults.group;
    // A loaded file was either stored already or, in a partial manifest, still has to be.
    file.copy = file.size != 0 && file.checksum.empty();
    return file;
}

ManifestTarget parseTarget(const Ini::Entry& entry) {
    const json::Value value = json::parse(entry.value);
    ManifestTarget target;
    target.name = entry.key;
    const std::string& type = member(value, "type", entry.key).asString();
    if (type == "path")
        target.type = TargetType::Path;
    else if (type == "link")
        target.type = TargetType::Link;
    else
        throwError(ErrorCode::Format, "target '{}' has invalid type '{}'", entry.key, type);
    target.path = member(value, "path", entry.key).asString();
    if (const json::Value* file = value.find("file")) target.file = file->asString();
    if (const json::Value* id = value.find("tablespace-id")) {
        const std::string& text = id->asString();
        if (text.empty() || text.size() > 10 || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
            throwError(ErrorCode::Format, "target '{}' has invalid tablespace-id '{}'", entry.key, text);
        const unsigned long long oid = std::stoull(text);
        if (oid > 0xffffffffULL) throwError(ErrorCode::Format, "target '{}' has invalid tablespace-id '{}'", entry.key, text);
        target.tablespaceId = static_cast<unsigned>(oid);
    }
    if (const json::Value* tablespaceName = value.find("tablespace-name")) target.tablespaceName = tablespaceName->asString();
    return target;
}

// ---- writing helpers ----

// Entries are rendered by hand, keys in the fixed sorted order pgBackRest reads them in: a
// manifest has one line per file, and building a json::Object per line would cost a map each.
class ObjectWriter {
public:
    ObjectWriter() { text_ = "{"; }
    ObjectWriter& key(std::string_view name) {
        if (text_.size() > 1) text_ += ',';
        json::appendString(text_, name);
        text_ += ':';
        return *this;
    }
    ObjectWriter& string(std::string_view name, std::string_view value) {
        key(name);
        json::appendString(text_, value);
        return *this;
    }
    ObjectWriter& number(std::string_view name, std::uint64_t value) {
        key(name);
        text_ += std::to_string(value);
        return *this;
    }
    ObjectWriter& signedNumber(std::string_view name, std::int64_t value) {
        key(name);
        text_ += std::to_string(value);
        return *this;
    }
    ObjectWriter& boolean(std::string_view name, bool value) {
        key(name);
        text_ += value ? "true" : "false";
        return *this;
    }
    ObjectWriter& owner(std::string_view name, const Owner& value) {
        if (value) return string(name, *value);
        key(name);
        text_ += "false";
        return *this;
    }
    ObjectWriter& raw(std::string_view name, std::string_view json) {
        key(name);
        text_ += json;
        return *this;
    }
    std::string finish() {
        text_ += '}';
        return std::move(text_);
    }

private:
    std::string text_;
};

std::string modeText(mode_t mode) { return fmt::format("{:04o}", static_cast<unsigned>(mode)); }

json::Value ownerValue(const Owner& owner) { return owner ? json::Value(*owner) : json::Value(false); }

std::string copyPath(std::string_view path) { return std::string(path) + std::string(kInfoCopyExt); }

std::string encodedManifest(const Manifest& manifest, std::string_view cipherPass) {
    std::string bytes = renderManifest(manifest);
    if (!cipherPass.empty()) bytes = encryptText(bytes, cipherPass);
    return bytes;
}

}  // namespace

Manifest Manifest::fromIni(const Ini& ini, std::string_view name) {
    Manifest manifest;
    ManifestData& data = manifest.data_;
    try {
        if (std::optional<std::string> version = optionalString(ini, kBackrestSection, kBackrestVersionKey))
            data.backrestVersion = std::move(*version);

        // [backup]
        if (optionalBool(ini, kSectionBackup, "backup-block-incr").value_or(false)) refuseBeta(name, "block incremental");
        if (optionalBool(ini, kSectionBackup, "backup-bundle-raw").value_or(false)) refuseBeta(name, "bundle-raw");
        data.archiveStart = optionalString(ini, kSectionBackup, "backup-archive-start");
        data.archiveStop = optionalString(ini, kSectionBackup, "backup-archive-stop");
        data.bundle = optionalBool(ini, kSectionBackup, "backup-bundle").value_or(false);
        data.label = ini.get(kSectionBackup, "backup-label").asString();
        data.lsnStart = optionalString(ini, kSectionBackup, "backup-lsn-start");
        data.lsnStop = optionalString(ini, kSectionBackup, "backup-lsn-stop");
        data.prior = optionalString(ini, kSectionBackup, "backup-prior");
        const std::optional<std::string> references = optionalString(ini, kSectionBackup, "backup-reference");
        data.timestampCopyStart = ini.get(kSectionBackup, "backup-timestamp-copy-start").asInt();
        data.timestampStart = ini.get(kSectionBackup, "backup-timestamp-start").asInt();
        data.timestampStop = ini.get(kSectionBackup, "backup-timestamp-stop").asInt();
        const std::string type = ini.get(kSectionBackup, "backup-type").asString();
        const std::optional<BackupType> backupType = backupTypeFromName(type);
        if (!backupType) throwError(ErrorCode::Format, "invalid backup-type '{}'", type);
        data.type = *backupType;

        // [backup:db]
        data.pg.catalogVersion = ini.get(kSectionBackupDb, "db-catalog-version").asUInt32();
        data.pg.controlVersion = ini.get(kSectionBackupDb, "db-control-version").asUInt32();
        data.pg.id = ini.get(kSectionBackupDb, "db-id").asUInt32();
        data.pg.systemId = ini.get(kSectionBackupDb, "db-system-id").asUInt();
        data.pg.version = ini.get(kSectionBackupDb, "db-version").asString();

        // [backup:option]
        data.optionArchiveCheck = ini.get(kSectionBackupOption, "option-archive-check").asBool();
        data.optionArchiveCopy = ini.get(kSectionBackupOption, "option-archive-copy").asBool();
        data.optionBackupStandby = optionalBool(ini, kSectionBackupOption, "option-backup-standby");
        if (const std::optional<json::Value> size = ini.find(kSectionBackupOption, "option-buffer-size"))
            data.optionBufferSize = size->asUInt();
        data.optionChecksumPage = optionalBool(ini, kSectionBackupOption, "option-checksum-page");
        // option-compress alone meant gz in old versions; option-compress-type, when there, decides.
        data.compressType = ini.get(kSectionBackupOption, "option-compress").asBool() ? compress::CompressType::Gz
                                                                                     : compress::CompressType::None;
        if (const std::optional<std::string> compressName = optionalString(ini, kSectionBackupOption, "option-compress-type")) {
            const std::optional<compress::CompressType> compressType = compress::compressTypeFromName(*compressName);
            if (!compressType) throwError(ErrorCode::Format, "invalid option-compress-type '{}'", *compressName);
            data.compressType = *compressType;
        }
        if (const std::optional<json::Value> level = ini.find(kSectionBackupOption, "option-compress-level"))
            data.optionCompressLevel = level->asInt();
        if (const std::optional<json::Value> level = ini.find(kSectionBackupOption, "option-compress-level-network"))
            data.optionCompressLevelNetwork = level->asInt();
        data.optionDelta = optionalBool(ini, kSectionBackupOption, "option-delta");
        data.optionHardlink = ini.get(kSectionBackupOption, "option-hardlink").asBool();
        data.optionOnline = ini.get(kSectionBackupOption, "option-online").asBool();
        if (const std::optional<json::Value> processMax = ini.find(kSectionBackupOption, "option-process-max"))
            data.optionProcessMax = processMax->asUInt32();

        if (const Ini::Section* section = ini.section(kSectionBackupTarget))
            for (const Ini::Entry& entry : section->entries) manifest.targets_.push_back(parseTarget(entry));

        if (std::optional<std::string> pass = optionalString(ini, kSectionCipher, "cipher-pass")) data.cipherPass = std::move(*pass);

        if (const Ini::Section* section = ini.section(kSectionDb)) {
            for (const Ini::Entry& entry : section->entries) {
                const json::Value value = json::parse(entry.value);
                manifest.dbs_.push_back(ManifestDb{.name = entry.key,
                                                   .id = member(value, "db-id", entry.key).asUInt32(),
                                                   .lastSystemId = member(value, "db-last-system-id", entry.key).asUInt32()});
            }
        }

        if (const std::optional<json::Value> annotation = ini.find(kSectionMetadata, "annotation"))
            for (const auto& [key, value] : annotation->asObject()) data.annotations.emplace(key, value.asString());

        // Defaults first: the sections that use them come earlier in the file.
        const Defaults fileDefaults = parseDefaults(ini, kSectionFileDefault);
        const Defaults pathDefaults = parseDefaults(ini, kSectionPathDefault);
        const Defaults linkDefaults = parseDefaults(ini, kSectionLinkDefault);

        if (const Ini::Section* section = ini.section(kSectionFile)) {
            manifest.files_.reserve(section->entries.size());
            for (const Ini::Entry& entry : section->entries) manifest.files_.push_back(parseFile(entry, fileDefaults, name));
        }
        if (const Ini::Section* section = ini.section(kSectionPath)) {
            for (const Ini::Entry& entry : section->entries) {
                const json::Value value = json::parse(entry.value);
                const json::Value* mode = value.find("mode");
                const json::Value* user = value.find("user");
                const json::Value* group = value.find("group");
                manifest.paths_.push_back(ManifestPath{.name = entry.key,
                                                       .mode = mode != nullptr ? parseMode(*mode) : pathDefaults.mode,
                                                       .user = user != nullptr ? parseOwner(*user) : pathDefaults.user,
                                                       .group = group != nullptr ? parseOwner(*group) : pathDefaults.group});
            }
        }
        if (const Ini::Section* section = ini.section(kSectionLink)) {
            for (const Ini::Entry& entry : section->entries) {
                const json::Value value = json::parse(entry.value);
                const json::Value* user = value.find("user");
                const json::Value* group = value.find("group");
                manifest.links_.push_back(ManifestLink{.name = entry.key,
                                                       .destination = member(value, "destination", entry.key).asString(),
                                                       .user = user != nullptr ? parseOwner(*user) : linkDefaults.user,
                                                       .group = group != nullptr ? parseOwner(*group) : linkDefaults.group});
            }
        }
        manifest.sortLists();

        if (references) {
            std::string_view rest = *references;
            while (!rest.empty()) {
                const std::size_t comma = rest.find(',');
                data.references.emplace_back(rest.substr(0, comma));
                rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
            }
        } else {
            // Before 2.42 the list was not saved: every label a file references, then our own.
            std::set<std::string> labels;
            for (const ManifestFile& file : manifest.files_)
                if (file.reference) labels.insert(*file.reference);
            data.references.assign(labels.begin(), labels.end());
        }
        if (std::find(data.references.begin(), data.references.end(), data.label) == data.references.end())
            data.references.push_back(data.label);
    } catch (const Error& error) {
        if (error.code() == ErrorCode::FeatureNotSupported) throw;
        throw Error(ErrorCode::FileInvalid, fmt::format("invalid manifest '{}': {}", name, error.message()))
            .withHint("the file passed its checksum but is not a valid backup.manifest; was it written by another tool?");
    }
    return manifest;
}

Ini Manifest::toIni() const {
    const ManifestPath* base = path(kManifestTargetPgData);
    if (base == nullptr) throwError(ErrorCode::Assert, "manifest has no '{}' path: the defaults derive from it", kManifestTargetPgData);
    // §3.10: every entry is compacted against defaults taken from the data directory itself.
    const Owner& userDefault = base->user;
    const Owner& groupDefault = base->group;
    const mode_t pathModeDefault = base->mode;
    const mode_t fileModeDefault = base->mode & kFileModeDefaultMask;

    Ini ini;
    const ManifestData& d = data_;

    // [backup], keys in byte order.
    if (d.archiveStart) ini.set(kSectionBackup, "backup-archive-start", *d.archiveStart);
    if (d.archiveStop) ini.set(kSectionBackup, "backup-archive-stop", *d.archiveStop);
    if (d.bundle) ini.set(kSectionBackup, "backup-bundle", true);
    ini.set(kSectionBackup, "backup-label", d.label);
    if (d.lsnStart) ini.set(kSectionBackup, "backup-lsn-start", *d.lsnStart);
    if (d.lsnStop) ini.set(kSectionBackup, "backup-lsn-stop", *d.lsnStop);
    if (d.prior) ini.set(kSectionBackup, "backup-prior", *d.prior);
    std::string references;
    for (const std::string& label : d.references) {
        if (!references.empty()) references += ',';
        references += label;
    }
    ini.set(kSectionBackup, "backup-reference", references);
    ini.set(kSectionBackup, "backup-timestamp-copy-start", d.timestampCopyStart);
    ini.set(kSectionBackup, "backup-timestamp-start", d.timestampStart);
    ini.set(kSectionBackup, "backup-timestamp-stop", d.timestampStop);
    ini.set(kSectionBackup, "backup-type", backupTypeName(d.type));

    ini.set(kSectionBackupDb, "db-catalog-version", d.pg.catalogVersion);
    ini.set(kSectionBackupDb, "db-control-version", d.pg.controlVersion);
    ini.set(kSectionBackupDb, "db-id", d.pg.id);
    ini.set(kSectionBackupDb, "db-system-id", d.pg.systemId);
    ini.set(kSectionBackupDb, "db-version", d.pg.version);

    ini.set(kSectionBackupOption, "option-archive-check", d.optionArchiveCheck);
    ini.set(kSectionBackupOption, "option-archive-copy", d.optionArchiveCopy);
    if (d.optionBackupStandby) ini.set(kSectionBackupOption, "option-backup-standby", *d.optionBackupStandby);
    if (d.optionBufferSize) ini.set(kSectionBackupOption, "option-buffer-size", *d.optionBufferSize);
    if (d.optionChecksumPage) ini.set(kSectionBackupOption, "option-checksum-page", *d.optionChecksumPage);
    ini.set(kSectionBackupOption, "option-compress", d.compressType != compress::CompressType::None);
    if (d.optionCompressLevel) ini.set(kSectionBackupOption, "option-compress-level", *d.optionCompressLevel);
    if (d.optionCompressLevelNetwork)
        ini.set(kSectionBackupOption, "option-compress-level-network", *d.optionCompressLevelNetwork);
    ini.set(kSectionBackupOption, "option-compress-type", compress::compressTypeName(d.compressType));
    if (d.optionDelta) ini.set(kSectionBackupOption, "option-delta", *d.optionDelta);
    ini.set(kSectionBackupOption, "option-hardlink", d.optionHardlink);
    ini.set(kSectionBackupOption, "option-online", d.optionOnline);
    if (d.optionProcessMax) ini.set(kSectionBackupOption, "option-process-max", *d.optionProcessMax);

    for (const ManifestTarget& target : targets_) {
        ObjectWriter value;
        if (target.file) value.string("file", *target.file);
        value.string("path", target.path);
        if (target.tablespaceId != 0) value.string("tablespace-id", std::to_string(target.tablespaceId));
        if (target.tablespaceName) value.string("tablespace-name", *target.tablespaceName);
        value.string("type", target.type == TargetType::Path ? "path" : "link");
        ini.setRaw(kSectionBackupTarget, target.name, value.finish());
    }

    if (!d.cipherPass.empty()) ini.set(kSectionCipher, "cipher-pass", d.cipherPass);

    for (const ManifestDb& db : dbs_) {
        ini.setRaw(kSectionDb, db.name,
                   ObjectWriter().number("db-id", db.id).number("db-last-system-id", db.lastSystemId).finish());
    }

    if (!d.annotations.empty()) {
        json::Object annotation;
        for (const auto& [key, value] : d.annotations)
            if (!value.empty()) annotation.emplace(key, json::Value(value));
        if (!annotation.empty()) ini.set(kSectionMetadata, "annotation", json::Value(std::move(annotation)));
    }

    for (const ManifestFile& file : files_) {
        ObjectWriter value;
        if (file.bundleId != 0) {
            value.number("bni", file.bundleId);
            if (file.bundleOffset != 0) value.number("bno", file.bundleOffset);
        }
        // A partial manifest has files not copied yet: no checksum to write.
        if (file.size != 0 && !file.checksum.empty()) value.string("checksum", file.checksum);
        if (file.checksumPage) {
            value.boolean("checksum-page", *file.checksumPage);
            if (file.checksumPageError) value.raw("checksum-page-error", json::render(json::Value(*file.checksumPageError)));
        }
        if (file.group != groupDefault) value.owner("group", file.group);
        if (file.mode != fileModeDefault) value.string("mode", modeText(file.mode));
        if (!file.repoChecksum.empty()) value.string("rck", file.repoChecksum);
        if (file.reference) value.string("reference", *file.reference);
        if (file.sizeRepo != file.size) value.number("repo-size", file.sizeRepo);
        value.number("size", file.size);
        value.signedNumber("timestamp", file.timestamp);
        if (file.user != userDefault) value.owner("user", file.user);
        ini.setRaw(kSectionFile, file.name, value.finish());
    }
    ini.set(kSectionFileDefault, "group", ownerValue(groupDefault));
    ini.set(kSectionFileDefault, "mode", modeText(fileModeDefault));
    ini.set(kSectionFileDefault, "user", ownerValue(userDefault));

    for (const ManifestLink& link : links_) {
        ObjectWriter value;
        value.string("destination", link.destination);
        if (link.group != groupDefault) value.owner("group", link.group);
        if (link.user != userDefault) value.owner("user", link.user);
        ini.setRaw(kSectionLink, link.name, value.finish());
    }
    if (!links_.empty()) {
        ini.set(kSectionLinkDefault, "group", ownerValue(groupDefault));
        ini.set(kSectionLinkDefault, "user", ownerValue(userDefault));
    }

    for (const ManifestPath& entry : paths_) {
        ObjectWriter value;
        if (entry.group != groupDefault) value.owner("group", entry.group);
        if (entry.mode != pathModeDefault) value.string("mode", modeText(entry.mode));
        if (entry.user != userDefault) value.owner("user", entry.user);
        ini.setRaw(kSectionPath, entry.name, value.finish());
    }
    ini.set(kSectionPathDefault, "group", ownerValue(groupDefault));
    ini.set(kSectionPathDefault, "mode", modeText(pathModeDefault));
    ini.set(kSectionPathDefault, "user", ownerValue(userDefault));
    return ini;
}

std::string renderManifest(const Manifest& manifest) { return renderInfo(manifest.toIni()); }

Manifest loadManifest(storage::Storage& repo, std::string_view path, std::string_view cipherPass) {
    return Manifest::fromIni(loadInfoFile(repo, path, cipherPass), repo.describe(path));
}

std::optional<Manifest> loadManifestCopyIfExists(storage::Storage& repo, std::string_view path,
                                                 std::string_view cipherPass) {
    const std::string copy = copyPath(path);
    std::optional<std::string> text = storage::readTextIfExists(repo, copy);
    if (!text) return std::nullopt;
    if (!cipherPass.empty()) *text = decryptText(*text, cipherPass);
    const std::string name = repo.describe(copy);
    return Manifest::fromIni(parseInfo(*text, name), name);
}

void saveManifestCopy(storage::Storage& repo, std::string_view path, const Manifest& manifest,
                      std::string_view cipherPass) {
    storage::writeText(repo, copyPath(path), encodedManifest(manifest, cipherPass), {});
}

void saveManifest(storage::Storage& repo, std::string_view path, const Manifest& manifest, std::string_view cipherPass) {
    const std::string bytes = encodedManifest(manifest, cipherPass);
    // The copy first: a directory whose backup.manifest exists holds a finished backup (§4.7).
    storage::writeText(repo, copyPath(path), bytes, {});
    storage::writeText(repo, path, bytes, {});
}

}  // namespace pgark::info
