// gatherInfo on in-memory repositories, and gather + render end to end on the info files the real
// pgbackrest 2.45 wrote (test/fixtures/info): the expected text and JSON are what pgbackrest 2.45
// printed for a repository holding exactly those files.
#include <ctime>

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include "command/info/info.h"
#include "common/error.h"
#include "fake/fault_storage.h"
#include "fake/mem_storage.h"
#include "info/archive_info.h"
#include "info/backup_info.h"
#include "info/info_file.h"
#include "info/json.h"
#include "storage/storage.h"
#include "unit/info/info_test_util.h"

using namespace pgark;
using namespace pgark::command;
using namespace pgark::command::info;

namespace {

namespace model = pgark::info;
namespace json = pgark::info::json;

constexpr std::uint64_t kSys = 7000000000000000001ULL;
constexpr std::uint64_t kSys2 = 7000000000000000002ULL;
constexpr std::string_view kSha = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

std::string utc(std::int64_t seconds) {
    const auto time = static_cast<std::time_t>(seconds);
    std::tm tm{};
    gmtime_r(&time, &tm);
    char buffer[32];
    return std::string(buffer, std::strftime(buffer, sizeof(buffer), "%Y-%m-%d %H:%M:%S", &tm));
}

std::vector<Repo> memRepos(unsigned count, const std::vector<std::string>& passes = {}) {
    std::vector<Repo> repos;
    for (unsigned i = 1; i <= count; ++i)
        repos.push_back(Repo{i, std::make_unique<test::MemStorage>(), i <= passes.size() ? passes[i - 1] : ""});
    return repos;
}

model::InfoPgData pg(std::uint64_t systemId, std::string version) {
    return model::InfoPgData{.systemId = systemId, .version = std::move(version), .catalogVersion = 202209061,
                             .controlVersion = 1300};
}

model::BackupEntry entry(const std::string& label, const std::string& type, std::int64_t stop, unsigned dbId = 1) {
    model::BackupSummary summary;
    summary.label = label;
    summary.type = type;
    summary.archiveStart = "000000010000000000000002";
    summary.archiveStop = "000000010000000000000003";
    summary.timestampStart = stop - 2;
    summary.timestampStop = stop;
    summary.dbId = dbId;
    summary.size = summary.sizeDelta = 26897000;
    summary.repoSize = summary.repoSizeDelta = 3159000;
    if (type != "full") {
        summary.prior = label.substr(0, 16);
        summary.references = {label.substr(0, 16)};
    }
    return model::makeBackupEntry(summary);
}

// backup.info and archive.info of a stanza with one cluster and these backups.
void writeStanza(Repo& repo, const std::string& stanza, std::vector<model::BackupEntry> backups = {},
                 std::uint64_t systemId = kSys, const std::string& version = "15") {
    model::BackupInfo backupInfo(pg(systemId, version), repo.cipherPass.empty() ? "" : "backup-sub-pass");
    for (auto& backup : backups) backupInfo.backupAdd(std::move(backup));
    backupInfo.save(*repo.storage, model::backupInfoPath(stanza), repo.cipherPass);
    model::ArchiveInfo(systemId, version, repo.cipherPass.empty() ? "" : "archive-sub-pass")
        .save(*repo.storage, model::archiveInfoPath(stanza), repo.cipherPass);
}

void touch(storage::Storage& storage, const std::string& path) { storage::writeText(storage, path, "", {}); }

void writeSegments(storage::Storage& storage, const std::string& stanza, const std::string& archiveId,
                   const std::vector<std::string>& names) {
    for (const std::string& name : names)
        touch(storage, fmt::format("archive/{}/{}/{}/{}", stanza, archiveId, name.substr(0, 16), name));
}

std::vector<std::string> labels(const StanzaInfo& stanza) {
    std::vector<std::string> out;
    for (const BackupItem& backup : stanza.backups) out.push_back(fmt::format("{}@{}", backup.entry.label(), backup.repoKey));
    return out;
}

std::vector<StatusCode> repoCodes(const StanzaInfo& stanza) {
    std::vector<StatusCode> out;
    for (const RepoStatus& repo : stanza.repos) out.push_back(repo.code);
    return out;
}

}  // namespace

