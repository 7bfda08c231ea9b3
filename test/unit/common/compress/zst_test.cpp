// Tests for the zst filters: frame header facts, levels, concatenated frames.
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

std::string zstCompress(int level, std::string_view data, const RunOptions& options = {}) {
    auto filter = makeCompressFilter(CompressType::Zst, level);
    return runFilter(*filter, data, options);
}

std::string zstDecompress(std::string_view data, const RunOptions& options = {}) {
    auto filter = makeDecompressFilter(CompressType::Zst);
    return runFilter(*filter, data, options);
}

unsigned byteAt(const std::string& data, std::size_t at) { return static_cast<unsigned char>(data.at(at)); }

}  // namespace

TEST_CASE("zst compress writes a frame without checksum or content size", "[unit][compress]") {
    for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{200000}}) {
        for (int level : {-7, 3, 19}) {
            INFO("size " << size << " level " << level);
            const std::string out = zstCompress(level, PatternSource(1).take(size));
            CHECK(out.substr(0, 4) == "\x28\xb5\x2f\xfd");
            // Frame header descriptor: content size flag (bits 7-6) 0 and not single segment
            // (bit 5), so no size is recorded; checksum flag (bit 2) clear; no dictionary id.
            const unsigned descriptor = byteAt(out, 4);
            CHECK((descriptor & 0xE0) == 0);
            CHECK((descriptor & 0x04) == 0);
            CHECK((descriptor & 0x03) == 0);
        }
    }
}

TEST_CASE("zst levels trade speed for size", "[unit][compress]") {
    const std::string input = PatternSource(2).take(300000);
    CHECK(zstCompress(-7, input).size() > zstCompress(3, input).size());
    CHECK(zstCompress(19, input).size() < zstCompress(3, input).size());
}

TEST_CASE("zst compresses at the top level", "[unit][compress]") {
    // Level 22 streams with unknown size take about 700 MB of tables: one small round trip only.
    const std::string input = PatternSource(3).take(20000);
    const std::string out = zstCompress(22, input);
    CHECK((static_cast<unsigned char>(out.at(4)) & 0xE4) == 0);  // still no content size or checksum
    CHECK(zstDecompress(out) == input);
}

TEST_CASE("zst decompress accepts concatenated frames and rejects garbage after them", "[unit][compress]") {
    const std::string first = zstCompress(3, "first frame ");
    const std::string second = zstCompress(1, PatternSource(4).take(100000));
    const std::string expected = "first frame " + PatternSource(4).take(100000);
    CHECK(zstDecompress(first + second) == expected);
    CHECK(zstDecompress(first + second, {.outCapacity = 3, .inChunk = 5}) == expected);
    CHECK(zstDecompress(first + first) == "first frame first frame ");

    SECTION("garbage after the frames") {
        CHECK_THROWS_WITH(zstDecompress(first + second + "garbage!"), Catch::Contains("invalid zst compressed data"));
    }
    SECTION("a few stray bytes after the frames") {
        CHECK_THROWS_MATCHES(zstDecompress(first + "\x28\xb5"), Error,
                             Catch::Predicate<Error>([](const Error& e) { return e.code() == ErrorCode::Decompress; }));
    }
    SECTION("a second frame cut short") {
        CHECK_THROWS_WITH(zstDecompress(first + second.substr(0, 100)),
                          Catch::Contains("unexpected end of compressed data"));
    }
}

TEST_CASE("zst decompress rejects a reserved block type", "[unit][compress]") {
    std::string out = zstCompress(3, "some data to put in a block, some data to put in a block");
    // Magic (4 bytes), frame header descriptor (1), a window byte unless single-segment, then the
    // first block header: setting its type bits (1-2) to 3 makes the block type reserved.
    const unsigned descriptor = byteAt(out, 4);
    const std::size_t headerEnd = 5 + ((descriptor & 0x20) == 0 ? 1 : 0);  // window descriptor byte
    out[headerEnd] = static_cast<char>(out[headerEnd] | 0x06);
    CHECK_THROWS_WITH(zstDecompress(out), Catch::Contains("invalid zst compressed data"));
}

TEST_CASE("zst content checksum: written on request, checked, and reported by the decoder", "[unit][compress]") {
    const std::string data = PatternSource(7).take(300000);
    auto checked = makeCompressFilter(CompressType::Zst, 3, {.contentChecksum = true});
    const std::string withSum = runFilter(*checked, data);
    CHECK((byteAt(withSum, 4) & 0x04) == 0x04);  // Content_Checksum_flag
    const std::string plain = zstCompress(3, data);

    const auto decode = [](const std::string& frames, const RunOptions& options = {}) {
        auto filter = makeDecompressFilter(CompressType::Zst);
        const std::string out = runFilter(*filter, frames, options);
        return std::make_pair(out, filter->contentChecksummed());
    };
    // Input fed a byte at a time too: the frame header is collected across calls.
    for (const std::size_t chunk : {std::size_t{0}, std::size_t{1}, std::size_t{7}}) {
        INFO("input chunk " << chunk);
        CHECK(decode(withSum, {.inChunk = chunk}) == std::make_pair(data, true));
        CHECK(decode(plain, {.inChunk = chunk}) == std::make_pair(data, false));
        // Every frame must have it: one frame without makes the whole stream unchecked.
        CHECK(decode(withSum + withSum, {.inChunk = chunk}) == std::make_pair(data + data, true));
        CHECK(decode(withSum + plain, {.inChunk = chunk}) == std::make_pair(data + data, false));
        CHECK(decode(plain + withSum, {.inChunk = chunk}) == std::make_pair(data + data, false));
    }
    // A damaged checksum (the last 4 bytes) is refused.
    std::string bad = withSum;
    bad.back() = static_cast<char>(bad.back() ^ 0x01);
    CHECK_THROWS_AS(zstDecompress(bad), Error);
}
