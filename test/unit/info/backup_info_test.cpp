// Tests of the backup.info model (spec §2.6, §2.7): the real files, entries built from typed
// data, unknown keys surviving a round trip, backup list edits, history, and the archive/backup
// consistency check.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "fake/mem_storage.h"
#include "info/backup_info.h"
#include "info/info_file.h"
#include "storage/posix/posix_storage.h"
#include "unit/info/info_test_util.h"

using namespace pgark;
using namespace pgark::info;
using pgark::test::MemStorage;
using pgark::test::info::fixture;
using pgark::test::info::kFixturePass;
using pgark::test::info::kFixtureSystemId;

namespace {

Error errorOf(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const Error& error) {
        return error;
    }
    FAIL("no error thrown");
    return Error(ErrorCode::Unknown, "");
}

InfoPgData fixturePg() {
    return InfoPgData{.id = 1,
                      .systemId = kFixtureSystemId,
                      .version = "15",
                      .catalogVersion = 202209061,
                      .controlVersion = 1300};
}

BackupSummary fullSummary(std::string label) {
    BackupSummary s;
    s.label = std::move(label);
    s.type = "full";
    s.archiveStart = "000000010000000000000002";
    s.archiveStop = "000000010000000000000002";
    s.lsnStart = "0/2000028";
    s.lsnStop = "0/2000408";
    s.timestampStart = 1795262712;
    s.timestampStop = 1795262716;
    s.size = 30464282;
    s.sizeDelta = 30464282;
    s.repoSize = 6036556;
    s.repoSizeDelta = 6036556;
    return s;
}

}  // namespace

TEST_CASE("BackupInfo reads and rewrites the real backup.info", "[unit][info]") {
    MemStorage repo;
    const std::string path = backupInfoPath("fix");
    CHECK(path == "backup/fix/backup.info");
    const std::string label = pgark::test::info::readBinary(pgark::test::info::fixtureDir() / "plain" / "label.txt");

    SECTION("plain") {
        storage::writeText(repo, path, fixture("plain", "backup.info"), {});
        const BackupInfo info = BackupInfo::load(repo, path, "");
        CHECK(info.current() == fixturePg());
        CHECK(info.cipherPass().empty());
        REQUIRE(info.backups().size() == 1);
        const BackupEntry& full = info.backups().front();
        CHECK(full.label() + "\n" == label);
        CHECK(info.labels() == std::vector<std::string>{full.label()});
        CHECK(info.backup(full.label()) == &full);
        CHECK(full.type() == "full");
        CHECK_FALSE(full.prior().has_value());
        CHECK(full.references().empty());
        CHECK(full.dbId() == 1);
        CHECK(full.archiveStart() == "000000010000000000000002");
        CHECK(full.archiveStop() == "000000010000000000000002");
        CHECK(full.timestampStop() >= full.timestampStart());
        CHECK(full.size() == full.sizeDelta());
        CHECK(full.repoSize() == full.repoSizeDelta());
        CHECK(full.repoSize() < full.size());  // lz4 compressed
        CHECK(renderInfo(info.toIni()) == fixture("plain", "backup.info"));
    }

    SECTION("encrypted") {
        storage::writeText(repo, path, fixture("encrypted", "backup.info"), {});
        const BackupInfo info = BackupInfo::load(repo, path, kFixturePass);
        CHECK(info.cipherPass().size() == 64);
        CHECK(info.backups().size() == 1);
        CHECK(renderInfo(info.toIni()) == decryptText(fixture("encrypted", "backup.info"), kFixturePass));
    }

    SECTION("an entry built from typed data matches pgbackrest's byte for byte") {
        // The fixture's own values, so the whole file must come out identical.
        const BackupInfo real = BackupInfo::fromIni(Ini::parse(fixture("plain", "backup.info")), "x");
        const BackupEntry& entry = real.backups().front();
        BackupSummary s = fullSummary(entry.label());
        s.archiveStart = entry.archiveStart();
        s.archiveStop = entry.archiveStop();
        s.lsnStart = entry.find("backup-lsn-start")->asString();
        s.lsnStop = entry.find("backup-lsn-stop")->asString();
        s.timestampStart = entry.timestampStart();
        s.timestampStop = entry.timestampStop();
        s.size = entry.size();
        s.sizeDelta = entry.sizeDelta();
        s.repoSize = entry.repoSize();
        s.repoSizeDelta = entry.repoSizeDelta();
        BackupInfo built(fixturePg(), "");
        built.backupAdd(makeBackupEntry(s));
        CHECK(renderInfo(built.toIni()) == fixture("plain", "backup.info"));
    }

    SECTION("a new BackupInfo without backups has no [backup:current]") {
        const BackupInfo info(fixturePg(), "");
        const std::string text = renderInfo(info.toIni());
        CHECK(text.find("backup:current") == std::string::npos);
        CHECK(text.find("[db]\ndb-catalog-version=202209061\ndb-control-version=1300\ndb-id=1\ndb-system-id=" +
                        std::to_string(kFixtureSystemId) + "\ndb-version=\"15\"\n") != std::string::npos);
    }
}

