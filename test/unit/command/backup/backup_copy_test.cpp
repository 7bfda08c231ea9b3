// The copy phase of a backup on a pool of in-process workers running the real backup handler
// over real pipes, with POSIX storages: small files packed into numbered bundles, larger ones
// stored on their own, a vanished file dropped, the manifest filled from the replies (only by the
// parent), largest job first, progress up to 100% and periodic manifest saves; and a resumed run
// that keeps the intact copies of an interrupted one; which large files carry the groups of
// small files on an object store, and that a held file carries none.
#include "command/backup/backup_copy.h"

#include <functional>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "command/backup/file_job.h"
#include "command/backup/file_job_protocol.h"
#include "common/crypto/hash.h"
#include "common/log.h"
#include "fake/fake_clock.h"
#include "protocol/in_process_channel.h"
#include "unit/command/backup/file_job_test_util.h"

using namespace pgark;
using namespace pgark::command::backup;
using test::getFile;
using test::putFile;

namespace {

std::string sha1(std::string_view data) {
    crypto::Sha1Hasher hasher;
    hasher.update(io::asBytes(data));
    return hasher.finalHex();
}

// Detail lines (what log-level-console=detail shows), for the life of the object.
struct LogCapture {
    std::vector<std::string> lines;
    LogCapture() {
        log::init(log::Settings{.console = log::Level::Detail, .timestamp = false});
        log::setTestSink([this](std::string_view line) { lines.emplace_back(line); });
    }
    ~LogCapture() {
        log::setTestSink(nullptr);
        log::init(log::Settings{});
    }
};

struct Fixture {
    test::ShmDir dir;
    storage::StorageSpec pgSpec{.type = "posix", .fields = {{"path", dir.sub("pg")}}};
    storage::StorageSpec repoSpec{.type = "posix", .fields = {{"path", dir.sub("repo")}}};
    std::unique_ptr<storage::Storage> pg = storage::makeStorage(pgSpec);
    std::unique_ptr<storage::Storage> repo = storage::makeStorage(repoSpec);
    std::map<std::string, std::string> content;  // manifest name -> bytes in PGDATA
    unsigned poolSize = 0;
    std::vector<double> progress;
    unsigned saves = 0;

    info::Manifest manifest(const std::vector<std::pair<std::string, std::size_t>>& files, std::string_view missing) {
        info::Manifest result;
        result.pathAdd(info::ManifestPath{.name = "pg_data", .mode = 0700});
        for (const auto& [name, size] : files) {
            std::string bytes(size, static_cast<char>('a' + name.size() % 26));
            if (size > 0) bytes[0] = static_cast<char>(name.back());
            content[name] = bytes;
            putFile(*pg, name.substr(8), bytes, 100);
            result.fileAdd(info::ManifestFile{.name = name, .size = size, .sizeRepo = size, .timestamp = 100, .mode = 0600});
        }
        result.fileAdd(info::ManifestFile{.name = std::string(missing), .size = 10, .sizeRepo = 10, .timestamp = 100, .mode = 0600});
        result.data().compressType = compress::CompressType::Lz4;
        result.data().cipherPass = "file-pass";
        result.setLabel("20261204-100000F");
        return result;
    }

    CopyOptions options(bool bundle) const {
        return CopyOptions{.stanza = "main",
                           .compressLevel = 1,
                           .processMax = 2,
                           .bundle = bundle,
                           .bundleSize = 10000,
                           .bundleLimit = 8192,
                           .manifestSaveThreshold = 1,
                           .repo = repoSpec,
                           .pg = pgSpec};
    }