TEST_CASE("gatherInfo finds the stanzas under backup/ of every repository", "[unit][command][infocmd]") {
    auto repos = memRepos(2);
    writeStanza(repos[0], "b", {entry("20201116-155000F", "full", 1605541802)});
    repos[0].storage->pathCreate("backup/a", std::nullopt);  // directory only: missing stanza data
    writeStanza(repos[1], "c");
    repos[1].storage->pathCreate("archive/z", std::nullopt);  // archive/ alone does not make a stanza

    SECTION("all stanzas, sorted by name, each with every repository's status") {
        const auto stanzas = gatherInfo(repos, {});
        REQUIRE(stanzas.size() == 3);
        CHECK(stanzas[0].name == "a");
        CHECK(repoCodes(stanzas[0]) == std::vector{StatusCode::MissingStanzaData, StatusCode::MissingStanzaPath});
        CHECK(stanzas[0].code == StatusCode::Mixed);
        CHECK(stanzas[0].dbs.empty());
        CHECK(stanzas[1].name == "b");
        CHECK(repoCodes(stanzas[1]) == std::vector{StatusCode::Ok, StatusCode::MissingStanzaPath});
        CHECK(labels(stanzas[1]) == std::vector<std::string>{"20201116-155000F@1"});
        CHECK(stanzas[2].name == "c");
        CHECK(repoCodes(stanzas[2]) == std::vector{StatusCode::MissingStanzaPath, StatusCode::NoBackup});
    }
    SECTION("--stanza narrows to one name, present or not") {
        auto stanzas = gatherInfo(repos, {.stanza = "c"});
        REQUIRE(stanzas.size() == 1);
        CHECK(stanzas[0].name == "c");
        stanzas = gatherInfo(repos, {.stanza = "nothere"});
        REQUIRE(stanzas.size() == 1);
        CHECK(stanzas[0].code == StatusCode::MissingStanzaPath);
        CHECK(repoCodes(stanzas[0]) == std::vector{StatusCode::MissingStanzaPath, StatusCode::MissingStanzaPath});
    }
    SECTION("no stanza anywhere: nothing") {
        auto empty = memRepos(1);
        CHECK(gatherInfo(empty, {}).empty());
    }
}

TEST_CASE("gatherInfo reports a repository it cannot list as an other error", "[unit][command][infocmd]") {
    std::vector<Repo> repos;
    auto faulty = std::make_unique<test::FaultStorage>(std::make_unique<test::MemStorage>());
    faulty->failCall(test::FaultOp::List, Error(ErrorCode::PathOpen, "unable to list file info for path 'backup'"),
                     {.pathContains = "backup", .repeat = true});
    repos.push_back(Repo{1, std::move(faulty), ""});
    repos.push_back(Repo{2, std::make_unique<test::MemStorage>(), ""});

    SECTION("no stanza found elsewhere: the stanza is called [invalid]") {
        const auto stanzas = gatherInfo(repos, {});
        REQUIRE(stanzas.size() == 1);
        CHECK(stanzas[0].name == "[invalid]");
        CHECK(repoCodes(stanzas[0]) == std::vector{StatusCode::Other, StatusCode::MissingStanzaPath});
        CHECK(stanzas[0].repos[0].errorText == "[PathOpenError] unable to list file info for path 'backup'");
        CHECK(stanzas[0].code == StatusCode::Mixed);
    }
    SECTION("other stanzas: the error is that repository's status for each") {
        writeStanza(repos[1], "s1");
        const auto stanzas = gatherInfo(repos, {});
        REQUIRE(stanzas.size() == 1);
        CHECK(stanzas[0].name == "s1");
        CHECK(repoCodes(stanzas[0]) == std::vector{StatusCode::Other, StatusCode::NoBackup});
    }
}