TEST_CASE("BackupInfo keeps unknown keys and edits the backup list", "[unit][info]") {
    MemStorage repo;
    const std::string path = backupInfoPath("db");

    SECTION("unknown keys in an entry survive load and save") {
        Ini ini = BackupInfo(fixturePg(), "").toIni();
        BackupEntry entry = makeBackupEntry(fullSummary("20261121-120512F"));
        entry.set("backup-zz-future", json::Value(json::Object{{"k", json::Value(18446744073709551615ULL)}}));
        entry.set("aaa-older", json::Value("x"));
        ini.set("backup:current", entry.label(), json::Value(entry.data()));
        saveInfoFile(repo, path, ini, "");
        const BackupInfo loaded = BackupInfo::load(repo, path, "");
        CHECK(*loaded.backup("20261121-120512F") == entry);
        loaded.save(repo, path, "");
        const std::string text = storage::readText(repo, path);
        CHECK(text.find("={\"aaa-older\":\"x\",\"backrest-format\":5,") != std::string::npos);
        CHECK(text.find(",\"backup-zz-future\":{\"k\":18446744073709551615},\"db-id\":1,") != std::string::npos);
    }

    SECTION("diff/incr entries carry prior, sorted references, annotations and null archive range") {
        BackupSummary s = fullSummary("20261121-120512F_20261121-130000I");
        s.type = "incr";
        s.prior = "20261121-120512F_20261121-125000D";
        s.references = {"20261121-120512F_20261121-125000D", "20261121-120512F", "20261121-120512F"};
        s.annotations = {{"b", "2"}, {"a", "1"}};
        s.archiveStart.reset();
        s.archiveStop.reset();
        s.lsnStart.reset();
        s.lsnStop.reset();
        s.optionOnline = false;
        const BackupEntry entry = makeBackupEntry(s);
        const std::string text = json::render(json::Value(entry.data()));
        CHECK(text.starts_with("{\"backrest-format\":5,\"backrest-version\":\"2.45\",\"backup-annotation\":{\"a\":\"1\",\"b\":\"2\"},"
                               "\"backup-archive-start\":null,\"backup-archive-stop\":null,\"backup-error\":false,"));
        CHECK(text.find("\"backup-prior\":\"20261121-120512F_20261121-125000D\","
                        "\"backup-reference\":[\"20261121-120512F\",\"20261121-120512F_20261121-125000D\"],") !=
              std::string::npos);
        CHECK(text.find("backup-lsn") == std::string::npos);
        CHECK(text.ends_with("\"option-online\":false}"));
        CHECK(entry.prior() == s.prior);
        CHECK(entry.references() == std::vector<std::string>{"20261121-120512F", "20261121-120512F_20261121-125000D"});
        CHECK_FALSE(entry.archiveStart().has_value());
    }

    SECTION("add keeps label order and replaces; remove") {
        BackupInfo info(fixturePg(), "");
        info.backupAdd(makeBackupEntry(fullSummary("20261121-120512F_20261121-130000I")));
        info.backupAdd(makeBackupEntry(fullSummary("20261121-120512F")));
        info.backupAdd(makeBackupEntry(fullSummary("20261122-000000F")));
        CHECK(info.labels() == std::vector<std::string>{"20261121-120512F", "20261121-120512F_20261121-130000I",
                                                        "20261122-000000F"});
        BackupSummary changed = fullSummary("20261121-120512F");
        changed.size = 1;
        info.backupAdd(makeBackupEntry(changed));
        CHECK(info.backups().size() == 3);
        CHECK(info.backup("20261121-120512F")->size() == 1);
        CHECK(info.backupRemove("20261121-120512F_20261121-130000I"));
        CHECK_FALSE(info.backupRemove("20261121-120512F_20261121-130000I"));
        CHECK(info.backup("20261121-120512F_20261121-130000I") == nullptr);
        CHECK(info.labels() == std::vector<std::string>{"20261121-120512F", "20261122-000000F"});

        info.save(repo, path, "repo-pass");
        const BackupInfo back = BackupInfo::load(repo, path, "repo-pass");
        CHECK(back.labels() == info.labels());
        CHECK(back.backups() == info.backups());
    }
}

