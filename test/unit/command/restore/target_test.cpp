// remapTargets and RestorePaths: where each manifest entry goes after pg1-path, tablespace and
// link maps (spec §9.5). The file-system side (check, clean, create) is covered by the
// integration tests restore_pitr.sh and restore_remap.sh.
#include "command/restore/target.h"

#include <catch2/catch.hpp>

#include "unit/config/config_test_util.h"

using namespace pgark;
using namespace pgark::command::restore;

namespace {

info::Manifest linked() {
    info::Manifest manifest;
    manifest.data().pg.version = "15";
    manifest.data().pg.catalogVersion = 202209061;
    manifest.targetAdd({.name = "pg_data", .path = "/old/pg"});
    manifest.targetAdd({.name = "pg_data/pg_wal", .type = info::TargetType::Link, .path = "/old/wal"});
    manifest.targetAdd(
        {.name = "pg_data/pg.conf", .type = info::TargetType::Link, .path = "/etc/pg", .file = "pg.conf"});
    manifest.targetAdd({.name = "pg_tblspc/16400", .type = info::TargetType::Link, .path = "/old/ts",
                        .tablespaceId = 16400, .tablespaceName = "fast"});
    manifest.linkAdd({.name = "pg_data/pg_wal", .destination = "/old/wal"});
    manifest.linkAdd({.name = "pg_data/pg.conf", .destination = "/etc/pg/pg.conf"});
    manifest.linkAdd({.name = "pg_data/pg_tblspc/16400", .destination = "/old/ts"});
    manifest.pathAdd({.name = "pg_data", .mode = 0700});
    manifest.pathAdd({.name = "pg_tblspc/16400", .mode = 0700});
    manifest.pathAdd({.name = "pg_tblspc/16400/PG_15_202209061", .mode = 0700});
    return manifest;
}

}  // namespace

TEST_CASE("remapTargets: pg1-path, tablespaces by name or oid or all, links kept, mapped or dropped",
          "[unit][restore]") {
    SECTION("defaults: the data directory moves, links become plain, the tablespace stays") {
        info::Manifest manifest = linked();
        remapTargets(manifest, {.pgPath = "/new/pg"});
        CHECK(manifest.targetBase().path == "/new/pg");
        CHECK(manifest.target("pg_data/pg_wal") == nullptr);
        CHECK(manifest.link("pg_data/pg_wal") == nullptr);
        CHECK(manifest.link("pg_data/pg.conf") == nullptr);
        CHECK(manifest.link("pg_data/pg_tblspc/16400")->destination == "/old/ts");
        const RestorePaths paths(manifest);
        CHECK(paths.absolute("pg_data/base/1/2") == "/new/pg/base/1/2");
        CHECK(paths.absolute("pg_tblspc/16400/PG_15_202209061/5/6") == "/old/ts/PG_15_202209061/5/6");
        CHECK(paths.targetRoot(*manifest.target("pg_tblspc/16400")) == "/old/ts/PG_15_202209061");
    }
    SECTION("maps: a tablespace by name, links moved, file link split into directory and name") {
        info::Manifest manifest = linked();
        remapTargets(manifest, {.pgPath = "/new/pg",
                                .tablespaceMap = {{"fast", "/new/ts"}},
                                .linkMap = {{"pg_wal", "/new/wal"}, {"pg.conf", "/new/etc/my.conf"}}});
        CHECK(manifest.target("pg_tblspc/16400")->path == "/new/ts");
        CHECK(manifest.link("pg_data/pg_tblspc/16400")->destination == "/new/ts");
        CHECK(manifest.target("pg_data/pg_wal")->path == "/new/wal");
        CHECK(manifest.link("pg_data/pg_wal")->destination == "/new/wal");
        CHECK(manifest.target("pg_data/pg.conf")->path == "/new/etc");
        CHECK(manifest.target("pg_data/pg.conf")->file == "my.conf");
        CHECK(manifest.link("pg_data/pg.conf")->destination == "/new/etc/my.conf");
        CHECK(RestorePaths(manifest).targetRoot(*manifest.target("pg_data/pg.conf")) == "/new/etc/my.conf");
    }
    SECTION("--tablespace-map-all and --link-all") {
        info::Manifest manifest = linked();
        remapTargets(manifest, {.pgPath = "/old/pg", .tablespaceMapAll = "/all", .linkAll = true});
        CHECK(manifest.target("pg_tblspc/16400")->path == "/all/fast");
        CHECK(manifest.link("pg_data/pg_wal")->destination == "/old/wal");
        CHECK(manifest.link("pg_data/pg.conf")->destination == "/etc/pg/pg.conf");
    }
    SECTION("an oid map wins over map-all; the same tablespace mapped twice must agree") {
        info::Manifest manifest = linked();
        remapTargets(manifest, {.pgPath = "/p", .tablespaceMap = {{"16400", "/byoid"}}, .tablespaceMapAll = "/all"});
        CHECK(manifest.target("pg_tblspc/16400")->path == "/byoid");
        info::Manifest twice = linked();
        test::requireError(
            [&] { remapTargets(twice, {.pgPath = "/p", .tablespaceMap = {{"16400", "/a"}, {"fast", "/b"}}}); },
            ErrorCode::TablespaceMap, "tablespace remapped by name 'fast' and id 16400 with different paths");
    }
    SECTION("maps naming nothing in the backup") {
        info::Manifest manifest = linked();
        test::requireError([&] { remapTargets(manifest, {.pgPath = "/p", .tablespaceMap = {{"slow", "/x"}}}); },
                           ErrorCode::TablespaceMap, "unable to remap invalid tablespace 'slow'");
        info::Manifest other = linked();
        test::requireError([&] { remapTargets(other, {.pgPath = "/p", .linkMap = {{"pg_log", "/x"}}}); },
                           ErrorCode::LinkMap, "unable to remap invalid link 'pg_log'");
    }
}
