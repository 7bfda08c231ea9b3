// BackgroundSha1: SHA-1 computed on a second thread while the caller does other work on the same
// bytes (compressing, decompressing, writing), so a file costs max(hash, rest) instead of the sum.
// On the 2-core machines pgark targets this is what lets archive-push and archive-get beat a
// sequential pipeline. Contract: bytes passed to update() must stay unchanged until the next
// update() or finalHex() returns; callers alternate two buffers. The hashing runs on one
// persistent thread (SerialWorker), not a thread per chunk. One owner thread; not copyable.
#pragma once

#include <cstdint>
#include <string>

#include "common/crypto/hash.h"
#include "common/serial_worker.h"

namespace pgark::crypto {

class BackgroundSha1 {
public:
    BackgroundSha1() = default;
    BackgroundSha1(const BackgroundSha1&) = delete;
    BackgroundSha1& operator=(const BackgroundSha1&) = delete;

    // Waits for the previous chunk, then starts hashing `data` in the background.
    void update(io::ByteView data);
    // Waits for the last chunk; 40 lowercase hex characters.
    std::string finalHex();

private:
    Sha1Hasher hasher_;
    std::uint64_t last_ = 0;      // SerialWorker ticket of the last chunk
    SerialWorker worker_;         // last: stopped before the hasher it uses is destroyed
};

}  // namespace pgark::crypto
