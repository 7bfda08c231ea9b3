// Tests for zst frames decoded whole (zst_frames.h): which streams qualify, that the content comes
// out whole and in order from two threads, and that damage or a failing sink stops everything.
#include <catch2/catch.hpp>

#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/compress/compress.h"
#include "common/compress/zst_frames.h"
#include "common/error.h"
#include "fake/filter_driver.h"
#include "unit/thrown.h"

using namespace pgark;
using namespace pgark::compress;
using pgark::test::PatternSource;
using pgark::test::runFilter;
using pgark::test::thrown;

namespace {

// Frames as archive-push writes a segment's pieces: content size and checksum in each header.
std::string wholeFrames(const std::vector<std::string>& pieces, CompressOptions options = {.contentChecksum = true,
                                                                                            .contentSize = true}) {
    const auto compressor = makeWholeCompressor(CompressType::Zst, 3, options);
    std::string stream;
    for (const std::string& piece : pieces) {
        const CompressedBytes out = compressor->compress(io::asBytes(piece));
        stream.append(reinterpret_cast<const char*>(out.view().data()), out.size);
    }
    return stream;
}

std::vector<std::string> patternPieces(const std::vector<std::size_t>& sizes, std::uint64_t seed) {
    PatternSource source(seed);
    std::vector<std::string> pieces;
    for (std::size_t size : sizes) pieces.push_back(source.take(size));
    return pieces;
}

std::string joined(const std::vector<std::string>& pieces) {
    std::string all;
    for (const std::string& piece : pieces) all += piece;
    return all;
}

// Decodes `stream` whole, collecting what the sink got, one entry per call.
std::vector<std::string> decodeAll(const std::string& stream, std::size_t maxFrameSize = 1 << 20) {
    const auto frames = zstWholeFrames(io::asBytes(stream), maxFrameSize);
    REQUIRE(frames);
    std::vector<std::string> got;
    const std::uint64_t total = zstDecodeFrames(io::asBytes(stream), *frames, [&](io::ByteView bytes) {
        got.emplace_back(io::asText(bytes));
    });
    std::uint64_t size = 0;
    for (const std::string& piece : got) size += piece.size();
    CHECK(total == size);
    return got;
}

}  // namespace

TEST_CASE("zst whole frames: every frame decodes in one call, in order, from two threads", "[unit][compress]") {
    // Nine frames of different sizes (an empty one too): the threads take them as they come.
    const auto pieces = patternPieces({200000, 65536, 0, 1, 262144, 100, 150000, 262144, 7}, 11);
    const std::string stream = wholeFrames(pieces);

    const auto frames = zstWholeFrames(io::asBytes(stream), 262144);
    REQUIRE(frames);
    REQUIRE(frames->size() == pieces.size());
    std::size_t at = 0;
    for (std::size_t i = 0; i < pieces.size(); ++i) {
        INFO("frame " << i);
        CHECK((*frames)[i].inOffset == at);
        CHECK((*frames)[i].outSize == pieces[i].size());
        at += (*frames)[i].inSize;
    }
    CHECK(at == stream.size());

    for (int round = 0; round < 20; ++round) CHECK(decodeAll(stream, 262144) == pieces);
    // The same bytes are one content to the streaming decoder too (what pgBackRest reads).
    auto filter = makeDecompressFilter(CompressType::Zst);
    CHECK(runFilter(*filter, stream) == joined(pieces));

    // A single frame is decoded on the caller's thread alone.
    const auto one = patternPieces({70000}, 12);
    CHECK(decodeAll(wholeFrames(one)) == one);
}

TEST_CASE("zst whole frames: streams without content size or checksum are left to the streaming filter",
          "[unit][compress]") {
    const auto pieces = patternPieces({100000, 50000}, 13);
    const auto qualifies = [](const std::string& stream) {
        return zstWholeFrames(io::asBytes(stream), 1 << 20).has_value();
    };
    CHECK(qualifies(wholeFrames(pieces)));

    // The streaming compressor (pgBackRest's kind of frame) records no content size.
    auto streaming = makeCompressFilter(CompressType::Zst, 3, {.contentChecksum = true});
    const std::string noSize = runFilter(*streaming, joined(pieces));
    CHECK_FALSE(qualifies(noSize));
    CHECK_FALSE(qualifies(wholeFrames(pieces) + noSize));  // one frame without is enough

    // A content size but no checksum: the whole-frame path would not verify it.
    CHECK_FALSE(qualifies(wholeFrames(pieces, {.contentChecksum = false, .contentSize = true})));

    // Empty, truncated, followed by garbage, or not zstd at all.
    const std::string good = wholeFrames(pieces);
    CHECK_FALSE(qualifies(""));
    CHECK_FALSE(qualifies(good.substr(0, good.size() - 1)));
    CHECK_FALSE(qualifies(good.substr(0, 3)));
    CHECK_FALSE(qualifies(good + "x"));
    CHECK_FALSE(qualifies(good + std::string(8, '\0')));
    CHECK_FALSE(qualifies(std::string(64, 'a')));
}

TEST_CASE("zst whole frames: a frame larger than the limit is left to the streaming filter", "[unit][compress]") {
    const auto pieces = patternPieces({65536, 300000}, 14);
    const std::string stream = wholeFrames(pieces);
    CHECK_FALSE(zstWholeFrames(io::asBytes(stream), 299999));
    CHECK(zstWholeFrames(io::asBytes(stream), 300000));
    CHECK(decodeAll(stream, 300000) == pieces);
}

TEST_CASE("zst whole frames: a damaged frame throws before its content reaches the sink", "[unit][compress]") {
    const auto pieces = patternPieces({100000, 100000, 100000, 100000}, 15);
    std::string stream = wholeFrames(pieces);
    const auto frames = zstWholeFrames(io::asBytes(stream), 1 << 20);
    REQUIRE(frames);

    // The third frame's content checksum (its last 4 bytes): the headers still qualify.
    const ZstFrame& third = (*frames)[2];
    stream[third.inOffset + third.inSize - 1] = static_cast<char>(stream[third.inOffset + third.inSize - 1] ^ 0x5a);
    REQUIRE(zstWholeFrames(io::asBytes(stream), 1 << 20));
    std::vector<std::string> got;
    std::mutex mutex;
    const Error error = thrown([&] {
        zstDecodeFrames(io::asBytes(stream), *frames, [&](io::ByteView bytes) {
            const std::lock_guard lock(mutex);
            got.emplace_back(io::asText(bytes));
        });
    });
    CHECK(error.code() == ErrorCode::Decompress);
    CHECK_THAT(error.message(), Catch::Contains("invalid zst compressed data") && Catch::Contains("checksum"));
    // Only frames before the damaged one may have been handed over, each whole and in order.
    REQUIRE(got.size() <= 2);
    for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == pieces[i]);
}

TEST_CASE("zst whole frames: a failing sink stops both threads and its error comes back", "[unit][compress]") {
    const auto pieces = patternPieces({50000, 50000, 50000, 50000, 50000, 50000}, 16);
    const std::string stream = wholeFrames(pieces);
    const auto frames = zstWholeFrames(io::asBytes(stream), 1 << 20);
    REQUIRE(frames);
    std::size_t calls = 0;
    const Error error = thrown([&] {
        zstDecodeFrames(io::asBytes(stream), *frames, [&](io::ByteView) {
            if (++calls == 2) throw Error(ErrorCode::FileWrite, "disk full");
        });
    });
    CHECK(error.code() == ErrorCode::FileWrite);
    CHECK(calls == 2);
}
