// S3Storage over a scripted transport: request layout (keys, URL styles, signing headers), retries
// with back-off on 5xx/SlowDown/network errors but never on 4xx, error messages that name the
// request, status and S3 code without credentials, and multipart upload abort on failure.
// The driver against a real server: s3_server_test.cpp.
#include <catch2/catch.hpp>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/crypto/content_digests.h"
#include "common/error.h"
#include "common/io/stream.h"
#include "common/log.h"
#include "fake/fake_clock.h"
#include "fake/scripted_http.h"
#include "storage/s3/s3_auth.h"
#include "storage/s3/s3_storage.h"

namespace {

using namespace pgark;

constexpr const char* kSecret = "very-secret-key-0123";

struct Fixture {
    std::shared_ptr<test::ScriptedHttp> http = std::make_shared<test::ScriptedHttp>();
    test::FakeClock clock;
    std::vector<std::string> logged;

    Fixture() {
        log::Settings settings;
        settings.console = log::Level::Detail;
        settings.timestamp = false;
        log::init(settings);
        log::setTestSink([this](std::string_view line) { logged.emplace_back(line); });
    }
    ~Fixture() {
        log::setTestSink(nullptr);
        log::init({});
    }

    // A bucket, endpoint, region and key pair, and this fixture's clock; no transport yet.
    storage::S3Options baseOptions() {
        storage::S3Options options;
        options.bucket = "bucket";
        options.endpoint = "s3.example.com";
        options.region = "eu-west-1";
        options.accessKey = "AKIDEXAMPLE";
        options.secretKey = kSecret;
        options.clock = &clock;
        return options;
    }

    std::unique_ptr<storage::Storage> make(bool pathStyle = true, std::size_t chunk = 5 * 1024 * 1024,
                                           std::shared_ptr<http::HttpTransport> transport = nullptr) {
        storage::S3Options options = baseOptions();
        options.securityToken = "session-token";
        options.pathStyle = pathStyle;
        options.root = "/pgbackrest";
        options.uploadChunkSize = chunk;
        // An injected transport takes one request at a time; a factory's may take several at once.
        if (transport) options.transportFactory = [transport] { return transport; };
        else options.transport = http;
        return storage::makeS3Storage(options);
    }
};

// Passes requests on to the script, but holds part 1 until part 2 has been sent (at most 10 s):
// part 1 gets its reply only if both parts were in flight at once.
class PartOverlapProbe final : public http::HttpTransport {
public:
    explicit PartOverlapProbe(std::shared_ptr<test::ScriptedHttp> script) : script_(std::move(script)) {}
    http::HttpResponse perform(const http::HttpRequest& request) override {
        if (request.url.find("partNumber=1&") != std::string::npos) {
            std::unique_lock lock(mutex_);
            overlapped_ = arrived_.wait_for(lock, std::chrono::seconds(10), [this] { return part2Sent_; });
        } else if (request.url.find("partNumber=2&") != std::string::npos) {
            const std::lock_guard lock(mutex_);
            part2Sent_ = true;
            arrived_.notify_all();
        }
        return script_->perform(request);
    }
    bool overlapped() {
        const std::lock_guard lock(mutex_);
        return overlapped_;
    }

private:
    std::shared_ptr<test::ScriptedHttp> script_;
    std::mutex mutex_;
    std::condition_variable arrived_;
    bool part2Sent_ = false;
    bool overlapped_ = false;
};

std::string errorXml(const std::string& code, const std::string& message) {
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + code + "</Code><Message>" + message +
           "</Message></Error>";
}

template <class F>
ErrorCode thrown_code(F&& call) {
    try {
        call();
    } catch (const Error& error) {
        return error.code();
    }
    return ErrorCode::Assert;
}

}  // namespace

