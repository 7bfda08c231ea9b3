#include "db/pg_client.h"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>

#include "fake/scripted_pg.h"
#include "postgres/version.h"

using namespace pgark;
using namespace pgark::db;
using pgark::test::ScriptedPg;

namespace {

bool hasCode(const Error& e, ErrorCode code) {
    return e.code() == code;
}

std::string paramValue(const std::vector<std::pair<std::string, std::string>>& params, const std::string& key) {
    const auto it = std::find_if(params.begin(), params.end(), [&](const auto& p) { return p.first == key; });
    return it == params.end() ? std::string("<absent>") : it->second;
}

// A settings reply as a superuser sees it on PostgreSQL 15.
std::vector<Row> settingsRows() {
    return {{"archive_command", "pgbackrest --stanza=demo archive-push %p"},
            {"archive_mode", "on"},
            {"checkpoint_timeout", "300"},
            {"data_checksums", "on"},
            {"data_directory", "/var/lib/postgresql/15/main"},
            {"server_version_num", "150004"},
            {"wal_level", "replica"}};
}

}  // namespace

TEST_CASE("pgConnectParams builds the libpq connection keywords", "[unit][db]") {
    PgConnectOptions options{.host = "db.example", .port = 5433, .user = "backup", .database = "app",
                             .applicationName = "pgark [check]", .timeout = std::chrono::milliseconds(2500)};

    SECTION("host, port, user, database and session settings") {
        const auto params = pgConnectParams(options);
        CHECK(paramValue(params, "host") == "db.example");
        CHECK(paramValue(params, "port") == "5433");
        CHECK(paramValue(params, "user") == "backup");
        CHECK(paramValue(params, "dbname") == "app");
        CHECK(paramValue(params, "application_name") == "pgark [check]");
        CHECK(paramValue(params, "connect_timeout") == "3");
        CHECK(paramValue(params, "client_encoding") == "UTF8");
        CHECK(paramValue(params, "options") == "-c search_path=pg_catalog");
        CHECK(pgConnectDescribe(options) == "host='db.example' port=5433 user='backup' dbname='app'");
    }
    SECTION("a socket path overrides the host") {
        options.socketPath = "/run/pg";
        const auto params = pgConnectParams(options);
        CHECK(paramValue(params, "host") == "/run/pg");
        CHECK(std::count_if(params.begin(), params.end(), [](const auto& p) { return p.first == "host"; }) == 1);
        CHECK(pgConnectDescribe(options) == "host='/run/pg' port=5433 user='backup' dbname='app'");
    }
    SECTION("empty host and user are left to libpq") {
        options.host.clear();
        options.user.clear();
        const auto params = pgConnectParams(options);
        CHECK(paramValue(params, "host") == "<absent>");
        CHECK(paramValue(params, "user") == "<absent>");
        CHECK(pgConnectDescribe(options) == "port=5433 dbname='app'");
    }
    SECTION("a sub-second timeout is not libpq's 0 = forever") {
        options.timeout = std::chrono::milliseconds(100);
        CHECK(paramValue(pgConnectParams(options), "connect_timeout") == "1");
    }
}

TEST_CASE("makePgConnection reports an unreachable server as DbConnect", "[unit][db]") {
    // A socket directory with no server in it fails at once, no PostgreSQL needed.
    const std::string dir = "/nonexistent-pgark-socket-dir";
    try {
        (void)makePgConnection({.port = 55999, .socketPath = dir, .user = "postgres",
                                .timeout = std::chrono::milliseconds(2000)});
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::DbConnect);
        CHECK(e.message().rfind("unable to connect to 'host='/nonexistent-pgark-socket-dir' port=55999 user='postgres' "
                                "dbname='postgres'': ", 0) == 0);
        CHECK(e.message().find("/nonexistent-pgark-socket-dir/.s.PGSQL.55999") != std::string::npos);
    }
}

