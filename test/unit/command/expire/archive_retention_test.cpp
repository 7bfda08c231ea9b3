// Tests for command/expire/archive_retention: the anchor backup and kept ranges per archive id,
// and which WAL directories/files go with pgBackRest 2.45's log ranges (cases observed with the
// real pgbackrest on the same repositories).
#include "command/expire/archive_retention.h"

#include <map>

#include <catch2/catch.hpp>

namespace {

using namespace pgark::command::expire;
using pgark::info::BackupType;
using Labels = std::vector<std::string>;

BackupRef backup(std::string label, unsigned dbId, std::optional<std::string> start, std::optional<std::string> stop) {
    const char kind = label.back();
    return {.label = std::move(label),
            .type = kind == 'F' ? BackupType::Full : kind == 'D' ? BackupType::Diff : BackupType::Incr,
            .dbId = dbId,
            .archiveStart = std::move(start),
            .archiveStop = std::move(stop)};
}

// Two clusters: 14-1 (db 1) with two fulls and an incr, 15-2 (db 2) with two fulls and an incr.
std::vector<BackupRef> twoClusters() {
    return {backup("20260101-000000F", 1, "000000010000000000000002", "000000010000000000000003"),
            backup("20260102-000000F", 1, "000000010000000000000005", "000000010000000000000005"),
            backup("20260102-000000F_20260102-010000I", 1, "000000010000000000000007", "000000010000000000000007"),
            backup("20260104-000000F", 2, "000000010000000000000009", "00000001000000000000000A"),
            backup("20260106-000000F", 2, "000000010000000200000005", "000000010000000200000006"),
            backup("20260106-000000F_20260107-000000I", 2, "000000010000000200000009", "000000010000000200000009")};
}
const std::vector<ArchiveHistoryEntry> kHistory = {{1, "14-1"}, {2, "15-2"}};
const Labels kOnDisk = {"14-1", "15-2"};

Labels keptLabels(const ArchiveIdPlan& plan) {
    Labels labels;
    for (const auto& kept : plan.kept) labels.push_back(kept.first);
    return labels;
}

}  // namespace

TEST_CASE("planArchiveIds anchors each cluster's WAL on the right backup", "[unit][expire]") {
    SECTION("full, 1: the newest full of each cluster anchors; older backups keep their own range") {
        const auto plans = planArchiveIds(twoClusters(), kHistory, "15-2", kOnDisk, 1, ArchiveRetentionType::Full);
        REQUIRE(plans.size() == 2);
        CHECK(keptLabels(plans[0]) == Labels{"20260101-000000F", "20260102-000000F"});
        CHECK(keptLabels(plans[1]) == Labels{"20260104-000000F", "20260106-000000F"});
        CHECK(plans[1].kept.back().second.start == "000000010000000200000005");
        CHECK_FALSE(plans[1].kept.back().second.stop);
        CHECK(plans[1].kept.front().second.stop == "00000001000000000000000A");
    }
    SECTION("incr, 3: the oldest of the newest three; a cluster without any of them keeps from its newest") {
        const auto plans = planArchiveIds(twoClusters(), kHistory, "15-2", kOnDisk, 3, ArchiveRetentionType::Incr);
        CHECK(keptLabels(plans[0]).back() == "20260102-000000F_20260102-010000I");
        CHECK(keptLabels(plans[1]) == Labels{"20260104-000000F"});
    }
    SECTION("fewer backups of the type than the retention: nothing expires") {
        CHECK(planArchiveIds(twoClusters(), kHistory, "15-2", kOnDisk, 5, ArchiveRetentionType::Full).empty());
    }
    SECTION("a cluster with no backups left loses its whole archive id, unless it is the current one") {
        const std::vector<BackupRef> all = twoClusters();
        const std::vector<BackupRef> onlyNew(all.begin() + 3, all.end());
        const auto plans = planArchiveIds(onlyNew, kHistory, "15-2", kOnDisk, 1, ArchiveRetentionType::Full);
        REQUIRE(plans.size() == 2);
        CHECK(plans[0].removePath);
        CHECK(plans[0].archiveId == "14-1");
        CHECK_FALSE(plans[1].removePath);
        const std::vector<BackupRef> onlyOld(all.begin(), all.begin() + 3);
        const auto current = planArchiveIds(onlyOld, kHistory, "15-2", kOnDisk, 1, ArchiveRetentionType::Full);
        REQUIRE(current.size() == 1);
        CHECK(current[0].archiveId == "14-1");
    }
    SECTION("archive ids not on disk are skipped; an offline anchor keeps everything") {
        CHECK(planArchiveIds(twoClusters(), kHistory, "15-2", Labels{"15-2"}, 1, ArchiveRetentionType::Full).size() == 1);
        const std::vector<BackupRef> offline = {backup("20260101-000000F", 1, "000000010000000000000003",
                                                       "000000010000000000000003"),
                                                backup("20260102-000000F", 1, std::nullopt, std::nullopt)};
        const auto plans = planArchiveIds(offline, std::vector<ArchiveHistoryEntry>{{1, "15-1"}}, "15-1", Labels{"15-1"}, 1, ArchiveRetentionType::Full);
        REQUIRE(plans.size() == 1);
        CHECK(plans[0].kept.empty());
    }
}

