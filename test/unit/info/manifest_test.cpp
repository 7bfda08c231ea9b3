// Tests of the manifest model (spec §3, §4.1, §4.3, §2.6): list invariants, recording copy
// results, the diff/incr reference rules with their delta switches, totals, validation, labels.
#include <catch2/catch.hpp>

#include <stdlib.h>
#include <time.h>

#include <algorithm>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/log.h"
#include "info/manifest.h"

using namespace pgark;
using namespace pgark::info;

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

// Collects warnings for the life of the object.
struct LogCapture {
    std::vector<std::string> lines;
    LogCapture() {
        log::setTestSink([this](std::string_view line) { lines.emplace_back(line); });
    }
    ~LogCapture() { log::setTestSink(nullptr); }
};

// Runs the label tests in a fixed time zone, restoring the process's afterwards.
struct TimeZone {
    std::optional<std::string> saved;
    explicit TimeZone(const char* zone) {
        if (const char* current = std::getenv("TZ")) saved = current;
        ::setenv("TZ", zone, 1);
        ::tzset();
    }
    ~TimeZone() {
        if (saved)
            ::setenv("TZ", saved->c_str(), 1);
        else
            ::unsetenv("TZ");
        ::tzset();
    }
};

ManifestFile file(std::string name, std::uint64_t size, std::int64_t timestamp) {
    return ManifestFile{.name = std::move(name), .size = size, .sizeRepo = size, .timestamp = timestamp, .mode = 0600};
}

// A finished full backup: every file stored, some bundled, one with page errors.
Manifest priorFull() {
    Manifest prior;
    prior.data().type = BackupType::Full;
    prior.data().optionOnline = true;
    prior.data().archiveStop = "000000010000000000000004";
    prior.data().cipherPass = "set-pass";
    prior.setLabel("20261121-100000F");
    prior.pathAdd(ManifestPath{.name = "pg_data", .mode = 0700});
    for (ManifestFile entry : {file("pg_data/a", 10, 100), file("pg_data/b", 20, 100), file("pg_data/empty", 0, 100),
                               file("pg_data/gone", 5, 100), file("pg_data/c", 30, 100)})
        prior.fileAdd(std::move(entry));
    const std::uint64_t pages[] = {1};
    for (const char* name : {"pg_data/a", "pg_data/b", "pg_data/empty", "pg_data/gone", "pg_data/c"}) {
        const ManifestFile* entry = prior.file(name);
        prior.fileCopied(name, ManifestFileResult{.size = entry->size,
                                                  .sizeRepo = entry->size / 2 + 7,
                                                  .checksum = entry->size == 0 ? std::string(kSha1Empty) : std::string(40, 'a'),
                                                  .repoChecksum = std::string(40, 'b'),
                                                  .checksumPage = std::string_view(name) != "pg_data/c",
                                                  .checksumPageError = pageErrorList(pages),
                                                  .bundleId = 1,
                                                  .bundleOffset = entry->size * 3});
    }
    return prior;
}

// The new walk: a unchanged, b touched (new mtime), c grown, empty unchanged, gone removed, new added.
Manifest newWalk() {
    Manifest current;
    current.data().optionOnline = true;
    current.pathAdd(ManifestPath{.name = "pg_data", .mode = 0700});
    for (ManifestFile entry : {file("pg_data/a", 10, 100), file("pg_data/b", 20, 150), file("pg_data/c", 31, 150),
                               file("pg_data/empty", 0, 150), file("pg_data/new", 4, 150)})
        current.fileAdd(std::move(entry));
    current.buildValidate(false, 200);
    return current;
}

}  // namespace