TEST_CASE("ScriptedPg plays its script and reports deviations", "[unit][db]") {
    ScriptedPg pg;
    pg.expect("select 1", {{"1"}}, {"?column?"})
        .expectParams("select $1::text", {"x"}, {{"x"}})
        .expectError("select boom", "ERROR:  boom");

    const std::string x[] = {"x"};
    const QueryResult one = pg.query("select 1", {});
    CHECK(one.columns == std::vector<std::string>{"?column?"});
    REQUIRE(one.rows.size() == 1);
    CHECK(one.rows[0][0] == "1");
    CHECK(pg.query("select $1::text", x).rows[0][0] == "x");
    CHECK(pg.remaining() == 1);
    CHECK_THROWS_MATCHES(pg.query("select boom", {}), Error, Catch::Predicate<Error>([](const Error& e) {
                             return hasCode(e, ErrorCode::DbQuery) &&
                                    e.message() == "unable to execute query 'select boom': ERROR:  boom";
                         }));
    CHECK(pg.done());

    SECTION("a query past the end is an assertion") {
        CHECK_THROWS_MATCHES(pg.query("select 2", {}), Error,
                             Catch::Predicate<Error>([](const Error& e) { return hasCode(e, ErrorCode::Assert); }));
    }
    SECTION("after close every query fails like libpq's") {
        pg.close();
        CHECK(pg.closed());
        CHECK_THROWS_MATCHES(pg.query("select 2", {}), Error, Catch::Predicate<Error>([](const Error& e) {
                                 return e.message() == "unable to execute query 'select 2': connection is closed";
                             }));
    }
    SECTION("wrong sql or params name both") {
        ScriptedPg strict;
        strict.expectParams("select $1", {"a"}, {});
        const std::string b[] = {"b"};
        CHECK_THROWS_MATCHES(strict.query("select $1", b), Error, Catch::Predicate<Error>([](const Error& e) {
                                 return hasCode(e, ErrorCode::Assert) &&
                                        e.message() == "scripted pg: step 1 expected query 'select $1' with params [a] "
                                                       "but got 'select $1' with params [b]";
                             }));
        CHECK_FALSE(strict.done());
        CHECK(strict.received() == std::vector<std::string>{"select $1"});
    }
}

TEST_CASE("PgClient::serverVersion asks once", "[unit][db]") {
    ScriptedPg pg;
    pg.expect(std::string(sql::kServerVersion), {{"150004"}});
    PgClient client(pg);
    CHECK(client.serverVersion() == 150004U);
    CHECK(client.serverVersion() == 150004U);
    CHECK(pg.done());

    SECTION("a reply of the wrong shape is a query error") {
        ScriptedPg bad;
        bad.expect(std::string(sql::kServerVersion), {{"15.4"}});
        PgClient badClient(bad);
        CHECK_THROWS_MATCHES(badClient.serverVersion(), Error, Catch::Predicate<Error>([](const Error& e) {
                                 return hasCode(e, ErrorCode::DbQuery) &&
                                        e.message().find("'15.4' is not an unsigned number") != std::string::npos;
                             }));
    }
    SECTION("no rows") {
        ScriptedPg none;
        none.expect(std::string(sql::kServerVersion), {});
        PgClient noneClient(none);
        CHECK_THROWS_MATCHES(noneClient.serverVersion(), Error, Catch::Predicate<Error>([](const Error& e) {
                                 return hasCode(e, ErrorCode::DbQuery) && e.message().find("expected 1 row, got 0") != std::string::npos;
                             }));
    }
}

TEST_CASE("PgClient::settings reads pg_settings", "[unit][db]") {
    ScriptedPg pg;
    pg.expect(std::string(sql::kSettings), settingsRows());
    PgClient client(pg);
    const PgSettings settings = client.settings();
    CHECK(settings.serverVersion == 150004U);
    CHECK(settings.dataDirectory == "/var/lib/postgresql/15/main");
    CHECK(settings.archiveMode == "on");
    CHECK(settings.archiveCommand == "pgbackrest --stanza=demo archive-push %p");
    CHECK(settings.walLevel == "replica");
    CHECK(settings.dataChecksums);
    CHECK(settings.checkpointTimeout == std::chrono::seconds(300));
    // The version came with the settings: no second query.
    CHECK(client.serverVersion() == 150004U);
    CHECK(pg.done());

    SECTION("a setting hidden from a non-superuser is an error with a hint") {
        auto rows = settingsRows();
        rows.erase(rows.begin() + 4);  // data_directory
        ScriptedPg hidden;
        hidden.expect(std::string(sql::kSettings), rows);
        PgClient hiddenClient(hidden);
        try {
            (void)hiddenClient.settings();
            FAIL("no error");
        } catch (const Error& e) {
            CHECK(e.code() == ErrorCode::DbQuery);
            CHECK(e.message() == "unable to read setting 'data_directory' from pg_settings");
            CHECK(e.hint() == "connect as a superuser or a member of pg_read_all_settings");
        }
    }
    SECTION("data checksums off") {
        auto rows = settingsRows();
        rows[3][1] = "off";
        ScriptedPg off;
        off.expect(std::string(sql::kSettings), rows);
        PgClient offClient(off);
        CHECK_FALSE(offClient.settings().dataChecksums);
    }
}

