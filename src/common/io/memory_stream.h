// MemoryReadStream: a ReadStream over bytes the caller owns (small payloads such as backup_label).
// The bytes must outlive the stream. MemoryWriteStream: a WriteStream appending to a string the
// caller owns (a compressed WAL segment held until its name is known). Single-threaded.
#pragma once

#include <algorithm>
#include <cstring>
#include <string>

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

class MemoryWriteStream final : public WriteStream {
public:
    explicit MemoryWriteStream(std::string& out) : out_(out) {}
    void write(ByteView data) override { out_.append(reinterpret_cast<const char*>(data.data()), data.size()); }
    void commit() override {}
    void abort() noexcept override { out_.clear(); }

private:
    std::string& out_;
};

}  // namespace pgark::io
