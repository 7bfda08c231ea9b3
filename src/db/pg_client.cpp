#include "db/pg_client.h"

#include <charconv>

#include <fmt/format.h>

#include "postgres/version.h"
#include "postgres/wal.h"

namespace pgark::db {

namespace {

constexpr unsigned kPgVersion10 = 100000;

std::string_view walName(unsigned version) {
    return postgres::pgWalName(version);
}

std::string_view lsnName(unsigned version) {
    return postgres::pgLsnName(version);
}

[[noreturn]] void throwShape(std::string_view sql, std::string_view problem) {
    throwError(ErrorCode::DbQuery, "unexpected reply to query '{}': {}", sql, problem);
}

const std::string& column(std::string_view sql, const Row& row, std::size_t index) {
    if (index >= row.size()) throwShape(sql, fmt::format("expected at least {} columns, got {}", index + 1, row.size()));
    if (!row[index]) throwShape(sql, fmt::format("column {} is null", index + 1));
    return *row[index];
}

bool toBool(std::string_view sql, std::string_view text) {
    if (text == "t" || text == "true" || text == "on") return true;
    if (text == "f" || text == "false" || text == "off") return false;
    throwShape(sql, fmt::format("'{}' is not a boolean", text));
}

std::uint64_t toUnsigned(std::string_view sql, std::string_view text) {
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
        throwShape(sql, fmt::format("'{}' is not an unsigned number", text));
    }
    return value;
}

postgres::Lsn toLsn(std::string_view sql, std::string_view text) {
    const auto lsn = postgres::lsnParse(text);
    if (!lsn) throwShape(sql, fmt::format("'{}' is not an lsn", text));
    return *lsn;
}

}  // namespace

Error pgQueryError(std::string_view sql, std::string_view serverMessage) {
    return Error(ErrorCode::DbQuery, fmt::format("unable to execute query '{}': {}", sql, serverMessage));
}

namespace sql {

std::string switchWal(unsigned version) {
    return fmt::format("select pg_catalog.pg_{0}file_name(pg_catalog.pg_switch_{0}())::text", walName(version));
}

std::string currentWalLsn(unsigned version) {
    return fmt::format("select pg_catalog.pg_current_{}_{}()::text", walName(version), lsnName(version));
}

std::string currentWalSegment(unsigned version) {
    return fmt::format("select pg_catalog.pg_{0}file_name(pg_catalog.pg_current_{0}_insert_{1}())::text",
                       walName(version), lsnName(version));
}

std::string backupStart(unsigned version) {
    // The third argument of pg_start_backup (exclusive = false) makes the backup non-exclusive:
    // no backup_label in PGDATA, and the backup ends if this session dies. 15 only has that mode.
    const std::string call = version >= postgres::kPgVersion15 ? "pg_catalog.pg_backup_start($1, $2::boolean)"
                                                              : "pg_catalog.pg_start_backup($1, $2::boolean, false)";
    return fmt::format("select lsn::text as lsn, pg_catalog.pg_{}file_name(lsn)::text as wal_segment_name from {} as lsn",
                       walName(version), call);
}

std::string backupStop(unsigned version) {
    // wait_for_archive = false: the archive is checked by us, not by the server (from 10 on).
    std::string call;
    if (version >= postgres::kPgVersion15) call = "pg_catalog.pg_backup_stop(false)";
    else if (version >= kPgVersion10) call = "pg_catalog.pg_stop_backup(false, false)";
    else call = "pg_catalog.pg_stop_backup(false)";
    return fmt::format("select lsn::text as lsn, pg_catalog.pg_{}file_name(lsn)::text as wal_segment_name, "
                       "labelfile::text as backuplabel_file, spcmapfile::text as tablespacemap_file from {}",
                       walName(version), call);
}

}  // namespace sql

QueryResult PgClient::run(std::string_view sql, std::span<const std::string> params) {
    return connection_.query(sql, params);
}

std::string PgClient::value(std::string_view sql) {
    const QueryResult result = run(sql);
    if (result.rows.size() != 1) throwShape(sql, fmt::format("expected 1 row, got {}", result.rows.size()));
    if (result.rows[0].size() != 1) throwShape(sql, fmt::format("expected 1 column, got {}", result.rows[0].size()));
    return column(sql, result.rows[0], 0);
}

unsigned PgClient::serverVersion() {
    if (!serverVersion_) {
        const auto version = toUnsigned(sql::kServerVersion, value(sql::kServerVersion));
        serverVersion_ = static_cast<unsigned>(version);
    }
    return *serverVersion_;
}

