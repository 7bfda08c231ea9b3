// pipeChunks: every byte arrives in order with the right SHA-1 and size whatever the stream and
// fill sizes (empty, one chunk, exact multiples, odd tails, fills that stop short), and a failure
// in any stage (fill, write) comes back to the caller as that Error, never a hang. (A size limit
// is the fill's business: restore's FileCopy stops a stream at the manifest size.)
#include "common/io/chunk_pipeline.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>

#include "common/error.h"
#include "unit/common/io/test_streams.h"
#include "unit/thrown.h"

using namespace pgark;
using pgark::test::referenceSha1;
using pgark::test::StringWriteStream;

namespace {

constexpr std::size_t kChunk = 8192;

std::string patternText(std::size_t size) {
    std::string text(size, '\0');
    std::uint32_t state = 2463534242u;
    for (char& c : text) {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        c = static_cast<char>(state >> 24);
    }
    return text;
}

// A fill that appends at most `step` bytes per call (0: until the chunk is full), as a reader
// that returns short reads would.
std::function<bool(io::Buffer&)> filler(const std::string& data, std::size_t& pos, std::size_t step) {
    return [&data, &pos, step](io::Buffer& chunk) {
        const std::size_t room = step == 0 ? chunk.remaining() : std::min(step, chunk.remaining());
        const std::size_t n = std::min(room, data.size() - pos);
        chunk.append(io::asBytes(std::string_view(data).substr(pos, n)));
        pos += n;
        return n != 0;
    };
}

using pgark::test::thrown;

// Fails its nth write, as a full disk would.
class FailingSink final : public io::WriteStream {
public:
    explicit FailingSink(unsigned failAt) : failAt_(failAt) {}
    void write(io::ByteView) override {
        if (++writes == failAt_) throw Error(ErrorCode::FileWrite, "unable to write file 'dest': No space left on device");
    }
    void commit() override {}
    void abort() noexcept override {}
    std::atomic<unsigned> writes = 0;

private:
    unsigned failAt_;
};

}  // namespace

TEST_CASE("pipeChunks delivers every byte in order with its SHA-1 and size", "[unit][io]") {
    const std::size_t size = GENERATE(0, 1, kChunk - 1, kChunk, kChunk + 1, 2 * kChunk, 7 * kChunk + 4097, 40 * kChunk + 3);
    const std::size_t step = GENERATE(0, 1000, 4096, 12289);
    const std::size_t chunks = GENERATE(2, 4);
    INFO("size " << size << " fill step " << step << " chunks " << chunks);
    const std::string data = patternText(size);

    std::size_t pos = 0;
    StringWriteStream sink;
    const io::ChunkPipelineResult result =
        io::pipeChunks(filler(data, pos, step), &sink, {.chunkSize = kChunk, .chunks = chunks});
    CHECK(result.size == size);
    CHECK(result.sha1 == referenceSha1(data));
    CHECK(sink.data() == data);
    // The pipeline neither commits nor aborts: the caller decides after checking the result.
    CHECK_FALSE(sink.committed);
    CHECK(sink.aborts == 0);

    // Without a sink it only hashes.
    pos = 0;
    const io::ChunkPipelineResult hashed = io::pipeChunks(filler(data, pos, step), nullptr, {.chunkSize = kChunk});
    CHECK(hashed.size == size);
    CHECK(hashed.sha1 == result.sha1);
}

TEST_CASE("pipeChunks passes a write failure back to the caller without hanging", "[unit][io]") {
    const unsigned failAt = GENERATE(1U, 2U, 3U, 9U);
    INFO("failing write " << failAt);
    const std::string data = patternText(30 * kChunk + 5);
    std::size_t pos = 0;
    FailingSink sink(failAt);
    const Error error = thrown([&] { (void)io::pipeChunks(filler(data, pos, 0), &sink, {.chunkSize = kChunk}); });
    CHECK(error.code() == ErrorCode::FileWrite);
    CHECK(std::string(error.message()).find("'dest'") != std::string::npos);
    // Nothing is written after the failure, and decoding stops soon after it (the ring's depth).
    CHECK(sink.writes == failAt);
    CHECK(pos <= (failAt + 6) * kChunk);
}