TEST_CASE("S3Storage lays out keys and signs requests as S3 expects", "[unit][s3]") {
    Fixture f;
    SECTION("path style: /bucket/<repo-path>/<file>, with SigV4 and the session token") {
        auto s3 = f.make(true);
        f.http->reply(200);
        storage::writeText(*s3, "/archive/main/archive.info", "text", {});
        const auto& request = f.http->requests().at(0);
        CHECK(request.method == "PUT");
        CHECK(request.url == "https://s3.example.com/bucket/pgbackrest/archive/main/archive.info");
        CHECK(request.header("host") == "s3.example.com");
        CHECK(request.header("x-amz-security-token") == "session-token");
        CHECK(request.header("x-amz-date") == "20231114T221320Z");
        CHECK_THAT(request.header("authorization"),
                   Catch::StartsWith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20231114/eu-west-1/s3/aws4_request,"));
        CHECK(request.body == "text");
        for (const auto& [name, value] : request.headers) CHECK_THAT(value, !Catch::Contains(kSecret));
    }
    SECTION("with a KMS key, new objects ask for SSE-KMS (signed)") {
        storage::S3Options options = f.baseOptions();
        options.kmsKeyId = "arn:aws:kms:eu-west-1:111122223333:key/abcd";
        options.transport = f.http;
        auto s3 = storage::makeS3Storage(options);
        f.http->reply(200);
        storage::writeText(*s3, "file", "x", {});
        const auto& request = f.http->requests().at(0);
        CHECK(request.header("x-amz-server-side-encryption") == "aws:kms");
        CHECK(request.header("x-amz-server-side-encryption-aws-kms-key-id") == options.kmsKeyId);
        CHECK_THAT(request.header("authorization"), Catch::Contains("x-amz-server-side-encryption;x-amz-server-side-encryption-aws-kms-key-id"));
    }
    SECTION("an upload's payload goes unsigned over verified TLS, signed without the verification") {
        const std::string sha256OfText = "982d9e3eb996f559e633f4d194def3761d909f5a3b647d1a851fead67c32c9d1";  // "text"
        const std::string sha256OfNothing = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        for (const bool verifyTls : {true, false}) {
            INFO("verifyTls " << verifyTls);
            storage::S3Options options = f.baseOptions();
            options.http.verifyTls = verifyTls;
            auto http = std::make_shared<test::ScriptedHttp>();
            options.transport = http;
            auto s3 = storage::makeS3Storage(options);
            http->reply(200).reply(404);
            storage::writeText(*s3, "file", "text", {});
            CHECK_FALSE(s3->info("other", storage::InfoLevel::Basic));
            const auto& put = http->requests().at(0);
            // The MD5 S3 checks the body against is signed either way.
            CHECK(put.header("content-md5") == storage::s3::md5Base64("text"));
            CHECK_THAT(put.header("authorization"), Catch::Contains("content-md5;"));
            CHECK(put.header("x-amz-content-sha256") == (verifyTls ? "UNSIGNED-PAYLOAD" : sha256OfText));
            // A request without a body signs the empty payload's hash.
            CHECK(http->requests().at(1).header("x-amz-content-sha256") == sha256OfNothing);
        }
    }
    SECTION("host style: the bucket in the host name") {
        auto s3 = f.make(false);
        f.http->reply(404);
        CHECK_FALSE(s3->info("backup/main/backup.info", storage::InfoLevel::Basic));
        CHECK(f.http->requests().at(0).url == "https://bucket.s3.example.com/pgbackrest/backup/main/backup.info");
        CHECK(f.http->requests().at(0).method == "HEAD");
    }
    SECTION("a listing asks for the prefix below the repository path, one level with a delimiter") {
        auto s3 = f.make(true);
        f.http->reply(200,
                      "<ListBucketResult><IsTruncated>false</IsTruncated>"
                      "<Contents><Key>pgbackrest/archive/main/archive.info</Key><Size>12</Size>"
                      "<LastModified>2026-12-04T17:30:00.000Z</LastModified></Contents>"
                      "<CommonPrefixes><Prefix>pgbackrest/archive/main/15-1/</Prefix></CommonPrefixes>"
                      "</ListBucketResult>");
        std::vector<storage::FileInfo> entries;
        s3->list("archive/main", {}, [&](const storage::FileInfo& entry) { entries.push_back(entry); });
        CHECK(f.http->requests().at(0).url ==
              "https://s3.example.com/bucket/?delimiter=%2F&list-type=2&prefix=pgbackrest%2Farchive%2Fmain%2F");
        REQUIRE(entries.size() == 2);
        CHECK(entries[0].name == "archive.info");
        CHECK(entries[0].size == 12);
        CHECK(entries[0].mtime == 1'796'405'400);
        CHECK(entries[1].name == "15-1");
        CHECK(entries[1].type == storage::FileType::Path);
    }
}

TEST_CASE("S3Storage retries 5xx, SlowDown and network errors with growing delays", "[unit][s3]") {
    Fixture f;
    auto s3 = f.make();
    SECTION("503 SlowDown twice, then success") {
        f.http->reply(503, errorXml("SlowDown", "Please reduce your request rate."))
            .reply(503, errorXml("SlowDown", "Please reduce your request rate."))
            .reply(200);
        storage::writeText(*s3, "file", "x", {});
        CHECK(f.http->requests().size() == 3);
        CHECK(f.clock.sleepCount() == 2);
        // Jitter keeps each delay within [half, all] of 100 ms, then 200 ms.
        CHECK(f.clock.slept() >= std::chrono::milliseconds(150));
        CHECK(f.clock.slept() <= std::chrono::milliseconds(300));
        REQUIRE(f.logged.size() == 2);
        CHECK_THAT(f.logged[0], Catch::StartsWith("DETAIL: retry 1/4 of PUT /bucket/pgbackrest/file in "));
        CHECK_THAT(f.logged[0], Catch::EndsWith("after: HTTP 503"));
    }
    SECTION("a connection reset, then success") {
        f.http->fail(Error(ErrorCode::HostConnect, "HTTP request failed: Connection reset by peer", Retry::Yes)).reply(200);
        storage::writeText(*s3, "file", "x", {});
        CHECK(f.http->requests().size() == 2);
    }
    SECTION("500 on every try: the error names the request, status and S3 code") {
        for (int i = 0; i < 5; ++i) f.http->reply(500, errorXml("InternalError", "We encountered an internal error."));
        try {
            storage::writeText(*s3, "dir/file", "x", {});
            FAIL("no error");
        } catch (const Error& error) {
            CHECK(error.code() == ErrorCode::FileWrite);
            CHECK(error.message() ==
                  "unable to write file '/pgbackrest/dir/file': S3 request PUT /bucket/pgbackrest/dir/file failed: "
                  "HTTP 500: InternalError: We encountered an internal error.");
        }
        CHECK(f.http->requests().size() == 5);
        CHECK(f.clock.sleepCount() == 4);
    }
    SECTION("4xx is never retried, and the secret appears nowhere") {
        f.http->reply(403, errorXml("SignatureDoesNotMatch", "The request signature we calculated does not match."));
        try {
            (void)s3->openRead("file", {});
            FAIL("no error");
        } catch (const Error& error) {
            CHECK(error.code() == ErrorCode::FileRead);
            CHECK_THAT(error.message(), Catch::Contains("HTTP 403: SignatureDoesNotMatch"));
            CHECK_THAT(error.what(), !Catch::Contains(kSecret));
            CHECK_THAT(error.hint(), Catch::Contains("repo-s3-key-secret"));
        }
        CHECK(f.http->requests().size() == 1);
        CHECK(f.clock.sleepCount() == 0);
    }
}

TEST_CASE("S3Storage uploads large files in parts and aborts a failed upload", "[unit][s3]") {
    Fixture f;
    auto s3 = f.make(true, 4);
    const std::string initiated = "<InitiateMultipartUploadResult><UploadId>UP1</UploadId></InitiateMultipartUploadResult>";
    // Two parts are in flight at once, on threads of their own: replies go by part number.
    SECTION("parts, then completion naming each part's ETag in part order") {
        f.http->reply(200, initiated)
            .replyTo("partNumber=1&", 200, "", {{"etag", "\"e1\""}})
            .replyTo("partNumber=2&", 200, "", {{"etag", "\"e2\""}})
            .replyTo("partNumber=3&", 200, "", {{"etag", "\"e3\""}})
            .reply(200, "<CompleteMultipartUploadResult/>");
        storage::writeText(*s3, "big", "0123456789", {});
        const auto& requests = f.http->requests();
        REQUIRE(requests.size() == 5);
        CHECK(requests[0].url == "https://s3.example.com/bucket/pgbackrest/big?uploads=");
        CHECK(f.http->request("partNumber=1&").url == "https://s3.example.com/bucket/pgbackrest/big?partNumber=1&uploadId=UP1");
        CHECK(f.http->request("partNumber=1&").body == "0123");
        CHECK(f.http->request("partNumber=2&").body == "4567");
        CHECK(f.http->request("partNumber=3&").body == "89");
        CHECK(requests[4].method == "POST");
        CHECK(requests[4].body ==
              "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&quot;e1&quot;</ETag></Part>"
              "<Part><PartNumber>2</PartNumber><ETag>&quot;e2&quot;</ETag></Part>"
              "<Part><PartNumber>3</PartNumber><ETag>&quot;e3&quot;</ETag></Part></CompleteMultipartUpload>");
    }
    SECTION("part 2 goes up while part 1 waits for its reply") {
        const auto probe = std::make_shared<PartOverlapProbe>(f.http);
        auto probed = f.make(true, 4, probe);
        f.http->reply(200, initiated)
            .replyTo("partNumber=1&", 200, "", {{"etag", "\"e1\""}})
            .replyTo("partNumber=2&", 200, "", {{"etag", "\"e2\""}})
            .reply(200, "<CompleteMultipartUploadResult/>");
        storage::writeText(*probed, "big", "012345", {});
        CHECK(probe->overlapped());
        CHECK(f.http->finished());
    }
    SECTION("a file whose size is announced is one PUT, even above the chunk size") {
        f.http->reply(200);
        auto stream = s3->openWrite("seg", {.sizeHint = 8});
        stream->write(io::asBytes("01234"));
        stream->write(io::asBytes("56789"));  // two bytes more than announced: still one PUT
        stream->commit();
        REQUIRE(f.http->requests().size() == 1);
        CHECK(f.http->requests()[0].method == "PUT");
        CHECK(f.http->requests()[0].body == "0123456789");
    }
    SECTION("a one-request upload sends the caller's digest of its body, and hashes it when it does not fit") {
        crypto::ContentDigests given{.size = 10, .md5Base64 = "given-md5"};
        f.http->reply(200).reply(200);
        storage::writeText(*s3, "seg", "0123456789", {.sizeHint = 10, .digests = given});
        const auto& sent = f.http->requests()[0];
        CHECK(sent.header("content-md5") == "given-md5");
        // Over verified TLS the body is not hashed again for the signature: S3 checks the signed MD5.
        CHECK(sent.header("x-amz-content-sha256") == "UNSIGNED-PAYLOAD");
        CHECK_THAT(sent.header("authorization"), Catch::Contains("content-md5;") && Catch::Contains("Signature="));
        given.size = 9;  // not what is written: ignored
        storage::writeText(*s3, "seg2", "0123456789", {.sizeHint = 10, .digests = given});
        const crypto::ContentDigests actual = crypto::contentDigests(io::asBytes(std::string_view("0123456789")));
        CHECK(f.http->requests()[1].header("content-md5") == actual.md5Base64);
    }
    SECTION("a file written in one write the caller keeps valid goes up from the caller's memory") {
        f.http->reply(200).reply(200);
        std::string body = "0123456789";
        auto stream = s3->openWrite("seg", {.sizeHint = 10, .writesStayValid = true});
        stream->write(io::asBytes(std::string_view(body)));
        // Not copied: what the caller's memory holds at commit is what is sent (the caller
        // promised not to change it; doing so here shows where the bytes come from).
        body[0] = 'X';
        stream->commit();
        REQUIRE(f.http->requests().size() == 1);
        CHECK(f.http->requests()[0].body == "X123456789");
        CHECK(f.http->requests()[0].header("content-md5") == crypto::contentDigests(io::asBytes(std::string_view(body))).md5Base64);
    }
    SECTION("a second write makes the stream copy what it was lent, and the file is whole") {
        f.http->reply(200);
        std::string first = "01234", second = "56789";
        auto stream = s3->openWrite("seg", {.sizeHint = 10, .writesStayValid = true});
        stream->write(io::asBytes(std::string_view(first)));
        stream->write(io::asBytes(std::string_view(second)));
        first = "XXXXX";  // copied by the second write: no longer read
        stream->commit();
        REQUIRE(f.http->requests().size() == 1);
        CHECK(f.http->requests()[0].body == "0123456789");
    }
    SECTION("a lent write larger than a chunk goes up in parts as any other") {
        f.http->reply(200, initiated)
            .replyTo("partNumber=1&", 200, "", {{"etag", "\"e1\""}})
            .replyTo("partNumber=2&", 200, "", {{"etag", "\"e2\""}})
            .replyTo("partNumber=3&", 200, "", {{"etag", "\"e3\""}})
            .reply(200, "<CompleteMultipartUploadResult/>");
        const std::string body = "0123456789";
        auto stream = s3->openWrite("big", {.writesStayValid = true});
        stream->write(io::asBytes(std::string_view(body)));
        stream->commit();
        CHECK(f.http->request("partNumber=1&").body == "0123");
        CHECK(f.http->request("partNumber=3&").body == "89");
    }
    SECTION("a file of exactly one chunk is one PUT") {
        f.http->reply(200);
        storage::writeText(*s3, "four", "0123", {});
        CHECK(f.http->requests().size() == 1);
    }
    SECTION("a part refused: the upload is aborted and the commit fails") {
        f.http->reply(200, initiated)
            .replyTo("partNumber=1&", 200, "", {{"etag", "\"e1\""}})
            .replyTo("partNumber=2&", 400, errorXml("EntityTooSmall", "too small"))
            .replyTo("partNumber=3&", 200, "", {{"etag", "\"e3\""}})
            .replyTo("big?uploadId=UP1", 204);
        auto stream = s3->openWrite("big", {});
        stream->write(io::asBytes("0123456"));
        // Parts go up on the uploader threads: the refusal of part 2 surfaces when its slot is
        // needed again or, here, at commit (after part 3 went up), which aborts the upload.
        stream->write(io::asBytes("789"));
        CHECK(thrown_code([&] { stream->commit(); }) == ErrorCode::FileWrite);
        CHECK(f.http->requests().back().method == "DELETE");
        CHECK(f.http->requests().back().url == "https://s3.example.com/bucket/pgbackrest/big?uploadId=UP1");
        CHECK(f.http->finished());
    }
    SECTION("a part refused while the next ones are filled: the write that needs its slot fails and aborts") {
        f.http->reply(200, initiated).replyTo("partNumber=1&", 500, errorXml("InternalError", "no"));
        for (int i = 0; i < 4; ++i) f.http->replyTo("partNumber=1&", 500);
        f.http->replyTo("partNumber=2&", 200, "", {{"etag", "\"e2\""}}).replyTo("big?uploadId=UP1", 204);
        auto stream = s3->openWrite("big", {});
        stream->write(io::asBytes("01234"));  // part 1 handed over, retried on its uploader thread
        // Part 2 goes to the other slot; part 3 needs part 1's slot and gets its failure.
        CHECK(thrown_code([&] { stream->write(io::asBytes("56789012")); }) == ErrorCode::FileWrite);
        CHECK(f.http->requests().size() == 8);
        CHECK(f.http->requests().back().method == "DELETE");
        CHECK(thrown_code([&] { stream->commit(); }) == ErrorCode::FileWrite);
        CHECK(f.http->finished());
    }
    SECTION("completion answered 200 with an error body fails") {
        f.http->reply(200, initiated)
            .replyTo("partNumber=1&", 200, "", {{"etag", "\"e1\""}})
            .replyTo("partNumber=2&", 200, "", {{"etag", "\"e2\""}})
            .reply(200, errorXml("InternalError", "failed while completing"))
            .reply(204);
        CHECK_THROWS_WITH(storage::writeText(*s3, "big", "012345", {}), Catch::Contains("InternalError"));
        CHECK(f.http->requests().back().method == "DELETE");
    }
}
