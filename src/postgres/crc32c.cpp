#include "postgres/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace pgark::postgres {

namespace {

constexpr std::uint32_t kPolynomial = 0x82F63B78;  // reflected Castagnoli polynomial

// Slicing-by-8 tables: table[k][b] is the CRC of byte b followed by k zero bytes, so eight input
// bytes are folded per step instead of one. Built at compile time.
constexpr std::array<std::array<std::uint32_t, 256>, 8> makeTables() {
    std::array<std::array<std::uint32_t, 256>, 8> tables{};
    for (std::uint32_t byte = 0; byte < 256; ++byte) {
        std::uint32_t crc = byte;
        for (int bit = 0; bit < 8; ++bit) crc = (crc & 1) != 0 ? (crc >> 1) ^ kPolynomial : crc >> 1;
        tables[0][byte] = crc;
    }
    for (std::size_t k = 1; k < 8; ++k) {
        for (std::size_t byte = 0; byte < 256; ++byte) {
            const std::uint32_t previous = tables[k - 1][byte];
            tables[k][byte] = (previous >> 8) ^ tables[0][previous & 0xFF];
        }
    }
    return tables;
}

constexpr auto kTables = makeTables();

// Works on the raw (non-inverted) register value.
std::uint32_t portableRaw(std::uint32_t crc, const unsigned char* data, std::size_t size) noexcept {
    while (size >= 8) {
        std::uint32_t low = 0;
        std::uint32_t high = 0;
        std::memcpy(&low, data, 4);  // little-endian load: the reflected CRC consumes the low byte first
        std::memcpy(&high, data + 4, 4);
        low ^= crc;
        crc = kTables[7][low & 0xFF] ^ kTables[6][(low >> 8) & 0xFF] ^ kTables[5][(low >> 16) & 0xFF] ^
              kTables[4][low >> 24] ^ kTables[3][high & 0xFF] ^ kTables[2][(high >> 8) & 0xFF] ^
              kTables[1][(high >> 16) & 0xFF] ^ kTables[0][high >> 24];
        data += 8;
        size -= 8;
    }
    while (size-- != 0) crc = (crc >> 8) ^ kTables[0][(crc ^ *data++) & 0xFF];
    return crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) std::uint32_t hardwareRaw(std::uint32_t crc, const unsigned char* data,
                                                            std::size_t size) noexcept {
    std::uint64_t wide = crc;
    while (size >= 8) {
        std::uint64_t word = 0;
        std::memcpy(&word, data, 8);
        wide = _mm_crc32_u64(wide, word);
        data += 8;
        size -= 8;
    }
    auto narrow = static_cast<std::uint32_t>(wide);
    while (size-- != 0) narrow = _mm_crc32_u8(narrow, *data++);
    return narrow;
}

bool detectHardware() noexcept {
    __builtin_cpu_init();
    return __builtin_cpu_supports("sse4.2") != 0;
}
#endif

}  // namespace

bool crc32cHardware() noexcept {
#if defined(__x86_64__)
    static const bool hardware = detectHardware();
    return hardware;
#else
    return false;
#endif
}

std::uint32_t crc32cPortable(std::uint32_t crc, io::ByteView data) noexcept {
    const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
    return ~portableRaw(~crc, bytes, data.size());
}

std::uint32_t crc32cExtend(std::uint32_t crc, io::ByteView data) noexcept {
    const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
#if defined(__x86_64__)
    if (crc32cHardware()) return ~hardwareRaw(~crc, bytes, data.size());
#endif
    return ~portableRaw(~crc, bytes, data.size());
}

std::uint32_t crc32c(io::ByteView data) noexcept {
    return crc32cExtend(0, data);
}

}  // namespace pgark::postgres
