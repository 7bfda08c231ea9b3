// checkExisting: the --delta decision for many files on several threads, on real files: cached
// files large enough to be hashed from a mapping, the same files evicted from the page cache (read
// with O_DIRECT instead), small files, and every way a file can fail to match. Each answer must be
// the one keepExisting gives for that file alone, in the order of the input.
#include "command/restore/delta_check.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <filesystem>

#include "common/crypto/hash.h"
#include "storage/posix/page_cache.h"
#include "storage/posix/posix_storage.h"
#include "unit/command/backup/file_job_test_util.h"

using namespace pgark;
using namespace pgark::command::restore;
using test::patternData;
using test::putFile;

namespace {

constexpr std::int64_t kMtime = 1700000000;

std::string sha1Of(std::string_view data) {
    crypto::Sha1Hasher hasher;
    hasher.update(io::asBytes(data));
    return hasher.finalHex();
}

// A scratch directory on the disk (not tmpfs), so that files can be evicted from the page cache.
class DiskDir {
public:
    DiskDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "pgark-delta-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~DiskDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

// Writes the file back and drops it from the page cache, as after a restore long ago.
void evict(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY);
    REQUIRE(fd != -1);
    ::fdatasync(fd);
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    ::close(fd);
}

struct Case {
    std::string name;
    std::string manifest;   // the backed-up content
    std::optional<std::string> existing;  // what is in PGDATA (nullopt: nothing)
    bool kept;
};

}  // namespace

TEST_CASE("checkExisting keeps exactly the files that still match, on any number of threads", "[unit][filejob]") {
    const bool onDisk = GENERATE(false, true);
    const unsigned threads = GENERATE(1u, 2u, 5u);
    INFO((onDisk ? "disk, evicted" : "cached") << ", threads " << threads);
    DiskDir dir;
    auto pg = storage::makePosixStorage(dir.path(), {});

    const std::string big = patternData(3 * 1024 * 1024 + 123, 1);     // hashed from a mapping when cached
    const std::string medium = patternData(300 * 1024, 2);
    const std::string small = patternData(5000, 3);
    std::string changedLate = big;
    changedLate[big.size() - 1] ^= 1;  // only the last byte differs
    std::string changedEarly = medium;
    changedEarly[0] ^= 1;
    const std::vector<Case> cases = {
        {"same-big", big, big, true},
        {"same-medium", medium, medium, true},
        {"same-small", small, small, true},
        {"last-byte", big, changedLate, false},
        {"first-byte", medium, changedEarly, false},
        {"shorter", big, big.substr(0, big.size() - 4096), false},
        {"grown", medium, medium + patternData(70000, 4), true},
        {"missing", big, std::nullopt, false},
        {"empty", "", "", true},
    };
    std::vector<DeltaCheck> checks;
    for (const Case& c : cases) {
        if (c.existing) {
            putFile(*pg, c.name, *c.existing, kMtime, 0600);
            if (onDisk) evict(dir.path() + "/" + c.name);
        }
        checks.push_back({dir.path(), {.pgPath = c.name, .size = c.manifest.size(), .sha1 = sha1Of(c.manifest),
                                       .mtime = kMtime, .mode = 0600, .delta = RestoreDelta::Checksum}});
    }
    if (onDisk) {
        // The premise of the case: the large files are not in the page cache any more.
        const int fd = ::open((dir.path() + "/same-big").c_str(), O_RDONLY);
        const bool cached = storage::mostlyCached(fd, 0, big.size());
        ::close(fd);
        if (cached) WARN("the file system kept the evicted file cached; the O_DIRECT path is not exercised");
    }

    const auto results = checkExisting(checks, threads);
    REQUIRE(results.size() == cases.size());
    for (std::size_t i = 0; i < cases.size(); i++) {
        INFO(cases[i].name);
        CHECK(results[i].has_value() == cases[i].kept);
        if (results[i]) CHECK(results[i]->result == RestoreCopyResult::Kept);
    }
    // The grown file was cut back to the backed-up size, so it now matches the manifest exactly.
    CHECK(results[6]->truncated);
    CHECK(test::getFile(*pg, "grown") == medium);
    // Files that differ are left alone: the workers rewrite them.
    CHECK(test::getFile(*pg, "last-byte") == changedLate);
}

TEST_CASE("checkExisting with force trusts size and mtime without reading", "[unit][filejob]") {
    DiskDir dir;
    auto pg = storage::makePosixStorage(dir.path(), {});
    const std::string data = patternData(400 * 1024, 5);
    putFile(*pg, "old", std::string(data.size(), 'q'), kMtime, 0600);    // other bytes, same size and mtime
    putFile(*pg, "newer", data, kMtime + 1, 0600);                         // same bytes, other mtime
    std::vector<DeltaCheck> checks;
    for (const char* name : {"old", "newer"})
        checks.push_back({dir.path(), {.pgPath = name, .size = data.size(), .sha1 = sha1Of(data), .mtime = kMtime,
                                       .mode = 0600, .delta = RestoreDelta::Timestamp, .copyStartTime = kMtime + 100}});
    const auto results = checkExisting(checks, 2);
    CHECK(results[0].has_value());
    CHECK_FALSE(results[1].has_value());
}

TEST_CASE("checkExisting of nothing returns nothing", "[unit][filejob]") {
    CHECK(checkExisting({}, 2).empty());
}