TEST_CASE("Manifest lists stay sorted and unique", "[unit][info][manifest]") {
    Manifest manifest;
    manifest.fileAdd(file("pg_data/b", 1, 1));
    manifest.fileAdd(file("pg_data/a", 1, 1));
    manifest.fileAdd(file("pg_data/c", 1, 1));
    REQUIRE(manifest.files().size() == 3);
    CHECK(manifest.files()[0].name == "pg_data/a");
    CHECK(manifest.files()[2].name == "pg_data/c");
    CHECK(errorOf([&] { manifest.fileAdd(file("pg_data/b", 2, 2)); }).code() == ErrorCode::Assert);
    CHECK(manifest.file("pg_data/b") != nullptr);
    CHECK(manifest.file("pg_data/x") == nullptr);
    CHECK(manifest.fileRemove("pg_data/b"));
    CHECK_FALSE(manifest.fileRemove("pg_data/b"));
    CHECK(manifest.files().size() == 2);

    manifest.targetAdd(ManifestTarget{.name = "pg_data/pg_wal", .type = TargetType::Link, .path = "/wal"});
    CHECK(errorOf([&] { (void)manifest.targetBase(); }).code() == ErrorCode::Assert);
    manifest.targetAdd(ManifestTarget{.name = "pg_data", .path = "/pg"});
    CHECK(manifest.targetBase().path == "/pg");
    manifest.targetUpdate("pg_data/pg_wal", "/wal2", std::nullopt);
    CHECK(manifest.target("pg_data/pg_wal")->path == "/wal2");
    CHECK(errorOf([&] { manifest.targetUpdate("pg_data/x", "/", std::nullopt); }).code() == ErrorCode::Assert);
    CHECK(manifest.targetRemove("pg_data/pg_wal"));

    manifest.dbAdd(ManifestDb{.name = "postgres", .id = 5, .lastSystemId = 4});
    CHECK(manifest.db("postgres")->id == 5);
    CHECK(manifest.db("other") == nullptr);

    manifest.setLabel("20261121-100000F");
    manifest.setLabel("20261121-100000F");
    CHECK(manifest.data().references == std::vector<std::string>{"20261121-100000F"});
}

TEST_CASE("Manifest::fileCopied records a worker's result", "[unit][info][manifest]") {
    Manifest manifest;
    ManifestFile entry = file("pg_data/base/1/1259", 8192, 5);
    entry.reference = "20261121-100000F";
    entry.checksumPage = true;
    manifest.fileAdd(entry);

    const std::uint64_t pages[] = {4, 2, 0, 3, 3};
    manifest.fileCopied("pg_data/base/1/1259", ManifestFileResult{.size = 16384,
                                                                  .sizeRepo = 100,
                                                                  .checksum = std::string(40, '1'),
                                                                  .repoChecksum = std::string(40, '2'),
                                                                  .checksumPage = false,
                                                                  .checksumPageError = pageErrorList(pages),
                                                                  .bundleId = 0,
                                                                  .bundleOffset = 99});
    const ManifestFile* copied = manifest.file("pg_data/base/1/1259");
    CHECK(copied->size == 16384);
    CHECK(copied->sizeRepo == 100);
    CHECK(copied->checksum == std::string(40, '1'));
    CHECK(copied->repoChecksum == std::string(40, '2'));
    CHECK_FALSE(copied->reference);
    CHECK(copied->checksumPage == false);
    CHECK(json::render(json::Value(*copied->checksumPageError)) == "[0,[2,4]]");
    CHECK(copied->bundleOffset == 0);  // no bundle, no offset
    CHECK_FALSE(copied->copy);
    CHECK(manifest.pageErrors());

    // A clean result drops an error list that came along.
    manifest.fileCopied("pg_data/base/1/1259",
                        ManifestFileResult{.size = 1, .sizeRepo = 1, .checksum = "x", .checksumPage = true,
                                           .checksumPageError = pageErrorList(pages), .bundleId = 2, .bundleOffset = 9});
    CHECK_FALSE(manifest.file("pg_data/base/1/1259")->checksumPageError);
    CHECK(manifest.file("pg_data/base/1/1259")->bundleOffset == 9);
    CHECK_FALSE(manifest.pageErrors());
    CHECK(errorOf([&] { manifest.fileCopied("pg_data/nope", {}); }).code() == ErrorCode::Assert);
}

TEST_CASE("pageErrorList compacts runs of pages", "[unit][info][manifest]") {
    const auto rendered = [](std::vector<std::uint64_t> pages) { return json::render(json::Value(pageErrorList(pages))); };
    CHECK(rendered({}) == "[]");
    CHECK(rendered({7}) == "[7]");
    CHECK(rendered({1, 2}) == "[[1,2]]");
    CHECK(rendered({0, 2, 3, 4}) == "[0,[2,4]]");
    CHECK(rendered({9, 1, 3, 2, 5}) == "[[1,3],5,9]");
    CHECK(rendered({131072, 131073, 5}) == "[5,[131072,131073]]");
}

