// Sha1Lane: the same digest as OpenSSL (Sha1Hasher) for every length around the block and padding
// boundaries, one stream at a time and two at once, including lanes of different lengths that
// are finished at different times.
#include "common/crypto/sha1_lanes.h"

#include <catch2/catch.hpp>

#include "unit/common/crypto/random_bytes.h"

#include "common/crypto/hash.h"

using namespace pgark;
using crypto::Sha1Lane;

namespace {

const std::byte* bytes(const std::string& text) { return reinterpret_cast<const std::byte*>(text.data()); }

std::string laneHex(const std::string& text) {
    Sha1Lane lane;
    const std::size_t blocks = text.size() / Sha1Lane::kBlock;
    lane.update(bytes(text), blocks);
    return lane.finalHex(io::asBytes(std::string_view(text).substr(blocks * Sha1Lane::kBlock)));
}

}  // namespace

TEST_CASE("Sha1Lane gives OpenSSL's SHA-1 for every length, alone and paired", "[unit][crypto]") {
    if (!crypto::sha1LanesSupported()) {
        WARN("this CPU has no SHA extensions: Sha1Lane is not used here");
        return;
    }
    CHECK(laneHex("") == "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    CHECK(laneHex("abc") == "a9993e364706816aba3e25717850c26c9cd0d89d");
    for (std::size_t size : {1ul, 55ul, 56ul, 63ul, 64ul, 65ul, 119ul, 120ul, 128ul, 1000ul, 65536ul, 100003ul}) {
        INFO(size);
        const std::string a = test::randomBytes(size, 1);
        const std::string b = test::randomBytes(size + 777, 2);  // the second lane is longer
        CHECK(laneHex(a) == crypto::sha1Hex(a));
        // Paired for the blocks both have, then each finished on its own.
        Sha1Lane laneA, laneB;
        const std::size_t both = a.size() / Sha1Lane::kBlock;
        Sha1Lane::update2(laneA, bytes(a), laneB, bytes(b), both);
        const std::string_view restB = std::string_view(b).substr(both * Sha1Lane::kBlock);
        CHECK(laneA.finalHex(io::asBytes(std::string_view(a).substr(both * Sha1Lane::kBlock))) == crypto::sha1Hex(a));
        CHECK(laneB.finalHex(io::asBytes(restB)) == crypto::sha1Hex(b));
    }
}
