// Sha1Lane: see sha1_lanes.h. The rounds follow FIPS 180-4 in the form the SHA extensions take:
// 20 groups of 4 rounds, each group's schedule words derived from the 4 before with sha1msg1,
// xor and sha1msg2, and e carried by sha1nexte. Checked against OpenSSL in the unit tests.
#include "common/crypto/sha1_lanes.h"

#include <cstring>

#include "common/crypto/encoding.h"
#include "common/error.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#define PGARK_SHA_TARGET __attribute__((target("sha,sse4.1")))
#endif

namespace pgark::crypto {

#if defined(__x86_64__)
namespace {

struct State {
    __m128i abcd, e;
};

// Processes `blocks` blocks of each of N streams; the compiler interleaves the N dependency chains.
template <int N>
PGARK_SHA_TARGET void compress(State* states, const std::byte* const* data, std::size_t blocks) {
    const __m128i order = _mm_set_epi64x(0x0001020304050607LL, 0x08090a0b0c0d0e0fLL);  // big-endian words
    for (std::size_t block = 0; block < blocks; block++) {
        __m128i abcd[N], previous[N], startAbcd[N], startE[N], w[N][4];
        for (int l = 0; l < N; l++) {
            startAbcd[l] = abcd[l] = states[l].abcd;
            startE[l] = states[l].e;
            const std::byte* in = data[l] + block * Sha1Lane::kBlock;
            for (int i = 0; i < 4; i++)
                w[l][i] = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(in + 16 * i)), order);
            previous[l] = abcd[l];
            abcd[l] = _mm_sha1rnds4_epu32(abcd[l], _mm_add_epi32(startE[l], w[l][0]), 0);
        }
        // Group g (rounds 4g..4g+3) with round function f; groups 4.. extend the schedule in place.
#define PGARK_SHA1_GROUP(g, f)                                                                                     \
    for (int l = 0; l < N; l++) {                                                                                  \
        __m128i word = w[l][(g) & 3];                                                                              \
        if ((g) >= 4) {                                                                                            \
            word = _mm_sha1msg2_epu32(                                                                             \
                _mm_xor_si128(_mm_sha1msg1_epu32(w[l][(g) & 3], w[l][((g) + 1) & 3]), w[l][((g) + 2) & 3]),       \
                w[l][((g) + 3) & 3]);                                                                              \
            w[l][(g) & 3] = word;                                                                                  \
        }                                                                                                          \
        const __m128i e = _mm_sha1nexte_epu32(previous[l], word);                                                  \
        previous[l] = abcd[l];                                                                                     \
        abcd[l] = _mm_sha1rnds4_epu32(abcd[l], e, f);                                                              \
    }
        PGARK_SHA1_GROUP(1, 0) PGARK_SHA1_GROUP(2, 0) PGARK_SHA1_GROUP(3, 0) PGARK_SHA1_GROUP(4, 0)
        PGARK_SHA1_GROUP(5, 1) PGARK_SHA1_GROUP(6, 1) PGARK_SHA1_GROUP(7, 1) PGARK_SHA1_GROUP(8, 1)
        PGARK_SHA1_GROUP(9, 1) PGARK_SHA1_GROUP(10, 2) PGARK_SHA1_GROUP(11, 2) PGARK_SHA1_GROUP(12, 2)
        PGARK_SHA1_GROUP(13, 2) PGARK_SHA1_GROUP(14, 2) PGARK_SHA1_GROUP(15, 3) PGARK_SHA1_GROUP(16, 3)
        PGARK_SHA1_GROUP(17, 3) PGARK_SHA1_GROUP(18, 3) PGARK_SHA1_GROUP(19, 3)
#undef PGARK_SHA1_GROUP
        for (int l = 0; l < N; l++) {
            states[l].e = _mm_sha1nexte_epu32(previous[l], startE[l]);
            states[l].abcd = _mm_add_epi32(abcd[l], startAbcd[l]);
        }
    }
}