TEST_CASE("PgClient::isInRecovery and tryAdvisoryLock parse booleans", "[unit][db]") {
    ScriptedPg pg;
    pg.expect(std::string(sql::kIsInRecovery), {{"f"}})
        .expect(std::string(sql::kIsInRecovery), {{"t"}})
        .expect(std::string(sql::kTryAdvisoryLock), {{"t"}})
        .expect(std::string(sql::kTryAdvisoryLock), {{"f"}})
        .expect(std::string(sql::kIsInRecovery), {{std::nullopt}});
    PgClient client(pg);
    CHECK_FALSE(client.isInRecovery());
    CHECK(client.isInRecovery());
    CHECK(client.tryAdvisoryLock());
    CHECK_FALSE(client.tryAdvisoryLock());
    CHECK_THROWS_MATCHES(client.isInRecovery(), Error, Catch::Predicate<Error>([](const Error& e) {
                             return hasCode(e, ErrorCode::DbQuery) && e.message().find("column 1 is null") != std::string::npos;
                         }));
    CHECK(pg.done());
}

TEST_CASE("PgClient::switchWal writes a restore point then switches", "[unit][db]") {
    SECTION("PostgreSQL 15 names") {
        ScriptedPg pg;
        pg.expect(std::string(sql::kServerVersion), {{"150004"}})
            .expect(std::string(sql::kRestorePoint), {{"0/3000090"}})
            .expect("select pg_catalog.pg_walfile_name(pg_catalog.pg_switch_wal())::text", {{"000000010000000000000003"}});
        PgClient client(pg);
        CHECK(client.switchWal() == "000000010000000000000003");
        CHECK(pg.done());
    }
    SECTION("before PostgreSQL 10 the functions said xlog") {
        CHECK(sql::switchWal(90600) == "select pg_catalog.pg_xlogfile_name(pg_catalog.pg_switch_xlog())::text");
        CHECK(sql::currentWalLsn(90600) == "select pg_catalog.pg_current_xlog_location()::text");
        CHECK(sql::currentWalSegment(90600) ==
              "select pg_catalog.pg_xlogfile_name(pg_catalog.pg_current_xlog_insert_location())::text");
    }
    SECTION("a reply that is not a segment name is refused") {
        ScriptedPg pg;
        pg.expect(std::string(sql::kServerVersion), {{"150004"}})
            .expect(std::string(sql::kRestorePoint), {{"0/3000090"}})
            .expect(sql::switchWal(150000), {{"0/3000090"}});
        PgClient client(pg);
        CHECK_THROWS_MATCHES(client.switchWal(), Error,
                             Catch::Predicate<Error>([](const Error& e) { return hasCode(e, ErrorCode::DbQuery); }));
    }
    SECTION("a server error propagates with its message") {
        ScriptedPg pg;
        pg.expect(std::string(sql::kServerVersion), {{"150004"}})
            .expectError(std::string(sql::kRestorePoint),
                         "ERROR:  WAL level not sufficient for creating a restore point");
        PgClient client(pg);
        CHECK_THROWS_MATCHES(client.switchWal(), Error, Catch::Predicate<Error>([](const Error& e) {
                                 return hasCode(e, ErrorCode::DbQuery) &&
                                        e.message().find("WAL level not sufficient") != std::string::npos;
                             }));
    }
}

