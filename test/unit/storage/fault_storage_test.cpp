// FaultStorage: transparent when idle (the conformance suite through it), and each fault it
// injects does exactly what it says and nothing else.
#include <catch2/catch.hpp>

#include <filesystem>

#include "common/error.h"
#include "common/io/stream.h"
#include "conformance/storage_suite.h"
#include "fake/fault_storage.h"
#include "fake/mem_storage.h"
#include "storage/posix/posix_storage.h"
#include "unit/thrown.h"

using pgark::Error;
using pgark::ErrorCode;
using pgark::test::FaultOp;
using pgark::test::FaultStorage;
using pgark::test::MemStorage;
using namespace pgark::storage;
namespace io = pgark::io;

namespace {

using pgark::test::thrown;

std::string readAllIn(io::ReadStream& stream, std::size_t chunk, std::vector<std::size_t>* sizes = nullptr) {
    std::string text;
    std::vector<std::byte> buffer(chunk);
    for (std::size_t n; (n = stream.read(buffer)) != 0;) {
        if (sizes != nullptr) sizes->push_back(n);
        text.append(reinterpret_cast<const char*>(buffer.data()), n);
    }
    return text;
}

}  // namespace

TEST_CASE("FaultStorage with no fault armed passes the storage conformance suite", "[unit][storage][fault]") {
    pgark::test::runStorageConformance([] { return std::make_unique<FaultStorage>(std::make_unique<MemStorage>()); }, {});
}

TEST_CASE("FaultStorage fails the chosen call", "[unit][storage][fault]") {
    FaultStorage storage(std::make_unique<MemStorage>());
    writeText(storage, "archive/a", "A", {});
    writeText(storage, "backup/b", "B", {});

    SECTION("the nth call, once, with the error as given") {
        storage.failCall(FaultOp::Info, Error(ErrorCode::FileInfo, "injected", pgark::Retry::Yes), {.nth = 2});
        CHECK(storage.info("archive/a", InfoLevel::Basic));
        const Error error = thrown([&] { (void)storage.info("archive/a", InfoLevel::Basic); });
        CHECK(error.code() == ErrorCode::FileInfo);
        CHECK(error.message() == "injected");
        CHECK(error.retryable());
        CHECK(storage.info("archive/a", InfoLevel::Basic));
        CHECK(storage.calls(FaultOp::Info) == 3);
    }
    SECTION("only on matching paths, and repeatedly when asked") {
        storage.failCall(FaultOp::OpenRead, Error(ErrorCode::FileOpen, "no backup"), {.pathContains = "backup/", .repeat = true});
        CHECK(readText(storage, "archive/a") == "A");
        for (int i = 0; i < 3; ++i) CHECK(thrown([&] { (void)readText(storage, "backup/b"); }).message() == "no backup");
        storage.clearFaults();
        CHECK(readText(storage, "backup/b") == "B");
    }
    SECTION("move matches either path") {
        storage.failCall(FaultOp::Move, Error(ErrorCode::FileMove, "injected"), {.pathContains = "backup/", .repeat = true});
        CHECK_THROWS_AS(storage.move("archive/a", "backup/a"), Error);
        CHECK_THROWS_AS(storage.move("backup/b", "archive/b"), Error);
        storage.move("archive/a", "archive/c");
        CHECK(readText(storage, "archive/c") == "A");
    }
    SECTION("a failed write or commit leaves nothing once the caller aborts") {
        storage.failCall(FaultOp::Write, Error(ErrorCode::DiskFull, "disk full"), {.nth = 2});
        {
            auto stream = storage.openWrite("archive/new", {});
            stream->write(io::asBytes("first"));
            CHECK(thrown([&] { stream->write(io::asBytes("second")); }).code() == ErrorCode::DiskFull);
        }
        storage.failCall(FaultOp::Commit, Error(ErrorCode::FileSync, "sync failed"));
        {
            auto stream = storage.openWrite("archive/new", {});
            stream->write(io::asBytes("data"));
            CHECK(thrown([&] { stream->commit(); }).code() == ErrorCode::FileSync);
        }
        const auto& inner = dynamic_cast<MemStorage&>(storage.inner());
        CHECK(inner.names() == std::vector<std::string>{"archive", "archive/a", "backup", "backup/b"});
    }
    SECTION("every operation can fail") {
        const Error injected(ErrorCode::Runtime, "injected");
        const auto failsOnce = [&](FaultOp op, const std::function<void()>& call) {
            storage.failCall(op, injected);
            INFO("op " << static_cast<int>(op));
            CHECK(thrown(call).message() == "injected");
            call();  // the next call goes through
        };
        failsOnce(FaultOp::List, [&] { storage.list("", {}, [](const FileInfo&) {}); });
        failsOnce(FaultOp::OpenWrite, [&] { storage.openWrite("x", {})->abort(); });
        failsOnce(FaultOp::Read, [&] { (void)readText(storage, "archive/a"); });
        failsOnce(FaultOp::PathCreate, [&] { storage.pathCreate("p", std::nullopt); });
        failsOnce(FaultOp::PathSync, [&] { storage.pathSync("p"); });
        failsOnce(FaultOp::LinkCreate, [&] { storage.linkCreate("archive/a", "p/l" + std::to_string(storage.calls(FaultOp::LinkCreate)), true); });
        failsOnce(FaultOp::Remove, [&] { storage.remove("p/l1", {}); });
        failsOnce(FaultOp::RemovePath, [&] { storage.removePath("p", {.recurse = true}); });
        CHECK_FALSE(storage.info("p", InfoLevel::Exists));
    }
    SECTION("nth counts from 1") {
        CHECK(thrown([&] { storage.failCall(FaultOp::Info, Error(ErrorCode::Runtime, "x"), {.nth = 0}); }).code() ==
              ErrorCode::Assert);
    }
}

