// The storage conformance suite against a real S3-compatible server over HTTPS (SigV4 checked).
// Hidden from the unit run (no network there): test/integration/s3_conformance.sh starts
// test/s3/s3-server.sh and runs these with "[s3-server]", passing the server in the environment:
//   PGARK_TEST_S3_PORT (required), PGARK_TEST_S3_CA (its certificate), PGARK_TEST_S3_BUCKET.
#include <unistd.h>

#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>

#include "common/error.h"
#include "common/io/stream.h"
#include "conformance/storage_suite.h"
#include "storage/s3/s3_storage.h"

namespace {

using namespace pgark;

std::string env(const char* name, const char* fallback = "") {
    const char* value = std::getenv(name);
    return value != nullptr && *value != '\0' ? value : fallback;
}

storage::S3Options serverOptions(const std::string& root) {
    const std::string port = env("PGARK_TEST_S3_PORT");
    if (port.empty()) FAIL("PGARK_TEST_S3_PORT is not set: run test/integration/s3_conformance.sh");
    storage::S3Options options;
    options.bucket = env("PGARK_TEST_S3_BUCKET", "pgark");
    options.endpoint = "localhost";
    options.region = "us-east-1";
    options.accessKey = "S3RVER";
    options.secretKey = env("PGARK_TEST_S3_SECRET", "S3RVER");
    options.pathStyle = true;
    options.port = static_cast<unsigned>(std::stoul(port));
    options.root = root;
    options.http.caFile = env("PGARK_TEST_S3_CA");
    // Small parts, so the suite's large file goes up as a multipart upload of several parts.
    options.uploadChunkSize = 1024 * 1024;
    return options;
}

// A fresh, empty root below the bucket for every storage the suite asks for.
std::string freshRoot() {
    static unsigned counter = 0;
    return "/conformance/" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
}

}  // namespace

TEST_CASE("S3Storage passes the storage conformance suite against a real S3 server", "[.][s3-server]") {
    test::StorageCapabilities caps;
    caps.modes = false;
    caps.mtime = false;
    caps.move = false;
    test::runStorageConformance([] { return storage::makeS3Storage(serverOptions(freshRoot())); }, caps);
}

TEST_CASE("S3Storage against a real S3 server: multipart, batch delete, paging, wrong secret", "[.][s3-server]") {
    auto s3 = storage::makeS3Storage(serverOptions(freshRoot()));

    SECTION("an aborted multipart upload leaves no object") {
        auto stream = s3->openWrite("big", {});
        const std::string part(1024 * 1024 + 17, 'x');
        stream->write(io::asBytes(part));
        stream->write(io::asBytes(part));  // the first part is uploaded now
        stream->abort();
        CHECK_FALSE(s3->info("big", storage::InfoLevel::Exists));
    }
    SECTION("a file larger than several read ranges reads back whole and in windows") {
        std::string content(21 * 1024 * 1024 + 333, '\0');
        std::uint32_t state = 7;
        for (char& c : content) c = static_cast<char>((state = state * 1'103'515'245U + 12'345U) >> 24);
        storage::writeText(*s3, "huge", content, {});
        auto stream = s3->openRead("huge", {});
        CHECK(io::readAll(*stream) == content);
        // A window that starts in the first range and ends in the third.
        const std::uint64_t offset = 4 * 1024 * 1024 - 5;
        auto window = s3->openRead("huge", {.offset = offset, .limit = 12 * 1024 * 1024 + 10});
        CHECK(io::readAll(*window) == content.substr(offset, 12 * 1024 * 1024 + 10));
    }
    SECTION("a recursive removal and a listing of more than 1000 keys (two pages, two delete batches)") {
        for (int i = 0; i < 1005; ++i) storage::writeText(*s3, "many/f" + std::to_string(i), "", {});
        storage::writeText(*s3, "keep", "k", {});
        unsigned count = 0;
        s3->list("many", {}, [&](const storage::FileInfo&) { ++count; });
        CHECK(count == 1005);
        s3->removePath("many", {.recurse = true});
        count = 0;
        s3->list("", {.recurse = true}, [&](const storage::FileInfo&) { ++count; });
        CHECK(count == 1);
    }
    SECTION("a wrong secret is refused with SignatureDoesNotMatch, and the secret is not in the message") {
        storage::S3Options options = serverOptions(freshRoot());
        options.secretKey = "not-the-secret-7f3a";
        options.retry.attempts = 1;
        auto wrong = storage::makeS3Storage(options);
        try {
            storage::writeText(*wrong, "file", "x", {});
            FAIL("a wrong secret was accepted");
        } catch (const Error& error) {
            CHECK(error.code() == ErrorCode::FileWrite);
            CHECK_THAT(error.message(), Catch::Contains("HTTP 403") && Catch::Contains("SignatureDoesNotMatch"));
            CHECK_THAT(error.what(), !Catch::Contains("not-the-secret-7f3a"));
            CHECK_THAT(error.hint(), Catch::Contains("repo-s3-key-secret"));
        }
    }
}