TEST_CASE("gatherInfo reads the WAL range of each archive id", "[unit][command][infocmd]") {
    auto repos = memRepos(1);
    storage::Storage& storage = *repos[0].storage;
    writeStanza(repos[0], "s1");

    SECTION("nothing stored: the current cluster is listed without a range") {
        const auto stanza = gatherInfo(repos, {}).at(0);
        REQUIRE(stanza.archives.size() == 1);
        CHECK(stanza.archives[0].archiveId == "15-1");
        CHECK(!stanza.archives[0].min);
        CHECK(!stanza.archives[0].max);
    }
    SECTION("partial segments, backup history files and foreign names do not count") {
        writeSegments(storage, "s1", "15-1",
                      {fmt::format("000000010000000000000003-{}.lz4", kSha),
                       fmt::format("000000010000000000000002.partial-{}.lz4", kSha),
                       "000000010000000000000001.00000028.backup", fmt::format("000000010000000100000001-{}", kSha),
                       fmt::format("0000000100000002000000FF.partial-{}.gz", kSha),
                       "0000000100000003000000FF.00000028.backup", fmt::format("000000010000000400000001-{}.xz", kSha),
                       fmt::format("000000010000000500000001-{}.txt", kSha)});
        storage.pathCreate("archive/s1/15-1/0000000200000000", std::nullopt);  // empty directory
        touch(storage, fmt::format("archive/s1/15-1/00000002000000ZZ/00000002000000ZZ00000001-{}", kSha));
        const auto stanza = gatherInfo(repos, {}).at(0);
        REQUIRE(stanza.archives.size() == 1);
        CHECK(stanza.archives[0].min == "000000010000000000000003");
        CHECK(stanza.archives[0].max == "000000010000000400000001");
    }
}

TEST_CASE("gatherInfo maps history entries to archive ids", "[unit][command][infocmd]") {
    auto repos = memRepos(1);
    storage::Storage& storage = *repos[0].storage;
    // backup.info: 1 = 14/kSys, 2 = 15/kSys2; archive.info: 1 = 14/kSys, 2 = 9.6/kSys, 3 = 15/kSys2.
    model::BackupInfo backupInfo(pg(kSys, "14"), "");
    backupInfo.historyAdd(kSys2, "15", 202209061, 1300);
    backupInfo.backupAdd(entry("20201116-155000F", "full", 1605541802, 1));
    backupInfo.save(storage, model::backupInfoPath("h"), "");
    model::ArchiveInfo archiveInfo(kSys, "14", "");
    archiveInfo.historyAdd(kSys, "9.6");
    archiveInfo.historyAdd(kSys2, "15");
    archiveInfo.save(storage, model::archiveInfoPath("h"), "");

    SECTION("same id first, else the newest entry with the same cluster; old ids only with WAL") {
        auto stanza = gatherInfo(repos, {}).at(0);
        REQUIRE(stanza.archives.size() == 1);
        CHECK(stanza.archives[0].dbId == 2);
        CHECK(stanza.archives[0].archiveId == "15-3");
        REQUIRE(stanza.dbs.size() == 2);
        CHECK(stanza.dbs[0].version == "14");
        CHECK(stanza.dbs[1].systemId == kSys2);
        REQUIRE(stanza.current);
        CHECK(stanza.current->systemId == kSys2);

        writeSegments(storage, "h", "14-1", {fmt::format("000000010000000000000003-{}.lz4", kSha)});
        stanza = gatherInfo(repos, {}).at(0);
        REQUIRE(stanza.archives.size() == 2);
        CHECK(stanza.archives[0].archiveId == "14-1");
        CHECK(stanza.archives[0].min == "000000010000000000000003");
    }
    SECTION("a cluster archive.info does not know: the repository's status is other") {
        model::ArchiveInfo(kSys, "14", "").save(storage, model::archiveInfoPath("h"), "");
        const auto stanza = gatherInfo(repos, {}).at(0);
        CHECK(stanza.code == StatusCode::Other);
        CHECK_THAT(stanza.repos[0].errorText,
                   Catch::StartsWith("[ArchiveMismatchError] unable to retrieve the archive id for database version "
                                     "'15' and system-id '7000000000000000002'"));
        CHECK(stanza.dbs.empty());
        CHECK(stanza.backups.empty());
    }
    SECTION("archive.info missing: other, with the load error") {
        storage.remove(model::archiveInfoPath("h"), {});
        storage.remove(model::archiveInfoPath("h") + ".copy", {});
        const auto stanza = gatherInfo(repos, {}).at(0);
        CHECK(stanza.code == StatusCode::Other);
        CHECK_THAT(stanza.repos[0].errorText, Catch::StartsWith("[FileMissingError] "));
    }
}

