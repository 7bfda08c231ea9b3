// Tests for command/expire/expire: expireRepo on an in-memory repository: what is removed and in
// which files, what is logged, --dry-run changing nothing, an ad-hoc refusal leaving the
// repository unchanged, and unfinished (resumable) backup directories surviving.
#include "command/expire/expire.h"

#include <algorithm>

#include <catch2/catch.hpp>

#include "common/error.h"
#include "common/log.h"
#include "fake/mem_storage.h"
#include "info/archive_info.h"
#include "info/backup_info.h"
#include "info/manifest.h"
#include "storage/storage.h"
#include "../../info/info_test_util.h"

using namespace pgark;
using namespace pgark::command;
using Labels = std::vector<std::string>;

namespace {

constexpr std::uint64_t kSystemId = 7000000000000000001ULL;

struct LogCapture {
    std::vector<std::string> lines;
    LogCapture() {
        log::Settings settings;
        settings.console = log::Level::Detail;
        settings.stderrLevel = log::Level::Off;
        settings.timestamp = false;
        log::init(settings);
        log::setTestSink([this](std::string_view line) { lines.emplace_back(line); });
    }
    ~LogCapture() {
        log::setTestSink(nullptr);
        log::init(log::Settings{});
    }
};

struct TestBackup {
    std::string label;
    std::string start, stop;  // WAL segments
};

// A repository with backups F1 (+ incr), F2 and F3, WAL 01..0F, a stray directory and `latest`.
Repo makeRepo() {
    Repo repo{1, std::make_unique<test::MemStorage>(), ""};
    storage::Storage& s = *repo.storage;
    info::BackupInfo backupInfo({.id = 1, .systemId = kSystemId, .version = "15", .catalogVersion = 202209061,
                                 .controlVersion = 1300},
                                "");
    const std::vector<TestBackup> backups = {
        {"20260101-000000F", "000000010000000000000002", "000000010000000000000003"},
        {"20260101-000000F_20260102-000000I", "000000010000000000000005", "000000010000000000000005"},
        {"20260104-000000F", "000000010000000000000009", "00000001000000000000000A"},
        {"20260106-000000F", "00000001000000000000000E", "00000001000000000000000E"}};
    for (const TestBackup& backup : backups) {
        info::BackupSummary summary;
        summary.label = backup.label;
        const bool incr = backup.label.back() == 'I';
        summary.type = incr ? "incr" : "full";
        if (incr) {
            summary.prior = "20260101-000000F";
            summary.references = {"20260101-000000F"};
        }
        summary.archiveStart = backup.start;
        summary.archiveStop = backup.stop;
        backupInfo.backupAdd(info::makeBackupEntry(summary));
        storage::writeText(s, "backup/main/" + backup.label + "/backup.manifest", "m", {});
        storage::writeText(s, "backup/main/" + backup.label + "/backup.manifest.copy", "m", {});
        storage::writeText(s, "backup/main/" + backup.label + "/pg_data/PG_VERSION.gz", "x", {});
    }
    backupInfo.save(s, info::backupInfoPath("main"), "");
    info::ArchiveInfo(kSystemId, "15", "").save(s, info::archiveInfoPath("main"), "");
    for (int i = 1; i <= 15; i++)
        storage::writeText(s, fmt::format("archive/main/15-1/0000000100000000/0000000100000000000000{:02X}-{}.gz", i,
                                          std::string(40, 'a')),
                           "w", {});
    storage::writeText(s, "backup/main/20251231-000000F/backup.manifest.copy", "", {});
    s.linkCreate("20260106-000000F", "backup/main/latest", false);
    return repo;
}

Labels wal(storage::Storage& s) {
    Labels names;
    s.list("archive/main/15-1/0000000100000000", {}, [&](const storage::FileInfo& entry) { names.push_back(entry.name.substr(0, 24)); });
    std::sort(names.begin(), names.end());
    return names;
}

Labels backupDirs(storage::Storage& s) {
    Labels names;
    s.list("backup/main", {}, [&](const storage::FileInfo& entry) {
        if (entry.type == storage::FileType::Path) names.push_back(entry.name);
    });
    std::sort(names.begin(), names.end());
    return names;
}

bool contains(const std::vector<std::string>& lines, const std::string& line) {
    return std::find(lines.begin(), lines.end(), line) != lines.end();
}

}  // namespace

