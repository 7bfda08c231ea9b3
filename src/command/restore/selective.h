// Selective restore (--db-include, --db-exclude; spec §9.7): which databases' files are restored
// as sparse zeroed files. PostgreSQL can still replay WAL into them, and the user drops those
// databases after recovery. Pure decisions over the manifest's [db] list.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "info/manifest.h"

namespace pgark::command::restore {

// The oids to zero. Names or oids in `include`/`exclude` must be databases of the backup;
// with `include`, every other user database (oid >= 16384) is zeroed; the built-in ones
// (template0, template1, postgres) are restored unless excluded by name. Throws Error(DbMissing)
// for an unknown database, Error(DbInvalid) for one both included and excluded, and
// Error(FeatureNotSupported) when the backup has no database list (an offline backup).
[[nodiscard]] std::set<unsigned> zeroedDatabases(const pgark::info::Manifest& manifest,
                                                 const std::vector<std::string>& include,
                                                 const std::vector<std::string>& exclude);

// True for a relation file of one of `oids`: pg_data/base/<oid>/* or
// pg_tblspc/<ts>/PG_*/<oid>/*, PG_VERSION excepted (PostgreSQL reads it at connect).
[[nodiscard]] bool zeroedFile(std::string_view name, const std::set<unsigned>& oids);

}  // namespace pgark::command::restore