TEST_CASE("gatherInfo merges the backups of all repositories by stop time", "[unit][command][infocmd]") {
    auto repos = memRepos(3);
    writeStanza(repos[0], "m",
                {entry("20200101-000001F", "full", 5000), entry("20200101-000002F", "full", 1000),
                 entry("20200101-000003F", "full", 2000), entry("20200101-000004F", "full", 3000),
                 entry("20200101-000005F", "full", 4000)});
    writeStanza(repos[1], "m",
                {entry("20200101-000010F", "full", 2500), entry("20200101-000011F", "full", 6000),
                 entry("20200101-000012F", "full", 1500)});
    writeStanza(repos[2], "m", {entry("20200101-000001F", "full", 5000)});

    // Each backup.info stays in label order; the earliest stop among the heads goes next and the
    // lower repository wins a tie (what 2.45 prints for the same repositories).
    const auto stanza = gatherInfo(repos, {}).at(0);
    CHECK(labels(stanza) == std::vector<std::string>{"20200101-000010F@2", "20200101-000001F@1", "20200101-000002F@1",
                                                     "20200101-000003F@1", "20200101-000004F@1", "20200101-000005F@1",
                                                     "20200101-000001F@3", "20200101-000011F@2", "20200101-000012F@2"});
    CHECK(stanza.code == StatusCode::Ok);
    CHECK(stanza.dbs.size() == 3);
    CHECK(stanza.archives.size() == 3);
}

TEST_CASE("gatherInfo combines repository statuses", "[unit][command][infocmd]") {
    auto repos = memRepos(2, {"", "repo2-pass"});
    SECTION("different current clusters: database mismatch, the first repository read is current") {
        writeStanza(repos[0], "s", {entry("20201116-155000F", "full", 1605541802)});
        writeStanza(repos[1], "s", {}, kSys2);
        const auto stanza = gatherInfo(repos, {}).at(0);
        CHECK(stanza.code == StatusCode::PgMismatch);
        CHECK(repoCodes(stanza) == std::vector{StatusCode::Ok, StatusCode::NoBackup});
        REQUIRE(stanza.current);
        CHECK(stanza.current->systemId == kSys);
        CHECK(!stanza.repos[0].encrypted);
        CHECK(stanza.repos[1].encrypted);
    }
    SECTION("same status everywhere: that status") {
        writeStanza(repos[0], "s");
        writeStanza(repos[1], "s");
        const auto stanza = gatherInfo(repos, {}).at(0);
        CHECK(stanza.code == StatusCode::NoBackup);
        CHECK(stanza.dbs.size() == 2);
    }
    SECTION("a wrong passphrase is that repository's error") {
        writeStanza(repos[0], "s");
        writeStanza(repos[1], "s");
        repos[1].cipherPass = "wrong";
        const auto stanza = gatherInfo(repos, {}).at(0);
        CHECK(stanza.code == StatusCode::Mixed);
        CHECK(repoCodes(stanza) == std::vector{StatusCode::NoBackup, StatusCode::Other});
        CHECK(stanza.dbs.size() == 1);
    }
}

