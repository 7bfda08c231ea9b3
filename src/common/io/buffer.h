// Buffer: a bounded, reusable byte buffer, the unit that flows through streams and filters.
// Capacity is fixed at construction (bounded memory: never a whole file in memory); size() is
// how many bytes are filled. Not thread-safe; owned by whoever created it.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <new>
#include <span>
#include <stdexcept>
#include <string_view>
#include <utility>

namespace pgark::io {

using ByteView = std::span<const std::byte>;
using MutableByteView = std::span<std::byte>;

inline constexpr std::size_t kDefaultBufferSize = 1024 * 1024;  // bytes, pgBackRest's buffer-size default

inline ByteView asBytes(std::string_view text) noexcept {
    return {reinterpret_cast<const std::byte*>(text.data()), text.size()};
}
inline std::string_view asText(ByteView bytes) noexcept {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

class Buffer {
public:
    // `alignment` (a power of two): where the bytes start in memory. Page-aligned buffers can be
    // written with O_DIRECT (see storage::WriteOptions::direct). The bytes are not initialised:
    // zeroing them would touch every page of a buffer that is about to be filled anyway.
    explicit Buffer(std::size_t capacity = kDefaultBufferSize, std::size_t alignment = alignof(std::max_align_t))
        : bytes_(static_cast<std::byte*>(::operator new[](capacity == 0 ? 1 : capacity, std::align_val_t{alignment})),
                 AlignedDelete{alignment}),
          capacity_(capacity) {}
    Buffer(Buffer&& other) noexcept
        : bytes_(std::move(other.bytes_)), capacity_(std::exchange(other.capacity_, 0)),
          size_(std::exchange(other.size_, 0)) {}
    Buffer& operator=(Buffer&& other) noexcept {
        bytes_ = std::move(other.bytes_);
        capacity_ = std::exchange(other.capacity_, 0);
        size_ = std::exchange(other.size_, 0);
        return *this;
    }

    std::size_t size() const noexcept { return size_; }
    std::size_t capacity() const noexcept { return capacity_; }
    std::size_t remaining() const noexcept { return capacity_ - size_; }
    bool empty() const noexcept { return size_ == 0; }
    bool full() const noexcept { return size_ == capacity_; }

    std::byte* data() noexcept { return bytes_.get(); }
    const std::byte* data() const noexcept { return bytes_.get(); }
    ByteView view() const noexcept { return {bytes_.get(), size_}; }

    // The free space after the filled bytes: write into it, then call grow(n) with what was written.
    MutableByteView tail() noexcept { return {bytes_.get() + size_, remaining()}; }
    void grow(std::size_t written) {
        if (written > remaining()) throw std::logic_error("Buffer::grow past capacity");
        size_ += written;
    }

    // Appends as much of `data` as fits; returns how many bytes were taken.
    std::size_t append(ByteView data) noexcept {
        const std::size_t n = data.size() < remaining() ? data.size() : remaining();
        if (n != 0) std::memcpy(bytes_.get() + size_, data.data(), n);
        size_ += n;
        return n;
    }

    // Drops the first `n` filled bytes, moving the rest to the front.
    void consume(std::size_t n) {
        if (n > size_) throw std::logic_error("Buffer::consume past size");
        if (n != size_) std::memmove(bytes_.get(), bytes_.get() + n, size_ - n);
        size_ -= n;
    }
    void clear() noexcept { size_ = 0; }

private:
    struct AlignedDelete {
        std::size_t alignment;
        void operator()(std::byte* bytes) const noexcept { ::operator delete[](bytes, std::align_val_t{alignment}); }
    };
    std::unique_ptr<std::byte[], AlignedDelete> bytes_;
    std::size_t capacity_;
    std::size_t size_ = 0;
};

}  // namespace pgark::io
