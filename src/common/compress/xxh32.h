// XXH32, the 32-bit xxHash that the LZ4 frame format uses for its header, block and content
// checksums. Our own scalar implementation: Debian's liblz4 builds its bundled copy into slow
// vector code (about 1.6 GB/s against 10 GB/s here), and the content checksum pgBackRest asks
// for covers every byte. Private to src/common/compress; a plain value type, not thread-safe.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace pgark::compress::detail {

class Xxh32 {
public:
    explicit Xxh32(std::uint32_t seed = 0) noexcept { reset(seed); }

    void reset(std::uint32_t seed = 0) noexcept {
        seed_ = seed;
        lane_[0] = seed + kPrime1 + kPrime2;
        lane_[1] = seed + kPrime2;
        lane_[2] = seed;
        lane_[3] = seed - kPrime1;
        total_ = 0;
        partialSize_ = 0;
    }

    void update(const void* data, std::size_t size) noexcept {
        const auto* p = static_cast<const unsigned char*>(data);
        const unsigned char* const end = p + size;
        total_ += size;
        if (partialSize_ + size < kStripe) {
            if (size != 0) std::memcpy(partial_ + partialSize_, p, size);
            partialSize_ += size;
            return;
        }
        if (partialSize_ != 0) {  // complete the stripe left over from the last call
            const std::size_t fill = kStripe - partialSize_;
            std::memcpy(partial_ + partialSize_, p, fill);
            stripe(partial_);
            p += fill;
            partialSize_ = 0;
        }
        // Four independent lanes: keep them in locals so the compiler keeps them in registers.
        std::uint32_t v0 = lane_[0], v1 = lane_[1], v2 = lane_[2], v3 = lane_[3];
        while (end - p >= static_cast<std::ptrdiff_t>(kStripe)) {
            v0 = round(v0, read32(p));
            v1 = round(v1, read32(p + 4));
            v2 = round(v2, read32(p + 8));
            v3 = round(v3, read32(p + 12));
            p += kStripe;
        }
        lane_[0] = v0, lane_[1] = v1, lane_[2] = v2, lane_[3] = v3;
        partialSize_ = static_cast<std::size_t>(end - p);
        if (partialSize_ != 0) std::memcpy(partial_, p, partialSize_);
    }

    std::uint32_t digest() const noexcept {
        std::uint32_t h = total_ >= kStripe
                              ? rotl(lane_[0], 1) + rotl(lane_[1], 7) + rotl(lane_[2], 12) + rotl(lane_[3], 18)
                              : seed_ + kPrime5;
        h += static_cast<std::uint32_t>(total_);  // the format takes the length modulo 2^32
        const unsigned char* p = partial_;
        const unsigned char* const end = partial_ + partialSize_;
        for (; end - p >= 4; p += 4) h = rotl(h + read32(p) * kPrime3, 17) * kPrime4;
        for (; p != end; ++p) h = rotl(h + *p * kPrime5, 11) * kPrime1;
        h ^= h >> 15;
        h *= kPrime2;
        h ^= h >> 13;
        h *= kPrime3;
        h ^= h >> 16;
        return h;
    }

    static std::uint32_t of(const void* data, std::size_t size, std::uint32_t seed = 0) noexcept {
        Xxh32 hash(seed);
        hash.update(data, size);
        return hash.digest();
    }

private:
    static constexpr std::uint32_t kPrime1 = 2654435761U;
    static constexpr std::uint32_t kPrime2 = 2246822519U;
    static constexpr std::uint32_t kPrime3 = 3266489917U;
    static constexpr std::uint32_t kPrime4 = 668265263U;
    static constexpr std::uint32_t kPrime5 = 374761393U;
    static constexpr std::size_t kStripe = 16;  // bytes consumed per round of the four lanes

    static std::uint32_t rotl(std::uint32_t x, int r) noexcept { return (x << r) | (x >> (32 - r)); }
    static std::uint32_t read32(const unsigned char* p) noexcept {
        static_assert(std::endian::native == std::endian::little, "XXH32 reads words little-endian");
        std::uint32_t v;
        std::memcpy(&v, p, 4);
        return v;
    }
    static std::uint32_t round(std::uint32_t lane, std::uint32_t input) noexcept {
        return rotl(lane + input * kPrime2, 13) * kPrime1;
    }
    void stripe(const unsigned char* p) noexcept {
        lane_[0] = round(lane_[0], read32(p));
        lane_[1] = round(lane_[1], read32(p + 4));
        lane_[2] = round(lane_[2], read32(p + 8));
        lane_[3] = round(lane_[3], read32(p + 12));
    }

    std::uint32_t seed_;
    std::uint32_t lane_[4];
    std::uint64_t total_;        // bytes hashed so far
    unsigned char partial_[kStripe];   // a partial stripe waiting for more bytes
    std::size_t partialSize_;           // bytes in `partial_`
};

}  // namespace pgark::compress::detail