TEST_CASE("BackupInfo history and validation", "[unit][info]") {
    SECTION("stanza-upgrade adds current + 1") {
        BackupInfo info(fixturePg(), "");
        const InfoPgData& added = info.historyAdd(77, "16", 202307071, 1300);
        CHECK(added.id == 2);
        CHECK(info.current().version == "16");
        CHECK(info.history().size() == 2);
        const BackupInfo back = BackupInfo::fromIni(Ini::parse(renderInfo(info.toIni())), "x");
        CHECK(back.history() == info.history());
        CHECK(back.current().id == 2);
    }

    SECTION("invalid contents name the file") {
        const std::string base = "[db]\ndb-id=1\n[db:history]\n1={\"db-catalog-version\":1,\"db-control-version\":1300,"
                                 "\"db-system-id\":5,\"db-version\":\"15\"}\n";
        const auto check = [](const std::string& text, std::string_view reason) {
            const Error error = errorOf([&] { (void)BackupInfo::fromIni(Ini::parse(text), "/r/backup.info"); });
            CHECK(error.code() == ErrorCode::FileInvalid);
            CHECK(error.message() == "invalid backup info file '/r/backup.info': " + std::string(reason));
        };
        CHECK_NOTHROW(BackupInfo::fromIni(Ini::parse(base), "x"));
        check("[db]\ndb-id=1\n[db:history]\n1={\"db-system-id\":5,\"db-version\":\"15\"}\n",
              "missing key 'db-catalog-version'");
        BackupEntry entry = makeBackupEntry(fullSummary("20261121-120512F"));
        entry.data().erase("backup-type");
        check(base + "[backup:current]\n20261121-120512F=" + json::render(json::Value(entry.data())) + "\n",
              "backup '20261121-120512F' lacks key 'backup-type'");
        entry.set("backup-type", json::Value("weird"));
        check(base + "[backup:current]\n20261121-120512F=" + json::render(json::Value(entry.data())) + "\n",
              "backup '20261121-120512F' has invalid backup-type 'weird'");
        entry.set("backup-type", json::Value("full"));
        entry.set("backup-info-size", json::Value(-1));
        check(base + "[backup:current]\n20261121-120512F=" + json::render(json::Value(entry.data())) + "\n",
              "expected unsigned integer but found negative integer");
        check(base + "[backup:current]\n20261121-120512F=[]\n", "expected object but found array");
    }
}

TEST_CASE("checkInfoMatch compares archive.info and backup.info histories", "[unit][info]") {
    const ArchiveInfo archive = ArchiveInfo::fromIni(Ini::parse(fixture("plain", "archive.info")), "a");
    const BackupInfo backup = BackupInfo::fromIni(Ini::parse(fixture("plain", "backup.info")), "b");
    CHECK_NOTHROW(checkInfoMatch(archive, backup));

    SECTION("different system id") {
        const ArchiveInfo other(kFixtureSystemId + 1, "15", "");
        const Error error = errorOf([&] { checkInfoMatch(other, backup); });
        CHECK(error.code() == ErrorCode::FileInvalid);
        CHECK(error.message() == fmt::format("archive.info and backup.info do not match (current)\n"
                                             "archive: id = 1, version = 15, system-id = {}\n"
                                             "backup : id = 1, version = 15, system-id = {}",
                                             kFixtureSystemId + 1, kFixtureSystemId));
        CHECK_THAT(error.hint(), Catch::Contains("corruption"));
    }

    SECTION("upgraded in one file only") {
        ArchiveInfo upgraded = archive;
        upgraded.historyAdd(9, "16");
        CHECK(errorOf([&] { checkInfoMatch(upgraded, backup); }).code() == ErrorCode::FileInvalid);
        BackupInfo upgradedBackup = backup;
        upgradedBackup.historyAdd(9, "16", 1, 1300);
        CHECK_NOTHROW(checkInfoMatch(upgraded, upgradedBackup));
    }

    SECTION("same current entry but an older entry differs or is missing") {
        ArchiveInfo a(1, "14", "");
        a.historyAdd(2, "15");
        BackupInfo b(InfoPgData{.systemId = 3, .version = "14", .catalogVersion = 1, .controlVersion = 1300}, "");
        b.historyAdd(2, "15", 1, 1300);
        const Error error = errorOf([&] { checkInfoMatch(a, b); });
        CHECK_THAT(error.message(), Catch::StartsWith("archive.info and backup.info do not match (history)\n"
                                                      "archive: id = 1, version = 14, system-id = 1\n"));
        BackupInfo c(InfoPgData{.systemId = 2, .version = "15", .catalogVersion = 1, .controlVersion = 1300}, "");
        ArchiveInfo d(7, "14", "");
        d.historyAdd(2, "15");
        CHECK_THAT(errorOf([&] { checkInfoMatch(d, c); }).message(), Catch::Contains("(current)"));
    }
}

// ---------------------------------------------------------------------------------------------
// Interop: the real pgbackrest 2.45 must accept what our writer produces.