    CopyHooks hooks() {
        return CopyHooks{
            .startPool =
                [this](unsigned workers) {
                    poolSize = workers;
                    std::vector<std::unique_ptr<protocol::WorkerChannel>> channels;
                    for (unsigned i = 0; i < workers; ++i)
                        channels.push_back(std::make_unique<protocol::InProcessChannel>(
                            std::vector<protocol::HandlerEntry>{backupFileHandler()}, protocol::ServeOptions{},
                            "worker " + std::to_string(i + 1)));
                    return protocol::WorkerPool(std::move(channels), std::chrono::seconds(30));
                },
            .saveManifest = [this] { ++saves; },
            .progress = [this](double percent) { progress.push_back(percent); },
        };
    }
};

// A fake clock that calls onFirstSleep before its first sleep: what was done before a wait.
struct ObservingClock final : Clock {
    test::FakeClock fake;
    std::function<void()> onFirstSleep;
    explicit ObservingClock(std::chrono::system_clock::time_point start = {}) : fake(start) {}
    std::chrono::system_clock::time_point now() override { return fake.now(); }
    void sleep(std::chrono::milliseconds duration) override {
        if (onFirstSleep && fake.sleepCount() == 0) onFirstSleep();
        fake.sleep(duration);
    }
};

const std::vector<std::pair<std::string, std::size_t>> kFiles = {
    {"pg_data/base/1/zbig", 100000}, {"pg_data/base/1/ymid", 20000}, {"pg_data/base/1/s1", 6000},
    {"pg_data/base/1/s2", 5000},    {"pg_data/base/1/s3", 3000},   {"pg_data/base/1/s4", 7000}};

// The first three letters of each file name in "backup file" lines, in the order they were logged.
std::vector<std::string> storedOrder(const LogCapture& log) {
    std::vector<std::string> stored;
    for (const std::string& line : log.lines)
        if (line.find("backup file ") != std::string::npos) stored.push_back(line.substr(line.find("/base/1/") + 8, 3));
    return stored;
}

// Gives the named files of `manifest` a new timestamp (changed lately, in the held tests).
void touch(info::Manifest& manifest, const std::vector<std::pair<std::string, std::int64_t>>& timestamps) {
    for (const auto& [name, timestamp] : timestamps) {
        info::ManifestFile file = *manifest.file(name);
        manifest.fileRemove(name);
        file.timestamp = timestamp;
        manifest.fileAdd(file);
    }
}

// One worker (the job order is the store order); files from second 199 on wait for second 201.
CopyOptions holdingOptions(const Fixture& f) {
    CopyOptions options = f.options(true);
    options.processMax = 1;
    options.holdFrom = 199;
    options.copyStart = 201;
    return options;
}

// Runs copyFiles on `clock`; returns, for each file of the fixture, whether it was stored by the
// time the copy first waited (all of them when it never waited).
std::map<std::string, bool> copyObservingWait(Fixture& f, info::Manifest& manifest, const CopyOptions& options,
                                              ObservingClock& clock) {
    std::map<std::string, bool> copiedAtWait;
    const auto observe = [&] {
        for (const auto& [name, bytes] : f.content) copiedAtWait[name] = !manifest.file(name)->checksum.empty();
    };
    clock.onFirstSleep = observe;
    CopyHooks hooks = f.hooks();
    hooks.clock = &clock;
    copyFiles(manifest, *f.pg, options, hooks);
    if (clock.fake.sleepCount() == 0) observe();
    return copiedAtWait;
}

}  // namespace

TEST_CASE("copyFiles packs small files into bundles and stores the rest on their own", "[unit][backup]") {
    const unsigned processMax = GENERATE(1u, 2u);
    Fixture f;
    info::Manifest manifest = f.manifest(kFiles, "pg_data/base/1/vanished");
    LogCapture log;
    CopyOptions options = f.options(true);
    options.processMax = processMax;
    copyFiles(manifest, *f.pg, options, f.hooks());

    CHECK(f.poolSize == processMax);
    CHECK(manifest.file("pg_data/base/1/vanished") == nullptr);
    // Name order, closed at 10000 bytes: {s1, s2} then {s3, s4}; the vanished file went nowhere.
    const std::map<std::string, std::uint64_t> bundleOf = {{"pg_data/base/1/zbig", 0}, {"pg_data/base/1/ymid", 0},
                                                           {"pg_data/base/1/s1", 1},  {"pg_data/base/1/s2", 1},
                                                           {"pg_data/base/1/s3", 2},  {"pg_data/base/1/s4", 2}};
    for (const auto& [name, bundle] : bundleOf) {
        INFO(name);
        const info::ManifestFile& file = *manifest.file(name);
        CHECK(file.bundleId == bundle);
        CHECK(file.checksum == sha1(f.content[name]));
        CHECK_FALSE(file.repoChecksum.empty());
        const info::RepoFileLocation where = manifest.repoFileLocation("main", file);
        CHECK(sha1(getFile(*f.repo, where.path, where.offset, where.limit)) == file.repoChecksum);
    }
    CHECK(manifest.file("pg_data/base/1/s1")->bundleOffset == 0);
    CHECK(manifest.file("pg_data/base/1/s2")->bundleOffset == manifest.file("pg_data/base/1/s1")->sizeRepo);
    REQUIRE_FALSE(f.progress.empty());
    CHECK(f.progress.back() == Approx(100.0));
    CHECK(f.saves > 0);

    // Largest job first (one worker finishes them in the order they were handed out): zbig (100000),
    // ymid (20000), bundle 1 (11000), bundle 2 (10000).
    const std::vector<std::string> stored = storedOrder(log);
    REQUIRE(stored.size() == 6);
    if (processMax == 1) CHECK(stored == std::vector<std::string>{"zbi", "ymi", "s1 ", "s2 ", "s3 ", "s4 "});
}

