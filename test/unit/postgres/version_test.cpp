#include "postgres/version.h"

#include <catch2/catch.hpp>

using namespace pgark::postgres;

TEST_CASE("pgVersionTable lists 12 to 17 with their constants", "[unit][postgres]") {
    const auto table = pgVersionTable();
    REQUIRE(table.size() == 6);
    CHECK(table.front().version == kPgVersion12);
    CHECK(table.back().version == kPgVersion17);

    const PgVersionFacts* pg15 = pgVersionFacts(kPgVersion15);
    REQUIRE(pg15 != nullptr);
    CHECK(pg15->controlVersion == 1300);
    CHECK(pg15->catalogVersion == 202209061);
    CHECK(pg15->walMagic == 0xD110);

    SECTION("minor versions map to their major") {
        CHECK(pgVersionFacts(150004) == pg15);
    }
    SECTION("unknown versions have no facts") {
        CHECK(pgVersionFacts(110000) == nullptr);
        CHECK(pgVersionFacts(180000) == nullptr);
        CHECK_FALSE(pgVersionSupported(90600));
        CHECK(pgVersionSupported(kPgVersion17));
    }
}

TEST_CASE("pgVersionFromControl needs control and catalog version", "[unit][postgres]") {
    CHECK(pgVersionFromControl(1201, 201909212) == kPgVersion12);
    CHECK(pgVersionFromControl(1300, 202007201) == kPgVersion13);
    CHECK(pgVersionFromControl(1300, 202107181) == kPgVersion14);
    CHECK(pgVersionFromControl(1300, 202209061) == kPgVersion15);
    CHECK(pgVersionFromControl(1300, 202307071) == kPgVersion16);
    CHECK(pgVersionFromControl(1700, 202406281) == kPgVersion17);

    SECTION("a matching control version with a foreign catalog version is unknown") {
        CHECK_FALSE(pgVersionFromControl(1300, 202406281).has_value());
        CHECK_FALSE(pgVersionFromControl(1800, 202506291).has_value());
    }
}

TEST_CASE("pgVersionFromWalMagic maps page magic to versions", "[unit][postgres]") {
    CHECK(pgVersionFromWalMagic(0xD101) == kPgVersion12);
    CHECK(pgVersionFromWalMagic(0xD106) == kPgVersion13);
    CHECK(pgVersionFromWalMagic(0xD10D) == kPgVersion14);
    CHECK(pgVersionFromWalMagic(0xD110) == kPgVersion15);
    CHECK(pgVersionFromWalMagic(0xD113) == kPgVersion16);
    CHECK(pgVersionFromWalMagic(0xD116) == kPgVersion17);
    CHECK_FALSE(pgVersionFromWalMagic(0xD118).has_value());
}

TEST_CASE("version strings", "[unit][postgres]") {
    SECTION("to string") {
        CHECK(pgVersionToString(kPgVersion15) == "15");
        CHECK(pgVersionToString(100000) == "10");
        CHECK(pgVersionToString(90600) == "9.6");
        CHECK(pgVersionToString(90300) == "9.3");
    }
    SECTION("from string") {
        CHECK(pgVersionFromString("15") == kPgVersion15);
        CHECK(pgVersionFromString("10") == 100000U);
        CHECK(pgVersionFromString("9.6") == 90600U);
        CHECK_FALSE(pgVersionFromString("9").has_value());
        CHECK_FALSE(pgVersionFromString("15.2").has_value());
        CHECK_FALSE(pgVersionFromString("").has_value());
        CHECK_FALSE(pgVersionFromString("x").has_value());
        CHECK_FALSE(pgVersionFromString("15a").has_value());
        CHECK_FALSE(pgVersionFromString("9.").has_value());
    }
    SECTION("server_version_num to major") {
        CHECK(pgVersionMajor(150004) == kPgVersion15);
        CHECK(pgVersionMajor(90624) == 90600U);
        CHECK(pgVersionMajor(170000) == kPgVersion17);
    }
}

TEST_CASE("pgBackRestKnows stops at 15", "[unit][postgres]") {
    CHECK(pgBackRestKnows(90300));
    CHECK(pgBackRestKnows(kPgVersion15));
    CHECK(pgBackRestKnows(150004));
    CHECK_FALSE(pgBackRestKnows(kPgVersion16));
    CHECK_FALSE(pgBackRestKnows(kPgVersion17));
    CHECK_FALSE(pgBackRestKnows(90200));
}
