// Tests for the lz4 filters: frame header facts, the staged output path, concatenated frames.
#include <catch2/catch.hpp>

#include "common/compress/compress.h"
#include "common/error.h"
#include "fake/filter_driver.h"

using namespace pgark;
using namespace pgark::compress;
using pgark::test::PatternSource;
using pgark::test::RunOptions;
using pgark::test::runFilter;

namespace {

std::string lz4Compress(int level, std::string_view data, const RunOptions& options = {}) {
    auto filter = makeCompressFilter(CompressType::Lz4, level);
    return runFilter(*filter, data, options);
}

std::string lz4Decompress(std::string_view data, const RunOptions& options = {}) {
    auto filter = makeDecompressFilter(CompressType::Lz4);
    return runFilter(*filter, data, options);
}

unsigned byteAt(const std::string& data, std::size_t at) { return static_cast<unsigned char>(data.at(at)); }

}  // namespace

TEST_CASE("lz4 compress writes a frame with linked 64 KiB blocks and a content checksum", "[unit][compress]") {
    for (int level : {-5, 1, 12}) {
        INFO("level " << level);
        const std::string out = lz4Compress(level, PatternSource(1).take(200000));
        CHECK(out.substr(0, 4) == "\x04\x22\x4d\x18");
        // FLG: version 01, linked blocks (bit 5 clear), no block checksum, no content size,
        // content checksum (bit 2), no dictionary id.
        CHECK(byteAt(out, 4) == 0x44);
        CHECK(byteAt(out, 5) == 0x40);  // BD: 64 KiB maximum block size
        // Ends with the end mark (4 zero bytes) and a 4-byte content checksum.
        CHECK(out.substr(out.size() - 8, 4) == std::string(4, '\0'));
    }
    SECTION("an empty input is still a complete frame") {
        const std::string out = lz4Compress(1, "");
        CHECK(out.size() == 7 + 4 + 4);  // header, end mark, checksum
        CHECK(lz4Decompress(out).empty());
    }
}

TEST_CASE("lz4 levels trade speed for size", "[unit][compress]") {
    const std::string input = PatternSource(2).take(300000);
    const std::size_t fast = lz4Compress(-5, input).size();
    const std::size_t normal = lz4Compress(1, input).size();
    const std::size_t high = lz4Compress(12, input).size();
    CHECK(fast > normal);
    CHECK(high < normal);
}

TEST_CASE("lz4 compress output does not depend on the output room", "[unit][compress]") {
    // Room around LZ4F_compressBound() switches between direct and staged writes mid-stream.
    const std::string input = PatternSource(3).take(700000);
    const std::string reference = lz4Compress(1, input, {.outCapacity = 4 * 1024 * 1024});
    for (std::size_t capacity : {65536 + 11, 65536 + 12, 65536 + 13, 131072 + 20, 1024 * 1024}) {
        for (std::size_t chunk : {std::size_t{0}, std::size_t{1000}, std::size_t{65536}, std::size_t{200001}}) {
            INFO("capacity " << capacity << " chunk " << chunk);
            CHECK(lz4Compress(1, input, {.outCapacity = capacity, .inChunk = chunk}) == reference);
        }
    }
    CHECK(lz4Decompress(reference) == input);
}

TEST_CASE("lz4 decompress accepts concatenated frames and rejects garbage after them", "[unit][compress]") {
    const std::string first = lz4Compress(1, "first frame ");
    const std::string second = lz4Compress(9, PatternSource(4).take(100000));
    const std::string expected = "first frame " + PatternSource(4).take(100000);
    CHECK(lz4Decompress(first + second) == expected);
    CHECK(lz4Decompress(first + second, {.outCapacity = 3, .inChunk = 5}) == expected);
    CHECK(lz4Decompress(first + first + first) == "first frame first frame first frame ");

    SECTION("garbage after the frames") {
        CHECK_THROWS_MATCHES(lz4Decompress(first + second + "garbage!"), Error,
                             Catch::Predicate<Error>([](const Error& e) { return e.code() == ErrorCode::Decompress; }));
    }
    SECTION("a few stray bytes after the frames") {
        CHECK_THROWS_MATCHES(lz4Decompress(first + "\x04\x22"), Error,
                             Catch::Predicate<Error>([](const Error& e) { return e.code() == ErrorCode::Decompress; }));
    }
    SECTION("a second frame cut short") {
        CHECK_THROWS_WITH(lz4Decompress(first + second.substr(0, 100)),
                          Catch::Contains("unexpected end of compressed data"));
    }
}

TEST_CASE("lz4 decompress checks the content checksum", "[unit][compress]") {
    std::string out = lz4Compress(1, PatternSource(5).take(5000));
    out[out.size() - 1] = static_cast<char>(out[out.size() - 1] ^ 1);
    CHECK_THROWS_WITH(lz4Decompress(out), Catch::Contains("invalid lz4 compressed data"));
}
