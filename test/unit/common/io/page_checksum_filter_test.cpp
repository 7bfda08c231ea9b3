// PageChecksumFilter over the real PostgreSQL 15 relation fixture (6 pages with valid checksums).
#include "common/io/page_checksum_filter.h"

#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <vector>

#include "common/compress/compress.h"
#include "common/crypto/hash.h"
#include "common/error.h"
#include "postgres/page_checksum.h"
#include "unit/common/io/test_streams.h"
#include "unit/postgres/fixtures.h"

using namespace pgark;
using postgres::kPageSize;
using postgres::kRelSegmentPages;

namespace {

constexpr std::size_t kFixturePages = 6;

std::vector<std::byte> relation() {
    auto bytes = test::readPostgresFixture("relation_16384_6pages");
    REQUIRE(bytes.size() == kFixturePages * kPageSize);
    return bytes;
}

std::byte* pageAt(std::vector<std::byte>& bytes, std::size_t index) { return bytes.data() + index * kPageSize; }

// Damages one byte in the middle of a page's tuple data.
void corrupt(std::vector<std::byte>& bytes, std::size_t index) { pageAt(bytes, index)[5000] ^= std::byte{0x5a}; }

// Rewrites every page's pd_checksum for the block numbers of segment `segmentNo`.
void restamp(std::vector<std::byte>& bytes, std::uint32_t segmentNo) {
    for (std::size_t index = 0; index * kPageSize < bytes.size(); ++index) {
        const io::ByteView page(pageAt(bytes, index), kPageSize);
        if (postgres::pageIsNew(page)) continue;
        const auto checksum =
            postgres::pageChecksum(page, segmentNo * kRelSegmentPages + static_cast<std::uint32_t>(index));
        std::memcpy(pageAt(bytes, index) + 8, &checksum, sizeof(checksum));
    }
}

// Feeds `bytes` in pieces of `chunk` bytes (0 = at once), then the end signal.
io::PageChecksumResult run(io::PageChecksumFilter& filter, const std::vector<std::byte>& bytes, std::size_t chunk = 0) {
    io::ByteView rest(bytes);
    while (!rest.empty()) {
        const std::size_t n = chunk == 0 ? rest.size() : std::min(chunk, rest.size());
        filter.observe(rest.first(n));
        rest = rest.subspan(n);
    }
    filter.observe({});
    REQUIRE(filter.ended());
    return filter.pageResult();
}

io::PageChecksumResult run(const std::vector<std::byte>& bytes, io::PageChecksumOptions options = {},
                           std::size_t chunk = 0) {
    io::PageChecksumFilter filter(std::move(options));
    return run(filter, bytes, chunk);
}

std::vector<std::uint32_t> blocks(std::initializer_list<std::uint32_t> list) { return list; }

}  // namespace

TEST_CASE("PageChecksumFilter passes a clean relation however it is chunked", "[unit][pagecheck]") {
    auto bytes = relation();
    // Two all-zero pages, as PostgreSQL leaves after extending a relation: skipped, not errors.
    bytes.resize(bytes.size() + 2 * kPageSize);

    for (const std::size_t chunk : {std::size_t{0}, std::size_t{kPageSize}, std::size_t{1000}, std::size_t{3 * kPageSize + 7}}) {
        INFO("chunk " << chunk);
        const auto result = run(bytes, {}, chunk);
        CHECK(result.valid);
        CHECK(result.aligned);
        CHECK(result.errors.empty());
        CHECK(result.tolerated.empty());
        CHECK(result.pagesChecked == kFixturePages);
        CHECK(result.toJson() == R"({"align":true,"valid":true})");
    }
    SECTION("an empty file is valid") {
        const auto result = run(std::vector<std::byte>{});
        CHECK(result.valid);
        CHECK(result.aligned);
        CHECK(result.pagesChecked == 0);
    }
}

TEST_CASE("PageChecksumFilter reports exactly the corrupted blocks", "[unit][pagecheck]") {
    auto bytes = relation();

    SECTION("one damaged page") {
        corrupt(bytes, 3);
        for (const std::size_t chunk : {std::size_t{0}, std::size_t{1000}}) {
            const auto result = run(bytes, {}, chunk);
            CHECK_FALSE(result.valid);
            CHECK(result.aligned);
            CHECK(result.errors == blocks({3}));
            CHECK(result.pagesChecked == kFixturePages);
            CHECK(result.errorJson() == "[3]");
            CHECK(result.toJson() == R"({"align":true,"error":[3],"valid":false})");
        }
    }
    SECTION("runs of consecutive blocks become ranges") {
        for (const std::size_t index : {1, 3, 4, 5}) corrupt(bytes, index);
        const auto result = run(bytes);
        CHECK(result.errors == blocks({1, 3, 4, 5}));
        CHECK(result.errorJson() == "[1,[3,5]]");
    }
    SECTION("the first page and a pair") {
        for (const std::size_t index : {0, 2, 3}) corrupt(bytes, index);
        CHECK(run(bytes).errorJson() == "[0,[2,3]]");
    }
    SECTION("a damaged checksum field alone is caught") {
        pageAt(bytes, 5)[8] ^= std::byte{0x01};
        CHECK(run(bytes).errors == blocks({5}));
    }
}

