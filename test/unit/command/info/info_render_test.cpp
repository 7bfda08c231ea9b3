// info rendering from hand-built StanzaInfo models. The expected strings are what the real
// pgbackrest 2.45 printed for repositories holding the same data (checked with TZ=UTC).
#include <ctime>

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include "command/info/info.h"
#include "info/json.h"

using namespace pgark;
using namespace pgark::command::info;

namespace {

namespace json = pgark::info::json;

std::string utc(std::int64_t seconds) {
    const auto time = static_cast<std::time_t>(seconds);
    std::tm tm{};
    gmtime_r(&time, &tm);
    char buffer[32];
    return std::string(buffer, std::strftime(buffer, sizeof(buffer), "%Y-%m-%d %H:%M:%S", &tm));
}

const TextOptions kUtc{.formatTime = utc};

// A backup.info line as pgBackRest 2.45 writes it; `extra` is spliced in before
// "backup-archive-start" (keys must stay sorted), `tail` replaces the sizes-and-type part.
BackupItem backup(unsigned repoKey, const std::string& label, const std::string& type, std::int64_t start,
                  std::int64_t stop, unsigned dbId, const std::string& extra = "") {
    const std::string text = fmt::format(
        R"({{"backrest-format":5,"backrest-version":"2.45",{}"backup-archive-start":"000000010000000000000002",)"
        R"("backup-archive-stop":"000000010000000000000003","backup-error":false,"backup-info-repo-size":3159000,)"
        R"("backup-info-repo-size-delta":3100,"backup-info-size":26897000,"backup-info-size-delta":26897020,)"
        R"("backup-timestamp-start":{},"backup-timestamp-stop":{},"backup-type":"{}","db-id":{},)"
        R"("option-archive-check":true,"option-archive-copy":false,"option-backup-standby":false,)"
        R"("option-checksum-page":true,"option-compress":true,"option-hardlink":false,"option-online":true}})",
        extra, start, stop, type, dbId);
    return BackupItem{.repoKey = repoKey, .entry = pgark::info::BackupEntry(label, json::parse(text).asObject())};
}

BackupItem backupFromJson(unsigned repoKey, const std::string& label, std::string_view text) {
    return BackupItem{.repoKey = repoKey, .entry = pgark::info::BackupEntry(label, json::parse(text).asObject())};
}

constexpr std::uint64_t kSys = 7000000000000000001ULL;
constexpr std::uint64_t kSys2 = 7000000000000000002ULL;

StanzaInfo okStanza(std::string name = "s1") {
    StanzaInfo stanza;
    stanza.name = std::move(name);
    stanza.repos = {RepoStatus{.key = 1}};
    stanza.dbs = {DbInfo{.repoKey = 1, .id = 1, .systemId = kSys, .version = "15"}};
    stanza.archives = {ArchiveRange{.repoKey = 1, .dbId = 1, .archiveId = "15-1"}};
    stanza.current = CurrentPg{.systemId = kSys, .version = "15"};
    return stanza;
}

}  // namespace

TEST_CASE("formatSize prints sizes as pgBackRest 2.45 does", "[unit][command][infocmd]") {
    CHECK(formatSize(0) == "0B");
    CHECK(formatSize(346) == "346B");
    CHECK(formatSize(1023) == "1023B");
    CHECK(formatSize(1024) == "1KB");
    CHECK(formatSize(3159) == "3KB");
    CHECK(formatSize(8428) == "8.2KB");
    CHECK(formatSize(1280) == "1.2KB");        // 1.25: printf rounds the tie to even
    CHECK(formatSize(10199) == "10.0KB");      // first decimal 9 of 9.96, rounds up to 10.0
    CHECK(formatSize(1048575) == "1024.0KB");
    CHECK(formatSize(1048576) == "1MB");
    CHECK(formatSize(3159776) == "3MB");
    CHECK(formatSize(26897000) == "25.7MB");
    CHECK(formatSize(1073741824) == "1GB");
    CHECK(formatSize(10995116277760ULL) == "10240GB");  // no unit above GB
}

