// Tests for compress.h: names, extensions, levels, factories, and the behaviour every codec
// shares (round trips, tiny buffers, truncated and corrupt input, the command-line tools).
#include "common/compress/compress.h"

#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "common/error.h"
#include "fake/filter_driver.h"

using namespace pgark;
using namespace pgark::compress;
using pgark::test::FilterDriver;
using pgark::test::PatternSource;
using pgark::test::PatternVerifier;
using pgark::test::RunOptions;
using pgark::test::runFilter;

namespace {

constexpr CompressType kCodecs[] = {CompressType::Gz, CompressType::Bz2, CompressType::Lz4, CompressType::Zst};

std::string compressBytes(CompressType type, int level, std::string_view data, const RunOptions& options = {}) {
    auto filter = makeCompressFilter(type, level);
    return runFilter(*filter, data, options);
}

std::string decompressBytes(CompressType type, std::string_view data, const RunOptions& options = {}) {
    auto filter = makeDecompressFilter(type);
    return runFilter(*filter, data, options);
}

std::string pattern(std::size_t size, std::uint64_t seed = 1) { return PatternSource(seed).take(size); }

// Levels worth a round trip: the ends of the range, the default, and the odd ones.
std::vector<int> levelsToTry(CompressType type) {
    switch (type) {
    case CompressType::Gz:
        return {-1, 0, 1, 6, 9};
    case CompressType::Bz2:
        return {1, 9};
    case CompressType::Lz4:
        return {-5, -1, 0, 1, 9, 12};
    case CompressType::Zst:
        return {-7, -1, 1, 3, 19};
    case CompressType::None:
        break;
    }
    return {};
}

// What the decompressor throws for `data`, or "" when it accepts it. Other exceptions escape.
std::string decompressError(CompressType type, std::string_view data, ErrorCode expectCode = ErrorCode::Decompress) {
    try {
        decompressBytes(type, data);
    } catch (const Error& error) {
        CHECK(error.code() == expectCode);
        return error.message();
    }
    return "";
}

// A scratch directory under TMPDIR, removed with everything in it.
class TempDir {
public:
    TempDir() {
        const std::filesystem::path base = std::filesystem::temp_directory_path();
        std::string templ = (base / "pgark-compress-XXXXXX").string();
        if (mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = templ;
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    std::string file(std::string_view name) const { return (path_ / name).string(); }

private:
    std::filesystem::path path_;
};

void writeFile(const std::string& path, std::string_view data) {
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    file.write(data.data(), static_cast<std::streamsize>(data.size()));
    REQUIRE(file.good());
}

std::string readFile(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    REQUIRE(file.good());
    return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

int shell(const std::string& command) {
    INFO(command);
    return std::system(command.c_str());
}

// The command-line tool for each type.
std::string toolName(CompressType type) {
    switch (type) {
    case CompressType::Gz:
        return "gzip";
    case CompressType::Bz2:
        return "bzip2";
    case CompressType::Lz4:
        return "lz4";
    case CompressType::Zst:
        return "zstd";
    case CompressType::None:
        break;
    }
    return "";
}

// A ReadStream over a string that hands out at most `piece` bytes per read.
class StringSource final : public io::ReadStream {
public:
    StringSource(std::string_view data, std::size_t piece) : data_(data), piece_(piece) {}
    std::size_t read(io::MutableByteView out) override {
        const std::size_t n = std::min({out.size(), piece_, data_.size() - pos_});
        std::memcpy(out.data(), data_.data() + pos_, n);
        pos_ += n;
        return n;
    }

private:
    std::string_view data_;
    std::size_t piece_;
    std::size_t pos_ = 0;
};

// A WriteStream into a string.
class StringSink final : public io::WriteStream {
public:
    void write(io::ByteView data) override { text += io::asText(data); }
    void commit() override { committed = true; }
    void abort() noexcept override {}
    std::string text;
    bool committed = false;
};

}  // namespace

TEST_CASE("compress types have pgBackRest's names, extensions and level ranges", "[unit][compress]") {
    SECTION("names round trip") {
        for (CompressType type :
             {CompressType::None, CompressType::Gz, CompressType::Bz2, CompressType::Lz4, CompressType::Zst}) {
            REQUIRE(compressTypeFromName(compressTypeName(type)) == type);
        }
        CHECK(compressTypeName(CompressType::None) == "none");
        CHECK(compressTypeName(CompressType::Gz) == "gz");
        CHECK(compressTypeName(CompressType::Bz2) == "bz2");
        CHECK(compressTypeName(CompressType::Lz4) == "lz4");
        CHECK(compressTypeName(CompressType::Zst) == "zst");
    }
    SECTION("unknown names") {
        CHECK_FALSE(compressTypeFromName("zstd").has_value());
        CHECK_FALSE(compressTypeFromName("GZ").has_value());
        CHECK_FALSE(compressTypeFromName("").has_value());
        CHECK_FALSE(compressTypeFromName("bzip2").has_value());
    }
    SECTION("extensions") {
        CHECK(compressExtension(CompressType::None).empty());
        CHECK(compressExtension(CompressType::Gz) == ".gz");
        CHECK(compressExtension(CompressType::Bz2) == ".bz2");
        CHECK(compressExtension(CompressType::Lz4) == ".lz4");
        CHECK(compressExtension(CompressType::Zst) == ".zst");
    }
    SECTION("level ranges and defaults") {
        const auto check = [](CompressType type, int min, int max, int defaultLevel) {
            const LevelRange range = compressLevelRange(type);
            INFO(compressTypeName(type));
            CHECK(range.min == min);
            CHECK(range.max == max);
            CHECK(range.defaultLevel == defaultLevel);
        };
        check(CompressType::Gz, -1, 9, 6);
        check(CompressType::Bz2, 1, 9, 9);
        check(CompressType::Lz4, -5, 12, 1);
        check(CompressType::Zst, -7, 22, 3);
    }
}

TEST_CASE("compressTypeFromFileName matches the extension at the end", "[unit][compress]") {
    CHECK(compressTypeFromFileName("pg_data/base/1/1259.gz") == CompressType::Gz);
    CHECK(compressTypeFromFileName("000000010000000000000001-abc.bz2") == CompressType::Bz2);
    CHECK(compressTypeFromFileName("file.lz4") == CompressType::Lz4);
    CHECK(compressTypeFromFileName("file.zst") == CompressType::Zst);
    CHECK(compressTypeFromFileName(".zst") == CompressType::Zst);
    CHECK(compressTypeFromFileName("file") == CompressType::None);
    CHECK(compressTypeFromFileName("") == CompressType::None);
    CHECK(compressTypeFromFileName("file.gz.tmp") == CompressType::None);
    CHECK(compressTypeFromFileName("file.zstd") == CompressType::None);
    CHECK(compressTypeFromFileName("file.GZ") == CompressType::None);
    CHECK(compressTypeFromFileName("filegz") == CompressType::None);
}

TEST_CASE("compress filter factories validate type and level", "[unit][compress]") {
    SECTION("every level in range builds a filter") {
        for (CompressType type : kCodecs) {
            const LevelRange range = compressLevelRange(type);
            for (int level = range.min; level <= range.max; ++level) {
                INFO(compressTypeName(type) << " level " << level);
                CHECK(makeCompressFilter(type, level) != nullptr);
            }
        }
    }
    SECTION("levels out of range are OptionInvalidRange") {
        for (CompressType type : kCodecs) {
            const LevelRange range = compressLevelRange(type);
            for (int level : {range.min - 1, range.max + 1, -1000, 1000}) {
                INFO(compressTypeName(type) << " level " << level);
                try {
                    makeCompressFilter(type, level);
                    FAIL("no error");
                } catch (const Error& error) {
                    CHECK(error.code() == ErrorCode::OptionInvalidRange);
                    CHECK(error.message().find(std::to_string(level)) != std::string::npos);
                    CHECK(error.message().find(compressTypeName(type)) != std::string::npos);
                }
            }
        }
    }
    SECTION("type none is an Assert error") {
        CHECK_THROWS_MATCHES(makeCompressFilter(CompressType::None, 0), Error,
                             Catch::Predicate<Error>([](const Error& e) { return e.code() == ErrorCode::Assert; }));
        CHECK_THROWS_MATCHES(makeDecompressFilter(CompressType::None), Error,
                             Catch::Predicate<Error>([](const Error& e) { return e.code() == ErrorCode::Assert; }));
    }
}

TEST_CASE("compress filters report their type and spec", "[unit][compress]") {
    const auto check = [](CompressType type, io::FilterType compressType, io::FilterType decompressType) {
        INFO(compressTypeName(type));
        const int level = compressLevelRange(type).min;
        auto compressor = makeCompressFilter(type, level);
        CHECK(compressor->type() == compressType);
        CHECK_FALSE(compressor->observer());
        const io::FilterSpec spec = compressor->spec();
        CHECK(spec.type == compressType);
        CHECK(spec.params == std::map<std::string, std::string>{{"level", std::to_string(level)}});

        auto decompressor = makeDecompressFilter(type);
        CHECK(decompressor->type() == decompressType);
        CHECK_FALSE(decompressor->observer());
        CHECK(decompressor->spec().type == decompressType);
        CHECK(decompressor->spec().params.empty());

        // A spec rebuilds an equivalent filter (what a worker process does).
        auto rebuilt = io::makeFilter(spec);
        CHECK(rebuilt->type() == compressType);
        CHECK(rebuilt->spec().params == spec.params);
    };
    check(CompressType::Gz, io::FilterType::GzCompress, io::FilterType::GzDecompress);
    check(CompressType::Bz2, io::FilterType::Bz2Compress, io::FilterType::Bz2Decompress);
    check(CompressType::Lz4, io::FilterType::Lz4Compress, io::FilterType::Lz4Decompress);
    check(CompressType::Zst, io::FilterType::ZstCompress, io::FilterType::ZstDecompress);
}

TEST_CASE("compress round trips every type and level over edge sizes", "[unit][compress]") {
    const std::string source = pattern(65537 + 1000, 7);
    for (CompressType type : kCodecs) {
        for (int level : levelsToTry(type)) {
            for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{65535}, std::size_t{65536},
                                     std::size_t{65537}}) {
                INFO(compressTypeName(type) << " level " << level << " size " << size);
                const std::string_view input = std::string_view(source).substr(1000 - (size % 1000), size);
                const std::string compressed = compressBytes(type, level, input);
                CHECK_FALSE(compressed.empty());
                if (size == 65536 && level != 0) CHECK(compressed.size() < size);
                REQUIRE(decompressBytes(type, compressed) == input);
            }
        }
    }
}

TEST_CASE("compress round trips through tiny output buffers and input chunks", "[unit][compress]") {
    const std::string input = pattern(150 * 1024, 11);
    for (CompressType type : kCodecs) {
        const int level = compressLevelRange(type).defaultLevel;
        const std::string reference = compressBytes(type, level, input, {.outCapacity = 1024 * 1024});
        for (std::size_t capacity : {std::size_t{1}, std::size_t{2}, std::size_t{7}, std::size_t{100},
                                     std::size_t{65536 + 17}, std::size_t{150 * 1024}}) {
            INFO(compressTypeName(type) << " out capacity " << capacity);
            const std::string compressed = compressBytes(type, level, input, {.outCapacity = capacity});
            // Output is independent of the buffer sizes the caller chose.
            CHECK(compressed == reference);
            REQUIRE(decompressBytes(type, compressed, {.outCapacity = capacity}) == input);
        }
        for (std::size_t chunk : {std::size_t{1}, std::size_t{3}, std::size_t{4096}, std::size_t{65535}}) {
            INFO(compressTypeName(type) << " input chunk " << chunk);
            const std::string_view part = std::string_view(input).substr(0, chunk < 10 ? 20000 : input.size());
            const std::string compressed = compressBytes(type, level, part, {.outCapacity = 333, .inChunk = chunk});
            REQUIRE(decompressBytes(type, compressed, {.outCapacity = 4096, .inChunk = chunk}) == part);
        }
    }
}

TEST_CASE("compress filters do not read input after process() returned", "[unit][compress]") {
    // Callers reuse their buffers: each piece is copied into one scratch buffer that is
    // overwritten as soon as the filter consumed it. Linked lz4 blocks must keep their dictionary.
    const std::string input = pattern(700000, 12);
    for (CompressType type : kCodecs) {
        for (std::size_t piece : {std::size_t{1000}, std::size_t{65536}, std::size_t{65536 * 3 + 100}}) {
            INFO(compressTypeName(type) << " piece " << piece);
            for (int level : {compressLevelRange(type).defaultLevel, compressLevelRange(type).max}) {
                if (type == CompressType::Zst && level > 19) continue;  // slow and no different
                auto compressor = makeCompressFilter(type, level);
                std::string compressed;
                FilterDriver driver(*compressor, 200000, [&compressed](io::ByteView data) {
                    compressed += io::asText(data);
                });
                std::vector<std::byte> scratch(piece);
                for (std::size_t pos = 0; pos < input.size(); pos += piece) {
                    const std::size_t n = std::min(piece, input.size() - pos);
                    std::memcpy(scratch.data(), input.data() + pos, n);
                    driver.write({scratch.data(), n});
                    std::fill(scratch.begin(), scratch.end(), std::byte{0xA5});
                }
                driver.finish();
                REQUIRE(decompressBytes(type, compressed) == input);
            }
        }
    }
}

TEST_CASE("compress filters run in a FilterChain writer and reader", "[unit][compress]") {
    const std::string input = pattern(500000, 13);
    for (CompressType type : kCodecs) {
        for (std::size_t bufferSize : {std::size_t{100}, std::size_t{70000}, io::kDefaultBufferSize}) {
            INFO(compressTypeName(type) << " buffer size " << bufferSize);
            io::FilterChain compressChain;
            compressChain.add(makeCompressFilter(type, compressLevelRange(type).defaultLevel));
            StringSink sink;
            {
                auto writer = compressChain.writer(sink, bufferSize);
                for (std::size_t pos = 0; pos < input.size(); pos += 30000)
                    writer->write(io::asBytes(std::string_view(input).substr(pos, 30000)));
                writer->commit();
            }
            REQUIRE(sink.committed);

            io::FilterChain decompressChain;
            decompressChain.add(makeDecompressFilter(type));
            StringSource source(sink.text, 5000);
            auto reader = decompressChain.reader(source, bufferSize);
            CHECK(io::readAll(*reader) == input);
        }
    }
}

TEST_CASE("compress output decompresses in pieces fed one byte at a time", "[unit][compress]") {
    // One byte in and one byte out: every state change of the decoders happens at a call boundary.
    const std::string input = pattern(3000, 5);
    for (CompressType type : kCodecs) {
        INFO(compressTypeName(type));
        const std::string compressed = compressBytes(type, compressLevelRange(type).defaultLevel, input);
        CHECK(decompressBytes(type, compressed, {.outCapacity = 1, .inChunk = 1}) == input);
    }
}

TEST_CASE("decompressors reject truncated input", "[unit][compress]") {
    const std::string input = pattern(40000, 3);
    for (CompressType type : kCodecs) {
        const std::string compressed = compressBytes(type, compressLevelRange(type).defaultLevel, input);
        // Every cut near the ends, and a stride through the middle.
        std::vector<std::size_t> cuts;
        for (std::size_t cut = 0; cut < compressed.size(); cut += (cut < 40 || cut + 40 > compressed.size()) ? 1 : 97)
            cuts.push_back(cut);
        for (std::size_t cut : cuts) {
            INFO(compressTypeName(type) << " cut at " << cut << " of " << compressed.size());
            const std::string message = decompressError(type, std::string_view(compressed).substr(0, cut));
            REQUIRE(message.find("unexpected end of compressed data") != std::string::npos);
        }
        // The same through a one-byte output buffer, so the end is met with output pending.
        INFO(compressTypeName(type) << " tiny buffer");
        auto filter = makeDecompressFilter(type);
        CHECK_THROWS_WITH(runFilter(*filter, std::string_view(compressed).substr(0, compressed.size() - 1),
                                    {.outCapacity = 1}),
                          Catch::Contains("unexpected end of compressed data"));
    }
}

TEST_CASE("decompressors reject corrupt input", "[unit][compress]") {
    const std::string input = pattern(100000, 4);
    for (CompressType type : kCodecs) {
        const std::string compressed = compressBytes(type, compressLevelRange(type).defaultLevel, input);
        SECTION(std::string(compressTypeName(type)) + " bad magic") {
            for (std::size_t at = 0; at < 3; ++at) {
                std::string bad = compressed;
                bad[at] = static_cast<char>(bad[at] ^ 0x5A);
                INFO("byte " << at);
                CHECK(decompressError(type, bad).find("invalid") != std::string::npos);
            }
        }
        SECTION(std::string(compressTypeName(type)) + " not compressed at all") {
            CHECK(decompressError(type, input).find("invalid") != std::string::npos);
        }
        SECTION(std::string(compressTypeName(type)) + " flipped bytes in the body") {
            // gz, bz2 and lz4 carry a checksum of the content, so any damage past the header is
            // caught. zst frames (as pgBackRest writes them) have none: damage must at least not
            // pass unnoticed as the original.
            for (std::size_t step = 1; step < 24; ++step) {
                const std::size_t at = 10 + (compressed.size() - 11) * step / 24;
                std::string bad = compressed;
                bad[at] = static_cast<char>(bad[at] ^ 0xFF);
                INFO("byte " << at << " of " << compressed.size());
                std::string output;
                try {
                    output = decompressBytes(type, bad);
                } catch (const Error& error) {
                    CHECK(error.code() == ErrorCode::Decompress);
                    continue;
                }
                if (type == CompressType::Zst)
                    CHECK(output != input);
                else
                    FAIL("corruption not detected");
            }
        }
        SECTION(std::string(compressTypeName(type)) + " last byte flipped") {
            std::string bad = compressed;
            bad.back() = static_cast<char>(bad.back() ^ 0xFF);
            std::string output;
            try {
                output = decompressBytes(type, bad);
            } catch (const Error& error) {
                CHECK(error.code() == ErrorCode::Decompress);
            }
            CHECK(output != input);
        }
    }
}

TEST_CASE("compress output streams 100 MiB chunk by chunk", "[unit][compress][slow]") {
    // Generated, compressed, decompressed and verified in 1 MiB pieces: never whole in memory.
    constexpr std::uint64_t kTotal = 100ULL * 1024 * 1024;
    for (CompressType type : {CompressType::Lz4, CompressType::Zst}) {
        INFO(compressTypeName(type));
        constexpr std::uint64_t kSeed = 42;
        PatternSource source(kSeed);
        PatternVerifier verifier(kSeed);
        auto compressor = makeCompressFilter(type, compressLevelRange(type).defaultLevel);
        auto decompressor = makeDecompressFilter(type);
        FilterDriver decompress(*decompressor, 1024 * 1024, [&verifier](io::ByteView data) { verifier.check(data); });
        FilterDriver compress(*compressor, 1024 * 1024, [&decompress](io::ByteView data) { decompress.write(data); });

        std::vector<std::byte> chunk(1024 * 1024 + 123);  // odd size: chunks straddle blocks
        for (std::uint64_t done = 0; done < kTotal;) {
            const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), kTotal - done));
            source.read({chunk.data(), n});
            compress.write({chunk.data(), n});
            done += n;
        }
        compress.finish();
        decompress.finish();

        CHECK(compress.bytesIn() == kTotal);
        INFO("compressed to " << compress.bytesOut());
        CHECK(compress.bytesOut() < kTotal / 2);
        CHECK(compress.bytesOut() > kTotal / 20);
        CHECK(verifier.firstMismatch() == 0);
        REQUIRE(verifier.ok());
        REQUIRE(verifier.size() == kTotal);
    }
}