TEST_CASE("FaultStorage corrupts what is read", "[unit][storage][fault]") {
    FaultStorage storage(std::make_unique<MemStorage>());
    writeText(storage, "file", "0123456789", {});
    writeText(storage, "other", "0123456789", {});

    SECTION("short reads return at most the given size and lose nothing") {
        storage.shortReads(3, "file");
        std::vector<std::size_t> sizes;
        auto stream = storage.openRead("file", {});
        CHECK(readAllIn(*stream, 100, &sizes) == "0123456789");
        CHECK(sizes == std::vector<std::size_t>{3, 3, 3, 1});
        sizes.clear();
        auto other = storage.openRead("other", {});
        CHECK(readAllIn(*other, 100, &sizes) == "0123456789");
        CHECK(sizes == std::vector<std::size_t>{10});
    }
    SECTION("a flipped byte at a stream offset, whatever the read sizes") {
        storage.flipByte(5, "file", std::byte{0x20});
        storage.shortReads(2);
        CHECK(readText(storage, "file") == "01234\x15" "6789");
        auto stream = storage.openRead("file", {.offset = 2});
        CHECK(readAllIn(*stream, 4) == "23456\x17" "89");  // offset 5 of the stream = byte 7 of the file
        CHECK(readText(storage, "other") == "0123456789");
        storage.clearFaults();
        CHECK(readText(storage, "file") == "0123456789");  // the stored bytes were never touched
    }
}

TEST_CASE("FaultStorage simulates a crash before commit", "[unit][storage][fault]") {
    SECTION("in memory: the temp file stays, the final name never appears") {
        FaultStorage storage(std::make_unique<MemStorage>());
        const auto& inner = dynamic_cast<MemStorage&>(storage.inner());
        storage.crashBeforeCommit("archive.info");
        {
            auto stream = storage.openWrite("archive.info", {});
            stream->write(io::asBytes("contents"));
            const Error error = thrown([&] { stream->commit(); });
            CHECK(error.code() == ErrorCode::Term);
            CHECK(error.message() == "simulated crash before commit of 'archive.info'");
            CHECK(thrown([&] { stream->write(io::asBytes("more")); }).code() == ErrorCode::Term);
            stream->abort();  // too late: the process is "dead"
        }
        CHECK(inner.names() == std::vector<std::string>{"archive.info.pgbackrest.tmp"});
        CHECK_FALSE(storage.info("archive.info", InfoLevel::Exists));

        writeText(storage, "other", "unaffected", {});  // the crash was armed for one path only
        storage.clearFaults();
        writeText(storage, "archive.info", "retried", {});
        CHECK(readText(storage, "archive.info") == "retried");
        CHECK(inner.names() == std::vector<std::string>{"archive.info", "other"});
    }
    SECTION("crash() at once leaves a direct write's partial file") {
        FaultStorage storage(std::make_unique<MemStorage>());
        auto stream = storage.openWrite("pg_data/base/1", {.atomic = false});
        stream->write(io::asBytes("half"));
        FaultStorage::crash(*stream);
        stream.reset();
        CHECK(readText(storage, "pg_data/base/1") == "half");
    }
    SECTION("crash() needs a stream from a FaultStorage") {
        MemStorage plain;
        auto stream = plain.openWrite("x", {});
        CHECK(thrown([&] { FaultStorage::crash(*stream); }).code() == ErrorCode::Assert);
    }
    SECTION("on disk: the .pgbackrest.tmp file remains") {
        pgark::test::ScratchDir scratch;
        FaultStorage storage(makePosixStorage(scratch.path(), {}));
        storage.crashBeforeCommit();
        {
            auto stream = storage.openWrite("wal", {});
            stream->write(io::asBytes("segment"));
            CHECK_THROWS_AS(stream->commit(), Error);
        }
        CHECK(std::filesystem::exists(scratch.sub("wal.pgbackrest.tmp")));
        CHECK_FALSE(std::filesystem::exists(scratch.sub("wal")));
    }
}
