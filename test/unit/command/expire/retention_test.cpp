// Tests for command/expire/retention: dependents, full (count and time), diff and ad-hoc
// retention, the WAL retention count each leaves, stray backup directories and history manifests.
// The expected orders are pgbackrest 2.45's, observed on repositories built for the purpose.
#include "command/expire/retention.h"

#include <catch2/catch.hpp>

#include "../../config/config_test_util.h"

namespace {

using namespace pgark::command::expire;
using pgark::ErrorCode;
using pgark::info::BackupType;
using Labels = std::vector<std::string>;

constexpr std::int64_t kDay = 86400;

BackupRef full(std::string label, std::int64_t stop = 0, unsigned dbId = 1) {
    return {.label = std::move(label), .type = BackupType::Full, .dbId = dbId,
            .archiveStart = "000000010000000000000001", .archiveStop = "000000010000000000000001", .timestampStop = stop};
}
BackupRef child(std::string label, BackupType type, std::string prior, unsigned dbId = 1) {
    return {.label = std::move(label), .type = type, .prior = std::move(prior), .dbId = dbId};
}

// F1 <- D1 <- I1 <- I2, F2 <- I3, F3 (stops at day 1, 4, 6).
std::vector<BackupRef> sample() {
    return {full("20260101-000000F", 1 * kDay),
            child("20260101-000000F_20260102-000000D", BackupType::Diff, "20260101-000000F"),
            child("20260101-000000F_20260103-000000I", BackupType::Incr, "20260101-000000F_20260102-000000D"),
            child("20260101-000000F_20260103-010000I", BackupType::Incr, "20260101-000000F_20260103-000000I"),
            full("20260104-000000F", 4 * kDay),
            child("20260104-000000F_20260105-000000I", BackupType::Incr, "20260104-000000F"),
            full("20260106-000000F", 6 * kDay)};
}

Labels labelsOf(const std::vector<BackupRef>& backups) {
    Labels labels;
    for (const BackupRef& backup : backups) labels.push_back(backup.label);
    return labels;
}

}  // namespace

TEST_CASE("dependents follows backup-prior chains", "[unit][expire]") {
    const auto backups = sample();
    CHECK(dependents(backups, "20260101-000000F") ==
          Labels{"20260101-000000F", "20260101-000000F_20260102-000000D", "20260101-000000F_20260103-000000I",
                 "20260101-000000F_20260103-010000I"});
    CHECK(dependents(backups, "20260101-000000F_20260103-000000I") ==
          Labels{"20260101-000000F_20260103-000000I", "20260101-000000F_20260103-010000I"});
    CHECK(dependents(backups, "20260106-000000F") == Labels{"20260106-000000F"});
}

TEST_CASE("planBackupExpire with count retention keeps the newest full backups", "[unit][expire]") {
    SECTION("the oldest set goes, and WAL retention follows the full count") {
        const BackupPlan plan = planBackupExpire(sample(), {.full = 2}, 0, std::nullopt);
        REQUIRE(plan.sets.size() == 1);
        CHECK(plan.sets[0].reason == "full");
        CHECK(plan.sets[0].labels.size() == 4);
        CHECK(labelsOf(plan.remaining) ==
              Labels{"20260104-000000F", "20260104-000000F_20260105-000000I", "20260106-000000F"});
        CHECK(plan.archiveRetention == 2u);
        CHECK_FALSE(plan.latestExpired);
    }
    SECTION("several sets expire oldest first") {
        const BackupPlan plan = planBackupExpire(sample(), {.full = 1}, 0, std::nullopt);
        REQUIRE(plan.sets.size() == 2);
        CHECK(plan.sets[0].labels.front() == "20260101-000000F");
        CHECK(plan.sets[1].labels == Labels{"20260104-000000F", "20260104-000000F_20260105-000000I"});
        CHECK(labelsOf(plan.remaining) == Labels{"20260106-000000F"});
    }
    SECTION("nothing set: nothing expires and WAL is kept") {
        const BackupPlan plan = planBackupExpire(sample(), {}, 0, std::nullopt);
        CHECK(plan.sets.empty());
        CHECK(plan.remaining.size() == 7);
        CHECK_FALSE(plan.archiveRetention);
        CHECK(plan.archiveSkip == ArchiveSkip::NotSet);
    }
    SECTION("archive retention types take their own count") {
        CHECK(planBackupExpire(sample(), {.full = 3, .archive = 1}, 0, std::nullopt).archiveRetention == 1u);
        CHECK(planBackupExpire(sample(), {.full = 3, .diff = 2, .archiveType = ArchiveRetentionType::Diff}, 0,
                               std::nullopt)
                  .archiveRetention == 2u);
        const BackupPlan incr =
            planBackupExpire(sample(), {.full = 3, .archiveType = ArchiveRetentionType::Incr}, 0, std::nullopt);
        CHECK_FALSE(incr.archiveRetention);
        CHECK(incr.archiveSkip == ArchiveSkip::NotSet);
    }
}

