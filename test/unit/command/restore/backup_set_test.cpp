// chooseBackupSet and parseTargetTime: spec §9.1 over backup.info models.
#include "command/restore/backup_set.h"

#include <catch2/catch.hpp>

#include "unit/config/config_test_util.h"

using namespace pgark;
using namespace pgark::command::restore;

namespace {

info::InfoPgData pg() { return {.id = 1, .systemId = 7, .version = "15", .catalogVersion = 202209061, .controlVersion = 1300}; }

info::BackupEntry entry(const std::string& label, std::int64_t stop, const std::string& lsnStop) {
    info::BackupSummary s;
    s.label = label;
    s.type = label.back() == 'F' ? "full" : "diff";
    if (s.type != "full") s.prior = label.substr(0, 16);
    s.archiveStart = s.archiveStop = "000000010000000000000002";
    s.lsnStart = "0/2000028";
    s.lsnStop = lsnStop;
    s.timestampStart = stop - 10;
    s.timestampStop = stop;
    return info::makeBackupEntry(s);
}

}  // namespace

TEST_CASE("chooseBackupSet follows --set, time and lsn targets, then the latest", "[unit][restore]") {
    info::BackupInfo empty(pg(), "");
    info::BackupInfo repo2(pg(), "");
    repo2.backupAdd(entry("20261121-100000F", 1000, "0/3000100"));
    repo2.backupAdd(entry("20261121-100000F_20261121-110000D", 2000, "0/5000100"));
    const std::vector<RepoBackups> repos{{1, &empty}, {2, &repo2}};

    CHECK(chooseBackupSet(repos, {}).label == "20261121-100000F_20261121-110000D");
    CHECK(chooseBackupSet(repos, {}).repo == 1);
    CHECK(chooseBackupSet(repos, {.set = "20261121-100000F"}).label == "20261121-100000F");
    test::requireError([&] { (void)chooseBackupSet(repos, {.set = "20200101-000000F"}); }, ErrorCode::BackupSetInvalid,
                       "backup set 20200101-000000F is not valid");

    CHECK(chooseBackupSet(repos, {.type = "time", .target = "1970-01-01 00:25:00+00"}).label == "20261121-100000F");
    CHECK(chooseBackupSet(repos, {.type = "time", .target = "1970-01-01 01:00:00+01"}).label ==
          "20261121-100000F_20261121-110000D");  // 00:00 UTC: before every backup, so the latest
    CHECK(chooseBackupSet(repos, {.type = "time", .target = "1970-01-01 00:16:41+00"}).label == "20261121-100000F");
    test::requireError([&] { (void)chooseBackupSet(repos, {.type = "time", .target = "yesterday"}); }, ErrorCode::Format,
                       "automatic backup set selection cannot be performed with provided time 'yesterday'");

    CHECK(chooseBackupSet(repos, {.type = "lsn", .target = "0/4000000"}).label == "20261121-100000F");
    CHECK(chooseBackupSet(repos, {.type = "lsn", .target = "0/5000100"}).label == "20261121-100000F_20261121-110000D");
    test::requireError([&] { (void)chooseBackupSet(repos, {.type = "lsn", .target = "0/1"}); },
                       ErrorCode::BackupSetInvalid,
                       "unable to find backup set with stop lsn less than or equal to '0/1'");

    test::requireError([&] { (void)chooseBackupSet({{1, &empty}, {2, nullptr}}, {}); }, ErrorCode::BackupSetInvalid,
                       "no backup set found to restore");
}

TEST_CASE("parseTargetTime reads PostgreSQL's timestamp forms", "[unit][restore]") {
    CHECK(parseTargetTime("2026-11-21 10:58:46+00") == 1795258726);
    CHECK(parseTargetTime("2026-11-21 10:58:46.123456+00") == 1795258726);
    CHECK(parseTargetTime("2026-11-21 12:58:46+02") == 1795258726);
    CHECK(parseTargetTime("2026-11-21 12:28:46+0130") == 1795258726);
    CHECK(parseTargetTime("2026-11-21 08:28:46-02:30") == 1795258726);
    CHECK_FALSE(parseTargetTime("2026-11-21"));
    CHECK_FALSE(parseTargetTime("2026-13-21 10:58:46"));
    CHECK(parseTargetTime("2026-11-21 10:58:46").has_value());  // local time
}
