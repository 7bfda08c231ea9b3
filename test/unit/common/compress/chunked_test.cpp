// Tests for chunked.h: frames compressed on a thread pool decode with the ordinary decoders to
// the same bytes, sizes and hashes are those of the bytes handed out, failures on a pool thread
// reach the caller, and nothing hangs when the stream is abandoned.
#include "common/compress/chunked.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <string>

#include "common/crypto/hash.h"
#include "common/error.h"
#include "common/io/filter.h"
#include "fake/filter_driver.h"

using namespace pgark;
using namespace pgark::compress;
using pgark::test::FilterDriver;
using pgark::test::PatternSource;
using pgark::test::RunOptions;
using pgark::test::runFilter;

namespace {

std::string decompress(CompressType type, std::string_view data) {
    auto filter = makeDecompressFilter(type);
    return runFilter(*filter, data, {.outCapacity = 1024 * 1024});
}

std::string chunked(CompressType type, std::string_view data, ChunkedCompressOptions options,
                    const RunOptions& run = {}) {
    auto filter = makeChunkedCompressFilter(type, compressLevelRange(type).defaultLevel, std::move(options));
    return runFilter(*filter, data, run);
}

// Counts frames by their magic at the start of each frame: decode frame by frame.
std::size_t countMagic(std::string_view data, std::string_view magic) {
    std::size_t count = 0;
    for (std::size_t at = data.find(magic); at != std::string_view::npos; at = data.find(magic, at + 1)) ++count;
    return count;
}

// A fake frame compressor: the real one, but it throws at the start of its `failAt`th use.
struct FailingFrames {
    CompressType type;
    int failAt;
    std::shared_ptr<std::atomic<int>> made = std::make_shared<std::atomic<int>>(0);
    std::unique_ptr<io::Filter> operator()() const {
        if (++*made == failAt) throwError(ErrorCode::Compress, "injected failure in frame {}", failAt);
        return makeCompressFilter(type, 1);
    }
};

// Runs `fn` on another thread and fails the test instead of hanging when it takes too long.
template <class Fn>
void withinSeconds(int seconds, Fn fn) {
    auto done = std::async(std::launch::async, fn);
    REQUIRE(done.wait_for(std::chrono::seconds(seconds)) == std::future_status::ready);
    done.get();
}

}  // namespace

TEST_CASE("chunked compress output decodes to the input with the ordinary decoders", "[unit][compress]") {
    const std::string input = PatternSource(11).take(1000 * 1000 + 7);
    for (CompressType type : {CompressType::Lz4, CompressType::Zst}) {
        for (unsigned threads : {0U, 1U, 2U, 3U}) {
            for (std::size_t chunkSize : {std::size_t{4096}, std::size_t{65536}, std::size_t{333333}, std::size_t{4 << 20}}) {
                INFO(compressTypeName(type) << " threads " << threads << " chunk " << chunkSize);
                const std::string out = chunked(type, input, {.threads = threads, .chunkSize = chunkSize});
                CHECK(decompress(type, out) == input);
                // One frame per chunk, in order.
                const std::size_t frames = (input.size() + chunkSize - 1) / chunkSize;
                CHECK(countMagic(out, type == CompressType::Zst ? "\x28\xb5\x2f\xfd" : "\x04\x22\x4d\x18") >= frames);
            }
        }
    }
}

TEST_CASE("chunked compress of edge sizes and through tiny buffers", "[unit][compress]") {
    for (CompressType type : {CompressType::Lz4, CompressType::Zst}) {
        for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{8191}, std::size_t{8192}, std::size_t{8193},
                                 std::size_t{3 * 8192}}) {
            INFO(compressTypeName(type) << " size " << size);
            const std::string input = PatternSource(size + 1).take(size);
            for (unsigned threads : {0U, 2U}) {
                INFO("threads " << threads);
                const std::string out = chunked(type, input, {.threads = threads, .chunkSize = 8192}, {.outCapacity = 3, .inChunk = 1000});
                CHECK(decompress(type, out) == input);
                if (size == 0) CHECK(out == runFilter(*makeCompressFilter(type, compressLevelRange(type).defaultLevel), ""));
            }
        }
    }
}

TEST_CASE("chunked compress of incompressible data outgrows the chunk", "[unit][compress]") {
    // Random bytes: each frame is a little larger than its chunk.
    std::string input(300000, '\0');
    std::uint64_t x = 88172645463325252ULL;
    for (char& c : input) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        c = static_cast<char>(x);
    }
    for (CompressType type : {CompressType::Lz4, CompressType::Zst}) {
        INFO(compressTypeName(type));
        const std::string out = chunked(type, input, {.threads = 2, .chunkSize = 70000});
        CHECK(out.size() > input.size());
        CHECK(decompress(type, out) == input);
    }
}

