// Tests for the lz4 filters: frame header facts, the staged output path, concatenated frames, and
// agreement with liblz4's own frame implementation (lz4frame.h) in both directions. Also XXH32.
#include <lz4frame.h>

#include <catch2/catch.hpp>
#include <cstring>

#include "common/compress/compress.h"
#include "common/compress/xxh32.h"
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

// Decodes with lz4frame.h, the reference implementation, through a small output buffer.
std::string referenceDecompress(const std::string& frame) {
    LZ4F_dctx* ctx = nullptr;
    REQUIRE_FALSE(LZ4F_isError(LZ4F_createDecompressionContext(&ctx, LZ4F_VERSION)));
    std::string result;
    std::size_t pos = 0;
    std::size_t hint = 1;
    char buffer[5000];
    while (pos < frame.size() || hint != 0) {
        std::size_t produced = sizeof(buffer);
        std::size_t consumed = frame.size() - pos;
        hint = LZ4F_decompress(ctx, buffer, &produced, frame.data() + pos, &consumed, nullptr);
        if (LZ4F_isError(hint)) {
            LZ4F_freeDecompressionContext(ctx);
            FAIL("lz4frame.h rejects the frame: " << LZ4F_getErrorName(hint));
        }
        result.append(buffer, produced);
        pos += consumed;
        if (consumed == 0 && produced == 0) break;
    }
    LZ4F_freeDecompressionContext(ctx);
    CHECK(hint == 0);
    return result;
}

// Encodes with lz4frame.h: `input` in pieces of `piece` bytes, calling LZ4F_flush() after each
// when `flush` is set (which makes short blocks in the middle of the frame).
std::string referenceCompress(std::string_view input, const LZ4F_preferences_t& prefs, std::size_t piece,
                              bool flush) {
    LZ4F_cctx* ctx = nullptr;
    REQUIRE_FALSE(LZ4F_isError(LZ4F_createCompressionContext(&ctx, LZ4F_VERSION)));
    std::string out(LZ4F_HEADER_SIZE_MAX, '\0');
    std::size_t size = LZ4F_compressBegin(ctx, out.data(), out.size(), &prefs);
    REQUIRE_FALSE(LZ4F_isError(size));
    out.resize(size);
    for (std::size_t pos = 0; pos < input.size(); pos += piece) {
        const std::size_t n = std::min(piece, input.size() - pos);
        std::string block(LZ4F_compressBound(n, &prefs), '\0');
        size = LZ4F_compressUpdate(ctx, block.data(), block.size(), input.data() + pos, n, nullptr);
        REQUIRE_FALSE(LZ4F_isError(size));
        out.append(block.data(), size);
        if (flush) {
            size = LZ4F_flush(ctx, block.data(), block.size(), nullptr);
            REQUIRE_FALSE(LZ4F_isError(size));
            out.append(block.data(), size);
        }
    }
    std::string end(LZ4F_compressBound(0, &prefs), '\0');
    size = LZ4F_compressEnd(ctx, end.data(), end.size(), nullptr);
    REQUIRE_FALSE(LZ4F_isError(size));
    out.append(end.data(), size);
    LZ4F_freeCompressionContext(ctx);
    return out;
}

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

TEST_CASE("lz4 frames we write are read by lz4frame.h", "[unit][compress]") {
    const std::string input = PatternSource(6).take(400000);
    std::string incompressible(150000, '\0');
    std::uint64_t x = 12345;
    for (char& c : incompressible) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        c = static_cast<char>(x >> 56);
    }
    for (int level : {-5, -1, 0, 1, 2, 3, 9, 12}) {
        for (std::size_t chunk : {std::size_t{0}, std::size_t{777}, std::size_t{65536}, std::size_t{100000}}) {
            INFO("level " << level << " chunk " << chunk);
            CHECK(referenceDecompress(lz4Compress(level, input, {.outCapacity = 100000, .inChunk = chunk})) == input);
        }
        INFO("level " << level << " incompressible");
        const std::string stored = lz4Compress(level, incompressible);
        CHECK(stored.size() < incompressible.size() + 100);  // stored blocks, not expanded ones
        CHECK(referenceDecompress(stored) == incompressible);
        CHECK(lz4Decompress(stored) == incompressible);
    }
}

TEST_CASE("lz4 decompress reads every frame variant lz4frame.h writes", "[unit][compress]") {
    const std::string input = PatternSource(7).take(1100000);
    for (int blockId : {4, 5, 6, 7}) {
        for (bool independent : {false, true}) {
            for (bool blockChecksum : {false, true}) {
                for (bool contentSize : {false, true}) {
                    LZ4F_preferences_t prefs{};
                    prefs.frameInfo.blockSizeID = static_cast<LZ4F_blockSizeID_t>(blockId);
                    prefs.frameInfo.blockMode = independent ? LZ4F_blockIndependent : LZ4F_blockLinked;
                    prefs.frameInfo.blockChecksumFlag = blockChecksum ? LZ4F_blockChecksumEnabled : LZ4F_noBlockChecksum;
                    prefs.frameInfo.contentChecksumFlag =
                        blockChecksum ? LZ4F_noContentChecksum : LZ4F_contentChecksumEnabled;
                    prefs.frameInfo.contentSize = contentSize ? input.size() : 0;
                    prefs.compressionLevel = blockId == 5 ? 9 : 1;
                    for (bool flush : {false, true}) {
                        INFO("block id " << blockId << " independent " << independent << " block checksum "
                                         << blockChecksum << " content size " << contentSize << " flush " << flush);
                        const std::string frame = referenceCompress(input, prefs, flush ? 30000 : 300000, flush);
                        CHECK(lz4Decompress(frame) == input);
                        CHECK(lz4Decompress(frame, {.outCapacity = 50000, .inChunk = 9999}) == input);
                    }
                }
            }
        }
    }
}