TEST_CASE("renderText and renderJson with no stanza", "[unit][command][infocmd]") {
    CHECK(renderText({}, kUtc) == "No stanzas exist in the repository.\n");
    CHECK(renderJson({}) == "[]");
}

TEST_CASE("renderText and renderJson of a stanza with backups", "[unit][command][infocmd]") {
    StanzaInfo stanza = okStanza();
    stanza.archives[0].min = "000000010000000000000003";
    stanza.archives[0].max = "000000010000000100000001";
    stanza.backups.push_back(backup(1, "20201116-155000F", "full", 1605541800, 1605541802, 1,
                                    R"("backup-annotation":{"a":"b"},)"));
    stanza.backups.push_back(backupFromJson(
        1, "20201116-155000F_20201116-160000D",
        R"({"backrest-format":5,"backrest-version":"2.45","backup-archive-start":"000000010000000000000004",)"
        R"("backup-archive-stop":"000000010000000000000005","backup-error":true,"backup-info-repo-size":1099511627776,)"
        R"("backup-info-repo-size-delta":1073741824,"backup-info-size":10995116277760,"backup-info-size-delta":1048576,)"
        R"("backup-lsn-start":"0/4000028","backup-lsn-stop":"0/5000100","backup-prior":"20201116-155000F",)"
        R"("backup-reference":["20201116-155000F"],"backup-timestamp-start":1605542400,"backup-timestamp-stop":1605542402,)"
        R"("backup-type":"diff","db-id":1,"option-archive-check":true,"option-archive-copy":false,)"
        R"("option-backup-standby":false,"option-checksum-page":true,"option-compress":true,"option-hardlink":false,)"
        R"("option-online":true})"));
    // Made before 2.36: no backup-error key; the reference list keeps its stored order.
    stanza.backups.push_back(backupFromJson(
        1, "20201116-155000F_20201116-170000I",
        R"({"backrest-format":5,"backrest-version":"2.45","backup-archive-start":"000000010000000000000006",)"
        R"("backup-archive-stop":null,"backup-info-repo-size":1023,"backup-info-repo-size-delta":1280,)"
        R"("backup-info-size":10199,"backup-info-size-delta":1048575,"backup-prior":"20201116-155000F_20201116-160000D",)"
        R"("backup-reference":["20201116-155000F_20201116-160000D","20201116-155000F"],)"
        R"("backup-timestamp-start":1605546000,"backup-timestamp-stop":1605546002,"backup-type":"incr","db-id":1,)"
        R"("option-archive-check":true,"option-archive-copy":false,"option-backup-standby":false,)"
        R"("option-checksum-page":true,"option-compress":true,"option-hardlink":false,"option-online":true})"));
    const StanzaInfo stanzas[] = {stanza};

    SECTION("text: no lsn and no annotations without --set, error flag shown") {
        CHECK(renderText(stanzas, kUtc) ==
              "stanza: s1\n"
              "    status: ok\n"
              "    cipher: none\n"
              "\n"
              "    db (current)\n"
              "        wal archive min/max (15): 000000010000000000000003/000000010000000100000001\n"
              "\n"
              "        full backup: 20201116-155000F\n"
              "            timestamp start/stop: 2020-11-16 15:50:00 / 2020-11-16 15:50:02\n"
              "            wal start/stop: 000000010000000000000002 / 000000010000000000000003\n"
              "            database size: 25.7MB, database backup size: 25.7MB\n"
              "            repo1: backup set size: 3MB, backup size: 3KB\n"
              "\n"
              "        diff backup: 20201116-155000F_20201116-160000D\n"
              "            timestamp start/stop: 2020-11-16 16:00:00 / 2020-11-16 16:00:02\n"
              "            wal start/stop: 000000010000000000000004 / 000000010000000000000005\n"
              "            database size: 10240GB, database backup size: 1MB\n"
              "            repo1: backup set size: 1024GB, backup size: 1GB\n"
              "            backup reference list: 20201116-155000F\n"
              "            error(s) detected during backup\n"
              "\n"
              "        incr backup: 20201116-155000F_20201116-170000I\n"
              "            timestamp start/stop: 2020-11-16 17:00:00 / 2020-11-16 17:00:02\n"
              "            wal start/stop: n/a\n"
              "            database size: 10.0KB, database backup size: 1024.0KB\n"
              "            repo1: backup set size: 1023B, backup size: 1.2KB\n"
              "            backup reference list: 20201116-155000F_20201116-160000D, 20201116-155000F\n");
    }
    SECTION("json: every key, \"error\" only when backup.info has it, lsn when present") {
        CHECK(renderJson(stanzas) ==
              R"([{"archive":[{"database":{"id":1,"repo-key":1},"id":"15-1","max":"000000010000000100000001",)"
              R"("min":"000000010000000000000003"}],"backup":[{"annotation":{"a":"b"},"archive":{"start":)"
              R"("000000010000000000000002","stop":"000000010000000000000003"},"backrest":{"format":5,"version":"2.45"},)"
              R"("database":{"id":1,"repo-key":1},"error":false,"info":{"delta":26897020,"repository":{"delta":3100,)"
              R"("size":3159000},"size":26897000},"label":"20201116-155000F","prior":null,"reference":null,)"
              R"("timestamp":{"start":1605541800,"stop":1605541802},"type":"full"},{"archive":{"start":)"
              R"("000000010000000000000004","stop":"000000010000000000000005"},"backrest":{"format":5,"version":"2.45"},)"
              R"("database":{"id":1,"repo-key":1},"error":true,"info":{"delta":1048576,"repository":{"delta":1073741824,)"
              R"("size":1099511627776},"size":10995116277760},"label":"20201116-155000F_20201116-160000D","lsn":)"
              R"({"start":"0/4000028","stop":"0/5000100"},"prior":"20201116-155000F","reference":["20201116-155000F"],)"
              R"("timestamp":{"start":1605542400,"stop":1605542402},"type":"diff"},{"archive":{"start":)"
              R"("000000010000000000000006","stop":null},"backrest":{"format":5,"version":"2.45"},"database":{"id":1,)"
              R"("repo-key":1},"info":{"delta":1048575,"repository":{"delta":1280,"size":1023},"size":10199},)"
              R"("label":"20201116-155000F_20201116-170000I","prior":"20201116-155000F_20201116-160000D",)"
              R"("reference":["20201116-155000F_20201116-160000D","20201116-155000F"],"timestamp":{"start":1605546000,)"
              R"("stop":1605546002},"type":"incr"}],"cipher":"none","db":[{"id":1,"repo-key":1,)"
              R"("system-id":7000000000000000001,"version":"15"}],"name":"s1","repo":[{"cipher":"none","key":1,)"
              R"("status":{"code":0,"message":"ok"}}],"status":{"code":0,"lock":{"backup":{"held":false}},"message":"ok"}}])");
    }
}

