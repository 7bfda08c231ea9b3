// Message: the small typed binary record that carries a job's parameters to a worker and its
// result back (what pgBackRest's Pack does). Fields are appended in order and read back in the
// same order; each field carries a one-byte type tag, so a reader that expects a different type
// or runs off the end throws Error(Protocol) instead of misreading. A Message owns its bytes;
// a MessageReader borrows them and must not outlive the Message (or buffer) it reads.
// Neither is thread-safe; both are cheap to move. Byte fields are appended and read in bulk.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "common/io/buffer.h"

namespace pgark::protocol {

// On-the-wire tag of one field. Numbers are part of the protocol between parent and worker
// (both are the same binary, but keep them stable anyway).
enum class FieldType : std::uint8_t {
    U64 = 1,     // LEB128 varint
    I64 = 2,     // zigzag, then LEB128 varint
    Bool = 3,    // one byte, 0 or 1
    String = 4,  // varint length, then the bytes (no terminator)
    Bytes = 5,   // varint length, then the bytes
    Null = 6,    // an absent optional; a present optional is written as its plain value
};

std::string_view fieldTypeName(FieldType type) noexcept;  // "u64", "string", ...; "unknown" otherwise

class MessageReader;

class Message {
public:
    Message() = default;
    // Adopts bytes produced by another Message (received from a peer). Not validated here: a
    // reader validates each field as it reads it.
    explicit Message(std::vector<std::byte> encoded) noexcept : bytes_(std::move(encoded)) {}

    Message& addU64(std::uint64_t value);
    Message& addI64(std::int64_t value);
    Message& addBool(bool value);
    Message& addString(std::string_view value);
    Message& addBytes(io::ByteView value);
    Message& addNull();  // an absent optional

    // Appends the value, or Null when absent. T is one of uint64_t, int64_t, bool, std::string,
    // std::string_view.
    template <class T>
    Message& addOptional(const std::optional<T>& value) {
        if (!value) return addNull();
        if constexpr (std::is_same_v<T, std::uint64_t>) return addU64(*value);
        else if constexpr (std::is_same_v<T, std::int64_t>) return addI64(*value);
        else if constexpr (std::is_same_v<T, bool>) return addBool(*value);
        else if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, std::string_view>)
            return addString(*value);
        else static_assert(sizeof(T) == 0, "addOptional: unsupported field type");
    }

    // Appends `encoded` verbatim: the fields of another message, concatenated after ours.
    Message& appendEncoded(io::ByteView encoded);

    void reserve(std::size_t bytes) { bytes_.reserve(bytes); }
    io::ByteView bytes() const noexcept { return {bytes_.data(), bytes_.size()}; }
    std::size_t size() const noexcept { return bytes_.size(); }  // encoded bytes
    bool empty() const noexcept { return bytes_.empty(); }
    std::vector<std::byte> release() && noexcept { return std::move(bytes_); }

    // A reader over this message; it borrows *this, which must outlive it and stay unmodified.
    MessageReader reader() const noexcept;

    friend bool operator==(const Message& a, const Message& b) noexcept { return a.bytes_ == b.bytes_; }

private:
    void addTag(FieldType type) { bytes_.push_back(static_cast<std::byte>(type)); }
    void addVarint(std::uint64_t value);

    std::vector<std::byte> bytes_;
};

// Reads fields in the order they were added. Every read throws Error(Protocol) when the next
// field is missing, truncated, malformed or of another type; the message names the field's
// position (1-based) and both types. After a throw the reader's position is unspecified.
class MessageReader {
public:
    // `encoded` is borrowed: the bytes must outlive the reader and every view it returns.
    explicit MessageReader(io::ByteView encoded) noexcept : data_(encoded) {}

    std::uint64_t readU64();
    std::int64_t readI64();
    bool readBool();
    std::string readString();
    std::string_view readStringView();  // borrows the message bytes
    io::ByteView readBytes();           // borrows the message bytes: no copy of file data

    // nullopt when the next field is Null; otherwise the plain value (so a value written with
    // addU64 can be read as an optional).
    std::optional<std::uint64_t> readOptionalU64();
    std::optional<std::int64_t> readOptionalI64();
    std::optional<bool> readOptionalBool();
    std::optional<std::string> readOptionalString();
    std::optional<io::ByteView> readOptionalBytes();

    // Type of the next field without consuming it; nullopt at the end. Throws Error(Protocol) on an
    // unknown tag.
    std::optional<FieldType> peek() const;
    bool atEnd() const noexcept { return pos_ == data_.size(); }
    // Throws Error(Protocol) if fields remain: the writer sent more than this reader understands.
    void expectEnd() const;
    // The unread bytes, consumed: an embedded message appended with appendEncoded().
    io::ByteView rest() noexcept;

    std::size_t fieldsRead() const noexcept { return field_; }

private:
    void expect(FieldType type);   // consumes the tag of field field_+1, checking its type
    bool takeNull();               // consumes a Null tag if it is next
    std::uint64_t varint(FieldType type);
    io::ByteView take(std::size_t count, FieldType type);
    [[noreturn]] void truncated(FieldType type) const;

    io::ByteView data_;
    std::size_t pos_ = 0;
    std::size_t field_ = 0;  // fields consumed so far
};

inline MessageReader Message::reader() const noexcept { return MessageReader(bytes()); }

}  // namespace pgark::protocol