PgSettings PgClient::settings() {
    const QueryResult result = run(sql::kSettings);
    PgSettings settings;
    bool seenVersion = false, seenDataDirectory = false, seenArchiveMode = false, seenArchiveCommand = false;
    bool seenWalLevel = false, seenChecksums = false, seenCheckpointTimeout = false;
    for (const Row& row : result.rows) {
        const std::string& name = column(sql::kSettings, row, 0);
        // archive_command may be empty but is never null; keep "" for a null just in case.
        const std::string setting = row.size() > 1 && row[1] ? *row[1] : std::string();
        if (name == "server_version_num") {
            settings.serverVersion = static_cast<unsigned>(toUnsigned(sql::kSettings, setting));
            seenVersion = true;
        } else if (name == "data_directory") {
            settings.dataDirectory = setting;
            seenDataDirectory = true;
        } else if (name == "archive_mode") {
            settings.archiveMode = setting;
            seenArchiveMode = true;
        } else if (name == "archive_command") {
            settings.archiveCommand = setting;
            seenArchiveCommand = true;
        } else if (name == "wal_level") {
            settings.walLevel = setting;
            seenWalLevel = true;
        } else if (name == "data_checksums") {
            settings.dataChecksums = toBool(sql::kSettings, setting);
            seenChecksums = true;
        } else if (name == "checkpoint_timeout") {
            settings.checkpointTimeout = std::chrono::seconds(toUnsigned(sql::kSettings, setting));
            seenCheckpointTimeout = true;
        }
    }

    const std::pair<bool, std::string_view> required[] = {
        {seenVersion, "server_version_num"}, {seenDataDirectory, "data_directory"},
        {seenArchiveMode, "archive_mode"},   {seenArchiveCommand, "archive_command"},
        {seenWalLevel, "wal_level"},         {seenChecksums, "data_checksums"},
        {seenCheckpointTimeout, "checkpoint_timeout"},
    };
    for (const auto& [seen, name] : required) {
        if (!seen) {
            // pg_settings hides superuser-only settings (data_directory, archive_command) from others.
            throw Error(ErrorCode::DbQuery, fmt::format("unable to read setting '{}' from pg_settings", name))
                .withHint("connect as a superuser or a member of pg_read_all_settings");
        }
    }
    if (!serverVersion_) serverVersion_ = settings.serverVersion;
    return settings;
}

bool PgClient::isInRecovery() {
    return toBool(sql::kIsInRecovery, value(sql::kIsInRecovery));
}

std::string PgClient::switchWal() {
    const unsigned version = serverVersion();
    // pg_switch_wal() does nothing when the current segment holds no record yet; then the name
    // returned would be the previous, already archived segment. A restore point guarantees a
    // record, so the switch always completes the segment we name.
    (void)value(sql::kRestorePoint);
    const std::string query = sql::switchWal(version);
    std::string name = value(query);
    if (!postgres::isWalSegmentName(name)) throwShape(query, fmt::format("'{}' is not a wal segment name", name));
    return name;
}

postgres::Lsn PgClient::currentWalLsn() {
    const std::string query = sql::currentWalLsn(serverVersion());
    return toLsn(query, value(query));
}

std::string PgClient::currentWalSegment() {
    const std::string query = sql::currentWalSegment(serverVersion());
    std::string name = value(query);
    if (!postgres::isWalSegmentName(name)) throwShape(query, fmt::format("'{}' is not a wal segment name", name));
    return name;
}

PgBackupStart PgClient::backupStart(std::string_view label, const PgBackupStartOptions& options) {
    const std::string query = sql::backupStart(serverVersion());
    const std::string params[] = {std::string(label), options.fast ? "true" : "false"};
    const QueryResult result = run(query, params);
    if (result.rows.size() != 1) throwShape(query, fmt::format("expected 1 row, got {}", result.rows.size()));
    PgBackupStart start;
    start.lsn = toLsn(query, column(query, result.rows[0], 0));
    start.walSegmentName = column(query, result.rows[0], 1);
    return start;
}

PgBackupStop PgClient::backupStop() {
    const std::string query = sql::backupStop(serverVersion());
    const QueryResult result = run(query);
    if (result.rows.size() != 1) throwShape(query, fmt::format("expected 1 row, got {}", result.rows.size()));
    const Row& row = result.rows[0];
    PgBackupStop stop;
    stop.lsn = toLsn(query, column(query, row, 0));
    stop.walSegmentName = column(query, row, 1);
    stop.backupLabel = column(query, row, 2);
    // Without tablespaces the server returns an empty (or null) map; no file is written then.
    if (row.size() > 3 && row[3] && !row[3]->empty()) stop.tablespaceMap = *row[3];
    return stop;
}

bool PgClient::tryAdvisoryLock() {
    return toBool(sql::kTryAdvisoryLock, value(sql::kTryAdvisoryLock));
}

std::vector<PgDatabase> PgClient::databases() {
    const QueryResult result = run(sql::kDatabases);
    std::vector<PgDatabase> databases;
    for (const Row& row : result.rows) {
        databases.push_back({static_cast<std::uint32_t>(toUnsigned(sql::kDatabases, column(sql::kDatabases, row, 0))),
                             column(sql::kDatabases, row, 1),
                             static_cast<std::uint32_t>(toUnsigned(sql::kDatabases, column(sql::kDatabases, row, 2)))});
    }
    return databases;
}

std::vector<PgTablespace> PgClient::tablespaces() {
    const QueryResult result = run(sql::kTablespaces);
    std::vector<PgTablespace> tablespaces;
    for (const Row& row : result.rows) {
        tablespaces.push_back(
            {static_cast<std::uint32_t>(toUnsigned(sql::kTablespaces, column(sql::kTablespaces, row, 0))),
             column(sql::kTablespaces, row, 1)});
    }
    return tablespaces;
}

}  // namespace pgark::db