TEST_CASE("renderText and renderJson of one backup with its manifest detail (--set)", "[unit][command][infocmd]") {
    StanzaInfo stanza = okStanza();
    BackupItem item = backup(1, "20201116-155000F", "full", 1605541800, 1605541802, 1,
                             R"("backup-annotation":{"a":"b","z":"last"},)");
    item.entry.set("backup-lsn-start", "0/2000028");
    item.entry.set("backup-lsn-stop", "0/2000100");
    item.detail = BackupDetail{
        .databases = {{"postgres", 5}, {"zdb", 16390}},
        .links = {{"pg_hba.conf", "../pg_config/pg_hba.conf"}, {"pg_stat", "../pg_stat"}},
        .tablespaces = {{"ts12", "/tblspc/ts12", 16385}, {"ts1", "/tblspc/ts1", 1700}},
        .errorFiles = {"PG_VERSION", "base/1/113"}};
    stanza.backups.push_back(item);

    SECTION("text: lsn, database list, symlinks, tablespaces, error list, annotations") {
        const StanzaInfo stanzas[] = {stanza};
        CHECK(renderText(stanzas, kUtc) ==
              "stanza: s1\n"
              "    status: ok\n"
              "    cipher: none\n"
              "\n"
              "    db (current)\n"
              "        wal archive min/max (15): none present\n"
              "\n"
              "        full backup: 20201116-155000F\n"
              "            timestamp start/stop: 2020-11-16 15:50:00 / 2020-11-16 15:50:02\n"
              "            wal start/stop: 000000010000000000000002 / 000000010000000000000003\n"
              "            lsn start/stop: 0/2000028 / 0/2000100\n"
              "            database size: 25.7MB, database backup size: 25.7MB\n"
              "            repo1: backup set size: 3MB, backup size: 3KB\n"
              "            database list: postgres (5), zdb (16390)\n"
              "            symlinks:\n"
              "                pg_hba.conf => ../pg_config/pg_hba.conf\n"
              "                pg_stat => ../pg_stat\n"
              "            tablespaces:\n"
              "                ts12 (16385) => /tblspc/ts12\n"
              "                ts1 (1700) => /tblspc/ts1\n"
              "            error list: PG_VERSION, base/1/113\n"
              "            annotation(s)\n"
              "                a: b\n"
              "                z: last\n");
    }
    SECTION("json: detail keys, and an error list makes \"error\" true") {
        const StanzaInfo stanzas[] = {stanza};
        const std::string out = renderJson(stanzas);
        CHECK_THAT(out, Catch::Contains(
                            R"("database-ref":[{"name":"postgres","oid":5},{"name":"zdb","oid":16390}],"error":true,)"
                            R"("error-list":["PG_VERSION","base/1/113"],)"));
        CHECK_THAT(out, Catch::Contains(
                            R"("link":[{"destination":"../pg_config/pg_hba.conf","name":"pg_hba.conf"},)"
                            R"({"destination":"../pg_stat","name":"pg_stat"}],"lsn":{"start":"0/2000028","stop":"0/2000100"},)"));
        CHECK_THAT(out, Catch::Contains(
                            R"("tablespace":[{"destination":"/tblspc/ts12","name":"ts12","oid":16385},)"
                            R"({"destination":"/tblspc/ts1","name":"ts1","oid":1700}],"timestamp")"));
    }
    SECTION("no user database, no link, no error: none, nulls and the backup.info flag") {
        stanza.backups[0].detail = BackupDetail{};
        stanza.backups[0].entry.set("backup-error", true);
        const StanzaInfo stanzas[] = {stanza};
        const std::string text = renderText(stanzas, kUtc);
        CHECK_THAT(text, Catch::Contains("            database list: none\n"
                                         "            error(s) detected during backup\n"
                                         "            annotation(s)\n"));
        CHECK_THAT(text, !Catch::Contains("symlinks") && !Catch::Contains("tablespaces"));
        const std::string out = renderJson(stanzas);
        CHECK_THAT(out, Catch::Contains(R"("database-ref":[],"error":true,"info")"));
        CHECK_THAT(out, Catch::Contains(R"("link":null,)") && Catch::Contains(R"("tablespace":null,)"));
        CHECK_THAT(out, !Catch::Contains("error-list"));
    }
}