TEST_CASE("gatherInfo --type and --set", "[unit][command][infocmd]") {
    auto repos = memRepos(2, {"", "repo2-pass"});
    const std::string full = "20201116-155000F";
    const std::string incr = "20201116-155000F_20201116-160000I";
    writeStanza(repos[0], "s", {entry(full, "full", 1605541802), entry(incr, "incr", 1605542402)});
    writeStanza(repos[1], "s", {});

    // A manifest with user and template databases, links, tablespaces and page checksum errors.
    model::Ini manifest;
    manifest.setRaw("backup", "backup-label", json::render(json::Value(incr)));
    manifest.setRaw("backup:target", "pg_data", R"({"path":"/pg/data","type":"path"})");
    manifest.setRaw("backup:target", "pg_data/pg_wal", R"({"path":"/wal","type":"link"})");
    manifest.setRaw("backup:target", "pg_data/postgresql.conf",
                    R"({"file":"postgresql.conf","path":"/etc/pg","type":"link"})");
    manifest.setRaw("backup:target", "pg_tblspc/16385",
                    R"({"path":"/ts/a","tablespace-id":"16385","tablespace-name":"ts_a","type":"link"})");
    manifest.setRaw("db", "zeta", R"({"db-id":16390,"db-last-system-id":4})");
    manifest.setRaw("db", "postgres", R"({"db-id":5,"db-last-system-id":4})");
    manifest.setRaw("db", "template0", R"({"db-id":4,"db-last-system-id":4})");
    manifest.setRaw("db", "template1", R"({"db-id":1,"db-last-system-id":4})");
    manifest.setRaw("target:file", "pg_data/PG_VERSION", R"({"checksum-page":false,"size":3,"timestamp":1})");
    manifest.setRaw("target:file", "pg_data/base/1/1", R"({"checksum-page":true,"size":8192,"timestamp":1})");
    manifest.setRaw("target:file", "pg_tblspc/16385/PG_15_1/5/2",
                    R"({"checksum-page":false,"checksum-page-error":[1],"size":8192,"timestamp":1})");
    const std::string manifestPath = fmt::format("backup/s/{}/backup.manifest", incr);

    SECTION("--type keeps only that type") {
        const auto stanza = gatherInfo(repos, {.type = "incr"}).at(0);
        CHECK(labels(stanza) == std::vector<std::string>{incr + "@1"});
        CHECK(stanza.code == StatusCode::Mixed);
    }
    SECTION("--set with the manifest: that backup with its detail, clusters of all repositories") {
        model::saveInfoFile(*repos[0].storage, manifestPath, manifest, "");
        const auto stanza = gatherInfo(repos, {.set = incr}).at(0);
        REQUIRE(stanza.backups.size() == 1);
        CHECK(stanza.backups[0].entry.label() == incr);
        REQUIRE(stanza.backups[0].detail);
        const BackupDetail& detail = *stanza.backups[0].detail;
        CHECK(detail.databases == std::vector<std::pair<std::string, std::uint64_t>>{{"postgres", 5}, {"zeta", 16390}});
        REQUIRE(detail.links.size() == 2);
        CHECK(detail.links[0].name == "pg_wal");
        CHECK(detail.links[0].destination == "/wal");
        CHECK(detail.links[1].name == "postgresql.conf");
        CHECK(detail.links[1].destination == "/etc/pg/postgresql.conf");
        REQUIRE(detail.tablespaces.size() == 1);
        CHECK(detail.tablespaces[0].name == "ts_a");
        CHECK(detail.tablespaces[0].oid == 16385);
        CHECK(detail.tablespaces[0].destination == "/ts/a");
        CHECK(detail.errorFiles == std::vector<std::string>{"PG_VERSION", "pg_tblspc/16385/PG_15_1/5/2"});
        CHECK(stanza.dbs.size() == 2);
        CHECK(repoCodes(stanza) == std::vector{StatusCode::Ok, StatusCode::NoBackup});
    }
    SECTION("--set in an encrypted repository: the manifest is read with the backup set passphrase") {
        writeStanza(repos[1], "s", {entry(incr, "incr", 1605542402)});
        model::saveInfoFile(*repos[1].storage, manifestPath, manifest, "backup-sub-pass");
        const auto stanza = gatherInfo(repos, {.set = incr}).at(0);
        REQUIRE(stanza.backups.size() == 1);
        CHECK(stanza.backups[0].repoKey == 2);
        CHECK(stanza.backups[0].detail->databases.size() == 2);
    }
    SECTION("--set listed in backup.info but without a manifest: not found, data dropped") {
        const auto stanza = gatherInfo(repos, {.set = incr}).at(0);
        CHECK(stanza.code == StatusCode::BackupNotFound);
        CHECK(repoCodes(stanza) == std::vector{StatusCode::BackupNotFound, StatusCode::BackupNotFound});
        CHECK(stanza.dbs.empty());
        CHECK(stanza.archives.empty());
        CHECK(stanza.backups.empty());
    }
    SECTION("--set with a manifest that cannot be read: other") {
        storage::writeText(*repos[0].storage, manifestPath, "garbage\n", {});
        const auto stanza = gatherInfo(repos, {.set = incr}).at(0);
        CHECK(repoCodes(stanza) == std::vector{StatusCode::Other, StatusCode::NoBackup});
        CHECK(stanza.backups.empty());
    }
}

