// Message encoding: a tag byte per field, LEB128 varints for integers and lengths.
// Varints keep the many small numbers of a job (sizes, modes, flags) short, while byte fields are
// one length plus one bulk copy, so file data costs nothing per byte beyond memcpy.
#include "protocol/message.h"

#include <cstring>

#include "common/error.h"

namespace pgark::protocol {

namespace {

constexpr std::size_t kMaxVarintBytes = 10;  // ceil(64 / 7)

std::uint64_t zigzagEncode(std::int64_t value) noexcept {
    // Small magnitudes of either sign become small unsigned numbers: 0,-1,1,-2 -> 0,1,2,3.
    return (static_cast<std::uint64_t>(value) << 1) ^ static_cast<std::uint64_t>(value >> 63);
}

std::int64_t zigzagDecode(std::uint64_t value) noexcept {
    return static_cast<std::int64_t>(value >> 1) ^ -static_cast<std::int64_t>(value & 1);
}

bool knownTag(std::byte tag) noexcept {
    const auto value = static_cast<std::uint8_t>(tag);
    return value >= static_cast<std::uint8_t>(FieldType::U64) && value <= static_cast<std::uint8_t>(FieldType::Null);
}

}  // namespace

std::string_view fieldTypeName(FieldType type) noexcept {
    switch (type) {
    case FieldType::U64: return "u64";
    case FieldType::I64: return "i64";
    case FieldType::Bool: return "bool";
    case FieldType::String: return "string";
    case FieldType::Bytes: return "bytes";
    case FieldType::Null: return "null";
    }
    return "unknown";
}

void Message::addVarint(std::uint64_t value) {
    std::byte encoded[kMaxVarintBytes];
    std::size_t size = 0;
    while (value >= 0x80) {
        encoded[size++] = static_cast<std::byte>((value & 0x7f) | 0x80);
        value >>= 7;
    }
    encoded[size++] = static_cast<std::byte>(value);
    bytes_.insert(bytes_.end(), encoded, encoded + size);
}

Message& Message::addU64(std::uint64_t value) {
    addTag(FieldType::U64);
    addVarint(value);
    return *this;
}

Message& Message::addI64(std::int64_t value) {
    addTag(FieldType::I64);
    addVarint(zigzagEncode(value));
    return *this;
}

Message& Message::addBool(bool value) {
    addTag(FieldType::Bool);
    bytes_.push_back(value ? std::byte{1} : std::byte{0});
    return *this;
}

Message& Message::addString(std::string_view value) {
    addTag(FieldType::String);
    addVarint(value.size());
    const auto* first = reinterpret_cast<const std::byte*>(value.data());
    bytes_.insert(bytes_.end(), first, first + value.size());
    return *this;
}

Message& Message::addBytes(io::ByteView value) {
    addTag(FieldType::Bytes);
    addVarint(value.size());
    bytes_.insert(bytes_.end(), value.begin(), value.end());
    return *this;
}

Message& Message::addNull() {
    addTag(FieldType::Null);
    return *this;
}

Message& Message::appendEncoded(io::ByteView encoded) {
    bytes_.insert(bytes_.end(), encoded.begin(), encoded.end());
    return *this;
}

// ---- MessageReader ----

void MessageReader::truncated(FieldType type) const {
    throwError(ErrorCode::Protocol, "protocol message truncated in field {} ({}) at byte {} of {}", field_ + 1,
               fieldTypeName(type), pos_, data_.size());
}

std::optional<FieldType> MessageReader::peek() const {
    if (atEnd()) return std::nullopt;
    const std::byte tag = data_[pos_];
    if (!knownTag(tag))
        throwError(ErrorCode::Protocol, "protocol message field {} has unknown type tag {}", field_ + 1,
                   static_cast<unsigned>(tag));
    return static_cast<FieldType>(tag);
}

void MessageReader::expect(FieldType type) {
    if (atEnd())
        throwError(ErrorCode::Protocol, "protocol message ended before field {} ({}): it has {} field(s)",
                   field_ + 1, fieldTypeName(type), field_);
    const FieldType actual = *peek();
    if (actual != type)
        throwError(ErrorCode::Protocol, "protocol message field {} is {}, expected {}", field_ + 1,
                   fieldTypeName(actual), fieldTypeName(type));
    ++pos_;
}

bool MessageReader::takeNull() {
    if (peek() != FieldType::Null) return false;
    ++pos_;
    ++field_;
    return true;
}

std::uint64_t MessageReader::varint(FieldType type) {
    std::uint64_t value = 0;
    for (unsigned shift = 0;; shift += 7) {
        if (pos_ == data_.size()) truncated(type);
        const auto byte = static_cast<std::uint8_t>(data_[pos_++]);
        // The tenth byte may only carry the top bit of a u64; anything more is corruption.
        if (shift == 63 && byte > 1)
            throwError(ErrorCode::Protocol, "protocol message field {} ({}) has an over-long integer", field_ + 1,
                       fieldTypeName(type));
        value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
        if ((byte & 0x80) == 0) return value;
    }
}

io::ByteView MessageReader::take(std::size_t count, FieldType type) {
    if (count > data_.size() - pos_) truncated(type);
    const io::ByteView result = data_.subspan(pos_, count);
    pos_ += count;
    return result;
}

std::uint64_t MessageReader::readU64() {
    expect(FieldType::U64);
    const std::uint64_t value = varint(FieldType::U64);
    ++field_;
    return value;
}

std::int64_t MessageReader::readI64() {
    expect(FieldType::I64);
    const std::int64_t value = zigzagDecode(varint(FieldType::I64));
    ++field_;
    return value;
}

bool MessageReader::readBool() {
    expect(FieldType::Bool);
    const io::ByteView byte = take(1, FieldType::Bool);
    if (byte[0] != std::byte{0} && byte[0] != std::byte{1})
        throwError(ErrorCode::Protocol, "protocol message field {} (bool) has invalid value {}", field_ + 1,
                   static_cast<unsigned>(byte[0]));
    ++field_;
    return byte[0] == std::byte{1};
}

std::string_view MessageReader::readStringView() {
    expect(FieldType::String);
    const std::uint64_t size = varint(FieldType::String);
    if (size > data_.size() - pos_) truncated(FieldType::String);
    const io::ByteView text = take(static_cast<std::size_t>(size), FieldType::String);
    ++field_;
    return io::asText(text);
}

std::string MessageReader::readString() {
    return std::string(readStringView());
}

io::ByteView MessageReader::readBytes() {
    expect(FieldType::Bytes);
    const std::uint64_t size = varint(FieldType::Bytes);
    if (size > data_.size() - pos_) truncated(FieldType::Bytes);
    const io::ByteView bytes = take(static_cast<std::size_t>(size), FieldType::Bytes);
    ++field_;
    return bytes;
}

std::optional<std::uint64_t> MessageReader::readOptionalU64() {
    if (takeNull()) return std::nullopt;
    return readU64();
}

std::optional<std::int64_t> MessageReader::readOptionalI64() {
    if (takeNull()) return std::nullopt;
    return readI64();
}

std::optional<bool> MessageReader::readOptionalBool() {
    if (takeNull()) return std::nullopt;
    return readBool();
}

std::optional<std::string> MessageReader::readOptionalString() {
    if (takeNull()) return std::nullopt;
    return readString();
}

std::optional<io::ByteView> MessageReader::readOptionalBytes() {
    if (takeNull()) return std::nullopt;
    return readBytes();
}

void MessageReader::expectEnd() const {
    if (!atEnd())
        throwError(ErrorCode::Protocol, "protocol message has {} unread byte(s) after field {}", data_.size() - pos_,
                   field_);
}

io::ByteView MessageReader::rest() noexcept {
    const io::ByteView result = data_.subspan(pos_);
    pos_ = data_.size();
    return result;
}

}  // namespace pgark::protocol
