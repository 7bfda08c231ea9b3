// groupRestoreFiles: largest first, large files two to a job, small files several to a job within
// the count and byte limits, files for another storage alone, and every file exactly once.
#include "command/restore/job_groups.h"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace pgark::command::restore;

namespace {

constexpr std::uint64_t kMiB = 1024 * 1024;

GroupCandidate large(std::uint64_t size) { return {.size = size, .paired = true}; }
GroupCandidate small(std::uint64_t size) { return {.size = size}; }

}  // namespace

TEST_CASE("groupRestoreFiles pairs the large files and gathers the small ones, largest first", "[unit][restore]") {
    // 0: 5 MiB, 1: 8 KiB, 2: 1 GiB, 3: 16 MiB, 4: 900 MiB, 5: 0 B, 6: 1 MiB (not paired), 7: a link's file
    const std::vector<GroupCandidate> files{large(5 * kMiB), small(8192),    large(1024 * kMiB), large(16 * kMiB),
                                            large(900 * kMiB), small(0),     small(kMiB),
                                            {.size = 100, .alone = true}};
    const auto groups = groupRestoreFiles(files);
    // The link's file (100 bytes) sorts before the 0-byte file but is a job of its own.
    CHECK(groups == std::vector<std::vector<std::size_t>>{{2, 4}, {3, 0}, {6, 1}, {7}, {5}});
}

TEST_CASE("groupRestoreFiles keeps small-file jobs within their limits and loses no file", "[unit][restore]") {
    std::vector<GroupCandidate> files;
    for (int i = 0; i < 100; i++) files.push_back(small(8192));
    for (int i = 0; i < 5; i++) files.push_back(small(900 * 1024));
    files.push_back(large(3 * kMiB));  // an odd large file is a job of one
    const auto groups = groupRestoreFiles(files);
    std::vector<std::size_t> seen;
    for (const auto& group : groups) {
        REQUIRE_FALSE(group.empty());
        std::uint64_t bytes = 0;
        for (const std::size_t i : group) bytes += files[i].size;
        CHECK(group.size() <= kGroupFilesMax);
        if (group.size() > 1) CHECK(bytes <= kGroupBytesMax);
        seen.insert(seen.end(), group.begin(), group.end());
    }
    CHECK(groups.front() == std::vector<std::size_t>{105});
    std::sort(seen.begin(), seen.end());
    std::vector<std::size_t> all(files.size());
    for (std::size_t i = 0; i < all.size(); i++) all[i] = i;
    CHECK(seen == all);
}

TEST_CASE("groupRestoreFiles keeps a large file that is not paired apart from the pairs", "[unit][restore]") {
    // 0: 2 GiB paired, 1: 1 GiB zeroed (not paired), 2: 500 MiB paired, 3: 400 MiB paired, 4: 8 KiB
    const std::vector<GroupCandidate> files{large(2048 * kMiB), small(1024 * kMiB), large(500 * kMiB),
                                            large(400 * kMiB), small(8192)};
    CHECK(groupRestoreFiles(files) == std::vector<std::vector<std::size_t>>{{0}, {1}, {2, 3}, {4}});
}
