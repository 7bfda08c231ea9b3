#include "postgres/page_checksum.h"

#include <catch2/catch.hpp>

#include <cstring>

#include "common/error.h"
#include "unit/postgres/fixtures.h"

using namespace pgark;
using namespace pgark::postgres;

namespace {

constexpr std::size_t kFixturePages = 6;

std::vector<std::byte> relationFixture() {
    auto bytes = test::readPostgresFixture("relation_16384_6pages");
    REQUIRE(bytes.size() == kFixturePages * kPageSize);
    return bytes;
}

io::ByteView page(const std::vector<std::byte>& bytes, std::size_t index) {
    return io::ByteView(bytes.data() + index * kPageSize, kPageSize);
}

void setChecksum(std::byte* pageStart, std::uint16_t checksum) {
    std::memcpy(pageStart + 8, &checksum, sizeof(checksum));
}

}  // namespace

TEST_CASE("pageChecksum agrees with PostgreSQL 15 on every page of a real relation", "[unit][postgres]") {
    const auto bytes = relationFixture();
    for (std::uint32_t index = 0; index < kFixturePages; ++index) {
        INFO("page " << index);
        const auto view = page(bytes, index);
        CHECK_FALSE(pageIsNew(view));
        CHECK(pageChecksumStored(view) != 0);
        CHECK(pageChecksum(view, index) == pageChecksumStored(view));
        CHECK(pageVerify(view, index) == PageVerify::Valid);
        CHECK(pageLsn(view) != 0);
    }
}

TEST_CASE("pageVerify fails for a wrong block number or any flipped byte", "[unit][postgres]") {
    auto bytes = relationFixture();

    SECTION("the block number is part of the checksum") {
        for (std::uint32_t index = 0; index < kFixturePages; ++index) {
            INFO("page " << index);
            CHECK(pageVerify(page(bytes, index), index + 1) == PageVerify::Invalid);
            CHECK(pageVerify(page(bytes, index), index + kRelSegmentPages) == PageVerify::Invalid);
        }
    }
    SECTION("a flipped bit anywhere in a page is caught, up to the 16-bit collision rate") {
        // Flip the low bit of every byte of every page in turn. A 16-bit checksum lets about 1 change
        // in 65535 through, so over 49152 flips at most a couple may collide; for this fixture
        // exactly one does (page 3, byte 2837), which also proves the loop compares real values.
        std::size_t missed = 0;
        for (std::uint32_t index = 0; index < kFixturePages; ++index) {
            std::byte* start = bytes.data() + index * kPageSize;
            for (std::size_t offset = 0; offset < kPageSize; ++offset) {
                start[offset] ^= std::byte{0x01};
                if (pageVerify(page(bytes, index), index) != PageVerify::Invalid) ++missed;
                start[offset] ^= std::byte{0x01};
            }
            CHECK(pageVerify(page(bytes, index), index) == PageVerify::Valid);
        }
        CHECK(missed == 1);
    }
    SECTION("a changed stored checksum no longer matches, the computed one does not move") {
        const std::uint16_t before = pageChecksum(page(bytes, 0), 0);
        setChecksum(bytes.data(), static_cast<std::uint16_t>(before + 1));
        CHECK(pageChecksum(page(bytes, 0), 0) == before);
        CHECK(pageVerify(page(bytes, 0), 0) == PageVerify::Invalid);
    }
}

TEST_CASE("pageVerify of new pages", "[unit][postgres]") {
    std::vector<std::byte> zero(kPageSize);
    CHECK(pageIsNew(zero));
    CHECK(pageIsZero(zero));
    CHECK(pageVerify(zero, 7) == PageVerify::Zero);

    SECTION("pd_upper == 0 with data is damage, not a new page") {
        zero[4000] = std::byte{1};
        CHECK(pageIsNew(zero));
        CHECK(pageVerify(zero, 7) == PageVerify::Invalid);
    }
    SECTION("wrong page size is an assertion") {
        CHECK_THROWS_MATCHES(pageVerify(io::ByteView(zero.data(), 4096), 0), Error,
                             Catch::Predicate<Error>([](const Error& e) { return e.code() == ErrorCode::Assert; }));
        CHECK_THROWS_MATCHES(pageChecksum(io::ByteView(zero.data(), 4096), 0), Error,
                             Catch::Predicate<Error>([](const Error& e) { return e.code() == ErrorCode::Assert; }));
    }
}

TEST_CASE("pageChecksum of a page moved to a later relation segment", "[unit][postgres]") {
    // The same bytes as block 2 of segment 3 ("16384.3") need the checksum for block 3*131072+2.
    auto bytes = relationFixture();
    const auto blockNo = pageBlockNo("base/5/16384.3", 2);
    REQUIRE(blockNo == 3 * kRelSegmentPages + 2);
    std::byte* start = bytes.data() + 2 * kPageSize;
    CHECK(pageVerify(page(bytes, 2), *blockNo) == PageVerify::Invalid);
    setChecksum(start, pageChecksum(page(bytes, 2), *blockNo));
    CHECK(pageVerify(page(bytes, 2), *blockNo) == PageVerify::Valid);
    CHECK(pageVerify(page(bytes, 2), 2) == PageVerify::Invalid);
}

TEST_CASE("pageBlockNo from the relation file name", "[unit][postgres]") {
    CHECK(pageBlockNo("16384", 5) == 5U);
    CHECK(pageBlockNo("base/5/16384", 0) == 0U);
    CHECK(pageBlockNo("16384.1", 0) == kRelSegmentPages);
    CHECK(pageBlockNo("pg_tblspc/16400/PG_15_202209061/5/16384.2", 7) == 2 * kRelSegmentPages + 7);
    CHECK(pageBlockNo("16384_fsm", 1) == 1U);
    CHECK_FALSE(pageBlockNo("16384.", 0).has_value());
    CHECK_FALSE(pageBlockNo("16384.x", 0).has_value());
    CHECK_FALSE(pageBlockNo("16384.40000", 0).has_value());  // past 2^32 blocks
    CHECK(pageBlockNo("16384.32767", 131071) == 0xFFFFFFFFU);
}