TEST_CASE("lz4 decompress keeps history across short blocks and small buffers", "[unit][compress]") {
    // Flushing every few hundred bytes makes many short linked blocks whose matches reach back
    // across several of them; tiny output buffers send them all through the window.
    const std::string input = PatternSource(8).take(300000);
    LZ4F_preferences_t prefs{};
    prefs.frameInfo.blockSizeID = LZ4F_max64KB;
    prefs.frameInfo.blockMode = LZ4F_blockLinked;
    prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
    for (std::size_t piece : {std::size_t{300}, std::size_t{40000}, std::size_t{70000}}) {
        const std::string frame = referenceCompress(input, prefs, piece, true);
        for (std::size_t capacity : {std::size_t{1}, std::size_t{1000}, std::size_t{65536}, std::size_t{65536 + 500},
                                     std::size_t{200000}}) {
            INFO("piece " << piece << " capacity " << capacity);
            CHECK(lz4Decompress(frame, {.outCapacity = capacity, .inChunk = capacity == 1 ? std::size_t{0} : std::size_t{12345}}) == input);
        }
    }
}

TEST_CASE("lz4 decompress skips skippable frames and checks declared sizes", "[unit][compress]") {
    const std::string frame = lz4Compress(1, "payload");
    std::string skippable = "\x5a\x2a\x4d\x18";
    skippable += std::string("\x05\x00\x00\x00", 4) + "12345";
    CHECK(lz4Decompress(skippable + frame + skippable) == "payload");
    CHECK(lz4Decompress(std::string("\x50\x2a\x4d\x18\x00\x00\x00\x00", 8) + frame, {.inChunk = 1}) == "payload");

    SECTION("a content size that does not match") {
        LZ4F_preferences_t prefs{};
        prefs.frameInfo.contentSize = 10;
        std::string sized = referenceCompress("0123456789", prefs, 100, false);
        REQUIRE(byteAt(sized, 4) == 0x48);  // FLG: version 01 and the content size bit
        sized[6] = 11;                        // declare 11 bytes, then fix the header checksum
        sized[14] = static_cast<char>((detail::Xxh32::of(sized.data() + 4, 10) >> 8) & 0xFF);
        CHECK_THROWS_WITH(lz4Decompress(sized), Catch::Contains("content size mismatch"));
    }
    SECTION("a damaged header") {
        std::string bad = frame;
        bad[6] = static_cast<char>(bad[6] ^ 1);
        CHECK_THROWS_WITH(lz4Decompress(bad), Catch::Contains("header checksum mismatch"));
    }
    SECTION("a block larger than the frame allows") {
        std::string bad = frame;
        bad[7 + 2] = 0x01;  // block size 0x10000 + ...: over 64 KiB
        CHECK_THROWS_WITH(lz4Decompress(bad), Catch::Contains("block larger"));
    }
}

TEST_CASE("XXH32 matches the checksums lz4frame.h computes", "[unit][compress]") {
    // The content checksum of a frame is XXH32(content, seed 0).
    const std::string input = PatternSource(9).take(5000);
    LZ4F_preferences_t prefs{};
    prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
    for (std::size_t size : {0, 1, 3, 4, 15, 16, 17, 31, 32, 33, 100, 4999}) {
        const std::string frame = referenceCompress(std::string_view(input).substr(0, size), prefs, 100000, false);
        std::uint32_t expected;
        std::memcpy(&expected, frame.data() + frame.size() - 4, 4);
        INFO("size " << size);
        CHECK(detail::Xxh32::of(input.data(), size) == expected);
        // The same fed in uneven pieces.
        detail::Xxh32 hash;
        for (std::size_t pos = 0, piece = 1; pos < size; pos += piece, piece = piece * 2 + 1)
            hash.update(input.data() + pos, std::min(piece, size - pos));
        CHECK(hash.digest() == expected);
    }
    CHECK(detail::Xxh32::of("", 0) == 0x02CC5D05U);
}

TEST_CASE("lz4 decoder reports whether every frame carried a content checksum", "[unit][compress]") {
    const std::string data = PatternSource(9).take(200000);
    const std::string ours = lz4Compress(1, data);
    LZ4F_preferences_t prefs{};
    prefs.frameInfo.contentChecksumFlag = LZ4F_noContentChecksum;
    const std::string unchecked = referenceCompress(data, prefs, 65536, false);
    const auto checksummed = [](const std::string& frames) {
        auto filter = makeDecompressFilter(CompressType::Lz4);
        runFilter(*filter, frames);
        return filter->contentChecksummed();
    };
    CHECK(checksummed(ours));
    CHECK(checksummed(ours + ours));
    CHECK_FALSE(checksummed(unchecked));
    CHECK_FALSE(checksummed(ours + unchecked));
    CHECK_FALSE(checksummed(unchecked + ours));
}