TEST_CASE("chunked compress in a FilterChain gives exact sizes and hashes of both sides", "[unit][compress]") {
    const std::string input = PatternSource(12).take(5 * 1024 * 1024 + 5);
    for (CompressType type : {CompressType::Lz4, CompressType::Zst}) {
        INFO(compressTypeName(type));
        io::FilterChain chain;
        chain.add(crypto::makeSha1Filter()).add(crypto::makeSizeFilter());
        chain.add(makeChunkedCompressFilter(type, 1, {.threads = 2, .chunkSize = 1024 * 1024}));
        chain.add(crypto::makeSha1Filter()).add(crypto::makeSizeFilter());
        std::string stored;
        struct Sink final : io::WriteStream {
            std::string& out;
            explicit Sink(std::string& o) : out(o) {}
            void write(io::ByteView data) override { out.append(io::asText(data)); }
            void commit() override {}
            void abort() noexcept override {}
        } sink(stored);
        auto writer = chain.writer(sink, 1024 * 1024);
        for (std::size_t at = 0; at < input.size(); at += 700000)
            writer->write(io::asBytes(std::string_view(input).substr(at, 700000)));
        writer->commit();

        CHECK(chain.result<std::uint64_t>(io::FilterType::Size, 0) == input.size());
        CHECK(chain.result<std::string>(io::FilterType::Sha1, 0) == crypto::sha1Hex(io::asBytes(input)));
        CHECK(chain.result<std::uint64_t>(io::FilterType::Size, 1) == stored.size());
        CHECK(chain.result<std::string>(io::FilterType::Sha1, 1) == crypto::sha1Hex(io::asBytes(stored)));
        CHECK(decompress(type, stored) == input);
    }
}

TEST_CASE("chunked compress takes the SHA-1 of its input and of its frames when asked", "[unit][compress]") {
    // Sizes around the chunk and SHA-1 block boundaries, fed in pieces that straddle both.
    for (CompressType type : {CompressType::Lz4, CompressType::Zst}) {
        for (unsigned threads : {0U, 2U}) {
            for (std::size_t size : {std::size_t{0}, std::size_t{63}, std::size_t{65}, std::size_t{3 * 8192 + 1}, std::size_t{200000}}) {
                INFO(compressTypeName(type) << " threads " << threads << " size " << size);
                const std::string input = PatternSource(size + 3).take(size);
                auto digests = std::make_shared<ChunkedDigests>();
                const std::string out = chunked(type, input, {.threads = threads, .chunkSize = 8192, .digests = digests},
                                                {.outCapacity = 1000, .inChunk = 777});
                CHECK(decompress(type, out) == input);
                CHECK(digests->inSha1 == crypto::sha1Hex(io::asBytes(input)));
                CHECK(digests->outSha1 == crypto::sha1Hex(io::asBytes(out)));
            }
        }
    }
}

TEST_CASE("chunked compress without a pool rethrows a frame's failure in order", "[unit][compress]") {
    const std::string input = PatternSource(14).take(10 * 4096);
    FailingFrames frames{CompressType::Lz4, 3};
    CHECK_THROWS_MATCHES(chunked(CompressType::Lz4, input, {.threads = 0, .chunkSize = 4096, .makeFrame = frames}), Error,
                         Catch::Predicate<Error>([](const Error& e) {
                             return e.code() == ErrorCode::Compress && std::string(e.what()).find("frame 3") != std::string::npos;
                         }));
    CHECK(*frames.made == 3);  // nothing was compressed after the failing frame
}

TEST_CASE("chunked compress reports the codec's type and spec and validates its arguments", "[unit][compress]") {
    auto filter = makeChunkedCompressFilter(CompressType::Zst, 5, {});
    CHECK(filter->type() == io::FilterType::ZstCompress);
    CHECK(filter->spec().params.at("level") == "5");
    CHECK(makeChunkedCompressFilter(CompressType::Lz4, 1, {})->type() == io::FilterType::Lz4Compress);
    CHECK_THROWS_MATCHES(makeChunkedCompressFilter(CompressType::Zst, 99, {}), Error,
                         Catch::Predicate<Error>([](const Error& e) { return e.code() == ErrorCode::OptionInvalidRange; }));
    CHECK_THROWS_MATCHES(makeChunkedCompressFilter(CompressType::Gz, 6, {}), Error,
                         Catch::Predicate<Error>([](const Error& e) { return e.code() == ErrorCode::Assert; }));
    CHECK_THROWS_MATCHES(makeChunkedCompressFilter(CompressType::Zst, 3, {.chunkSize = 0}), Error,
                         Catch::Predicate<Error>([](const Error& e) { return e.code() == ErrorCode::Assert; }));
    CHECK(chunkedCompressPays(CompressType::Zst, 8 << 20, 4 << 20));
    CHECK(chunkedCompressPays(CompressType::Lz4, 1 << 30, 4 << 20));
    CHECK_FALSE(chunkedCompressPays(CompressType::Zst, (8 << 20) - 1, 4 << 20));
    CHECK_FALSE(chunkedCompressPays(CompressType::Gz, 1 << 30, 4 << 20));
}