TEST_CASE("expireRepo removes expired backups, then stray directories, then WAL no backup needs", "[unit][expire]") {
    Repo repo = makeRepo();
    LogCapture capture;
    CHECK_FALSE(expire::expireRepo(repo, {.full = 2}, {.stanza = "main"}));

    for (const std::string file : {"backup.info", "backup.info.copy"}) {
        const info::BackupInfo saved = info::BackupInfo::load(*repo.storage, "backup/main/" + file, "");
        CHECK(saved.labels() == Labels{"20260104-000000F", "20260106-000000F"});
    }
    CHECK(backupDirs(*repo.storage) == Labels{"20260104-000000F", "20260106-000000F"});
    Labels expectedWal;
    for (int i = 9; i <= 15; i++) expectedWal.push_back(fmt::format("0000000100000000000000{:02X}", i));
    CHECK(wal(*repo.storage) == expectedWal);
    CHECK(capture.lines == Labels{
        "INFO: repo1: expire full backup set 20260101-000000F, 20260101-000000F_20260102-000000I",
        "INFO: repo1: remove expired backup 20260101-000000F_20260102-000000I",
        "INFO: repo1: remove expired backup 20260101-000000F",
        "INFO: repo1: remove expired backup 20251231-000000F",
        "DETAIL: repo1: 15-1 archive retention on backup 20260104-000000F, start = 000000010000000000000009",
        "INFO: repo1: 15-1 remove archive, start = 000000010000000000000001, stop = 000000010000000000000008"});
}

TEST_CASE("expireRepo --dry-run logs the same and changes nothing", "[unit][expire]") {
    Repo repo = makeRepo();
    auto& mem = static_cast<test::MemStorage&>(*repo.storage);
    const Labels before = mem.names();
    const std::string info = storage::readText(mem, "backup/main/backup.info");
    LogCapture capture;
    (void)expire::expireRepo(repo, {.full = 2}, {.stanza = "main", .dryRun = true});
    CHECK(mem.names() == before);
    CHECK(storage::readText(mem, "backup/main/backup.info") == info);
    CHECK(capture.lines.size() == 6);
    CHECK(contains(capture.lines, "INFO: repo1: remove expired backup 20260101-000000F"));
}

TEST_CASE("expireRepo --set expires one set, moves latest and still applies WAL retention", "[unit][expire]") {
    Repo repo = makeRepo();
    LogCapture capture;
    CHECK(expire::expireRepo(repo, {.archive = 1}, {.stanza = "main", .adhocLabel = "20260106-000000F"}));
    CHECK(info::BackupInfo::load(*repo.storage, "backup/main/backup.info", "").labels() ==
          Labels{"20260101-000000F", "20260101-000000F_20260102-000000I", "20260104-000000F"});
    const auto latest = repo.storage->info("backup/main/latest", storage::InfoLevel::Detail);
    REQUIRE(latest);
    CHECK(latest->linkDestination == "20260104-000000F");
    CHECK(contains(capture.lines, "INFO: repo1: expire adhoc backup 20260106-000000F"));
    CHECK(capture.lines.front().starts_with("WARN: repo1: expiring latest backup 20260106-000000F"));
    // WAL from the oldest backup on stays; older backups keep their own ranges.
    CHECK(wal(*repo.storage).front() == "000000010000000000000002");
    CHECK_FALSE(contains(wal(*repo.storage), "000000010000000000000004"));
}

