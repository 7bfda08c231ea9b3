#include "postgres/wal.h"

#include <catch2/catch.hpp>

#include <cstring>

#include "common/error.h"
#include "postgres/version.h"
#include "unit/postgres/fixtures.h"

using namespace pgark;
using namespace pgark::postgres;

namespace {
constexpr std::uint32_t k16MiB = 16U * 1024 * 1024;
constexpr std::uint32_t k1GiB = 1024U * 1024 * 1024;

bool hasCode(const Error& e, ErrorCode code) {
    return e.code() == code;
}
}  // namespace

TEST_CASE("walHeaderFromBuffer reads a real PostgreSQL 15 segment header", "[unit][postgres]") {
    const auto buffer = test::readPostgresFixture("wal_000000010000000000000001_head512");
    const auto expected = test::readPgControlData();
    REQUIRE(buffer.size() == kWalHeaderReadSize);

    const WalHeader header = walHeaderFromBuffer(buffer, "000000010000000000000001");
    CHECK(header.magic == 0xD110);
    CHECK(header.version == kPgVersion15);
    CHECK((header.info & kWalLongHeaderFlag) != 0);
    CHECK(header.timeline == 1U);
    CHECK(std::to_string(header.systemId) == expected.at("Database system identifier"));
    CHECK(std::to_string(header.segmentSize) == expected.at("Bytes per WAL segment"));
    CHECK(std::to_string(header.blockSize) == expected.at("WAL block size"));
    // The first page of a segment is addressed at the segment's start.
    CHECK(walSegmentForLsn(header.timeline, header.pageAddress, header.segmentSize) == "000000010000000000000001");
}

TEST_CASE("walHeaderFromBuffer rejects what is not a segment start", "[unit][postgres]") {
    auto buffer = test::readPostgresFixture("wal_000000010000000000000001_head512");

    SECTION("short header") {
        CHECK_THROWS_MATCHES(walHeaderFromBuffer(std::span(buffer).first(39), "w"), Error,
                             Catch::Predicate<Error>([](const Error& e) { return hasCode(e, ErrorCode::Format); }));
    }
    SECTION("no long header flag") {
        buffer[2] &= ~std::byte{0x02};
        try {
            (void)walHeaderFromBuffer(buffer, "000000010000000000000001");
            FAIL("no error");
        } catch (const Error& e) {
            CHECK(e.code() == ErrorCode::Format);
            CHECK(e.message() ==
                  "first page header in wal file '000000010000000000000001' is expected to be in long format");
        }
    }
    SECTION("unknown magic") {
        const std::uint16_t magic = 0xD118;
        std::memcpy(buffer.data(), &magic, 2);
        try {
            (void)walHeaderFromBuffer(buffer, "w");
            FAIL("no error");
        } catch (const Error& e) {
            CHECK(e.code() == ErrorCode::VersionNotSupported);
            CHECK(e.message() == "unexpected wal magic 0xd118 in wal file 'w'");
            CHECK_FALSE(e.hint().empty());
        }
    }
}

