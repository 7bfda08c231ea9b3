// zeroedDatabases/zeroedFile: which files a selective restore (spec §9.7) zeroes.
#include "command/restore/selective.h"

#include <catch2/catch.hpp>

#include "unit/config/config_test_util.h"

using namespace pgark;
using namespace pgark::command::restore;

namespace {

info::Manifest withDbs() {
    info::Manifest manifest;
    manifest.dbAdd({.name = "postgres", .id = 5, .lastSystemId = 4});
    manifest.dbAdd({.name = "template1", .id = 1, .lastSystemId = 4});
    manifest.dbAdd({.name = "app", .id = 16384, .lastSystemId = 4});
    manifest.dbAdd({.name = "reports", .id = 16385, .lastSystemId = 4});
    manifest.dbAdd({.name = "scratch", .id = 16386, .lastSystemId = 4});
    return manifest;
}

}  // namespace

TEST_CASE("zeroedDatabases: include keeps built-in databases, exclude names any", "[unit][restore]") {
    const info::Manifest manifest = withDbs();
    CHECK(zeroedDatabases(manifest, {}, {}).empty());
    CHECK(zeroedDatabases(manifest, {"app"}, {}) == std::set<unsigned>{16385, 16386});
    CHECK(zeroedDatabases(manifest, {"16384", "reports"}, {}) == std::set<unsigned>{16386});
    CHECK(zeroedDatabases(manifest, {}, {"scratch", "postgres"}) == std::set<unsigned>{5, 16386});
    CHECK(zeroedDatabases(manifest, {"app"}, {"postgres"}) == std::set<unsigned>{5, 16385, 16386});
    test::requireError([&] { (void)zeroedDatabases(manifest, {"nope"}, {}); }, ErrorCode::DbMissing,
                       "database to include 'nope' does not exist");
    test::requireError([&] { (void)zeroedDatabases(manifest, {}, {"999"}); }, ErrorCode::DbMissing,
                       "database to exclude '999' does not exist");
    test::requireError([&] { (void)zeroedDatabases(manifest, {"app"}, {"16384"}); }, ErrorCode::DbInvalid,
                       "database to include '16384' is in the exclude list");
    test::requireError([&] { (void)zeroedDatabases(info::Manifest(), {"app"}, {}); }, ErrorCode::FeatureNotSupported,
                       "unable to restore selected databases: the backup has no database list (an offline backup)");
}

TEST_CASE("zeroedFile: relation files of the databases, in base and in tablespaces, not PG_VERSION", "[unit][restore]") {
    const std::set<unsigned> oids{16385};
    CHECK(zeroedFile("pg_data/base/16385/2619", oids));
    CHECK(zeroedFile("pg_data/base/16385/2619_fsm", oids));
    CHECK(zeroedFile("pg_tblspc/16400/PG_15_202209061/16385/16401", oids));
    CHECK_FALSE(zeroedFile("pg_data/base/16385/PG_VERSION", oids));
    CHECK_FALSE(zeroedFile("pg_data/base/16384/2619", oids));
    CHECK_FALSE(zeroedFile("pg_data/base/163850/2619", oids));
    CHECK_FALSE(zeroedFile("pg_data/global/16385", oids));
    CHECK_FALSE(zeroedFile("pg_tblspc/16385/PG_15_202209061/1/2", oids));
    CHECK_FALSE(zeroedFile("pg_data/base/16385/2619", {}));
}
