// Sha1Pair: each stream's digest equals OpenSSL's SHA-1 of its bytes whatever the pieces they
// arrive in: pieces not a multiple of the block, pieces that only fill part of a carried block,
// one stream ending long before the other, empty streams.
#include "common/crypto/sha1_pair.h"

#include <catch2/catch.hpp>

#include "unit/common/crypto/random_bytes.h"

#include "common/error.h"

#include <string>
#include <vector>

using namespace pgark;

namespace {

// Feeds `a` and `b` in pieces of the sizes in `pieces` (cycled), each stream at its own pace.
void checkPair(const std::string& a, const std::string& b, const std::vector<std::size_t>& piecesA,
               const std::vector<std::size_t>& piecesB) {
    crypto::Sha1Pair pair;
    std::size_t atA = 0, atB = 0;
    for (std::size_t round = 0; atA < a.size() || atB < b.size(); round++) {
        const std::size_t nA = std::min(piecesA[round % piecesA.size()], a.size() - atA);
        const std::size_t nB = std::min(piecesB[round % piecesB.size()], b.size() - atB);
        pair.update(io::asBytes(std::string_view(a).substr(atA, nA)), io::asBytes(std::string_view(b).substr(atB, nB)));
        atA += nA;
        atB += nB;
    }
    CHECK(pair.finalHex(0) == crypto::sha1Hex(io::asBytes(a)));
    CHECK(pair.finalHex(1) == crypto::sha1Hex(io::asBytes(b)));
}

}  // namespace

TEST_CASE("Sha1Pair gives each stream's SHA-1 whatever the pieces", "[unit][crypto]") {
    const std::string big = test::randomBytes(3 * 1024 * 1024 + 77, 1);
    const std::string other = test::randomBytes(1024 * 1024 + 5, 2);
    checkPair(big, other, {1024 * 1024}, {1024 * 1024});        // chunks as restore sends them
    checkPair(big, other, {65536 + 13, 7, 64}, {1000, 63, 1});  // odd pieces, carried blocks
    checkPair(other, big, {1}, {4096 * 3 + 1});
    checkPair(big, "", {300000}, {1});
    checkPair("", "", {1}, {1});
    for (std::size_t n : {0u, 1u, 55u, 56u, 63u, 64u, 65u, 119u, 128u, 129u})
        checkPair(test::randomBytes(n, 3), test::randomBytes(n + 64, 4), {17}, {64});
}

TEST_CASE("Sha1Pair refuses a stream other than 0 and 1", "[unit][crypto]") {
    crypto::Sha1Pair pair;
    CHECK_THROWS_AS(pair.finalHex(2), Error);
}
