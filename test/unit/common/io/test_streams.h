// In-memory streams and reference helpers for the filter and crypto unit tests.
// StringReadStream hands out a string in chunks of at most maxChunk bytes (to exercise short
// reads); StringWriteStream records writes and whether commit()/abort() reached it;
// PatternReadStream generates a long deterministic stream without holding it. Test-only.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>

#include <openssl/evp.h>

#include "common/error.h"
#include "common/io/filter.h"
#include "common/io/stream.h"

namespace pgark::test {

class StringReadStream final : public io::ReadStream {
public:
    explicit StringReadStream(std::string data, std::size_t maxChunk = std::numeric_limits<std::size_t>::max())
        : data_(std::move(data)), maxChunk_(maxChunk) {}

    std::size_t read(io::MutableByteView out) override {
        const std::size_t n = std::min({out.size(), data_.size() - pos_, maxChunk_});
        if (n != 0) std::memcpy(out.data(), data_.data() + pos_, n);
        pos_ += n;
        ++reads_;
        return n;
    }
    unsigned reads() const noexcept { return reads_; }

private:
    std::string data_;
    std::size_t maxChunk_;
    std::size_t pos_ = 0;
    unsigned reads_ = 0;
};

class StringWriteStream final : public io::WriteStream {
public:
    void write(io::ByteView data) override {
        if (committed || aborted) throw Error(ErrorCode::Assert, "write after end");
        data_.append(io::asText(data));
        ++writes;
    }
    void commit() override {
        if (committed || aborted) throw Error(ErrorCode::Assert, "commit after end");
        if (failCommit) throw Error(ErrorCode::FileWrite, "unable to commit in-memory file");
        committed = true;
    }
    void abort() noexcept override {
        aborted = true;
        ++aborts;
    }
    const std::string& data() const noexcept { return data_; }

    bool failCommit = false;  // make commit() throw, as a full disk would
    bool committed = false;
    bool aborted = false;
    unsigned aborts = 0;
    unsigned writes = 0;

private:
    std::string data_;
};

// `size` bytes of a fixed pseudo-random sequence (xorshift64), regenerated on every pass.
class PatternReadStream final : public io::ReadStream {
public:
    PatternReadStream(std::uint64_t size, std::uint64_t seed) : left_(size), state_(seed | 1) {}
    std::size_t read(io::MutableByteView out) override {
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(out.size(), left_));
        for (std::size_t i = 0; i < n; ++i) {
            state_ ^= state_ << 13;
            state_ ^= state_ >> 7;
            state_ ^= state_ << 17;
            out[i] = static_cast<std::byte>(state_ >> 56);
        }
        left_ -= n;
        return n;
    }

private:
    std::uint64_t left_;
    std::uint64_t state_;
};

// Reads a stream to its end with reads of `chunk` bytes.
inline std::string drain(io::ReadStream& stream, std::size_t chunk = 65536) {
    std::string out;
    std::string buffer(chunk, '\0');
    for (;;) {
        const std::size_t n = stream.read({reinterpret_cast<std::byte*>(buffer.data()), buffer.size()});
        if (n == 0) return out;
        out.append(buffer.data(), n);
    }
}

// SHA-1 computed with a one-shot OpenSSL call, independent of crypto::Sha1Hasher.
inline std::string referenceSha1(std::string_view data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha1(), nullptr) != 1) return "openssl failed";
    std::string hex;
    for (unsigned i = 0; i < length; ++i) hex += fmt::format("{:02x}", digest[i]);
    return hex;
}

}  // namespace pgark::test
