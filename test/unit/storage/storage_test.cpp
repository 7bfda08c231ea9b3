// storage.cpp: the default optional operations and the small-file helpers.
#include <catch2/catch.hpp>

#include "common/error.h"
#include "fake/mem_storage.h"
#include "unit/thrown.h"

using pgark::Error;
using pgark::ErrorCode;
using pgark::test::MemStorage;
using namespace pgark::storage;

namespace {

using pgark::test::thrown;

}  // namespace

TEST_CASE("Storage optional operations default to FeatureNotSupported", "[unit][storage]") {
    MemStorage storage({.features = 0});  // MemStorage defers to the defaults when a feature is off
    const Error create = thrown([&] { storage.pathCreate("a/b", std::nullopt); });
    CHECK(create.code() == ErrorCode::FeatureNotSupported);
    CHECK(create.message() == "mem storage cannot create path 'mem:/a/b'");
    CHECK(thrown([&] { storage.pathSync("a"); }).message() == "mem storage cannot sync path 'mem:/a'");
    CHECK(thrown([&] { storage.linkCreate("t", "l", false); }).message() == "mem storage cannot create link 'mem:/l'");
}

TEST_CASE("readText, readTextIfExists and writeText", "[unit][storage]") {
    MemStorage storage;
    SECTION("round trip, with the options passed on") {
        writeText(storage, "info", "[backrest]\n", {.atomic = false, .mode = 0600});
        CHECK(readText(storage, "info") == "[backrest]\n");
        CHECK(readTextIfExists(storage, "info") == "[backrest]\n");
        CHECK(storage.info("info", InfoLevel::Detail)->mode == 0600);
    }
    SECTION("a missing file") {
        CHECK(thrown([&] { (void)readText(storage, "missing"); }).code() == ErrorCode::FileMissing);
        CHECK(readTextIfExists(storage, "missing") == std::nullopt);
    }
    SECTION("an empty file is not a missing one") {
        writeText(storage, "empty", "", {});
        CHECK(readTextIfExists(storage, "empty") == "");
    }
}