TEST_CASE("isWalSegmentName and walSegmentParse", "[unit][postgres]") {
    CHECK(isWalSegmentName("000000010000000000000001"));
    CHECK(isWalSegmentName("0000000A00000000000000FF"));
    CHECK(isWalSegmentName("000000010000000000000001.partial"));
    CHECK_FALSE(isWalSegmentName("00000001000000000000001"));     // 23
    CHECK_FALSE(isWalSegmentName("0000000100000000000000011"));   // 25
    CHECK_FALSE(isWalSegmentName("0000000a0000000000000001"));    // lower case
    CHECK_FALSE(isWalSegmentName("00000001000000000000000G"));
    CHECK_FALSE(isWalSegmentName("000000010000000000000001.partia"));
    CHECK_FALSE(isWalSegmentName("000000010000000000000001.partiaX"));
    CHECK_FALSE(isWalSegmentName("00000002.history"));
    CHECK_FALSE(isWalSegmentName("000000010000000000000002.00000028.backup"));
    CHECK_FALSE(isWalSegmentName(""));

    const auto segment = walSegmentParse("0000000200000003000000A4");
    REQUIRE(segment);
    CHECK(segment->timeline == 2U);
    CHECK(segment->log == 3U);
    CHECK(segment->segment == 0xA4U);
    CHECK_FALSE(segment->partial);
    CHECK(segment->name() == "0000000200000003000000A4");

    const auto partial = walSegmentParse("FFFFFFFFFFFFFFFFFFFFFFFF.partial");
    REQUIRE(partial);
    CHECK(partial->timeline == 0xFFFFFFFFU);
    CHECK(partial->partial);
    CHECK(partial->name() == "FFFFFFFFFFFFFFFFFFFFFFFF.partial");

    CHECK_FALSE(walSegmentParse("nonsense").has_value());
    CHECK(walSegmentName(1, 0, 0x16) == "000000010000000000000016");
}

TEST_CASE("walSegmentForLsn for several segment sizes", "[unit][postgres]") {
    CHECK(walSegmentForLsn(1, 0x16000028, k16MiB) == "000000010000000000000016");
    CHECK(walSegmentForLsn(1, 0x16FFFFFF, k16MiB) == "000000010000000000000016");
    CHECK(walSegmentForLsn(1, 0x17000000, k16MiB) == "000000010000000000000017");
    CHECK(walSegmentForLsn(3, 0x1FF000000ULL, k16MiB) == "0000000300000001000000FF");
    CHECK(walSegmentForLsn(1, 0x16000028, 64U * 1024 * 1024) == "000000010000000000000005");
    CHECK(walSegmentForLsn(1, 0xC0000000ULL, k1GiB) == "000000010000000000000003");
    CHECK(walSegmentForLsn(1, 0x100000, 1024U * 1024) == "000000010000000000000001");

    SECTION("start lsn is the inverse") {
        const auto segment = walSegmentParse("0000000300000001000000FF");
        CHECK(walSegmentStartLsn(*segment, k16MiB) == 0x1FF000000ULL);
    }
    SECTION("impossible segment sizes throw") {
        CHECK_THROWS_MATCHES(walSegmentForLsn(1, 0, 0), Error,
                             Catch::Predicate<Error>([](const Error& e) { return hasCode(e, ErrorCode::Format); }));
        CHECK_THROWS_MATCHES(walSegmentForLsn(1, 0, 3000000), Error,
                             Catch::Predicate<Error>([](const Error& e) { return hasCode(e, ErrorCode::Format); }));
    }
}

TEST_CASE("walSegmentNext wraps at the end of a log for any segment size", "[unit][postgres]") {
    CHECK(walSegmentsPerLog(k16MiB) == 256U);
    CHECK(walSegmentsPerLog(k1GiB) == 4U);
    CHECK(walSegmentsPerLog(1024U * 1024) == 4096U);

    CHECK(walSegmentNext("000000010000000000000001", k16MiB) == "000000010000000000000002");
    CHECK(walSegmentNext("0000000100000000000000FE", k16MiB) == "0000000100000000000000FF");
    CHECK(walSegmentNext("0000000100000000000000FF", k16MiB) == "000000010000000100000000");
    CHECK(walSegmentNext("000000010000000000000002", k1GiB) == "000000010000000000000003");
    CHECK(walSegmentNext("000000010000000000000003", k1GiB) == "000000010000000100000000");
    CHECK(walSegmentNext("000000010000000000000FFF", 1024U * 1024) == "000000010000000100000000");
    CHECK(walSegmentNext("000000020000000500000010.partial", k16MiB) == "000000020000000500000011");

    CHECK_THROWS_MATCHES(walSegmentNext("00000002.history", k16MiB), Error,
                         Catch::Predicate<Error>([](const Error& e) {
                             return hasCode(e, ErrorCode::Format) && e.message() == "invalid wal segment name '00000002.history'";
                         }));
}