TEST_CASE("expireRepo refuses to expire the only full backup and changes nothing", "[unit][expire]") {
    Repo repo = makeRepo();
    auto& mem = static_cast<test::MemStorage&>(*repo.storage);
    (void)expire::expireRepo(repo, {.full = 1}, {.stanza = "main"});
    const Labels before = mem.names();
    try {
        (void)expire::expireRepo(repo, {}, {.stanza = "main", .adhocLabel = "20260106-000000F"});
        FAIL("no error");
    } catch (const Error& error) {
        CHECK(error.code() == ErrorCode::BackupSetInvalid);
    }
    CHECK(mem.names() == before);
}

TEST_CASE("expireRepo keeps a newest unfinished backup only when --set cannot concern it", "[unit][expire]") {
    Repo repo = makeRepo();
    // A manifest .copy without backup.manifest: a backup that stopped half way (a full one).
    const std::string resumable = "backup/main/20260107-000000F/backup.manifest.copy";
    storage::writeText(*repo.storage, resumable, test::info::fixture("plain", "backup.manifest"), {});
    LogCapture capture;
    SECTION("a plain expire removes it, as pgBackRest does") {
        (void)expire::expireRepo(repo, {}, {.stanza = "main"});
        CHECK_FALSE(repo.storage->info("backup/main/20260107-000000F", storage::InfoLevel::Exists));
    }
    SECTION("--set of another backup set keeps it") {
        (void)expire::expireRepo(repo, {}, {.stanza = "main", .adhocLabel = "20260104-000000F"});
        CHECK(repo.storage->info(resumable, storage::InfoLevel::Exists));
    }
    SECTION("--set of its own set: it goes unless its prior stays (this one is a full: no prior)") {
        repo.storage->removePath("backup/main/20260107-000000F", {.recurse = true});
        storage::writeText(*repo.storage, "backup/main/20260106-000000F_20260107-000000I/backup.manifest.copy",
                           test::info::fixture("plain", "backup.manifest"), {});
        (void)expire::expireRepo(repo, {}, {.stanza = "main", .adhocLabel = "20260106-000000F"});
        CHECK_FALSE(repo.storage->info("backup/main/20260106-000000F_20260107-000000I", storage::InfoLevel::Exists));
    }
    CHECK_FALSE(repo.storage->info("backup/main/20251231-000000F", storage::InfoLevel::Exists));
}

TEST_CASE("expireRepo reconstructs backup.info from the backup directories first", "[unit][expire]") {
    Repo repo = makeRepo();
    LogCapture capture;
    SECTION("a backup without backup.manifest leaves with its dependents, newest first") {
        // The incr keeps its manifest in a real repository; here it is not a real one, so it goes too.
        repo.storage->remove("backup/main/20260101-000000F/backup.manifest", {});
        repo.storage->remove("backup/main/20260101-000000F_20260102-000000I/backup.manifest", {});
        (void)expire::expireRepo(repo, {}, {.stanza = "main"});
        CHECK(info::BackupInfo::load(*repo.storage, "backup/main/backup.info", "").labels() ==
              Labels{"20260104-000000F", "20260106-000000F"});
        CHECK(std::vector<std::string>(capture.lines.begin(), capture.lines.begin() + 2) ==
              Labels{"WARN: backup '20260101-000000F_20260102-000000I' missing manifest removed from backup.info",
                     "WARN: backup '20260101-000000F' missing manifest removed from backup.info"});
        CHECK(backupDirs(*repo.storage) == Labels{"20260104-000000F", "20260106-000000F"});
    }
    SECTION("an unlisted backup of another cluster is not added") {
        storage::writeText(*repo.storage, "backup/main/20261121-120512F/backup.manifest",
                           test::info::fixture("plain", "backup.manifest"), {});
        (void)expire::expireRepo(repo, {}, {.stanza = "main", .dryRun = true});
        CHECK(contains(capture.lines, "WARN: invalid backup '20261121-120512F' cannot be added to current backups"));
    }
}