TEST_CASE("compress output is read by the command-line tools and the other way round", "[unit][compress]") {
    TempDir dir;
    const std::string big = pattern(300 * 1024, 9);
    for (CompressType type : kCodecs) {
        const std::string tool = toolName(type);
        if (shell(tool + " --version >/dev/null 2>&1") != 0) {
            WARN(tool << " is not installed: skipping its cross-check");
            continue;
        }
        const LevelRange range = compressLevelRange(type);
        // Empty and large inputs at the default level, an odd size at the top level (zst: 19, the
        // tool's top level without --ultra; 22 is covered in zst_test.cpp).
        const int top = type == CompressType::Zst ? 19 : range.max;
        const std::pair<std::size_t, int> cases[] = {
            {0, range.defaultLevel}, {big.size(), range.defaultLevel}, {65537, top}};
        for (const auto& [size, level] : cases) {
            const std::string_view input = std::string_view(big).substr(0, size);
            INFO(tool << " size " << size << " level " << level);
            // Ours -> tool.
            writeFile(dir.file("ours"), compressBytes(type, level, input));
            REQUIRE(shell(tool + " -dc '" + dir.file("ours") + "' > '" + dir.file("ours.out") + "'") == 0);
            CHECK(readFile(dir.file("ours.out")) == input);

            // Tool -> ours (the tool reads a file, so gzip stores a name and zstd a content size).
            writeFile(dir.file("plain"), input);
            REQUIRE(shell(tool + " -q -c -" + std::to_string(level) + " '" + dir.file("plain") + "' > '" +
                          dir.file("theirs") + "'") == 0);
            CHECK(decompressBytes(type, readFile(dir.file("theirs"))) == input);
        }
    }
}

