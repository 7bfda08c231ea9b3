// Tests for the bz2 filters: the stream header and one-stream decoding.
#include <catch2/catch.hpp>

#include "common/compress/compress.h"
#include "common/error.h"
#include "fake/filter_driver.h"

using namespace pgark;
using namespace pgark::compress;
using pgark::test::PatternSource;
using pgark::test::runFilter;

namespace {

std::string bz2Compress(int level, std::string_view data) {
    auto filter = makeCompressFilter(CompressType::Bz2, level);
    return runFilter(*filter, data);
}

std::string bz2Decompress(std::string_view data) {
    auto filter = makeDecompressFilter(CompressType::Bz2);
    return runFilter(*filter, data);
}

}  // namespace

TEST_CASE("bz2 compress writes BZh and the level as the block size", "[unit][compress]") {
    const std::string input = PatternSource(1).take(5000);
    for (int level = 1; level <= 9; ++level) {
        INFO("level " << level);
        const std::string out = bz2Compress(level, input);
        CHECK(out.substr(0, 4) == "BZh" + std::to_string(level));
        // Block header magic: the BCD digits of pi.
        CHECK(out.substr(4, 6) == "\x31\x41\x59\x26\x53\x59");
    }
    SECTION("an empty stream is a header and the end-of-stream marker") {
        const std::string out = bz2Compress(9, "");
        CHECK(out.substr(0, 4) == "BZh9");
        CHECK(out.substr(4, 6) == "\x17\x72\x45\x38\x50\x90");
        CHECK(bz2Decompress(out).empty());
    }
}

TEST_CASE("bz2 decompress reads exactly one stream", "[unit][compress]") {
    const std::string first = bz2Compress(9, "first stream");
    const std::string second = bz2Compress(9, "second stream");
    SECTION("a second stream is trailing data") {
        CHECK_THROWS_WITH(bz2Decompress(first + second), "unexpected data after end of bz2 compressed stream");
    }
    SECTION("garbage after the stream") {
        CHECK_THROWS_WITH(bz2Decompress(first + "!"), "unexpected data after end of bz2 compressed stream");
    }
    SECTION("garbage fed in a later call") {
        auto filter = makeDecompressFilter(CompressType::Bz2);
        CHECK_THROWS_MATCHES(runFilter(*filter, first + "junk", {.inChunk = first.size()}), Error,
                             Catch::Predicate<Error>([](const Error& e) { return e.code() == ErrorCode::Decompress; }));
    }
    SECTION("the first stream alone is fine") { CHECK(bz2Decompress(first) == "first stream"); }
}

TEST_CASE("bz2 decompress names a bad magic", "[unit][compress]") {
    CHECK_THROWS_WITH(bz2Decompress("BZx9 this is not bzip2"), Catch::Contains("invalid bz2 compressed data"));
}