TEST_CASE("Manifest::buildIncr references unchanged files of the prior backup", "[unit][info][manifest]") {
    const Manifest prior = priorFull();
    LogCapture log;

    SECTION("by size and timestamp") {
        Manifest current = newWalk();
        current.buildIncr(prior, BackupType::Incr, "000000010000000000000006");
        current.setLabel("20261121-100000F_20261121-110000I");
        CHECK(log.lines.empty());
        CHECK(current.data().type == BackupType::Incr);
        CHECK(current.data().prior == "20261121-100000F");
        CHECK(current.data().references ==
              std::vector<std::string>{"20261121-100000F", "20261121-100000F_20261121-110000I"});
        CHECK(current.data().cipherPass == "set-pass");
        CHECK(current.data().optionDelta == false);

        // Same size and mtime: everything inherited, nothing to read.
        const ManifestFile* a = current.file("pg_data/a");
        CHECK(a->reference == "20261121-100000F");
        CHECK(a->checksum == std::string(40, 'a'));
        CHECK(a->repoChecksum == std::string(40, 'b'));
        CHECK(a->sizeRepo == 12);
        CHECK(a->bundleId == 1);
        CHECK(a->bundleOffset == 30);
        CHECK(a->checksumPage == true);
        CHECK_FALSE(a->copy);
        CHECK_FALSE(a->delta);
        // Same size, new mtime: changed, copied in full.
        const ManifestFile* b = current.file("pg_data/b");
        CHECK_FALSE(b->reference);
        CHECK(b->checksum.empty());
        CHECK(b->copy);
        // An empty file with another mtime is still the same empty file.
        const ManifestFile* empty = current.file("pg_data/empty");
        CHECK(empty->reference == "20261121-100000F");
        CHECK_FALSE(empty->copy);
        // Other size, or not in the prior: copied, no reference.
        for (const char* name : {"pg_data/c", "pg_data/new"}) {
            INFO(name);
            CHECK_FALSE(current.file(name)->reference);
            CHECK(current.file(name)->checksum.empty());
            CHECK(current.file(name)->copy);
        }
    }

    SECTION("a reference of the prior is carried, not the prior's own label") {
        Manifest middle = newWalk();
        middle.buildIncr(prior, BackupType::Diff, std::nullopt);
        middle.setLabel("20261121-100000F_20261121-110000D");
        Manifest next = newWalk();
        next.buildIncr(middle, BackupType::Incr, std::nullopt);
        next.setLabel("20261121-100000F_20261121-120000I");
        CHECK(next.file("pg_data/a")->reference == "20261121-100000F");
        CHECK(next.data().references == std::vector<std::string>{"20261121-100000F", "20261121-100000F_20261121-110000D",
                                                                 "20261121-100000F_20261121-120000I"});
    }

    SECTION("delta: size decides, every non-empty match is re-read") {
        Manifest current = newWalk();
        current.buildValidate(true, 200);
        current.buildIncr(prior, BackupType::Diff, std::nullopt);
        CHECK(current.data().optionDelta == true);
        for (const char* name : {"pg_data/a", "pg_data/b"}) {
            INFO(name);
            CHECK(current.file(name)->reference == "20261121-100000F");
            CHECK(current.file(name)->copy);
            CHECK(current.file(name)->delta);
        }
        CHECK_FALSE(current.file("pg_data/empty")->copy);
        CHECK_FALSE(current.file("pg_data/empty")->delta);
        CHECK_FALSE(current.file("pg_data/c")->reference);
    }

    SECTION("bundled empty files are never referenced") {
        Manifest current = newWalk();
        ManifestFile empty = *current.file("pg_data/empty");
        current.fileRemove("pg_data/empty");
        empty.copy = false;
        empty.checksum = std::string(kSha1Empty);
        current.fileAdd(empty);
        current.buildIncr(prior, BackupType::Incr, std::nullopt);
        CHECK_FALSE(current.file("pg_data/empty")->reference);
    }

    SECTION("wrong types") {
        Manifest current = newWalk();
        CHECK(errorOf([&] { current.buildIncr(prior, BackupType::Full, std::nullopt); }).code() == ErrorCode::Assert);
        Manifest incr = newWalk();
        incr.buildIncr(prior, BackupType::Incr, std::nullopt);
        CHECK(errorOf([&] { current.buildIncr(incr, BackupType::Diff, std::nullopt); }).code() == ErrorCode::Assert);
    }
}

