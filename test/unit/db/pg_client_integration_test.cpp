// Runs PgClient against a real, throwaway PostgreSQL cluster. Hidden ([.]): not part of the default
// unit run or ctest; run it with `pgark_unit_tests "[integration]"` (or "[db]"). Binaries come from
// PGARK_TEST_PG_BINDIR or /usr/lib/postgresql/15/bin; without them the test warns and skips.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include <fmt/format.h>

#include "db/pg_client.h"
#include "postgres/pg_control.h"
#include "postgres/version.h"
#include "postgres/wal.h"

using namespace pgark;
using namespace pgark::db;

namespace {

constexpr unsigned kPort = 55439;

// A cluster in a private temp dir, listening only on a unix socket in that dir (so the port can
// not collide with anything). Stopped and removed in the destructor, whatever the test did.
class ThrowawayCluster {
public:
    explicit ThrowawayCluster(std::string bindir) : bindir_(std::move(bindir)) {
        char pattern[] = "/tmp/pgark-db-XXXXXX";
        if (::mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
        dir_ = pattern;
        // initdb and pg_ctl refuse root: run them as postgres, which must reach the dir.
        if (::geteuid() == 0) {
            asUser_ = "runuser -u postgres -- ";
            run(fmt::format("chown postgres:postgres {0} && chmod 755 {0}", dir_));
        }
        run(fmt::format("{}{}/initdb -k -N -A trust -U postgres --no-instructions -D {}/pg > {}/initdb.log 2>&1",
                        asUser_, bindir_, dir_, dir_));
        std::ofstream conf(dir_ + "/pg/postgresql.conf", std::ios::app);
        conf << "listen_addresses = ''\n"
             << "port = " << kPort << "\n"
             << "unix_socket_directories = '" << dir_ << "'\n"
             << "fsync = off\n"
             << "wal_level = replica\n"
             << "archive_mode = on\n"
             << "archive_command = 'true'\n";
        conf.close();
        run(fmt::format("{}{}/pg_ctl -D {}/pg -l {}/pg.log -w -t 20 start > /dev/null", asUser_, bindir_, dir_, dir_));
        started_ = true;
    }

    ~ThrowawayCluster() {
        if (started_) {
            (void)std::system(fmt::format("{}{}/pg_ctl -D {}/pg -m immediate -w stop > /dev/null 2>&1", asUser_, bindir_, dir_).c_str());
        }
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }

    const std::string& dir() const { return dir_; }
    std::string dataDir() const { return dir_ + "/pg"; }

    PgConnectOptions options() const {
        return {.port = kPort, .socketPath = dir_, .user = "postgres", .applicationName = "pgark [test]",
                .timeout = std::chrono::seconds(10)};
    }

private:
    void run(const std::string& command) {
        if (std::system(command.c_str()) != 0) throw std::runtime_error("failed: " + command + " (logs in " + dir_ + ")");
    }

    std::string bindir_;
    std::string dir_;
    std::string asUser_;
    bool started_ = false;
};

std::string pgBindir() {
    if (const char* dir = std::getenv("PGARK_TEST_PG_BINDIR")) return dir;
    return "/usr/lib/postgresql/15/bin";
}

}  // namespace

TEST_CASE("PgClient against a real PostgreSQL cluster", "[db][integration][.]") {
    const std::string bindir = pgBindir();
    if (!std::filesystem::exists(bindir + "/initdb") || !std::filesystem::exists(bindir + "/pg_ctl")) {
        WARN("SKIPPED: no PostgreSQL binaries in '" << bindir << "' (set PGARK_TEST_PG_BINDIR)");
        return;
    }
    const auto began = std::chrono::steady_clock::now();
    ThrowawayCluster cluster(bindir);

    auto connection = makePgConnection(cluster.options());
    PgClient client(*connection);

    const unsigned version = client.serverVersion();
    CHECK(postgres::pgVersionSupported(version));

    const PgSettings settings = client.settings();
    CHECK(settings.serverVersion == version);
    CHECK(settings.dataDirectory == cluster.dataDir());
    CHECK(settings.archiveMode == "on");
    CHECK(settings.archiveCommand == "true");
    CHECK(settings.walLevel == "replica");
    CHECK(settings.dataChecksums);
    CHECK(settings.checkpointTimeout == std::chrono::seconds(300));
    CHECK_FALSE(client.isInRecovery());

    {  // pg_control on disk describes the same cluster
        const auto control = postgres::pgControlLoadFile(cluster.dataDir() + "/global/pg_control");
        const QueryResult id = connection->query("select system_identifier::text from pg_catalog.pg_control_system()", {});
        REQUIRE(id.rows.size() == 1);
        CHECK(std::to_string(control.systemId) == id.rows[0][0]);
        CHECK(control.version == postgres::pgVersionMajor(version));
        CHECK(control.pageChecksums());
    }

    {  // switchWal completes the current segment
        const std::string before = client.currentWalSegment();
        const std::string switched = client.switchWal();
        CHECK(switched == before);
        CHECK(client.currentWalSegment() == postgres::walSegmentNext(switched, postgres::kWalSegmentSizeDefault));
        CHECK(client.currentWalLsn() >= postgres::walSegmentStartLsn(*postgres::walSegmentParse(switched), postgres::kWalSegmentSizeDefault));
        // Switching again right away still names a fresh segment thanks to the restore point.
        CHECK(client.switchWal() == postgres::walSegmentNext(switched, postgres::kWalSegmentSizeDefault));
    }

    {  // non-exclusive backup start and stop
        const PgBackupStart start = client.backupStart("pgark test backup", {.fast = true});
        CHECK(postgres::isWalSegmentName(start.walSegmentName));
        CHECK(start.walSegmentName == postgres::walSegmentForLsn(1, start.lsn, postgres::kWalSegmentSizeDefault));
        const PgBackupStop stop = client.backupStop();
        CHECK(stop.lsn >= start.lsn);
        CHECK(stop.backupLabel.find("LABEL: pgark test backup") != std::string::npos);
        CHECK(stop.backupLabel.find(fmt::format("START WAL LOCATION: {}", postgres::lsnToString(start.lsn))) != std::string::npos);
        CHECK_FALSE(stop.tablespaceMap.has_value());
    }

    {  // catalog lists
        const auto databases = client.databases();
        CHECK(std::any_of(databases.begin(), databases.end(), [](const PgDatabase& d) { return d.name == "template0"; }));
        const auto tablespaces = client.tablespaces();
        CHECK(std::any_of(tablespaces.begin(), tablespaces.end(), [](const PgTablespace& t) { return t.name == "pg_default" && t.oid == 1663; }));
    }

    {  // errors carry the server message and the session survives them
        try {
            (void)connection->query("select * from pgark_missing_table", {});
            FAIL("no error");
        } catch (const Error& e) {
            CHECK(e.code() == ErrorCode::DbQuery);
            CHECK(e.message().rfind("unable to execute query 'select * from pgark_missing_table': ERROR:  relation "
                                    "\"pgark_missing_table\" does not exist", 0) == 0);
        }
        const std::string params[] = {"a'b", "42"};
        const QueryResult echoed = connection->query("select $1::text, $2::int + 1, null::text", params);
        REQUIRE(echoed.rows.size() == 1);
        CHECK(echoed.columns.size() == 3);
        CHECK(echoed.rows[0][0] == "a'b");
        CHECK(echoed.rows[0][1] == "43");
        CHECK_FALSE(echoed.rows[0][2].has_value());
        CHECK(connection->query("set work_mem = '8MB'", {}).rows.empty());
    }

    {  // a query past the timeout is cancelled
        auto options = cluster.options();
        options.timeout = std::chrono::milliseconds(300);
        auto slow = makePgConnection(options);
        const auto t0 = std::chrono::steady_clock::now();
        CHECK_THROWS_MATCHES(slow->query("select pg_catalog.pg_sleep(5)", {}), Error, Catch::Predicate<Error>([](const Error& e) {
                                 return e.code() == ErrorCode::DbQuery &&
                                        e.message() == "query 'select pg_catalog.pg_sleep(5)' timed out after 300ms";
                             }));
        CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(3));
        CHECK_THROWS_MATCHES(slow->query("select 1", {}), Error, Catch::Predicate<Error>([](const Error& e) {
                                 return e.message() == "unable to execute query 'select 1': connection is closed";
                             }));
    }

    {  // a wrong port is a connection error
        auto options = cluster.options();
        options.port = kPort + 1;
        CHECK_THROWS_MATCHES(makePgConnection(options), Error,
                             Catch::Predicate<Error>([](const Error& e) { return e.code() == ErrorCode::DbConnect; }));
    }

    {  // advisory lock is exclusive across sessions
        CHECK(client.tryAdvisoryLock());
        auto other = makePgConnection(cluster.options());
        PgClient otherClient(*other);
        CHECK_FALSE(otherClient.tryAdvisoryLock());
        connection->close();
        // The server frees the lock when the closed session's backend exits, a moment after.
        bool acquired = false;
        for (int attempt = 0; attempt < 40 && !acquired; ++attempt) {
            acquired = otherClient.tryAdvisoryLock();
            if (!acquired) std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        CHECK(acquired);
    }

    const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
    INFO("cluster lifetime " << seconds << " s");
    CHECK(seconds < 15.0);
}