TEST_CASE("copyFiles of a resumed backup keeps intact copies and replaces damaged ones", "[unit][backup]") {
    Fixture f;
    info::Manifest first = f.manifest(kFiles, "pg_data/base/1/vanished");
    copyFiles(first, *f.pg, f.options(false), f.hooks());
    // The interrupted run finished every file, then mid's copy was damaged.
    const info::ManifestFile big = *first.file("pg_data/base/1/zbig");
    const info::ManifestFile mid = *first.file("pg_data/base/1/ymid");
    putFile(*f.repo, "backup/main/20261204-100000F/pg_data/base/1/ymid.lz4", "damaged");

    info::Manifest again = f.manifest(kFiles, "pg_data/base/1/vanished2");
    const info::Manifest resumed = first;
    CopyOptions options = f.options(false);
    options.resumed = &resumed;
    CHECK(resumeCandidates(again, resumed) ==
          std::vector<std::string>{"pg_data/base/1/s1.lz4", "pg_data/base/1/s2.lz4", "pg_data/base/1/s3.lz4",
                                   "pg_data/base/1/s4.lz4", "pg_data/base/1/ymid.lz4", "pg_data/base/1/zbig.lz4"});
    LogCapture log;
    copyFiles(again, *f.pg, options, f.hooks());

    unsigned resumedLines = 0;
    for (const std::string& line : log.lines)
        if (line.find("checksum resumed file") != std::string::npos) ++resumedLines;
    CHECK(resumedLines == 5);  // all but the damaged mid
    CHECK(again.file("pg_data/base/1/zbig")->repoChecksum == big.repoChecksum);
    CHECK(again.file("pg_data/base/1/ymid")->checksum == mid.checksum);
    CHECK(sha1(getFile(*f.repo, "backup/main/20261204-100000F/pg_data/base/1/ymid.lz4")) ==
          again.file("pg_data/base/1/ymid")->repoChecksum);
}

TEST_CASE("groupHosts gives each worker's share of the small files to one of the largest files", "[unit][backup]") {
    using Hosts = std::vector<std::optional<std::size_t>>;
    // Two workers: the two largest files (9 at index 1, 7 at index 2) take the groups in turn.
    CHECK(groupHosts({5, 9, 7}, 5, 2) == Hosts{1, 2, 1, 2, 1});
    // One worker: every group rides along with the largest file.
    CHECK(groupHosts({5, 9, 7}, 3, 1) == Hosts{1, 1, 1});
    // Four workers, one large file: the other three shares stay jobs of their own, for the
    // workers that have no large file.
    CHECK(groupHosts({8}, 6, 4) == Hosts{0, std::nullopt, std::nullopt, std::nullopt, 0, std::nullopt});
    // No large file: every group is a job of its own.
    CHECK(groupHosts({}, 2, 2) == Hosts{std::nullopt, std::nullopt});
    CHECK(groupHosts({3, 4}, 0, 2).empty());
}

