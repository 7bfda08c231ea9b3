// MemoryReadStream: a ReadStream over bytes the caller owns (small payloads such as backup_label).
// The bytes must outlive the stream. Single-threaded.
#pragma once

#include <algorithm>
#include <cstring>

#include "common/io/stream.h"

namespace pgark::io {

class MemoryReadStream final : public ReadStream {
public:
    explicit MemoryReadStream(ByteView data) : data_(data) {}
    std::size_t read(MutableByteView out) override {
        const std::size_t n = std::min(out.size(), data_.size() - position_);
        if (n != 0) std::memcpy(out.data(), data_.data() + position_, n);
        position_ += n;
        return n;
    }

private:
    ByteView data_;
    std::size_t position_ = 0;
};

}  // namespace pgark::io