TEST_CASE("pipeChunks passes a failure of the producer back, and the writes stop", "[unit][io]") {
    const std::string data = patternText(20 * kChunk);
    std::size_t pos = 0;
    unsigned fills = 0;
    StringWriteStream sink;
    const auto fill = [&](io::Buffer& chunk) {
        if (++fills == 5) throw Error(ErrorCode::Format, "corrupt lz4 frame in 'repo/file.lz4'");
        return filler(data, pos, 0)(chunk);
    };
    const Error error = thrown([&] { (void)io::pipeChunks(fill, &sink, {.chunkSize = kChunk}); });
    CHECK(error.code() == ErrorCode::Format);
    CHECK(sink.data() == data.substr(0, sink.data().size()));
    CHECK(sink.data().size() <= 4 * kChunk);
}

TEST_CASE("pipeChunks refuses a chunk size O_DIRECT cannot write", "[unit][io]") {
    std::size_t pos = 0;
    const std::string data = "x";
    CHECK(thrown([&] { (void)io::pipeChunks(filler(data, pos, 0), nullptr, {.chunkSize = 1000}); }).code() ==
          ErrorCode::Assert);
}

// Records the order of writes ('w') and writeback hints ('s'), from the pipeline's write thread.
class RecordingSink final : public io::WriteStream {
public:
    void write(io::ByteView) override { calls += 'w'; }
    void startWriteback() override { calls += 's'; }
    void commit() override {}
    void abort() noexcept override {}
    std::string calls;
};

TEST_CASE("pipeChunks asks the sink to start writeback after every chunk when told to", "[unit][io]") {
    const std::string data = patternText(kChunk * 5 + 100);
    const bool writeback = GENERATE(false, true);
    std::size_t pos = 0;
    RecordingSink sink;
    const auto result =
        io::pipeChunks(filler(data, pos, 0), &sink, {.chunkSize = kChunk, .chunks = 3, .writeback = writeback});
    CHECK(result.size == data.size());
    CHECK(sink.calls == (writeback ? "wswswswswsws" : "wwwwww"));
}

TEST_CASE("pipeChunkPair delivers both streams in order with their SHA-1s and sizes", "[unit][io]") {
    const std::size_t sizeA = GENERATE(0, kChunk - 1, 2 * kChunk, 7 * kChunk + 4097);
    const std::size_t sizeB = GENERATE(1, kChunk + 1, 40 * kChunk + 3);
    const std::size_t step = GENERATE(0, 1000);
    INFO("sizes " << sizeA << " and " << sizeB << ", fill step " << step);
    const std::string a = patternText(sizeA);
    const std::string b = patternText(sizeB + 17).substr(17);
    std::size_t posA = 0, posB = 0;
    StringWriteStream sinkA, sinkB;
    const auto results = io::pipeChunkPair({.fill = filler(a, posA, step), .sink = &sinkA},
                                           {.fill = filler(b, posB, step), .sink = &sinkB},
                                           {.chunkSize = kChunk, .chunks = 3, .writeback = true});
    CHECK(results[0].size == sizeA);
    CHECK(results[1].size == sizeB);
    CHECK(results[0].sha1 == referenceSha1(a));
    CHECK(results[1].sha1 == referenceSha1(b));
    CHECK(sinkA.data() == a);
    CHECK(sinkB.data() == b);
    CHECK_FALSE(sinkA.committed);
    CHECK_FALSE(sinkB.committed);
}

TEST_CASE("pipeChunkPair passes a failure of either stream back without hanging", "[unit][io]") {
    const std::string data = patternText(20 * kChunk);
    const int failing = GENERATE(0, 1);
    const bool inWrite = GENERATE(false, true);
    INFO("stream " << failing << (inWrite ? " write" : " fill") << " fails");
    std::size_t pos[2] = {0, 0};
    unsigned fills[2] = {0, 0};
    StringWriteStream good[2];  // one per stream: each stream's writes run on a thread of their own
    FailingSink bad(3);
    io::ChunkStream streams[2];
    for (int s = 0; s < 2; s++) {
        streams[s].fill = [&, s](io::Buffer& chunk) {
            if (!inWrite && s == failing && ++fills[s] == 4)
                throw Error(ErrorCode::Format, "corrupt zst frame in 'repo/file.zst'");
            return filler(data, pos[s], 0)(chunk);
        };
        streams[s].sink = inWrite && s == failing ? static_cast<io::WriteStream*>(&bad) : &good[s];
    }
    const Error error = thrown([&] { (void)io::pipeChunkPair(streams[0], streams[1], {.chunkSize = kChunk}); });
    CHECK(error.code() == (inWrite ? ErrorCode::FileWrite : ErrorCode::Format));
}
