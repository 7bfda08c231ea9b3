// storage_path: lexical path rules shared by the drivers.
#include <catch2/catch.hpp>

#include "common/error.h"
#include "storage/posix/storage_path.h"

using namespace pgark::storage;

TEST_CASE("normalizePath", "[unit][storage]") {
    SECTION("drops empty, '.' and leading components") {
        CHECK(normalizePath("") == "");
        CHECK(normalizePath("/") == "");
        CHECK(normalizePath("a/b") == "a/b");
        CHECK(normalizePath("/a//b/") == "a/b");
        CHECK(normalizePath("./a/./b/.") == "a/b");
    }
    SECTION("resolves '..' inside the root") {
        CHECK(normalizePath("a/../b") == "b");
        CHECK(normalizePath("a/b/../../c/..") == "");
        CHECK(normalizePath("..a/b..") == "..a/b..");  // only a whole component climbs
    }
    SECTION("refuses '..' above the root and NUL bytes") {
        for (const char* path : {"..", "/..", "a/../..", "../a", "a/b/../../../c"}) {
            INFO(path);
            try {
                (void)normalizePath(path);
                FAIL("no error");
            } catch (const pgark::Error& error) {
                CHECK(error.code() == pgark::ErrorCode::Assert);
                CHECK(error.message() == fmt::format("path '{}' is outside the storage root", path));
            }
        }
        CHECK_THROWS_AS(normalizePath(std::string_view("a\0b", 3)), pgark::Error);
    }
}

TEST_CASE("parentPath and joinPath", "[unit][storage]") {
    CHECK(parentPath("a/b/c") == "a/b");
    CHECK(parentPath("a") == "");
    CHECK(parentPath("") == "");
    CHECK(joinPath("", "a") == "a");
    CHECK(joinPath("a", "") == "a");
    CHECK(joinPath("a/b", "c") == "a/b/c");
}
