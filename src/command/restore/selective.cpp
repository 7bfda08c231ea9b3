// Selective restore. See selective.h.
#include "command/restore/selective.h"

#include <charconv>
#include <fmt/format.h>

#include "common/error.h"

namespace pgark::command::restore {
namespace {

constexpr unsigned kFirstNormalOid = 16384;  // below: created by initdb (template0/1, postgres)

const pgark::info::ManifestDb& findDb(const pgark::info::Manifest& manifest, const std::string& key,
                                      std::string_view role) {
    for (const pgark::info::ManifestDb& db : manifest.dbs())
        if (db.name == key || std::to_string(db.id) == key) return db;
    throw Error(ErrorCode::DbMissing, fmt::format("database to {} '{}' does not exist", role, key))
        .withHint("name a database of the backup (by name or oid): see its backup.manifest [db] section");
}

std::optional<unsigned> parseOid(std::string_view text) {
    unsigned value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
    return value;
}

}  // namespace

std::set<unsigned> zeroedDatabases(const pgark::info::Manifest& manifest, const std::vector<std::string>& include,
                                   const std::vector<std::string>& exclude) {
    std::set<unsigned> zeroed;
    if (include.empty() && exclude.empty()) return zeroed;
    if (manifest.dbs().empty())
        throw Error(ErrorCode::FeatureNotSupported,
                    "unable to restore selected databases: the backup has no database list (an offline backup)")
            .withHint("leave out --db-include and --db-exclude");
    std::set<unsigned> included;
    for (const std::string& key : include) included.insert(findDb(manifest, key, "include").id);
    for (const std::string& key : exclude) {
        const unsigned id = findDb(manifest, key, "exclude").id;
        if (included.contains(id))
            throw Error(ErrorCode::DbInvalid, fmt::format("database to include '{}' is in the exclude list", key))
                .withHint("name each database in only one of --db-include and --db-exclude");
        zeroed.insert(id);
    }
    if (!included.empty())
        for (const pgark::info::ManifestDb& db : manifest.dbs())
            if (db.id >= kFirstNormalOid && !included.contains(db.id)) zeroed.insert(db.id);
    return zeroed;
}

bool zeroedFile(std::string_view name, const std::set<unsigned>& oids) {
    if (oids.empty() || name.ends_with("/PG_VERSION")) return false;
    std::string_view rest;
    if (name.starts_with("pg_data/base/")) {
        rest = name.substr(13);
    } else if (name.starts_with("pg_tblspc/")) {
        // pg_tblspc/<ts>/PG_<version>_<catalog>/<oid>/<file>
        rest = name.substr(10);
        for (int skip = 0; skip < 2; skip++) {
            const auto slash = rest.find('/');
            if (slash == std::string_view::npos) return false;
            rest = rest.substr(slash + 1);
        }
    } else {
        return false;
    }
    const auto slash = rest.find('/');
    if (slash == std::string_view::npos) return false;
    const std::optional<unsigned> oid = parseOid(rest.substr(0, slash));
    return oid && oids.contains(*oid);
}

}  // namespace pgark::command::restore