TEST_CASE("whole compressors write the filters' streams, call after call", "[unit][compress]") {
    const std::string source = pattern(3 * 65536 + 17, 5);
    for (CompressType type : kCodecs) {
        const CompressOptions options{.contentChecksum = true};
        const auto whole = makeWholeCompressor(type, compressLevelRange(type).defaultLevel, options);
        std::string stream;
        // Several inputs in a row through one compressor (zst reuses its context), empty ones too.
        for (std::size_t size : {std::size_t{65536}, std::size_t{0}, std::size_t{3 * 65536 + 17}, std::size_t{1}}) {
            INFO(compressTypeName(type) << " size " << size);
            const std::string_view input = std::string_view(source).substr(0, size);
            const CompressedBytes out = whole->compress(io::asBytes(input));
            const std::string bytes(reinterpret_cast<const char*>(out.view().data()), out.size);
            if (type == CompressType::Zst) {
                // zst knows the size, so a small input may get a smaller window; the frame
                // options are the filter's: a content checksum, no content size.
                CHECK((static_cast<unsigned char>(bytes.at(4)) & 0xE4) == 0x04);
            } else {
                auto filter = makeCompressFilter(type, compressLevelRange(type).defaultLevel, options);
                CHECK(bytes == runFilter(*filter, input));  // the same stream, byte for byte
            }
            REQUIRE(decompressBytes(type, bytes) == input);
            stream += bytes;
        }
        // lz4 and zst frames one after the other read back as one content (archive-push writes
        // a segment as several frames).
        if (type == CompressType::Lz4 || type == CompressType::Zst) {
            const std::string expected = std::string(source.substr(0, 65536)) + source + source.substr(0, 1);
            CHECK(decompressBytes(type, stream) == expected);
        }
    }
    CHECK_THROWS_AS(makeWholeCompressor(CompressType::Zst, 23), Error);
    CHECK_THROWS_AS(makeWholeCompressor(CompressType::None, 0), Error);
}
