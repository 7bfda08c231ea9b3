// Sha1Lane: SHA-1 with the x86 SHA extensions, written so that two independent streams can be
// hashed at once on one core (update2). The SHA rounds of one stream form a dependency chain the
// CPU cannot overlap; two interleaved streams keep its SHA unit busy, which hashes about 1.7x the
// bytes per core (3.7 GB/s against OpenSSL's 2.2 GB/s here). A --delta restore hashes every
// existing file, so it pairs files this way. Callers check sha1LanesSupported() first; on other
// CPUs (or builds) they use Sha1Hasher. Plain value type; one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/io/buffer.h"

namespace pgark::crypto {

// True when the CPU (and this build) can run Sha1Lane: x86-64 with SHA and SSE4.1.
bool sha1LanesSupported() noexcept;

class Sha1Lane {
public:
    static constexpr std::size_t kBlock = 64;  // bytes per SHA-1 block

    Sha1Lane() noexcept;
    // Hashes `blocks` whole 64-byte blocks from `data`.
    void update(const std::byte* data, std::size_t blocks);
    // Hashes `blocks` whole blocks of `a` into `laneA` and of `b` into `laneB`, interleaved.
    static void update2(Sha1Lane& laneA, const std::byte* a, Sha1Lane& laneB, const std::byte* b, std::size_t blocks);
    // The digest (40 lowercase hex) of the blocks so far followed by `tail` (any length).
    // The lane may not be used afterwards.
    std::string finalHex(io::ByteView tail);

private:
    std::uint32_t abcd_[4];  // the SHA-NI layout: a in the top lane
    std::uint32_t e_[4];     // e in the top lane
    std::uint64_t bytes_ = 0;
};

}  // namespace pgark::crypto
