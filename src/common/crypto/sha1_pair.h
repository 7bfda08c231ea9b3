// Sha1Pair: the SHA-1 of two byte streams that arrive piece by piece at the same time (two files
// restored side by side by one worker), hashed together with Sha1Lane::update2 whenever both
// have whole blocks to hash: about 1.7x the bytes per core of hashing them one after the other.
// Pieces of any length are accepted; the bytes of a block split between pieces wait in a small
// carry. Without the SHA extensions (sha1LanesSupported() false) each stream goes to its own
// Sha1Hasher instead, with the same results. One thread at a time.
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <string>

#include "common/crypto/hash.h"
#include "common/crypto/sha1_lanes.h"
#include "common/io/buffer.h"

namespace pgark::crypto {

class Sha1Pair {
public:
    Sha1Pair();
    // Appends `a` to stream 0 and `b` to stream 1 (either may be empty).
    void update(io::ByteView a, io::ByteView b);
    // The digest (40 lowercase hex) of stream `stream` (0 or 1); that stream takes no more bytes.
    std::string finalHex(int stream);

private:
    struct Lane {
        Sha1Lane sha1;
        std::array<std::byte, Sha1Lane::kBlock> carry{};
        std::size_t carried = 0;
        // Completes the carried block from the front of `data` (hashing it when whole) and
        // returns the rest of `data`.
        io::ByteView topUp(io::ByteView data);
    };
    bool lanes_;
    Lane lane_[2];
    std::unique_ptr<Sha1Hasher> fallback_[2];  // when !lanes_
};

}  // namespace pgark::crypto
