// pg_client: SQL sessions with a PostgreSQL server. PgConnection is the seam: libpq in production
// (makePgConnection), test/fake/scripted_pg in unit tests. PgClient issues, on top of any
// connection, the queries pgBackRest 2.45 issues (§13.2, §13.4). A connection and the PgClient
// that borrows it belong to one thread; a non-exclusive backup must start and stop on one session.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.h"
#include "postgres/types.h"

namespace pgark::db {

using Row = std::vector<std::optional<std::string>>;  // one text value per column; nullopt = SQL NULL

struct QueryResult {
    std::vector<std::string> columns;  // column names, in order
    std::vector<Row> rows;             // empty for commands that return no rows
};

class PgConnection {
public:
    virtual ~PgConnection() = default;
    // Runs `sql`. With `params` empty it is sent as a simple query (several statements allowed, the
    // last result is returned); otherwise $1.. are bound to `params` as text. Throws Error(DbQuery)
    // "unable to execute query '<sql>': <server message>" when the server reports an error, the
    // session is closed or lost, and "query '<sql>' timed out after <n>ms" past the timeout.
    virtual QueryResult query(std::string_view sql, std::span<const std::string> params) = 0;
    // Ends the session (a backup in progress on it is aborted by the server). Idempotent.
    virtual void close() noexcept = 0;
};

struct PgConnectOptions {
    std::string host;              // host name or address; "" = libpq's default
    unsigned port = 5432;
    std::string socketPath;        // unix socket directory; when set it is used instead of host (as pgBackRest does)
    std::string user;              // "" = libpq's default (PGUSER or the OS user)
    std::string database = "postgres";
    std::string applicationName = "pgark";
    std::chrono::milliseconds timeout{1800 * 1000};  // connect timeout and per-query timeout (db-timeout)
};

// The libpq keyword/value pairs makePgConnection uses (exposed so tests can check them). Sets
// client_encoding UTF8 and search_path pg_catalog for the session, as pgBackRest does.
std::vector<std::pair<std::string, std::string>> pgConnectParams(const PgConnectOptions& options);
// "host='/tmp/sock' port=5432 user='postgres' dbname='postgres'": names the server in messages.
// Holds no secret (passwords only ever come from libpq's PGPASSWORD / .pgpass).
std::string pgConnectDescribe(const PgConnectOptions& options);

// Connects with libpq. Throws Error(DbConnect) "unable to connect to '<describe>': <libpq message>".
[[nodiscard]] std::unique_ptr<PgConnection> makePgConnection(const PgConnectOptions& options);

// The error every PgConnection throws for a failed query (one message template for libpq and fakes).
Error pgQueryError(std::string_view sql, std::string_view serverMessage);

// The advisory lock pgBackRest takes so that only one backup runs per cluster.
inline constexpr std::int64_t kBackupAdvisoryLockId = 12340078987004321;

// The SQL PgClient sends, by server version (150000 style), so scripts for ScriptedPg can match it.
namespace sql {
inline constexpr std::string_view kServerVersion =
    "select pg_catalog.current_setting('server_version_num')::int4";
inline constexpr std::string_view kSettings =
    "select name::text, setting::text from pg_catalog.pg_settings where name in ('server_version_num', "
    "'data_directory', 'archive_mode', 'archive_command', 'wal_level', 'data_checksums', 'checkpoint_timeout') "
    "order by name";
inline constexpr std::string_view kIsInRecovery = "select pg_catalog.pg_is_in_recovery()";
inline constexpr std::string_view kRestorePoint = "select pg_catalog.pg_create_restore_point('pgark Archive Check')::text";
inline constexpr std::string_view kTryAdvisoryLock = "select pg_catalog.pg_try_advisory_lock(12340078987004321)::bool";
inline constexpr std::string_view kDatabases =
    "select oid::oid, datname::text, (select oid::oid from pg_catalog.pg_database where datname = 'template0') "
    "as datlastsysoid from pg_catalog.pg_database";
inline constexpr std::string_view kTablespaces = "select oid::oid, spcname::text from pg_catalog.pg_tablespace";

std::string switchWal(unsigned version);          // pg_walfile_name(pg_switch_wal())
std::string currentWalLsn(unsigned version);      // pg_current_wal_lsn()
std::string currentWalSegment(unsigned version);  // pg_walfile_name(pg_current_wal_insert_lsn())
std::string backupStart(unsigned version);        // $1 = label, $2 = fast ("true"/"false")
std::string backupStop(unsigned version);         // non-exclusive stop, no wait for archiving
}  // namespace sql

struct PgSettings {
    unsigned serverVersion = 0;                // server_version_num (150004)
    std::string dataDirectory;                 // data_directory
    std::string archiveMode;                   // "off", "on" or "always"
    std::string archiveCommand;                // archive_command ("" when unset)
    std::string walLevel;                      // "minimal", "replica" or "logical"
    bool dataChecksums = false;                // data_checksums
    std::chrono::seconds checkpointTimeout{};  // checkpoint_timeout
};

struct PgBackupStart {
    postgres::Lsn lsn = 0;        // backup start LSN
    std::string walSegmentName;   // segment holding it
};

struct PgBackupStop {
    postgres::Lsn lsn = 0;                      // backup stop LSN
    std::string walSegmentName;                 // segment holding it
    std::string backupLabel;                    // contents for backup_label
    std::optional<std::string> tablespaceMap;   // contents for tablespace_map; nullopt when empty
};

struct PgBackupStartOptions {
    bool fast = false;  // request an immediate checkpoint (start-fast)
};

struct PgDatabase {
    std::uint32_t oid = 0;
    std::string name;
    std::uint32_t lastSystemId = 0;  // oid of template0, recorded as db-last-system-id (spec §3.7)
};

struct PgTablespace {
    std::uint32_t oid = 0;
    std::string name;
};

// Typed queries over a borrowed connection (`connection` must outlive the PgClient). Every
// method throws Error(DbQuery) from the connection, or when the reply has an unexpected shape.
class PgClient {
public:
    explicit PgClient(PgConnection& connection) : connection_(connection) {}

    // server_version_num (150004); asked once, then cached.
    unsigned serverVersion();
    // The settings check and backup need. Throws Error(DbQuery) with a hint when a setting is not
    // visible to the user (data_directory needs superuser or pg_read_all_settings).
    PgSettings settings();
    bool isInRecovery();
    // Forces a WAL switch and returns the name of the segment just completed (the one that will be
    // archived). Writes a restore point first so there is always something to switch away from.
    std::string switchWal();
    postgres::Lsn currentWalLsn();
    // The segment now being written.
    std::string currentWalSegment();
    // Starts a non-exclusive backup (pg_backup_start from 15, pg_start_backup before).
    PgBackupStart backupStart(std::string_view label, const PgBackupStartOptions& options);
    // Stops the backup started on this session (pg_backup_stop from 15, pg_stop_backup before).
    PgBackupStop backupStop();
    // pg_try_advisory_lock(kBackupAdvisoryLockId): false when another session holds it.
    bool tryAdvisoryLock();
    std::vector<PgDatabase> databases();
    std::vector<PgTablespace> tablespaces();

private:
    QueryResult run(std::string_view sql, std::span<const std::string> params = {});
    // The single non-null value of a one-row, one-column reply.
    std::string value(std::string_view sql);

    PgConnection& connection_;
    std::optional<unsigned> serverVersion_;
};

}  // namespace pgark::db
