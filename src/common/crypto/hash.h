// SHA-1 (OpenSSL, see hash.cpp) as a streaming hasher, a one-shot helper, and the Sha1 and Size filters.
#pragma once

#include <memory>
#include <string>

#include "common/io/filter.h"

namespace pgark::crypto {

class Sha1Hasher {
public:
    Sha1Hasher();
    ~Sha1Hasher();
    Sha1Hasher(const Sha1Hasher&) = delete;
    Sha1Hasher& operator=(const Sha1Hasher&) = delete;
    void update(io::ByteView data);
    // 40 lowercase hex characters; the hasher may not be updated afterwards.
    std::string finalHex();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

std::string sha1Hex(io::ByteView data);
inline std::string sha1Hex(std::string_view text) { return sha1Hex(io::asBytes(text)); }

// Observers: Sha1 reports a 40-hex std::string, Size a std::uint64_t.
std::unique_ptr<io::Filter> makeSha1Filter();
std::unique_ptr<io::Filter> makeSizeFilter();

}  // namespace pgark::crypto