TEST_CASE("planWalRemoval removes WAL outside the kept ranges with pgBackRest's log ranges", "[unit][expire]") {
    ArchiveIdPlan plan{.archiveId = "15-2"};
    plan.kept = {{"20260104-000000F", {"000000010000000000000009", "00000001000000000000000A"}},
                 {"20260106-000000F", {"000000010000000200000005", std::nullopt}}};
    const std::map<std::string, Labels> dirs = {
        {"0000000100000000",
         {"000000010000000000000009-aa.gz", "00000001000000000000000A-bb.gz", "00000001000000000000000B-cc.gz"}},
        {"0000000100000002",
         {"000000010000000200000000-dd.gz", "000000010000000200000002-ee.gz", "000000010000000200000005-ff.gz",
          "000000010000000200000007.00000028.backup", "000000010000000200000008-gg.gz"}},
        {"0000000100000003", {"000000010000000300000000-hh.gz"}}};
    Labels asked;
    const auto listDir = [&](const std::string& dir) {
        asked.push_back(dir);
        return dirs.at(dir);
    };
    const WalRemoval removal = planWalRemoval(
        plan, {"0000000100000003", "0000000100000000", "0000000100000001", "0000000100000002", "junk"}, listDir,
        Labels{"00000001.history", "00000002.history", "archive.info"});
    CHECK(asked == Labels{"0000000100000000", "0000000100000002"});  // kept, and not past the anchor's
    CHECK(removal.paths == Labels{"0000000100000001"});
    CHECK(removal.files ==
          Labels{"0000000100000000/00000001000000000000000B-cc.gz", "0000000100000002/000000010000000200000000-dd.gz",
                 "0000000100000002/000000010000000200000002-ee.gz"});
    // A removed directory restarts the run at its own name (0B is not printed): pgBackRest's quirk.
    CHECK(removal.ranges == Labels{"start = 0000000100000001, stop = 000000010000000200000002"});
    CHECK(removal.historyFiles.empty());

    plan.kept = {{"20260106-000000F", {"000000020000000200000005", std::nullopt}}};
    const WalRemoval later = planWalRemoval(plan, {"0000000100000000"}, listDir,
                                             Labels{"00000001.history", "00000002.history"});
    CHECK(later.paths == Labels{"0000000100000000"});
    CHECK(later.ranges == Labels{"start = 0000000100000000, stop = 0000000100000000"});
    CHECK(later.historyFiles == Labels{"00000001.history"});
}
