// A group of small files stored on their own in an S3 repository (what the backup makes of small
// files on an object store, backup_copy.cpp): the worker stores several at once, each request on
// a transport of its own, with the same per-file results, in request order, as one file at a time
// gives; a PUT that is refused fails the job with an error naming the file and leaves no object of
// it; a PUT answered 503 is retried as any S3 request.
#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>

#include <catch2/catch.hpp>

#include "command/backup/file_job_protocol.h"
#include "common/error.h"
#include "storage/s3/s3_storage.h"
#include "unit/command/backup/file_job_test_util.h"
#include "unit/thrown.h"

using namespace pgark;
using namespace pgark::command::backup;
using test::putFile;

namespace {

// An S3 server in memory that many transports may call at once: a PUT stores its body under the
// URL's path, unless the path contains `refuse` (403 AccessDenied) or it is one of the first
// `unavailable` PUTs of a path containing `busy` (503 SlowDown). Each request takes a few
// milliseconds, so requests that can overlap do; the most at once is recorded.
struct MemS3 {
    std::mutex mutex;
    std::map<std::string, std::string> objects;  // URL path -> body
    std::string refuse;
    std::string busy;
    int unavailable = 0;
    int inFlight = 0;
    int maxInFlight = 0;
    int transports = 0;
};

class MemS3Transport final : public http::HttpTransport {
public:
    explicit MemS3Transport(MemS3& s3) : s3_(s3) {}

    http::HttpResponse perform(const http::HttpRequest& request) override {
        {
            const std::lock_guard lock(s3_.mutex);
            s3_.maxInFlight = std::max(s3_.maxInFlight, ++s3_.inFlight);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        const std::lock_guard lock(s3_.mutex);
        --s3_.inFlight;
        const std::string path = request.url.substr(request.url.find('/', std::string("https://").size()));
        http::HttpResponse response;
        if (request.method != "PUT") {
            response.status = 404;
        } else if (!s3_.refuse.empty() && path.find(s3_.refuse) != std::string::npos) {
            response.status = 403;
            response.body = "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>";
        } else if (!s3_.busy.empty() && path.find(s3_.busy) != std::string::npos && s3_.unavailable > 0) {
            --s3_.unavailable;
            response.status = 503;
            response.body = "<Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message></Error>";
        } else {
            s3_.objects[path] = std::string(request.body);
            response.status = 200;
            response.headers.emplace_back("etag", "\"x\"");
        }
        return response;
    }

private:
    MemS3& s3_;
};

struct Fixture {
    test::ShmDir dir;
    std::unique_ptr<storage::Storage> pg = storage::makePosixStorage(dir.sub("pg"), {});
    std::unique_ptr<storage::Storage> posixRepo = storage::makePosixStorage(dir.sub("repo"), {});
    MemS3 s3;
    std::unique_ptr<storage::Storage> repo;
    std::vector<BackupFileRequest> files;

    Fixture() {
        storage::S3Options options;
        options.bucket = "bucket";
        options.endpoint = "s3.example.com";
        options.region = "eu-west-1";
        options.accessKey = "AKIDEXAMPLE";
        options.secretKey = "secret";
        options.pathStyle = true;
        options.root = "/repo";
        options.retry.initialDelay = std::chrono::milliseconds(1);
        options.transportFactory = [this] {
            const std::lock_guard lock(s3.mutex);
            ++s3.transports;
            return std::make_shared<MemS3Transport>(s3);
        };
        repo = storage::makeS3Storage(std::move(options));
        for (int i = 0; i < 12; ++i) {
            const std::string name = "base/1/f" + std::to_string(i);
            putFile(*pg, name, test::patternData(static_cast<std::size_t>(i) * 3000, static_cast<std::uint32_t>(i)));
            files.push_back(BackupFileRequest{.pgPath = name,
                                              .repoPath = "backup/main/L/pg_data/" + name + ".lz4",
                                              .compressType = compress::CompressType::Lz4,
                                              .compressLevel = 1,
                                              .repoSyncPath = false});
        }
    }

    std::string object(const BackupFileRequest& request) {
        const std::lock_guard lock(s3.mutex);
        const auto found = s3.objects.find("/bucket/repo/" + request.repoPath);
        return found == s3.objects.end() ? std::string("<none>") : found->second;
    }
};

}  // namespace

TEST_CASE("backup file group on S3: several PUTs at once, the same results as one at a time", "[unit][filejob]") {
    Fixture f;
    const std::vector<BackupFileResult> results = runBackupJob(*f.pg, *f.repo, BackupJob{.files = f.files});
    REQUIRE(results.size() == f.files.size());
    for (std::size_t i = 0; i < f.files.size(); ++i) {
        INFO(f.files[i].pgPath);
        // One at a time into a POSIX repository: the reference.
        const BackupFileResult one = backupFile(*f.pg, *f.posixRepo, f.files[i]);
        CHECK(results[i].result == BackupCopyResult::Copied);
        CHECK(results[i].size == one.size);
        CHECK(results[i].sha1 == one.sha1);
        CHECK(results[i].sizeRepo == one.sizeRepo);
        CHECK(results[i].rck == one.rck);
        CHECK(f.object(f.files[i]) == test::getFile(*f.posixRepo, f.files[i].repoPath));
    }
    // Requests overlapped, each on a transport of its own, and no more than a few at once.
    CHECK(f.s3.maxInFlight > 1);
    CHECK(f.s3.maxInFlight <= 4);
    CHECK(f.s3.transports == f.s3.maxInFlight);
}

TEST_CASE("backup file group on S3: a refused PUT fails the job naming the file, a 503 is retried", "[unit][filejob]") {
    Fixture f;
    f.s3.refuse = "/pg_data/base/1/f5.lz4";
    const Error error = test::thrown([&] { (void)runBackupJob(*f.pg, *f.repo, BackupJob{.files = f.files}); });
    CHECK(error.code() == ErrorCode::FileWrite);
    CHECK_THAT(error.message(), Catch::StartsWith("file '" + f.pg->describe("base/1/f5") + "': unable to write file '"));
    CHECK_THAT(error.message(), Catch::Contains("HTTP 403") && Catch::Contains("AccessDenied"));
    CHECK(f.object(f.files[5]) == "<none>");

    f.s3.refuse.clear();
    f.s3.busy = "/pg_data/base/1/f7.lz4";
    f.s3.unavailable = 2;
    const std::vector<BackupFileResult> results = runBackupJob(*f.pg, *f.repo, BackupJob{.files = f.files});
    CHECK(f.s3.unavailable == 0);
    CHECK(results[7].result == BackupCopyResult::Copied);
    CHECK(results[7].sha1 == backupFile(*f.pg, *f.posixRepo, f.files[7]).sha1);
    CHECK(f.object(f.files[7]) == test::getFile(*f.posixRepo, f.files[7].repoPath));
}