TEST_CASE("Manifest::buildIncr and buildValidate switch delta on when mtimes cannot be trusted", "[unit][info][manifest]") {
    const Manifest prior = priorFull();
    LogCapture log;
    Manifest current = newWalk();

    SECTION("timeline switch") {
        current.buildIncr(prior, BackupType::Incr, "000000020000000000000006");
        REQUIRE(log.lines.size() == 1);
        CHECK(log.lines[0] ==
              "WARN: a timeline switch has occurred since the 20261121-100000F backup, enabling delta checksum\n"
              "HINT: this is normal after restoring from backup or promoting a standby.");
        CHECK(current.data().optionDelta == true);
        CHECK(current.file("pg_data/a")->delta);
    }
    SECTION("online changed") {
        current.data().optionOnline = false;
        current.buildIncr(prior, BackupType::Incr, std::nullopt);
        CHECK(log.lines == std::vector<std::string>{"WARN: the online option has changed since the 20261121-100000F "
                                                    "backup, enabling delta checksum"});
        CHECK(current.data().optionDelta == true);
    }
    SECTION("an mtime earlier than the prior's") {
        Manifest earlier;
        earlier.data().optionOnline = true;
        earlier.fileAdd(file("pg_data/a", 10, 99));
        earlier.buildValidate(false, 200);
        earlier.buildIncr(prior, BackupType::Incr, std::nullopt);
        CHECK(log.lines == std::vector<std::string>{"WARN: file 'a' has timestamp earlier than prior backup (prior 100, "
                                                    "current 99), enabling delta checksum"});
        CHECK(earlier.file("pg_data/a")->delta);
    }
    SECTION("same mtime, other size") {
        Manifest resized;
        resized.data().optionOnline = true;
        resized.fileAdd(file("pg_data/a", 11, 100));
        resized.buildValidate(false, 200);
        resized.buildIncr(prior, BackupType::Incr, std::nullopt);
        CHECK(log.lines == std::vector<std::string>{"WARN: file 'a' has same timestamp (100) as prior but different size "
                                                    "(prior 10, current 11), enabling delta checksum"});
        CHECK(resized.data().optionDelta == true);
    }
    SECTION("an mtime after the copy start") {
        Manifest future;
        future.data().optionOnline = true;
        future.fileAdd(file("pg_data/base/1/1", 1, 301));
        future.buildValidate(false, 300);
        CHECK(log.lines == std::vector<std::string>{"WARN: file 'base/1/1' has timestamp (301) in the future (relative to "
                                                    "copy start 300), enabling delta checksum"});
        CHECK(future.data().optionDelta == true);
        CHECK(future.data().timestampCopyStart == 301);  // online: the next second
        future.data().optionOnline = false;
        future.buildValidate(true, 300);
        CHECK(future.data().timestampCopyStart == 300);
    }
}

TEST_CASE("Manifest totals, summary and validation", "[unit][info][manifest]") {
    Manifest manifest = newWalk();
    manifest.buildIncr(priorFull(), BackupType::Incr, "000000010000000000000006");
    manifest.setLabel("20261121-100000F_20261121-110000I");
    // Store what has to be stored: b, c, new (a and empty stay referenced).
    for (const char* name : {"pg_data/b", "pg_data/c", "pg_data/new"})
        manifest.fileCopied(name, ManifestFileResult{.size = manifest.file(name)->size,
                                                     .sizeRepo = 3,
                                                     .checksum = std::string(40, 'f'),
                                                     .checksumPage = std::nullopt});
    // a: 10 bytes, repo 12 (referenced); empty: 0, repo 7 (referenced); b 20/3; c 31/3; new 4/3.
    CHECK(manifest.totals() == ManifestTotals{.size = 65, .sizeDelta = 55, .repoSize = 28, .repoSizeDelta = 9});

    manifest.data().timestampStart = 1000;
    manifest.data().timestampStop = 1010;
    manifest.data().annotations = {{"k", "v"}};
    const BackupSummary summary = manifest.summary();
    CHECK(summary.label == "20261121-100000F_20261121-110000I");
    CHECK(summary.type == "incr");
    CHECK(summary.prior == "20261121-100000F");
    CHECK(summary.references == std::vector<std::string>{"20261121-100000F"});
    CHECK(summary.size == 65);
    CHECK(summary.repoSizeDelta == 9);
    CHECK_FALSE(summary.backupError);
    CHECK(summary.annotations.at("k") == "v");
    CHECK_FALSE(summary.optionCompress);

    SECTION("complete") {
        manifest.validate(false);
        manifest.validate(true);
    }
    SECTION("a file never copied") {
        manifest.fileAdd(file("pg_data/late", 5, 1));
        manifest.fileAdd(file("pg_data/zero", 0, 1));
        CHECK(errorOf([&] { manifest.validate(false); }).message() ==
              "manifest validation failed:\nmissing checksum for file 'pg_data/late'");
        manifest.fileCopied("pg_data/late", ManifestFileResult{.size = 5, .sizeRepo = 0, .checksum = "x"});
        CHECK(errorOf([&] { manifest.validate(true); }).message() ==
              "manifest validation failed:\nrepo size must be > 0 for file 'pg_data/late'"
              "\ninvalid checksum '' for zero size file 'pg_data/zero'");
    }
}