TEST_CASE("planBackupExpire with time retention keeps the newest full backup older than the cut-off", "[unit][expire]") {
    const RetentionSettings days = {.full = 2, .fullType = FullRetentionType::Time};
    SECTION("fulls older than the newest full before the cut-off expire; WAL follows the fulls left") {
        const BackupPlan plan = planBackupExpire(sample(), days, 7 * kDay, std::nullopt);  // cut-off: day 5
        REQUIRE(plan.sets.size() == 1);
        CHECK(plan.sets[0].reason == "time-based");
        CHECK(plan.sets[0].labels.front() == "20260101-000000F");
        CHECK(plan.archiveRetention == 2u);
    }
    SECTION("every full older than the cut-off: only the newest stays") {
        const BackupPlan plan = planBackupExpire(sample(), days, 9 * kDay, std::nullopt);
        CHECK(plan.sets.size() == 2);
        CHECK(labelsOf(plan.remaining) == Labels{"20260106-000000F"});
        CHECK(plan.archiveRetention == 1u);
    }
    SECTION("nothing expired: WAL retention is not met") {
        for (const std::int64_t now : {2 * kDay, 5 * kDay}) {
            const BackupPlan plan = planBackupExpire(sample(), days, now, std::nullopt);
            CHECK(plan.sets.empty());
            CHECK_FALSE(plan.archiveRetention);
            CHECK(plan.archiveSkip == ArchiveSkip::TimeNotMet);
        }
    }
    SECTION("an explicit archive retention still applies") {
        RetentionSettings settings = days;
        settings.archive = 3;
        CHECK(planBackupExpire(sample(), settings, 2 * kDay, std::nullopt).archiveRetention == 3u);
    }
}

TEST_CASE("planBackupExpire with diff retention expires only differential backups", "[unit][expire]") {
    auto backups = sample();
    backups.push_back(child("20260106-000000F_20260107-000000D", BackupType::Diff, "20260106-000000F"));
    const BackupPlan plan = planBackupExpire(backups, {.full = 3, .diff = 2}, 0, std::nullopt);
    REQUIRE(plan.sets.size() == 1);
    CHECK(plan.sets[0].reason == "diff");
    CHECK(plan.sets[0].labels == Labels{"20260101-000000F_20260102-000000D", "20260101-000000F_20260103-000000I",
                                        "20260101-000000F_20260103-010000I"});
    CHECK(plan.remaining.size() == 5);
}

TEST_CASE("planBackupExpire with --set expires one backup and its dependents only", "[unit][expire]") {
    const RetentionSettings settings = {.full = 1};
    SECTION("a set in the middle; retention does not run") {
        const BackupPlan plan = planBackupExpire(sample(), settings, 0, "20260104-000000F");
        REQUIRE(plan.sets.size() == 1);
        CHECK(plan.sets[0].reason == "adhoc");
        CHECK(plan.sets[0].labels == Labels{"20260104-000000F", "20260104-000000F_20260105-000000I"});
        CHECK(plan.remaining.size() == 5);
        CHECK(plan.archiveRetention == 1u);
        CHECK_FALSE(plan.latestExpired);
    }
    SECTION("the newest backup: latest moves") {
        const BackupPlan plan = planBackupExpire(sample(), settings, 0, "20260106-000000F");
        CHECK(plan.latestExpired);
        CHECK(plan.remaining.back().label == "20260104-000000F_20260105-000000I");
    }
    SECTION("an unknown label expires nothing") {
        const BackupPlan plan = planBackupExpire(sample(), settings, 0, "20260109-000000F");
        CHECK(plan.sets.empty());
        CHECK(plan.remaining.size() == 7);
    }
    SECTION("the only full backup, or the newest when the one before is another cluster's, cannot go") {
        pgark::test::requireError([] { (void)planBackupExpire({full("20260101-000000F")}, {}, 0, "20260101-000000F"); },
                                  ErrorCode::BackupSetInvalid,
                                  "full backup 20260101-000000F cannot be expired until another full backup has been "
                                  "created on this repo");
        pgark::test::requireError(
            [] {
                (void)planBackupExpire({full("20260101-000000F", 0, 1), full("20260102-000000F", 0, 2)}, {}, 0,
                                       "20260102-000000F");
            },
            ErrorCode::BackupSetInvalid,
            "full backup 20260102-000000F cannot be expired until another full backup has been created on this repo");
        CHECK(planBackupExpire({full("20260101-000000F"), full("20260102-000000F")}, {}, 0, "20260102-000000F")
                  .latestExpired);
    }
}

TEST_CASE("strayBackups lists directories not in backup.info, newest first", "[unit][expire]") {
    const std::vector<BackupRef> current = {full("20260104-000000F")};
    CHECK(strayBackups({"20260101-000000F", "20260104-000000F", "backup.history", "latest", "20260105-000000F",
                        "20260101-000000F_20260102-000000I"},
                       current, std::nullopt) ==
          Labels{"20260105-000000F", "20260101-000000F_20260102-000000I", "20260101-000000F"});
    CHECK(strayBackups({"20260101-000000F", "20260105-000000F"}, current, "20260105-000000F") ==
          Labels{"20260101-000000F"});
}

TEST_CASE("planHistoryExpire removes whole old years, then old manifests of backups that are gone", "[unit][expire]") {
    const std::vector<BackupRef> current = {full("20261201-000000F")};
    const auto listYear = [](const std::string& year) -> Labels {
        REQUIRE(year == "2026");
        return {"20261101-000000F.manifest.gz", "20261130-000000F.manifest.gz", "20261201-000000F.manifest.gz",
                "20261202-000000F.manifest.gz", "notes.txt"};
    };
    const HistoryRemoval removal = planHistoryExpire({"2026", "2024", "2025", "tmp"}, listYear, "20261201-120000F", current);
    CHECK(removal.years == Labels{"2024", "2025"});
    CHECK(removal.manifests == Labels{"2026/20261130-000000F.manifest.gz", "2026/20261101-000000F.manifest.gz"});
}
