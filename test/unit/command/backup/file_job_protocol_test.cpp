// The backup file job through a real worker loop (InProcessChannel: serve() on a thread over real
// pipes, the registered handler, POSIX storages reopened from their specs): a bundle job with a
// vanished file, a resumed file kept when intact and copied again when damaged, and job-retry of
// a file that cannot be read at first.
#include "command/backup/file_job_protocol.h"

#include <filesystem>
#include <functional>
#include <optional>

#include <catch2/catch.hpp>

#include "common/clock.h"
#include "common/crypto/hash.h"
#include "protocol/in_process_channel.h"
#include "protocol/pool.h"
#include "unit/command/backup/file_job_test_util.h"

using namespace pgark;
using namespace pgark::command::backup;
using test::getFile;
using test::putFile;

namespace {

// One job, run by one in-process worker with the backup handler.
class OneJob final : public protocol::JobSource {
public:
    explicit OneJob(protocol::Job job) : job_(std::move(job)) {}
    std::optional<protocol::Job> next(unsigned) override {
        auto job = std::move(job_);
        job_.reset();
        return job;
    }

private:
    std::optional<protocol::Job> job_;
};

// A clock whose retry wait runs a hook: the "moment later" in which a transient fault goes away.
class HookClock final : public Clock {
public:
    std::function<void()> onSleep;
    std::chrono::system_clock::time_point now() override { return std::chrono::system_clock::now(); }
    void sleep(std::chrono::milliseconds) override {
        if (onSleep) onSleep();
    }
};

struct Fixture {
    test::ShmDir dir;
    storage::StorageSpec pgSpec{.type = "posix", .fields = {{"path", dir.sub("pg")}}};
    storage::StorageSpec repoSpec{.type = "posix", .fields = {{"path", dir.sub("repo")}}};
    std::unique_ptr<storage::Storage> pg = storage::makeStorage(pgSpec);
    std::unique_ptr<storage::Storage> repo = storage::makeStorage(repoSpec);

    protocol::JobResult run(const BackupJob& job, unsigned jobRetry = 0, Clock* clock = nullptr) {
        std::vector<std::unique_ptr<protocol::WorkerChannel>> workers;
        workers.push_back(std::make_unique<protocol::InProcessChannel>(
            std::vector<protocol::HandlerEntry>{backupFileHandler()},
            protocol::ServeOptions{.jobRetry = jobRetry, .retryInterval = std::chrono::milliseconds(1), .clock = clock},
            "worker 1"));
        protocol::WorkerPool pool(std::move(workers), std::chrono::seconds(30));
        OneJob source(makeBackupFileJob("job", repoSpec, pgSpec, job));
        std::optional<protocol::JobResult> out;
        pool.run(source, [&](protocol::JobResult&& result) { out = std::move(result); });
        REQUIRE(out);
        return std::move(*out);
    }
};

BackupFileRequest fileRequest(const std::string& pgPath) {
    return BackupFileRequest{.pgPath = pgPath,
                             .repoPath = "backup/main/L/pg_data/" + pgPath + ".zst",
                             .compressType = compress::CompressType::Zst,
                             .compressLevel = 3,
                             .cipherPass = "file-pass",
                             .repoSyncPath = false};
}

std::string sha1(std::string_view data) {
    crypto::Sha1Hasher hasher;
    hasher.update(io::asBytes(data));
    return hasher.finalHex();
}

}  // namespace

TEST_CASE("backup file job: a bundle through a worker, with a file that vanished", "[unit][filejob]") {
    Fixture f;
    putFile(*f.pg, "base/1/1", std::string(20000, 'a'));
    putFile(*f.pg, "base/1/3", std::string(300, 'c'));
    BackupJob job{.files = {fileRequest("base/1/1"), fileRequest("base/1/2"), fileRequest("base/1/3")},
                  .bundlePath = "backup/main/L/bundle/1"};
    const auto results = readBackupFileResults(f.run(job));
    REQUIRE(results.size() == 3);
    CHECK(results[0].result == BackupCopyResult::Copied);
    CHECK(results[0].bundleOffset == 0u);
    CHECK(results[1].result == BackupCopyResult::Missing);
    CHECK(results[2].result == BackupCopyResult::Copied);
    CHECK(results[2].bundleOffset == results[0].sizeRepo);
    const std::string bundle = getFile(*f.repo, "backup/main/L/bundle/1");
    CHECK(bundle.size() == results[0].sizeRepo + results[2].sizeRepo);
    CHECK(sha1(bundle.substr(0, results[0].sizeRepo)) == results[0].rck);

    // Nothing left to store: no empty bundle file.
    BackupJob gone{.files = {fileRequest("base/1/2")}, .bundlePath = "backup/main/L/bundle/2"};
    CHECK(readBackupFileResults(f.run(gone))[0].result == BackupCopyResult::Missing);
    CHECK_FALSE(f.repo->info("backup/main/L/bundle/2", storage::InfoLevel::Exists));
}

TEST_CASE("backup file job: resume keeps an intact repository file and replaces a damaged one", "[unit][filejob]") {
    Fixture f;
    putFile(*f.pg, "base/1/1", std::string(50000, 'x'));
    const BackupFileResult first = readBackupFileResults(f.run({.files = {fileRequest("base/1/1")}}))[0];
    REQUIRE(first.result == BackupCopyResult::Copied);
    REQUIRE(first.rck);

    BackupFileRequest again = fileRequest("base/1/1");
    again.resume = PriorFile{*first.rck, first.sizeRepo};
    CHECK(readBackupFileResults(f.run({.files = {again}}))[0].result == BackupCopyResult::Resumed);

    // A torn or altered copy is stored again, from PGDATA.
    putFile(*f.repo, again.repoPath, std::string(first.sizeRepo, 'z'));
    const BackupFileResult redone = readBackupFileResults(f.run({.files = {again}}))[0];
    CHECK(redone.result == BackupCopyResult::Copied);
    CHECK(redone.sha1 == first.sha1);
    CHECK(sha1(getFile(*f.repo, again.repoPath)) == redone.rck);

    // Gone from the repository: copied.
    f.repo->remove(again.repoPath, {});
    CHECK(readBackupFileResults(f.run({.files = {again}}))[0].result == BackupCopyResult::Copied);
}

TEST_CASE("backup file job: job-retry retries a file that cannot be read at first", "[unit][filejob]") {
    Fixture f;
    // A directory where the file should be: opening works, reading fails (EISDIR), every attempt.
    std::filesystem::create_directories(f.dir.sub("pg/base/1/1"));
    BackupJob job{.files = {fileRequest("base/1/1")}};

    const protocol::JobResult failed = f.run(job, 0);
    REQUIRE_FALSE(failed.ok());
    CHECK(failed.error()->retryable);

    // With retries, the fault is gone by the second wait between attempts.
    HookClock clock;
    clock.onSleep = [&] {
        std::filesystem::remove(f.dir.sub("pg/base/1/1"));
        putFile(*f.pg, "base/1/1", "now a file");
    };
    const protocol::JobResult retried = f.run(job, 2, &clock);
    REQUIRE(retried.ok());
    const BackupFileResult result = readBackupFileResults(retried)[0];
    CHECK(result.result == BackupCopyResult::Copied);
    CHECK(result.sha1 == sha1("now a file"));
}