TEST_CASE("backup labels follow the local clock and sort after every existing label", "[unit][info][manifest]") {
    TimeZone zone("UTC");
    const std::int64_t t = 1795262712;  // 2026-11-21 12:05:12 UTC

    SECTION("format") {
        CHECK(backupLabelFormat(BackupType::Full, "", t) == "20261121-120512F");
        CHECK(backupLabelFormat(BackupType::Diff, "20261120-010203F", t) == "20261120-010203F_20261121-120512D");
        // The prefix is the full backup's, also when the prior is an incr.
        CHECK(backupLabelFormat(BackupType::Incr, "20261120-010203F_20261121-000000D", t) ==
              "20261120-010203F_20261121-120512I");
        CHECK(errorOf([&] { (void)backupLabelFormat(BackupType::Incr, "bogus", t); }).code() == ErrorCode::Assert);
    }

    SECTION("local time, not UTC") {
        TimeZone tokyo("Asia/Tokyo");
        CHECK(backupLabelFormat(BackupType::Full, "", t) == "20261121-210512F");
    }

    SECTION("create") {
        std::vector<std::string> existing;
        CHECK(backupLabelCreate(BackupType::Full, "", t, existing).label == "20261121-120512F");
        existing = {"20261121-120511F", "20261120-000000F"};
        const BackupLabel next = backupLabelCreate(BackupType::Full, "", t, existing);
        CHECK(next.label == "20261121-120512F");
        CHECK(next.time == t);
        // Same second as the newest (an incr of it): one second later.
        existing = {"20261121-120511F", "20261121-120511F_20261121-120512I"};
        const BackupLabel bumped = backupLabelCreate(BackupType::Incr, "20261121-120511F", t, existing);
        CHECK(bumped.label == "20261121-120511F_20261121-120513I");
        CHECK(bumped.time == t + 1);
        // Two seconds ahead (clock skew, time zone change): refused.
        existing = {"20261121-120514F"};
        const Error error = errorOf([&] { (void)backupLabelCreate(BackupType::Full, "", t, existing); });
        CHECK(error.code() == ErrorCode::Format);
        CHECK(error.message() == "new backup label '20261121-120513F' is not later than latest backup label '20261121-120514F'");
        CHECK_FALSE(error.hint().empty());
    }

    SECTION("validity and type") {
        CHECK(backupLabelValid("20261121-120512F"));
        CHECK(backupLabelValid("20261121-120512F_20261121-230000D"));
        CHECK(backupLabelValid("20261121-120512F_20261121-230000I"));
        for (const char* bad : {"", "20261121-120512", "20261121-120512D", "2026112a-120512F", "20261121_120512F",
                                "20261121-120512F_20261121-230000F", "20261121-120512F-20261121-230000I",
                                "20261121-120512F_20261121-230000Ix", "backup.history", "latest"}) {
            INFO(bad);
            CHECK_FALSE(backupLabelValid(bad));
            CHECK_FALSE(backupLabelType(bad));
        }
        CHECK(backupLabelType("20261121-120512F") == BackupType::Full);
        CHECK(backupLabelType("20261121-120512F_20261121-230000D") == BackupType::Diff);
        CHECK(backupLabelType("20261121-120512F_20261121-230000I") == BackupType::Incr);
        CHECK(backupTypeName(BackupType::Diff) == "diff");
        CHECK(backupTypeFromName("incr") == BackupType::Incr);
        CHECK_FALSE(backupTypeFromName("INCR"));
    }
}