TEST_CASE("renderText status lines: errors, lock, mixed repositories", "[unit][command][infocmd]") {
    SECTION("missing stanza path: no cipher line, no db") {
        StanzaInfo stanza;
        stanza.name = "nothere";
        stanza.code = StatusCode::MissingStanzaPath;
        stanza.repos = {RepoStatus{.key = 1, .code = StatusCode::MissingStanzaPath}};
        const StanzaInfo stanzas[] = {stanza};
        CHECK(renderText(stanzas, kUtc) == "stanza: nothere\n    status: error (missing stanza path)\n");
        CHECK(renderJson(stanzas) ==
              R"([{"archive":[],"backup":[],"cipher":"none","db":[],"name":"nothere","repo":[{"cipher":"none",)"
              R"("key":1,"status":{"code":1,"message":"missing stanza path"}}],"status":{"code":1,"lock":)"
              R"({"backup":{"held":false}},"message":"missing stanza path"}}])");
    }
    SECTION("no valid backups with a running backup and its progress") {
        StanzaInfo stanza = okStanza();
        stanza.code = StatusCode::NoBackup;
        stanza.repos[0].code = StatusCode::NoBackup;
        stanza.backupLockHeld = true;
        stanza.percentComplete = 4205;
        const StanzaInfo stanzas[] = {stanza};
        CHECK(renderText(stanzas, kUtc) ==
              "stanza: s1\n"
              "    status: error (no valid backups, backup/expire running - 42.05% complete)\n"
              "    cipher: none\n"
              "\n"
              "    db (current)\n"
              "        wal archive min/max (15): none present\n");
        // JSON says only that the lock is held.
        CHECK_THAT(renderJson(stanzas),
                   Catch::EndsWith(R"("status":{"code":2,"lock":{"backup":{"held":true}},"message":"no valid backups"}}])"));
    }
    SECTION("ok with a running backup that wrote no progress") {
        StanzaInfo stanza = okStanza();
        stanza.backupLockHeld = true;
        const StanzaInfo stanzas[] = {stanza};
        CHECK_THAT(renderText(stanzas, kUtc), Catch::StartsWith("stanza: s1\n    status: ok (backup/expire running)\n"));
    }
    SECTION("other error, one repository: the message lines under the status") {
        StanzaInfo stanza;
        stanza.name = "s1";
        stanza.code = StatusCode::Other;
        stanza.repos = {RepoStatus{.key = 1, .code = StatusCode::Other, .errorText = "[FormatError] line one\nline two"}};
        const StanzaInfo stanzas[] = {stanza};
        CHECK(renderText(stanzas, kUtc) ==
              "stanza: s1\n"
              "    status: error (other)\n"
              "            [FormatError] line one\n"
              "            line two\n"
              "    cipher: none\n");
        CHECK_THAT(renderJson(stanzas),
                   Catch::Contains(R"("status":{"code":99,"message":"[FormatError] line one\nline two"}}])") &&
                       Catch::Contains(R"("message":"other"}}])"));
    }
    SECTION("mixed repositories with a running backup, cipher per repository") {
        StanzaInfo stanza = okStanza("s2");
        stanza.code = StatusCode::Mixed;
        stanza.backupLockHeld = true;
        stanza.percentComplete = 7;
        stanza.repos = {RepoStatus{.key = 1, .code = StatusCode::NoBackup},
                        RepoStatus{.key = 2, .encrypted = true, .code = StatusCode::MissingStanzaData},
                        RepoStatus{.key = 3, .code = StatusCode::Other, .errorText = "[PathOpenError] a\nb"},
                        RepoStatus{.key = 4, .code = StatusCode::Ok}};
        const StanzaInfo stanzas[] = {stanza};
        CHECK(renderText(stanzas, kUtc) ==
              "stanza: s2\n"
              "    status: mixed (backup/expire running - 0.07% complete)\n"
              "        repo1: error (no valid backups)\n"
              "        repo2: error (missing stanza data)\n"
              "        repo3: error (other)\n"
              "               [PathOpenError] a\n"
              "               b\n"
              "        repo4: ok\n"
              "    cipher: mixed\n"
              "        repo1: none\n"
              "        repo2: aes-256-cbc\n"
              "        repo3: none\n"
              "        repo4: none\n"
              "\n"
              "    db (current)\n"
              "        wal archive min/max (15): none present\n");
        CHECK_THAT(renderJson(stanzas), Catch::Contains(R"("cipher":"mixed","db":)") &&
                                            Catch::Contains(R"({"cipher":"aes-256-cbc","key":2,"status":{"code":3,)") &&
                                            Catch::Contains(R"("message":"different across repos"})"));
    }
    SECTION("database mismatch keeps the repository lines; the lock follows in its own parentheses") {
        StanzaInfo stanza = okStanza("mm");
        stanza.code = StatusCode::PgMismatch;
        stanza.backupLockHeld = true;
        stanza.repos = {RepoStatus{.key = 1}, RepoStatus{.key = 2}};
        const StanzaInfo stanzas[] = {stanza};
        CHECK_THAT(renderText(stanzas, kUtc),
                   Catch::StartsWith("stanza: mm\n"
                                     "    status: error (database mismatch across repos) (backup/expire running)\n"
                                     "        repo1: ok\n"
                                     "        repo2: ok\n"
                                     "    cipher: none\n"));
    }
    SECTION("stanzas are separated by an empty line") {
        StanzaInfo a = okStanza("a");
        StanzaInfo b = okStanza("b");
        const StanzaInfo stanzas[] = {a, b};
        CHECK_THAT(renderText(stanzas, kUtc),
                   Catch::Contains("none present\n\nstanza: b\n    status: ok\n"));
    }
}