TEST_CASE("gatherInfo reads the backup lock", "[unit][command][infocmd]") {
    auto repos = memRepos(1);
    std::vector<std::string> asked;
    lock::LockInfo lockFile{.held = true, .pid = 123, .execId = "123-abcdef01", .pctCplt = 4210};
    GatherOptions options{.readBackupLock = [&](const std::string& stanza) {
        asked.push_back(stanza);
        return lockFile;
    }};
    writeStanza(repos[0], "s");

    SECTION("held, with progress") {
        const auto stanza = gatherInfo(repos, options).at(0);
        CHECK(asked == std::vector<std::string>{"s"});
        CHECK(stanza.backupLockHeld);
        CHECK(stanza.percentComplete == 4210u);
    }
    SECTION("a lock file without exec id or pid does not count, as in 2.45") {
        lockFile.pid.reset();
        CHECK(!gatherInfo(repos, options).at(0).backupLockHeld);
        lockFile.pid = 1;
        lockFile.execId.clear();
        CHECK(!gatherInfo(repos, options).at(0).backupLockHeld);
    }
    SECTION("not held") {
        lockFile.held = false;
        const auto stanza = gatherInfo(repos, options).at(0);
        CHECK(!stanza.backupLockHeld);
        CHECK(!stanza.percentComplete);
    }
    SECTION("not even looked at when no repository's stanza could be read") {
        const auto stanza = gatherInfo(repos, {.stanza = "other", .readBackupLock = options.readBackupLock}).at(0);
        CHECK(asked.empty());
        CHECK(!stanza.backupLockHeld);
    }
}