TEST_CASE("copyFiles holds the files changed lately until copyStart and copies the others first", "[unit][backup]") {
    Fixture f;
    info::Manifest manifest = f.manifest(kFiles, "pg_data/base/1/vanished");
    // Changed in the second of the walk and in the one before: held. The rest changed long ago.
    const std::set<std::string> held = {"pg_data/base/1/ymid", "pg_data/base/1/s2"};
    touch(manifest, {{"pg_data/base/1/ymid", 200}, {"pg_data/base/1/s2", 199}});
    // The clock reads 200.5 s: the held files wait half a second, in sleeps of the fake clock.
    ObservingClock clock(std::chrono::system_clock::time_point(std::chrono::milliseconds(200'500)));
    std::map<std::string, bool> copiedAtWait = copyObservingWait(f, manifest, holdingOptions(f), clock);

    REQUIRE(clock.fake.sleepCount() > 0);
    CHECK(clock.fake.now() >= std::chrono::system_clock::time_point(std::chrono::seconds(201)));
    CHECK(clock.fake.now() < std::chrono::system_clock::time_point(std::chrono::milliseconds(201'100)));
    for (const auto& [name, bytes] : f.content) {
        INFO(name);
        CHECK(copiedAtWait[name] == !held.contains(name));
        CHECK(manifest.file(name)->checksum == sha1(bytes));
    }
    // A held small file is stored on its own, not in a bundle.
    CHECK(manifest.file("pg_data/base/1/s2")->bundleId == 0);
    CHECK(manifest.file("pg_data/base/1/s1")->bundleId != 0);

    // Without holdFrom nothing waits.
    Fixture g;
    info::Manifest other = g.manifest(kFiles, "pg_data/base/1/vanished");
    CopyHooks otherHooks = g.hooks();
    ObservingClock otherClock;
    otherHooks.clock = &otherClock;
    copyFiles(other, *g.pg, g.options(true), otherHooks);
    CHECK(otherClock.fake.sleepCount() == 0);
}

TEST_CASE("copyFiles copies held files largest first once copyStart has passed", "[unit][backup]") {
    Fixture f;
    info::Manifest manifest = f.manifest(kFiles, "pg_data/base/1/vanished");
    touch(manifest, {{"pg_data/base/1/ymid", 200}, {"pg_data/base/1/s2", 200}});
    const CopyOptions options = holdingOptions(f);
    CopyHooks hooks = f.hooks();
    // The walk took long enough that copyStart is behind us when the copy begins.
    ObservingClock clock(std::chrono::system_clock::time_point(std::chrono::milliseconds(201'200)));
    hooks.clock = &clock;
    LogCapture log;
    copyFiles(manifest, *f.pg, options, hooks);

    CHECK(clock.fake.sleepCount() == 0);
    // One worker stores the jobs in the order they were handed out: the held ymid (20000) in its
    // place by size, not after the bundle of s1, s3 and s4 (16000); the held s2 on its own.
    const std::vector<std::string> stored = storedOrder(log);
    CHECK(stored == std::vector<std::string>{"zbi", "ymi", "s1 ", "s3 ", "s4 ", "s2 "});
    CHECK(manifest.file("pg_data/base/1/s2")->bundleId == 0);
}

TEST_CASE("copyFiles on an object store: a held file carries no group of small files", "[unit][backup]") {
    Fixture f;
    info::Manifest manifest = f.manifest(kFiles, "pg_data/base/1/vanished");
    // Every file is small enough for a group. The largest one changed lately and is held until
    // copyStart: were the groups to ride along with it, the largest file there is, they would
    // wait with it.
    const std::string held = "pg_data/base/1/zbig";
    touch(manifest, {{held, 200}});
    CopyOptions options = holdingOptions(f);
    options.bundle = false;
    options.groupSmallFiles = true;
    ObservingClock clock(std::chrono::system_clock::time_point(std::chrono::milliseconds(200'500)));
    std::map<std::string, bool> copiedAtWait = copyObservingWait(f, manifest, options, clock);

    REQUIRE(clock.fake.sleepCount() > 0);
    for (const auto& [name, bytes] : f.content) {
        INFO(name);
        CHECK(copiedAtWait[name] == (name != held));
        CHECK(manifest.file(name)->checksum == sha1(bytes));
        CHECK(manifest.file(name)->bundleId == 0);  // grouped files are stored each on its own
    }
}