PGARK_SHA_TARGET State load(const std::uint32_t* abcd, const std::uint32_t* e) {
    return {_mm_loadu_si128(reinterpret_cast<const __m128i*>(abcd)), _mm_loadu_si128(reinterpret_cast<const __m128i*>(e))};
}

PGARK_SHA_TARGET void store(const State& state, std::uint32_t* abcd, std::uint32_t* e) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(abcd), state.abcd);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(e), state.e);
}

void requireSupport() {
    if (!sha1LanesSupported()) throwError(ErrorCode::Assert, "Sha1Lane used on a CPU without the SHA extensions");
}

}  // namespace

bool sha1LanesSupported() noexcept {
    static const bool supported = [] {
        unsigned eax, ebx, ecx, edx;
        if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) == 0 || (ecx & bit_SSE4_1) == 0) return false;
        if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) == 0) return false;
        return (ebx & bit_SHA) != 0;
    }();
    return supported;
}

void Sha1Lane::update(const std::byte* data, std::size_t blocks) {
    requireSupport();
    State state = load(abcd_, e_);
    compress<1>(&state, &data, blocks);
    store(state, abcd_, e_);
    bytes_ += blocks * kBlock;
}

void Sha1Lane::update2(Sha1Lane& laneA, const std::byte* a, Sha1Lane& laneB, const std::byte* b, std::size_t blocks) {
    requireSupport();
    State states[2] = {load(laneA.abcd_, laneA.e_), load(laneB.abcd_, laneB.e_)};
    const std::byte* data[2] = {a, b};
    compress<2>(states, data, blocks);
    store(states[0], laneA.abcd_, laneA.e_);
    store(states[1], laneB.abcd_, laneB.e_);
    laneA.bytes_ += blocks * kBlock;
    laneB.bytes_ += blocks * kBlock;
}

#else

bool sha1LanesSupported() noexcept { return false; }
void Sha1Lane::update(const std::byte*, std::size_t) {
    throwError(ErrorCode::Assert, "Sha1Lane is not built for this CPU");
}
void Sha1Lane::update2(Sha1Lane&, const std::byte*, Sha1Lane&, const std::byte*, std::size_t) {
    throwError(ErrorCode::Assert, "Sha1Lane is not built for this CPU");
}

#endif

// The initial hash value of FIPS 180-4, in the SHA-NI layout (a in the top lane).
Sha1Lane::Sha1Lane() noexcept : abcd_{0x10325476, 0x98BADCFE, 0xEFCDAB89, 0x67452301}, e_{0, 0, 0, 0xC3D2E1F0} {}

std::string Sha1Lane::finalHex(io::ByteView tail) {
    const std::size_t whole = tail.size() / kBlock;
    if (whole != 0) update(tail.data(), whole);
    tail = tail.subspan(whole * kBlock);
    // The rest, 0x80, zeros and the length in bits (big-endian) fill one or two last blocks.
    std::byte last[2 * kBlock] = {};
    std::memcpy(last, tail.data(), tail.size());
    last[tail.size()] = std::byte{0x80};
    const std::size_t blocks = tail.size() + 1 + 8 <= kBlock ? 1 : 2;
    const std::uint64_t bits = (bytes_ + tail.size()) * 8;
    for (int i = 0; i < 8; i++) last[blocks * kBlock - 1 - i] = static_cast<std::byte>(bits >> (8 * i));
    update(last, blocks);
    const std::uint32_t words[5] = {abcd_[3], abcd_[2], abcd_[1], abcd_[0], e_[3]};
    unsigned char digest[20];  // the words big-endian
    for (int w = 0; w < 5; w++)
        for (int b = 0; b < 4; b++) digest[4 * w + b] = static_cast<unsigned char>(words[w] >> (24 - 8 * b));
    return lowerHex(digest, sizeof digest);
}

}  // namespace pgark::crypto
