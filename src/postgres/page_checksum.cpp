#include "postgres/page_checksum.h"

#include <bit>
#include <charconv>
#include <cstring>

#include "common/error.h"

namespace pgark::postgres {

static_assert(std::endian::native == std::endian::little, "pages are read as little-endian words");

namespace {

constexpr std::size_t kLanes = 32;                                // independent accumulators
constexpr std::size_t kRows = kPageSize / (sizeof(std::uint32_t) * kLanes);  // 64
constexpr std::uint32_t kFnvPrime = 16777619;

// Initial lane values (spec §8.3).
constexpr std::uint32_t kLaneSeeds[kLanes] = {
    0x5B1F36E9, 0xB8525960, 0x02AB50AA, 0x1DE66D2A, 0x79FF467A, 0x9BB9F8A3, 0x217E7CD2, 0x83E13D2C,
    0xF8D4474F, 0xE39EB970, 0x42C6AE16, 0x993216FA, 0x7B093B5D, 0x98DAFF3C, 0xF718902A, 0x0B1C9CDB,
    0xE58F764B, 0x187636BC, 0x5D7B3BB1, 0xE73DE7DE, 0x92BEC979, 0xCCA6C0B2, 0x304A0979, 0x85AA43D4,
    0x783125BB, 0x6CA8EAA2, 0xE407EAC6, 0x4B5CFC3E, 0x9FBF8C76, 0x15CA20BE, 0xF2CA9FD3, 0x959BD756,
};

constexpr std::size_t kOffsetLsn = 0;
constexpr std::size_t kOffsetChecksum = 8;
constexpr std::size_t kOffsetUpper = 14;

inline std::uint32_t mix(std::uint32_t lane, std::uint32_t value) noexcept {
    const std::uint32_t t = lane ^ value;
    return (t * kFnvPrime) ^ (t >> 17);
}

// The 32-bit block hash. Written as plain fixed-size loops over a lane array so the compiler turns
// each row into a few vector operations; on x86-64 a second AVX2 clone is picked at load time when
// the CPU has it (8 lanes per instruction instead of 4).
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx2", "default")))
#endif
std::uint32_t blockHash(const std::byte* page) noexcept {
    std::uint32_t lanes[kLanes];
    std::memcpy(lanes, kLaneSeeds, sizeof(lanes));

    // Row 0 holds pd_checksum in the low half of word 2: it is hashed as zero.
    std::uint32_t row[kLanes];
    std::memcpy(row, page, sizeof(row));
    row[kOffsetChecksum / sizeof(std::uint32_t)] &= 0xFFFF0000U;
    for (std::size_t lane = 0; lane < kLanes; ++lane) lanes[lane] = mix(lanes[lane], row[lane]);

    for (std::size_t r = 1; r < kRows; ++r) {
        std::memcpy(row, page + r * sizeof(row), sizeof(row));
        for (std::size_t lane = 0; lane < kLanes; ++lane) lanes[lane] = mix(lanes[lane], row[lane]);
    }

    // Two rounds of zeros so that every input bit reaches every output bit of its lane.
    for (int round = 0; round < 2; ++round)
        for (std::size_t lane = 0; lane < kLanes; ++lane) lanes[lane] = mix(lanes[lane], 0);

    std::uint32_t result = 0;
    for (std::size_t lane = 0; lane < kLanes; ++lane) result ^= lanes[lane];
    return result;
}

void checkPageSize(io::ByteView page) {
    if (page.size() != kPageSize) {
        throwError(ErrorCode::Assert, "page checksum needs a page of {} bytes, got {}", kPageSize, page.size());
    }
}

}  // namespace

std::uint16_t pageChecksum(io::ByteView page, std::uint32_t blockNo) {
    checkPageSize(page);
    // Mixing in the block number catches pages written to the wrong place; the modulo keeps 0 free
    // to mean "no checksum".
    const std::uint32_t hash = blockHash(page.data()) ^ blockNo;
    return static_cast<std::uint16_t>(hash % 65535 + 1);
}

std::uint16_t pageChecksumStored(io::ByteView page) noexcept {
    std::uint16_t value = 0;
    if (page.size() >= kOffsetChecksum + sizeof(value)) std::memcpy(&value, page.data() + kOffsetChecksum, sizeof(value));
    return value;
}

Lsn pageLsn(io::ByteView page) noexcept {
    // pd_lsn is stored as two 32-bit halves, high first (PageXLogRecPtr).
    std::uint32_t high = 0;
    std::uint32_t low = 0;
    if (page.size() >= kOffsetLsn + 8) {
        std::memcpy(&high, page.data() + kOffsetLsn, 4);
        std::memcpy(&low, page.data() + kOffsetLsn + 4, 4);
    }
    return Lsn{high} << 32 | low;
}

bool pageIsNew(io::ByteView page) noexcept {
    std::uint16_t upper = 0;
    if (page.size() >= kOffsetUpper + sizeof(upper)) std::memcpy(&upper, page.data() + kOffsetUpper, sizeof(upper));
    return upper == 0;
}

bool pageIsZero(io::ByteView page) noexcept {
    for (const std::byte b : page)
        if (b != std::byte{0}) return false;
    return true;
}

PageVerify pageVerify(io::ByteView page, std::uint32_t blockNo) {
    checkPageSize(page);
    // A never-initialised page has no checksum. PostgreSQL accepts it only when it is all zeros:
    // pd_upper == 0 with other bytes set is damage, not a new page.
    if (pageIsNew(page)) return pageIsZero(page) ? PageVerify::Zero : PageVerify::Invalid;
    return pageChecksum(page, blockNo) == pageChecksumStored(page) ? PageVerify::Valid : PageVerify::Invalid;
}

std::optional<std::uint32_t> pageBlockNo(std::string_view fileName, std::uint32_t pageIndex) noexcept {
    const auto slash = fileName.rfind('/');
    if (slash != std::string_view::npos) fileName.remove_prefix(slash + 1);

    std::uint64_t segment = 0;
    const auto dot = fileName.rfind('.');
    if (dot != std::string_view::npos) {
        const std::string_view suffix = fileName.substr(dot + 1);
        const auto [end, ec] = std::from_chars(suffix.data(), suffix.data() + suffix.size(), segment);
        if (suffix.empty() || ec != std::errc() || end != suffix.data() + suffix.size()) return std::nullopt;
    }
    const std::uint64_t block = segment * kRelSegmentPages + pageIndex;
    if (block > 0xFFFFFFFFU) return std::nullopt;
    return static_cast<std::uint32_t>(block);
}

}  // namespace pgark::postgres
