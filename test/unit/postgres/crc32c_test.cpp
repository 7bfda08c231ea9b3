#include "postgres/crc32c.h"

#include <catch2/catch.hpp>

#include <random>
#include <vector>

using namespace pgark;
using postgres::crc32c;

namespace {
std::vector<std::byte> filled(std::size_t size, unsigned char value) {
    return std::vector<std::byte>(size, static_cast<std::byte>(value));
}
}  // namespace

TEST_CASE("crc32c matches the published test vectors", "[unit][postgres]") {
    SECTION("check string") {
        CHECK(crc32c(io::asBytes("123456789")) == 0xE3069283U);
    }
    SECTION("empty input") {
        CHECK(crc32c({}) == 0U);
    }
    SECTION("RFC 3720 iSCSI vectors") {
        CHECK(crc32c(filled(32, 0x00)) == 0x8A9136AAU);
        CHECK(crc32c(filled(32, 0xFF)) == 0x62A8AB43U);
        std::vector<std::byte> ascending(32);
        for (std::size_t i = 0; i < 32; ++i) ascending[i] = static_cast<std::byte>(i);
        CHECK(crc32c(ascending) == 0x46DD794EU);
    }
    SECTION("portable implementation gives the same vectors") {
        CHECK(postgres::crc32cPortable(0, io::asBytes("123456789")) == 0xE3069283U);
        CHECK(postgres::crc32cPortable(0, filled(32, 0xFF)) == 0x62A8AB43U);
    }
}

TEST_CASE("crc32c hardware and portable paths agree on any length and alignment", "[unit][postgres]") {
    std::mt19937 random(20261121);  // fixed seed: a failure replays
    std::vector<std::byte> data(4096 + 16);
    for (auto& b : data) b = static_cast<std::byte>(random() & 0xFF);

    for (std::size_t offset = 0; offset < 8; ++offset) {
        for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{7}, std::size_t{8}, std::size_t{9},
                                 std::size_t{63}, std::size_t{512}, std::size_t{4096}}) {
            const io::ByteView view(data.data() + offset, size);
            INFO("offset " << offset << " size " << size);
            CHECK(crc32c(view) == postgres::crc32cPortable(0, view));
        }
    }
}

TEST_CASE("crc32cExtend continues a crc across pieces", "[unit][postgres]") {
    const auto text = io::asBytes("the quick brown fox jumps over the lazy dog");
    const std::uint32_t whole = crc32c(text);
    for (std::size_t split = 0; split <= text.size(); split += 5) {
        INFO("split " << split);
        CHECK(postgres::crc32cExtend(crc32c(text.first(split)), text.subspan(split)) == whole);
        CHECK(postgres::crc32cPortable(postgres::crc32cPortable(0, text.first(split)), text.subspan(split)) == whole);
    }
}