TEST_CASE("info of pgbackrest 2.45's own files prints what pgbackrest prints", "[unit][command][infocmd]") {
    // repo1 = plain fixtures, repo2 = encrypted fixtures, both under stanza "fix" with no WAL.
    auto repos = memRepos(2, {"", std::string(test::info::kFixturePass)});
    for (unsigned i = 0; i < 2; ++i) {
        const std::string kind = i == 0 ? "plain" : "encrypted";
        std::string label = test::info::fixture(kind, "label.txt");
        while (!label.empty() && label.back() == '\n') label.pop_back();
        storage::Storage& storage = *repos[i].storage;
        storage::writeText(storage, "backup/fix/backup.info", test::info::fixture(kind, "backup.info"), {});
        storage::writeText(storage, "archive/fix/archive.info", test::info::fixture(kind, "archive.info"), {});
        storage::writeText(storage, "backup/fix/" + label + "/backup.manifest", test::info::fixture(kind, "backup.manifest"),
                           {});
    }
    const TextOptions text{.formatTime = utc};

    SECTION("text and JSON over both repositories") {
        const auto stanzas = gatherInfo(repos, {});
        CHECK(renderText(stanzas, text) ==
              "stanza: fix\n"
              "    status: ok\n"
              "    cipher: mixed\n"
              "        repo1: none\n"
              "        repo2: aes-256-cbc\n"
              "\n"
              "    db (current)\n"
              "        wal archive min/max (15): none present\n"
              "\n"
              "        full backup: 20261121-120512F\n"
              "            timestamp start/stop: 2026-11-21 12:05:12 / 2026-11-21 12:05:16\n"
              "            wal start/stop: 000000010000000000000002 / 000000010000000000000002\n"
              "            database size: 29MB, database backup size: 29MB\n"
              "            repo1: backup set size: 5.8MB, backup size: 5.8MB\n"
              "\n"
              "        full backup: 20261121-120517F\n"
              "            timestamp start/stop: 2026-11-21 12:05:17 / 2026-11-21 12:05:20\n"
              "            wal start/stop: 000000010000000000000003 / 000000010000000000000004\n"
              "            database size: 29MB, database backup size: 29MB\n"
              "            repo2: backup set size: 5.8MB, backup size: 5.8MB\n");
        CHECK(renderJson(stanzas) ==
              R"([{"archive":[{"database":{"id":1,"repo-key":1},"id":"15-1","max":null,"min":null},{"database":{"id":1,)"
              R"("repo-key":2},"id":"15-1","max":null,"min":null}],"backup":[{"archive":{"start":"000000010000000000000002",)"
              R"("stop":"000000010000000000000002"},"backrest":{"format":5,"version":"2.45"},"database":{"id":1,"repo-key":1},)"
              R"("error":false,"info":{"delta":30464282,"repository":{"delta":6036556,"size":6036556},"size":30464282},)"
              R"("label":"20261121-120512F","lsn":{"start":"0/2000028","stop":"0/2000408"},"prior":null,"reference":null,)"
              R"("timestamp":{"start":1795262712,"stop":1795262716},"type":"full"},{"archive":{"start":)"
              R"("000000010000000000000003","stop":"000000010000000000000004"},"backrest":{"format":5,"version":"2.45"},)"
              R"("database":{"id":1,"repo-key":2},"error":false,"info":{"delta":30464281,"repository":{"delta":6065360,)"
              R"("size":6065360},"size":30464281},"label":"20261121-120517F","lsn":{"start":"0/3000028","stop":"0/4000050"},)"
              R"("prior":null,"reference":null,"timestamp":{"start":1795262717,"stop":1795262720},"type":"full"}],)"
              R"("cipher":"mixed","db":[{"id":1,"repo-key":1,"system-id":7710594626612865982,"version":"15"},{"id":1,)"
              R"("repo-key":2,"system-id":7710594626612865982,"version":"15"}],"name":"fix","repo":[{"cipher":"none",)"
              R"("key":1,"status":{"code":0,"message":"ok"}},{"cipher":"aes-256-cbc","key":2,"status":{"code":0,)"
              R"("message":"ok"}}],"status":{"code":0,"lock":{"backup":{"held":false}},"message":"ok"}}])");
    }
    SECTION("--set of the encrypted backup: its manifest decrypted, a database name with \" and =") {
        const auto stanzas = gatherInfo(repos, {.stanza = "fix", .set = "20261121-120517F"});
        CHECK(renderText(stanzas, text) ==
              "stanza: fix\n"
              "    status: ok\n"
              "    cipher: mixed\n"
              "        repo1: none\n"
              "        repo2: aes-256-cbc\n"
              "\n"
              "    db (current)\n"
              "        wal archive min/max (15): none present\n"
              "\n"
              "        full backup: 20261121-120517F\n"
              "            timestamp start/stop: 2026-11-21 12:05:17 / 2026-11-21 12:05:20\n"
              "            wal start/stop: 000000010000000000000003 / 000000010000000000000004\n"
              "            lsn start/stop: 0/3000028 / 0/4000050\n"
              "            database size: 29MB, database backup size: 29MB\n"
              "            repo2: backup set size: 5.8MB, backup size: 5.8MB\n"
              "            database list: postgres (5), we\"ird=db \xc3\xbc (16384)\n");
        CHECK_THAT(renderJson(stanzas),
                   Catch::Contains(R"("database-ref":[{"name":"postgres","oid":5},{"name":"we\"ird=db )"
                                   "\xc3\xbc"
                                   R"(","oid":16384}],"error":false,)") &&
                       Catch::Contains(R"("link":null,"lsn":{"start":"0/3000028","stop":"0/4000050"},)"));
    }
}