TEST_CASE("PageChecksumFilter numbers blocks from the segment number", "[unit][pagecheck]") {
    auto bytes = relation();

    SECTION("pages stamped for segment 2 are valid only as segment 2") {
        restamp(bytes, 2);
        CHECK(run(bytes, {.segmentNo = 2}).valid);
        const auto asSegment0 = run(bytes, {.segmentNo = 0});
        CHECK(asSegment0.errors == blocks({0, 1, 2, 3, 4, 5}));
        CHECK(asSegment0.errorJson() == "[[0,5]]");
    }
    SECTION("a corrupted page in segment 2 is reported with its relation-absolute block number") {
        restamp(bytes, 2);
        corrupt(bytes, 4);
        const auto result = run(bytes, {.segmentNo = 2}, 5000);
        CHECK(result.errors == blocks({2 * kRelSegmentPages + 4}));
        CHECK(result.errorJson() == "[262148]");
    }
    SECTION("segment numbers past the largest relation are refused") {
        CHECK_NOTHROW(io::PageChecksumFilter({.segmentNo = 32767}));
        CHECK_THROWS_AS(io::PageChecksumFilter({.segmentNo = 32768}), Error);
    }
}

TEST_CASE("PageChecksumFilter skips only all-zero new pages", "[unit][pagecheck]") {
    std::vector<std::byte> bytes(3 * kPageSize);  // three new, all-zero pages
    CHECK(run(bytes).valid);
    CHECK(run(bytes).pagesChecked == 0);

    SECTION("pd_upper == 0 with data in the page is damage") {
        bytes[kPageSize + 4000] = std::byte{1};
        const auto result = run(bytes);
        CHECK_FALSE(result.valid);
        CHECK(result.errors == blocks({1}));
    }
}

TEST_CASE("PageChecksumFilter and a trailing partial page", "[unit][pagecheck]") {
    auto bytes = relation();

    SECTION("512 bytes or more: a page being appended, not checked") {
        bytes.resize(bytes.size() + 1000, std::byte{0x33});
        const auto result = run(bytes, {}, 3000);
        CHECK_FALSE(result.aligned);
        CHECK(result.valid);
        CHECK(result.errors.empty());
        CHECK(result.pagesChecked == kFixturePages);
        CHECK(result.toJson() == R"({"align":false,"valid":true})");
    }
    SECTION("fewer than 512 bytes: the file looks damaged") {
        bytes.resize(bytes.size() + 100, std::byte{0x33});
        const auto result = run(bytes);
        CHECK_FALSE(result.aligned);
        CHECK_FALSE(result.valid);
        CHECK(result.errors.empty());
    }
    SECTION("a file shorter than one page") {
        CHECK_FALSE(run(std::vector<std::byte>(511)).valid);
        CHECK(run(std::vector<std::byte>(512)).valid);
    }
}

TEST_CASE("PageChecksumFilter re-reads a failing page before reporting it", "[unit][pagecheck]") {
    auto bytes = relation();
    corrupt(bytes, 2);
    corrupt(bytes, 4);
    const auto clean = relation();
    std::vector<std::uint64_t> offsets;

    SECTION("a page that reads back the same is an error") {
        const auto result = run(bytes, {.reRead = [&](std::uint64_t offset, io::MutableByteView out) {
                                    offsets.push_back(offset);
                                    std::memcpy(out.data(), bytes.data() + offset, out.size());
                                    return out.size();
                                }});
        CHECK(offsets == std::vector<std::uint64_t>{2 * kPageSize, 4 * kPageSize});
        CHECK(result.errors == blocks({2, 4}));
        CHECK(result.tolerated.empty());
    }
    SECTION("a page that changed in between is being written: tolerated") {
        // Page 2 reads back as its clean version, page 4 the same as before.
        const auto result = run(bytes, {.reRead = [&](std::uint64_t offset, io::MutableByteView out) {
                                    const auto& source = offset == 2 * kPageSize ? clean : bytes;
                                    std::memcpy(out.data(), source.data() + offset, out.size());
                                    return out.size();
                                }});
        CHECK(result.errors == blocks({4}));
        CHECK(result.tolerated == blocks({2}));
        CHECK_FALSE(result.valid);
    }
    SECTION("a page the file no longer reaches was truncated away: tolerated") {
        const auto result = run(bytes, {.reRead = [&](std::uint64_t, io::MutableByteView) { return std::size_t{0}; }});
        CHECK(result.valid);
        CHECK(result.errors.empty());
        CHECK(result.tolerated == blocks({2, 4}));
    }
    SECTION("an error from the re-read fails the stream") {
        io::PageChecksumFilter filter({.reRead = [](std::uint64_t, io::MutableByteView) -> std::size_t {
            throw Error(ErrorCode::FileRead, "unable to read file 'x'");
        }});
        CHECK_THROWS_AS(run(filter, bytes), Error);
    }
}