TEST_CASE("walSegmentRange lists segments inclusively", "[unit][postgres]") {
    const auto range = walSegmentRange("0000000100000000000000FE", "000000010000000100000001", k16MiB);
    CHECK(range == std::vector<std::string>{"0000000100000000000000FE", "0000000100000000000000FF",
                                            "000000010000000100000000", "000000010000000100000001"});
    CHECK(walSegmentRange("000000010000000000000003", "000000010000000000000003", k16MiB).size() == 1);

    CHECK_THROWS_MATCHES(walSegmentRange("000000010000000000000003", "000000020000000000000004", k16MiB), Error,
                         Catch::Predicate<Error>([](const Error& e) { return hasCode(e, ErrorCode::Format); }));
    CHECK_THROWS_MATCHES(walSegmentRange("000000010000000000000004", "000000010000000000000003", k16MiB), Error,
                         Catch::Predicate<Error>([](const Error& e) { return hasCode(e, ErrorCode::Format); }));
}

TEST_CASE("lsn text round trip", "[unit][postgres]") {
    CHECK(lsnParse("0/16000028") == 0x16000028ULL);
    CHECK(lsnParse("1/A") == 0x10000000AULL);
    CHECK(lsnParse("ff/abcdef01") == 0xFFABCDEF01ULL);
    CHECK(lsnParse("FFFFFFFF/FFFFFFFF") == 0xFFFFFFFFFFFFFFFFULL);
    CHECK_FALSE(lsnParse("0").has_value());
    CHECK_FALSE(lsnParse("/1").has_value());
    CHECK_FALSE(lsnParse("1/").has_value());
    CHECK_FALSE(lsnParse("1/123456789").has_value());
    CHECK_FALSE(lsnParse("g/1").has_value());
    CHECK_FALSE(lsnParse("1/2/3").has_value());

    CHECK(lsnToString(0x16000028) == "0/16000028");
    CHECK(lsnToString(0xFFABCDEF01ULL) == "FF/ABCDEF01");
    CHECK(lsnToString(0) == "0/0");

    CHECK(lsnFromString("0/3E8") == 0x3E8U);
    CHECK_THROWS_MATCHES(lsnFromString("bogus"), Error, Catch::Predicate<Error>([](const Error& e) {
                             return hasCode(e, ErrorCode::Format) && e.message() == "invalid lsn 'bogus'";
                         }));
}

TEST_CASE("history and backup file names", "[unit][postgres]") {
    CHECK(isTimelineHistoryName("00000002.history"));
    CHECK_FALSE(isTimelineHistoryName("0000000Z.history"));
    CHECK_FALSE(isTimelineHistoryName("00000002.histor"));
    CHECK_FALSE(isTimelineHistoryName("000000010000000000000001"));

    CHECK(isBackupHistoryName("000000010000000000000002.00000028.backup"));
    CHECK_FALSE(isBackupHistoryName("000000010000000000000002.00000028.backupX"));
    CHECK_FALSE(isBackupHistoryName("000000010000000000000002-00000028.backup"));
    CHECK_FALSE(isBackupHistoryName("000000010000000000000002.0000002.backup"));

    CHECK(walArchiveSubdir("000000010000000000000002") == "0000000100000000");
    CHECK(walArchiveSubdir("000000010000000000000002.partial") == "0000000100000000");
    CHECK(walArchiveSubdir("000000010000000200000002.00000028.backup") == "0000000100000002");
    CHECK_FALSE(walArchiveSubdir("00000002.history").has_value());
}

TEST_CASE("wal names by version", "[unit][postgres]") {
    CHECK(pgWalName(kPgVersion15) == "wal");
    CHECK(pgWalName(90600) == "xlog");
    CHECK(pgLsnName(100000) == "lsn");
    CHECK(pgLsnName(90600) == "location");
    CHECK(pgWalPath(kPgVersion12) == "pg_wal");
    CHECK(pgWalPath(90500) == "pg_xlog");
}