TEST_CASE("chunked compress rethrows a failure on a pool thread and does not hang", "[unit][compress]") {
    const std::string input = PatternSource(13).take(40 * 4096);
    for (int failAt : {1, 2, 7, 10}) {
        INFO("failing frame " << failAt);
        FailingFrames frames{CompressType::Lz4, failAt};
        withinSeconds(30, [&] {
            auto filter = makeChunkedCompressFilter(CompressType::Lz4, 1,
                                                    {.threads = 3, .chunkSize = 4096, .makeFrame = frames});
            CHECK_THROWS_WITH(runFilter(*filter, input, {.outCapacity = 1000, .inChunk = 5000}),
                              Catch::Contains("injected failure in frame " + std::to_string(failAt)));
        });
    }
}

TEST_CASE("chunked compress abandoned mid-stream stops its threads", "[unit][compress]") {
    const std::string input = PatternSource(14).take(3 * 1024 * 1024);
    withinSeconds(30, [&] {
        for (int round = 0; round < 20; ++round) {
            auto filter = makeChunkedCompressFilter(CompressType::Zst, 3, {.threads = 2, .chunkSize = 65536});
            io::Buffer out(4096);
            // Feed until the output buffer is full and never drain it: chunks stay in flight.
            io::ByteView rest = io::asBytes(input);
            for (int i = 0; i < 100 && !rest.empty(); ++i) rest = rest.subspan(filter->process(rest, out));
            CHECK(rest.size() < input.size());
        }  // destroyed with work queued
    });
}

namespace {
// A "frame" compressor that writes every byte three times and ends with '|': frames larger than
// their chunk, with a known output.
class Tripler final : public io::Filter {
public:
    io::FilterType type() const noexcept override { return io::FilterType::Lz4Compress; }
    io::FilterSpec spec() const override { return {type(), {}}; }
    bool flushed() const noexcept override { return ended_; }
    std::size_t process(io::ByteView in, io::Buffer& out) override {
        if (in.empty()) {
            if (!ended_ && out.remaining() >= 1) ended_ = out.append(io::asBytes("|")) == 1;
            return 0;
        }
        std::size_t taken = 0;
        for (; taken < in.size() && out.remaining() >= 3; ++taken)
            for (int i = 0; i < 3; ++i) out.append(in.subspan(taken, 1));
        return taken;
    }

private:
    bool ended_ = false;
};

// What a tripling frame makes of `input` in chunks of `chunk` bytes: each byte three times, then a
// '|' per frame.
std::string tripledFrames(const std::string& input, std::size_t chunk) {
    std::string expected;
    for (std::size_t at = 0; at < input.size(); at += chunk) {
        for (char c : input.substr(at, chunk)) expected.append(3, c);
        expected += '|';
    }
    return expected;
}
}  // namespace

TEST_CASE("chunked compress keeps frames that outgrow their chunk whole and in order", "[unit][compress]") {
    const std::string input = PatternSource(15).take(100000);
    const std::string expected = tripledFrames(input, 7000);
    const std::string out = chunked(CompressType::Lz4, input,
                                    {.threads = 3, .chunkSize = 7000, .makeFrame = [] { return std::make_unique<Tripler>(); }},
                                    {.outCapacity = 1000, .inChunk = 3000});
    CHECK(out == expected);
}

namespace {
// A whole compressor whose output is each byte three times and a '|': never fits its chunk's
// buffer, so the frame goes to the spill (through the default compressInto()).
class TriplingWhole final : public WholeCompressor {
public:
    CompressedBytes compress(io::ByteView in) override {
        CompressedBytes out;
        out.size = in.size() * 3 + 1;
        out.data = std::make_unique<std::byte[]>(out.size);
        for (std::size_t i = 0; i < in.size(); ++i)
            for (std::size_t k = 0; k < 3; ++k) out.data[i * 3 + k] = in[i];
        out.data[out.size - 1] = std::byte{'|'};
        return out;
    }
};
}  // namespace

TEST_CASE("chunked compress with a whole compressor per thread keeps frames whole and in order", "[unit][compress]") {
    const std::string input = PatternSource(16).take(100000);
    const std::string expected = tripledFrames(input, 7000);
    const std::string out = chunked(CompressType::Zst, input,
                                    {.threads = 3, .chunkSize = 7000, .makeWhole = [] { return std::make_unique<TriplingWhole>(); }},
                                    {.outCapacity = 1000, .inChunk = 3000});
    CHECK(out == expected);
}

TEST_CASE("zst whole compressInto fits the chunk or says it does not", "[unit][compress]") {
    const std::string input = PatternSource(17).take(200000);
    const auto whole = makeWholeCompressor(CompressType::Zst, 3);
    std::vector<std::byte> room(input.size() + 4096);
    const auto written = whole->compressInto(io::asBytes(std::string_view(input)), room);
    REQUIRE(written.has_value());
    const std::string frame(reinterpret_cast<const char*>(room.data()), *written);
    CHECK(decompress(CompressType::Zst, frame) == input);
    // Too little room: nullopt, not an error.
    std::vector<std::byte> tiny(16);
    CHECK_FALSE(whole->compressInto(io::asBytes(std::string_view(input)), tiny).has_value());
    // The context is still good for the next input.
    CHECK(whole->compressInto(io::asBytes(std::string_view(input)), room) == written);
}
