// Tests for the gz filters: the exact gzip header pgBackRest writes and one-member decoding.
#include <zlib.h>

#include <catch2/catch.hpp>

#include "common/compress/compress.h"
#include "common/error.h"
#include "fake/filter_driver.h"

using namespace pgark;
using namespace pgark::compress;
using pgark::test::PatternSource;
using pgark::test::runFilter;

namespace {

std::string gzCompress(int level, std::string_view data) {
    auto filter = makeCompressFilter(CompressType::Gz, level);
    return runFilter(*filter, data);
}

std::string gzDecompress(std::string_view data) {
    auto filter = makeDecompressFilter(CompressType::Gz);
    return runFilter(*filter, data);
}

unsigned byteAt(const std::string& data, std::size_t at) { return static_cast<unsigned char>(data.at(at)); }

}  // namespace

TEST_CASE("gz compress writes a gzip header with mtime 0 and OS 3", "[unit][compress]") {
    const std::string input = PatternSource(1).take(10000);
    for (int level : {-1, 0, 1, 6, 9}) {
        INFO("level " << level);
        const std::string out = gzCompress(level, input);
        REQUIRE(out.size() > 18);
        CHECK(byteAt(out, 0) == 0x1f);
        CHECK(byteAt(out, 1) == 0x8b);
        CHECK(byteAt(out, 2) == 8);  // deflate
        CHECK(byteAt(out, 3) == 0);  // no name, comment, extra or header CRC
        CHECK(out.substr(4, 4) == std::string(4, '\0'));  // mtime 0
        CHECK(byteAt(out, 8) == (level == 9 ? 2U : level == 0 || level == 1 ? 4U : 0U));  // XFL
        CHECK(byteAt(out, 9) == 3);  // OS: unix
        // Trailer: ISIZE = input size mod 2^32, little-endian.
        const std::size_t n = out.size();
        const unsigned isize = byteAt(out, n - 4) | byteAt(out, n - 3) << 8 | byteAt(out, n - 2) << 16 |
                               byteAt(out, n - 1) << 24;
        CHECK(isize == input.size());
    }
}

TEST_CASE("gz level 0 stores and level 9 compresses harder than level 1", "[unit][compress]") {
    const std::string input = PatternSource(2).take(200000);
    const std::string stored = gzCompress(0, input);
    CHECK(stored.size() > input.size());
    CHECK(gzCompress(9, input).size() < gzCompress(1, input).size());
    CHECK(gzCompress(-1, input) == gzCompress(6, input));  // -1 is zlib's default, 6
    CHECK(gzDecompress(stored) == input);
}

TEST_CASE("gz decompress reads exactly one member", "[unit][compress]") {
    const std::string first = gzCompress(6, "first member");
    const std::string second = gzCompress(6, "second member");
    const auto expectTrailing = [](std::string_view data) {
        try {
            gzDecompress(data);
            FAIL("trailing bytes accepted");
        } catch (const Error& error) {
            CHECK(error.code() == ErrorCode::Decompress);
            CHECK(error.message() == "unexpected data after end of gz compressed stream");
        }
    };
    SECTION("a second member is trailing data") { expectTrailing(first + second); }
    SECTION("one garbage byte after the member") { expectTrailing(first + "x"); }
    SECTION("trailing zeros") { expectTrailing(first + std::string(100, '\0')); }
    SECTION("trailing bytes fed in a later call") {
        auto filter = makeDecompressFilter(CompressType::Gz);
        CHECK_THROWS_WITH(runFilter(*filter, first + "junk", {.inChunk = first.size()}),
                          "unexpected data after end of gz compressed stream");
    }
    SECTION("the first member alone is fine") { CHECK(gzDecompress(first) == "first member"); }
}

TEST_CASE("gz decompress refuses a zlib or raw deflate stream", "[unit][compress]") {
    const std::string input = "not a gzip stream, a zlib one";
    std::string zlibStream(compressBound(static_cast<uLong>(input.size())), '\0');
    uLongf size = static_cast<uLongf>(zlibStream.size());
    REQUIRE(compress2(reinterpret_cast<Bytef*>(zlibStream.data()), &size,
                      reinterpret_cast<const Bytef*>(input.data()), static_cast<uLong>(input.size()), 6) == Z_OK);
    zlibStream.resize(size);
    CHECK_THROWS_MATCHES(gzDecompress(zlibStream), Error, Catch::Predicate<Error>([](const Error& e) {
                             return e.code() == ErrorCode::Decompress &&
                                    e.message().starts_with("invalid gz compressed data");
                         }));
}

TEST_CASE("gz decompress reports a CRC mismatch", "[unit][compress]") {
    std::string out = gzCompress(6, PatternSource(3).take(5000));
    out[out.size() - 8] = static_cast<char>(out[out.size() - 8] ^ 1);  // first CRC-32 byte
    CHECK_THROWS_WITH(gzDecompress(out), Catch::Contains("invalid gz compressed data") && Catch::Contains("check"));
}
