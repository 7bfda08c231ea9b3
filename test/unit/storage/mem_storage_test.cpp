// MemStorage: the conformance suite, plus the test-only knobs (clock, feature mask, names()).
#include <catch2/catch.hpp>

#include "common/error.h"
#include "common/io/stream.h"
#include "conformance/storage_suite.h"
#include "fake/mem_storage.h"

using pgark::Error;
using pgark::ErrorCode;
using pgark::test::MemStorage;
using namespace pgark::storage;
namespace io = pgark::io;

TEST_CASE("MemStorage passes the storage conformance suite", "[unit][storage][mem]") {
    pgark::test::runStorageConformance([] { return std::make_unique<MemStorage>(); }, {});
}

TEST_CASE("MemStorage mirrors the POSIX temp file of an atomic write", "[unit][storage][mem]") {
    MemStorage storage;
    auto stream = storage.openWrite("dir/file", {});
    stream->write(io::asBytes("x"));
    CHECK(storage.names() == std::vector<std::string>{"dir", "dir/file.pgbackrest.tmp"});
    stream->commit();
    CHECK(storage.names() == std::vector<std::string>{"dir", "dir/file"});
    CHECK(storage.describe("dir/file") == "mem:/dir/file");
    CHECK(storage.type() == "mem");
}

TEST_CASE("MemStorage takes mtimes from its clock", "[unit][storage][mem]") {
    std::int64_t now = 1'000;
    MemStorage storage({.now = [&] { return now; }});
    writeText(storage, "a", "x", {});
    now = 2'000;
    writeText(storage, "b", "x", {});
    CHECK(storage.info("a", InfoLevel::Basic)->mtime == 1'000);
    CHECK(storage.info("b", InfoLevel::Basic)->mtime == 2'000);
}

TEST_CASE("MemStorage without a feature refuses its optional operations", "[unit][storage][mem]") {
    MemStorage storage({.features = static_cast<std::uint32_t>(Feature::Path)});
    CHECK(storage.has(Feature::Path));
    CHECK_FALSE(storage.has(Feature::SymLink));
    CHECK_FALSE(storage.has(Feature::HardLink));
    CHECK_FALSE(storage.has(Feature::PathSync));
    const auto code = [](auto&& call) {
        try {
            call();
        } catch (const Error& error) {
            return error.code();
        }
        return ErrorCode::Unknown;
    };
    CHECK(code([&] { storage.linkCreate("a", "b", false); }) == ErrorCode::FeatureNotSupported);
    CHECK(code([&] { storage.linkCreate("a", "b", true); }) == ErrorCode::FeatureNotSupported);
    CHECK(code([&] { storage.pathSync("a"); }) == ErrorCode::FeatureNotSupported);
    storage.pathCreate("still-works", std::nullopt);
    CHECK(storage.info("still-works", InfoLevel::Basic)->type == FileType::Path);
}

TEST_CASE("MemStorage resolves symlinks like the kernel", "[unit][storage][mem]") {
    MemStorage storage;
    writeText(storage, "pg_data/base/1", "relation", {});
    writeText(storage, "tblspc/16384/PG_15/1", "in a tablespace", {});
    storage.pathCreate("pg_data/pg_tblspc", std::nullopt);
    storage.linkCreate("../../tblspc/16384", "pg_data/pg_tblspc/16384", false);

    SECTION("relative destinations are taken from the link's directory") {
        CHECK(readText(storage, "pg_data/pg_tblspc/16384/PG_15/1") == "in a tablespace");
    }
    SECTION("writes below a linked path land in the target") {
        writeText(storage, "pg_data/pg_tblspc/16384/PG_15/2", "new", {});
        CHECK(readText(storage, "tblspc/16384/PG_15/2") == "new");
    }
    SECTION("a link loop is an error, not a hang") {
        storage.linkCreate("loop-b", "loop-a", false);
        storage.linkCreate("loop-a", "loop-b", false);
        CHECK_THROWS_AS(readText(storage, "loop-a"), Error);
    }
    SECTION("a direct write follows a link, an atomic one replaces it") {
        writeText(storage, "target", "old", {});
        storage.linkCreate("target", "link", false);
        writeText(storage, "link", "through", {.atomic = false});
        CHECK(readText(storage, "target") == "through");
        CHECK(storage.info("link", InfoLevel::Basic)->type == FileType::Link);
        writeText(storage, "link", "replaced", {});
        CHECK(storage.info("link", InfoLevel::Basic)->type == FileType::File);
        CHECK(readText(storage, "target") == "through");
    }
}