namespace {

struct CommandResult {
    int exitCode = -1;
    std::string output;  // stdout and stderr together
};

CommandResult run(const std::string& command) {
    CommandResult result;
    FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
    REQUIRE(pipe != nullptr);
    char chunk[4096];
    std::size_t n = 0;
    while ((n = std::fread(chunk, 1, sizeof(chunk), pipe)) > 0) result.output.append(chunk, n);
    const int status = ::pclose(pipe);
    result.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

}  // namespace

TEST_CASE("pgbackrest 2.45 accepts archive.info and backup.info written by us", "[info][pgbackrest]") {
    constexpr const char* kPgbackrest = "/usr/bin/pgbackrest";
    if (!std::filesystem::exists(kPgbackrest)) {
        WARN("skipped: " << kPgbackrest << " is not installed");
        return;
    }
    std::string dirTemplate = (std::filesystem::temp_directory_path() / "pgark-info-interop.XXXXXX").string();
    REQUIRE(::mkdtemp(dirTemplate.data()) != nullptr);
    const std::filesystem::path dir = dirTemplate;
    struct Cleanup {
        std::filesystem::path dir;
        ~Cleanup() {
            std::error_code ignored;
            std::filesystem::remove_all(dir, ignored);
        }
    } cleanup{dir};

    const bool encrypted = GENERATE(false, true);
    INFO("encrypted: " << encrypted);
    const std::string repoPass = encrypted ? "interop-pass" : "";
    // Above INT64_MAX, so a reader going through a signed or double type would show another number.
    constexpr std::uint64_t kSystemId = 18000000000000000123ULL;

    auto repo = storage::makePosixStorage((dir / "repo").string(), {});
    const ArchiveInfo archive(kSystemId, "15", encrypted ? "archive-sub-pass" : "");
    archive.save(*repo, archiveInfoPath("x"), repoPass);
    BackupInfo backup(InfoPgData{.systemId = kSystemId, .version = "15", .catalogVersion = 202209061, .controlVersion = 1300},
                      encrypted ? "backup-sub-pass" : "");
    BackupSummary summary = fullSummary("20261121-120512F");
    backup.backupAdd(makeBackupEntry(summary));
    BackupSummary incr = fullSummary("20261121-120512F_20261121-130000I");
    incr.type = "incr";
    incr.prior = "20261121-120512F";
    incr.references = {"20261121-120512F"};
    incr.sizeDelta = 8192;
    incr.repoSizeDelta = 100;
    backup.backupAdd(makeBackupEntry(incr));
    backup.save(*repo, backupInfoPath("x"), repoPass);

    {
        std::ofstream config(dir / "pgbackrest.conf");
        config << "[global]\nrepo1-path=" << (dir / "repo").string() << "\nlog-path=" << dir.string()
               << "\nlock-path=" << dir.string() << "\nlog-level-file=off\nlog-level-console=warn\n";
        if (encrypted) config << "repo1-cipher-type=aes-256-cbc\nrepo1-cipher-pass=" << repoPass << "\n";
        config << "\n[x]\npg1-path=" << (dir / "pg").string() << "\n";
    }

    const CommandResult result =
        run(std::string(kPgbackrest) + " --config=" + (dir / "pgbackrest.conf").string() + " --stanza=x --output=json info");
    INFO(result.output);
    REQUIRE(result.exitCode == 0);
    // Any warning or error line would make this fail to parse as one JSON value.
    const json::Value report = json::parse(result.output.substr(0, result.output.find_last_not_of('\n') + 1));
    REQUIRE(report.asArray().size() == 1);
    const json::Value& stanza = report.asArray().front();
    CHECK(stanza.find("name")->asString() == "x");
    CHECK(stanza.find("status")->find("code")->asUInt() == 0);
    CHECK(stanza.find("status")->find("message")->asString() == "ok");
    CHECK(stanza.find("cipher")->asString() == (encrypted ? "aes-256-cbc" : "none"));
    const json::Value& db = stanza.find("db")->asArray().front();
    CHECK(db.find("system-id")->asUInt() == kSystemId);
    CHECK(db.find("version")->asString() == "15");
    CHECK(stanza.find("archive")->asArray().front().find("id")->asString() == "15-1");
    const json::Array& backups = stanza.find("backup")->asArray();
    REQUIRE(backups.size() == 2);
    CHECK(backups[0].find("label")->asString() == "20261121-120512F");
    CHECK(backups[0].find("info")->find("size")->asUInt() == summary.size);
    CHECK(backups[1].find("type")->asString() == "incr");
    CHECK(backups[1].find("prior")->asString() == "20261121-120512F");
    CHECK(backups[1].find("info")->find("repository")->find("delta")->asUInt() == 100);
}