TEST_CASE("PgClient::currentWalLsn and currentWalSegment", "[unit][db]") {
    ScriptedPg pg;
    pg.expect(std::string(sql::kServerVersion), {{"150004"}})
        .expect("select pg_catalog.pg_current_wal_lsn()::text", {{"0/16000028"}})
        .expect("select pg_catalog.pg_walfile_name(pg_catalog.pg_current_wal_insert_lsn())::text",
                {{"000000010000000000000016"}});
    PgClient client(pg);
    CHECK(client.currentWalLsn() == 0x16000028U);
    CHECK(client.currentWalSegment() == "000000010000000000000016");
    CHECK(pg.done());
}

TEST_CASE("PgClient::backupStart and backupStop by version", "[unit][db]") {
    SECTION("PostgreSQL 15 uses pg_backup_start / pg_backup_stop") {
        const std::string start = sql::backupStart(postgres::kPgVersion15);
        const std::string stop = sql::backupStop(postgres::kPgVersion15);
        CHECK(start == "select lsn::text as lsn, pg_catalog.pg_walfile_name(lsn)::text as wal_segment_name from "
                       "pg_catalog.pg_backup_start($1, $2::boolean) as lsn");
        CHECK(stop == "select lsn::text as lsn, pg_catalog.pg_walfile_name(lsn)::text as wal_segment_name, "
                      "labelfile::text as backuplabel_file, spcmapfile::text as tablespacemap_file from "
                      "pg_catalog.pg_backup_stop(false)");

        ScriptedPg pg;
        pg.expect(std::string(sql::kServerVersion), {{"150004"}})
            .expectParams(start, {"pgark backup", "true"}, {{"0/20000028", "000000010000000000000020"}})
            .expect(stop, {{"0/20000138", "000000010000000000000020", "START WAL LOCATION: 0/20000028\n", ""}});
        PgClient client(pg);
        const PgBackupStart started = client.backupStart("pgark backup", {.fast = true});
        CHECK(started.lsn == 0x20000028U);
        CHECK(started.walSegmentName == "000000010000000000000020");
        const PgBackupStop stopped = client.backupStop();
        CHECK(stopped.lsn == 0x20000138U);
        CHECK(stopped.walSegmentName == "000000010000000000000020");
        CHECK(stopped.backupLabel == "START WAL LOCATION: 0/20000028\n");
        CHECK_FALSE(stopped.tablespaceMap.has_value());
        CHECK(pg.done());
    }
    SECTION("PostgreSQL 14 and older use the non-exclusive pg_start_backup / pg_stop_backup") {
        CHECK(sql::backupStart(140000).find("pg_catalog.pg_start_backup($1, $2::boolean, false)") != std::string::npos);
        CHECK(sql::backupStop(140000).find("from pg_catalog.pg_stop_backup(false, false)") != std::string::npos);
        CHECK(sql::backupStop(90600).find("pg_xlogfile_name(lsn)") != std::string::npos);
        CHECK(sql::backupStop(90600).find("from pg_catalog.pg_stop_backup(false)") != std::string::npos);

        ScriptedPg pg;
        pg.expect(std::string(sql::kServerVersion), {{"140007"}})
            .expectParams(sql::backupStart(140000), {"label", "false"}, {{"0/5000028", "000000010000000000000005"}})
            .expect(sql::backupStop(140000),
                    {{"0/5000100", "000000010000000000000005", "label file", "16400 /tblspc/one\n"}});
        PgClient client(pg);
        CHECK(client.backupStart("label", {}).lsn == 0x5000028U);
        const PgBackupStop stopped = client.backupStop();
        CHECK(stopped.tablespaceMap == "16400 /tblspc/one\n");
        CHECK(pg.done());
    }
}

TEST_CASE("PgClient::databases and tablespaces", "[unit][db]") {
    ScriptedPg pg;
    pg.expect(std::string(sql::kDatabases), {{"5", "postgres", "4"}, {"1", "template1", "4"}, {"4", "template0", "4"}})
        .expect(std::string(sql::kTablespaces), {{"1663", "pg_default"}, {"1664", "pg_global"}});
    PgClient client(pg);
    const auto databases = client.databases();
    REQUIRE(databases.size() == 3);
    CHECK(databases[0].oid == 5U);
    CHECK(databases[0].name == "postgres");
    const auto tablespaces = client.tablespaces();
    REQUIRE(tablespaces.size() == 2);
    CHECK(tablespaces[1].oid == 1664U);
    CHECK(tablespaces[1].name == "pg_global");
    CHECK(pg.done());
}