TEST_CASE("renderText groups history entries by cluster across repositories", "[unit][command][infocmd]") {
    // repo1: 14 (prior, WAL 3) and 15/kSys2 (current); repo2: 15/kSys2 only. Backups in stop order.
    StanzaInfo stanza;
    stanza.name = "h";
    stanza.repos = {RepoStatus{.key = 1}, RepoStatus{.key = 2}};
    stanza.dbs = {DbInfo{.repoKey = 1, .id = 1, .systemId = kSys, .version = "14"},
                  DbInfo{.repoKey = 1, .id = 2, .systemId = kSys2, .version = "15"},
                  DbInfo{.repoKey = 2, .id = 1, .systemId = kSys2, .version = "15"}};
    stanza.archives = {
        ArchiveRange{.repoKey = 1, .dbId = 1, .archiveId = "14-1", .min = "000000010000000000000003", .max = "000000010000000000000003"},
        ArchiveRange{.repoKey = 1, .dbId = 2, .archiveId = "15-3", .min = "000000010000000000000009", .max = "00000002000000000000000A"},
        ArchiveRange{.repoKey = 2, .dbId = 1, .archiveId = "15-1", .min = "000000010000000000000007", .max = "000000010000000000000007"}};
    stanza.backups = {backup(1, "20201116-155000F", "full", 1605541800, 1605541802, 1),
                      backup(1, "20201117-155000F", "full", 1605641800, 1605641802, 2),
                      backup(2, "20201118-155000F", "full", 1605741800, 1605741802, 1)};
    stanza.current = CurrentPg{.systemId = kSys2, .version = "15"};

    SECTION("prior first, then current; WAL range over both repositories") {
        const StanzaInfo stanzas[] = {stanza};
        const std::string text = renderText(stanzas, kUtc);
        CHECK_THAT(text, Catch::Contains("\n    db (prior)\n"
                                         "        wal archive min/max (14): 000000010000000000000003/000000010000000000000003\n"
                                         "\n"
                                         "        full backup: 20201116-155000F\n"));
        CHECK_THAT(text, Catch::Contains("\n    db (current)\n"
                                         "        wal archive min/max (15): 000000010000000000000007/00000002000000000000000A\n"
                                         "\n"
                                         "        full backup: 20201117-155000F\n"));
        CHECK(text.find("db (prior)") < text.find("db (current)"));
        CHECK_THAT(text, Catch::EndsWith("            repo2: backup set size: 3MB, backup size: 3KB\n"));
    }
    SECTION("a prior cluster without backups or WAL is not shown") {
        stanza.archives.erase(stanza.archives.begin());
        stanza.backups.erase(stanza.backups.begin());
        const StanzaInfo stanzas[] = {stanza};
        CHECK_THAT(renderText(stanzas, kUtc), !Catch::Contains("db (prior)"));
    }
    SECTION("with --set only the cluster holding the backup") {
        stanza.backups = {backup(1, "20201116-155000F", "full", 1605541800, 1605541802, 1)};
        stanza.backups[0].detail = BackupDetail{};
        const StanzaInfo stanzas[] = {stanza};
        const std::string text = renderText(stanzas, kUtc);
        CHECK_THAT(text, Catch::Contains("db (prior)") && !Catch::Contains("db (current)"));
    }
    SECTION("with --set but no backup left after --type, every cluster as without --set") {
        stanza.backups.clear();
        const StanzaInfo stanzas[] = {stanza};
        const std::string text = renderText(stanzas, kUtc);
        CHECK_THAT(text, Catch::Contains("db (prior)") && Catch::Contains("db (current)"));
    }
}
