// randomBytes: deterministic bytes of every value (xorshift), for hash tests that must cover all
// byte values and block boundaries.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace pgark::test {

inline std::string randomBytes(std::size_t size, std::uint32_t seed) {
    std::string out(size, '\0');
    std::uint32_t state = seed * 2654435761U + 7;
    for (char& c : out) {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        c = static_cast<char>(state);
    }
    return out;
}

}  // namespace pgark::test