TEST_CASE("PageChecksumFilter tolerates pages newer than the LSN limit when there is no re-read", "[unit][pagecheck]") {
    auto bytes = relation();
    corrupt(bytes, 1);
    const postgres::Lsn lsn = postgres::pageLsn({pageAt(bytes, 1), kPageSize});
    REQUIRE(lsn != 0);

    SECTION("LSN at the limit: written after the backup started") {
        const auto result = run(bytes, {.lsnLimit = lsn});
        CHECK(result.valid);
        CHECK(result.tolerated == blocks({1}));
    }
    SECTION("LSN below the limit: an error") {
        const auto result = run(bytes, {.lsnLimit = lsn + 1});
        CHECK(result.errors == blocks({1}));
        CHECK(result.tolerated.empty());
    }
    SECTION("no limit: an error") {
        CHECK(run(bytes).errors == blocks({1}));
    }
}

TEST_CASE("PageChecksumResult JSON", "[unit][pagecheck]") {
    io::PageChecksumResult result;
    CHECK(result.errorJson() == "[]");
    CHECK(io::PageChecksumResult::fromJson(result.toJson()) == result);

    result.valid = false;
    result.errors = {0, 7, 8, 10, 11, 12, 4294967295U};
    CHECK(result.errorJson() == "[0,[7,8],[10,12],4294967295]");
    CHECK(result.toJson() == R"({"align":true,"error":[0,[7,8],[10,12],4294967295],"valid":false})");
    CHECK(io::PageChecksumResult::fromJson(result.toJson()) == result);

    result.aligned = false;
    result.errors.clear();
    CHECK(io::PageChecksumResult::fromJson(R"({"align":false,"valid":false})") == result);

    for (const char* bad : {"", "{}", R"({"align":true})", R"({"align":true,"valid":true}x)",
                            R"({"align":true,"error":[[5,3]],"valid":false})", R"({"align":1,"valid":true})",
                            R"({"align":true,"other":1,"valid":true})"}) {
        INFO(bad);
        CHECK_THROWS_MATCHES(io::PageChecksumResult::fromJson(bad), Error,
                             Catch::Predicate<Error>([](const Error& e) { return e.code() == ErrorCode::Format; }));
    }
}

TEST_CASE("PageChecksumFilter as a chain observer, result and spec", "[unit][pagecheck]") {
    auto bytes = relation();
    corrupt(bytes, 0);

    SECTION("no result before the end, nothing after it") {
        io::PageChecksumFilter filter({});
        filter.observe(bytes);
        CHECK(std::holds_alternative<std::monostate>(filter.result()));
        filter.observe({});
        CHECK(std::get<std::string>(filter.result()) == R"({"align":true,"error":[0],"valid":false})");
        CHECK_NOTHROW(filter.observe({}));
        CHECK_THROWS_AS(filter.observe(bytes), Error);
    }
    SECTION("beside compression in a chain, the bytes pass unchanged") {
        io::FilterChain chain;
        chain.add(io::makePageChecksumFilter(io::PageChecksumOptions{}))
            .add(compress::makeCompressFilter(compress::CompressType::Lz4, 1));
        test::StringWriteStream sink;
        auto writer = chain.writer(sink, 64 * 1024);
        writer->write(bytes);
        writer->commit();
        CHECK(chain.result<std::string>(io::FilterType::PageChecksum) == R"({"align":true,"error":[0],"valid":false})");

        io::FilterChain back;
        back.add(compress::makeDecompressFilter(compress::CompressType::Lz4));
        test::StringReadStream compressed(sink.data());
        auto reader = back.reader(compressed);
        CHECK(io::readAll(*reader) == io::asText(bytes));
    }
    SECTION("spec round trip") {
        io::PageChecksumFilter filter({.segmentNo = 3, .lsnLimit = 0x1234567890ULL});
        const io::FilterSpec spec = filter.spec();
        CHECK(spec.type == io::FilterType::PageChecksum);
        CHECK(spec.params == std::map<std::string, std::string>{{"lsnLimit", "78187493520"}, {"segmentNo", "3"}});
        auto rebuilt = io::makePageChecksumFilter(spec);
        CHECK(rebuilt->spec().params == spec.params);
        CHECK(io::makePageChecksumFilter(io::FilterSpec{io::FilterType::PageChecksum, {{"segmentNo", "0"}}})
                  ->spec()
                  .params.size() == 1);

        for (const auto& params : std::vector<std::map<std::string, std::string>>{
                 {}, {{"segmentNo", "x"}}, {{"segmentNo", "1"}, {"pass", "y"}}, {{"segmentNo", "99999"}}}) {
            CHECK_THROWS_MATCHES(io::makePageChecksumFilter(io::FilterSpec{io::FilterType::PageChecksum, params}), Error,
                                 Catch::Predicate<Error>([](const Error& e) { return e.code() == ErrorCode::Assert; }));
        }
        CHECK_THROWS_AS(io::makePageChecksumFilter(io::FilterSpec{io::FilterType::Sha1, {}}), Error);
    }
}