TEST_CASE("Manifest knows where each file is stored and what the repo tree holds", "[unit][info][manifest]") {
    Manifest manifest;
    manifest.setLabel("20261121-100000F_20261121-110000I");
    manifest.data().compressType = compress::CompressType::Zst;
    manifest.pathAdd(ManifestPath{.name = "pg_data", .mode = 0750, .user = "pg", .group = "pgg"});
    manifest.pathAdd(ManifestPath{.name = "pg_data/pg_tblspc", .mode = 0700, .user = "pg", .group = "pgg"});
    manifest.pathAdd(ManifestPath{.name = "pg_tblspc", .mode = 0750, .user = "pg", .group = "pgg"});
    manifest.targetAdd(ManifestTarget{.name = "pg_data", .path = "/pg"});
    manifest.targetAdd(ManifestTarget{.name = "pg_tblspc/16384", .type = TargetType::Link, .path = "/ts",
                                      .tablespaceId = 16384, .tablespaceName = "ts"});
    manifest.targetAdd(ManifestTarget{.name = "pg_data/pg_wal", .type = TargetType::Link, .path = "/wal"});

    SECTION("own file, referenced file, bundle segment") {
        ManifestFile own = file("pg_data/base/1/1259", 8192, 1);
        CHECK(manifest.repoFileLocation("main", own) ==
              RepoFileLocation{.path = "backup/main/20261121-100000F_20261121-110000I/pg_data/base/1/1259.zst"});
        own.reference = "20261121-100000F";
        CHECK(manifest.repoFileLocation("main", own).path == "backup/main/20261121-100000F/pg_data/base/1/1259.zst");
        own.bundleId = 3;
        own.bundleOffset = 4096;
        own.sizeRepo = 77;
        CHECK(manifest.repoFileLocation("main", own) ==
              RepoFileLocation{.path = "backup/main/20261121-100000F/bundle/3", .offset = 4096, .limit = 77});
        manifest.data().compressType = compress::CompressType::None;
        CHECK(manifest.repoFileLocation("main", file("pg_tblspc/16384/PG_15_202209061/5/1", 1, 1)).path ==
              "backup/main/20261121-100000F_20261121-110000I/pg_tblspc/16384/PG_15_202209061/5/1");
    }

    SECTION("the repo tree of a full unbundled backup") {
        manifest.data().type = BackupType::Full;
        const RepoLayout layout = manifest.repoLayout();
        CHECK(layout.paths == std::vector<std::string>{"pg_data", "pg_data/pg_tblspc", "pg_tblspc"});
        CHECK(layout.links ==
              std::vector<std::pair<std::string, std::string>>{{"pg_data/pg_tblspc/16384", "../../pg_tblspc/16384"}});
        manifest.data().bundle = true;
        CHECK(manifest.repoLayout().paths.empty());
        manifest.data().optionHardlink = true;
        CHECK(manifest.repoLayout().paths.size() == 3);
    }

    SECTION("an incr without hard links writes files only") {
        manifest.data().type = BackupType::Incr;
        CHECK(manifest.repoLayout().paths.empty());
        CHECK(manifest.repoLayout().links.empty());
    }

    SECTION("files the backup adds itself") {
        const ManifestFile label = manifest.pgDataFile("backup_label", 258, 1795262716);
        CHECK(label.name == "pg_data/backup_label");
        CHECK(label.size == 258);
        CHECK(label.sizeRepo == 258);
        CHECK(label.timestamp == 1795262716);
        CHECK(label.mode == 0640);  // 0750 & 0644
        CHECK(label.user == "pg");
        CHECK(label.group == "pgg");
        CHECK(label.copy);
        CHECK(errorOf([] { (void)Manifest().pgDataFile("backup_label", 1, 1); }).code() == ErrorCode::Assert);
    }
}

TEST_CASE("which files a backup reads to the recorded size, and which may vanish", "[unit][info][manifest]") {
    for (const char* limited : {"pg_data/base/1/1259", "pg_data/global/1262", "pg_data/pg_xact/0000",
                                "pg_data/pg_multixact/offsets/0000", "pg_data/pg_clog/0000",
                                "pg_tblspc/16384/PG_15_202209061/5/16385"}) {
        INFO(limited);
        CHECK(manifestFileSizeLimited(limited));
        CHECK(manifestFileMayVanish(limited));
    }
    for (const char* toEnd : {"pg_data/global/pg_control", "pg_data/postgresql.conf", "pg_data/pg_logical/replorigin_checkpoint",
                              "pg_data/backup_label", "pg_data/base"}) {
        INFO(toEnd);
        CHECK_FALSE(manifestFileSizeLimited(toEnd));
    }
    CHECK_FALSE(manifestFileMayVanish("pg_data/global/pg_control"));
}
