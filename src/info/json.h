// json: the JSON dialect of pgBackRest info files and manifests (spec §2.2). A small value type
// plus a parser and a writer whose output is byte compatible with pgBackRest 2.45: compact, object
// keys in byte order, only the seven short escapes, never \uXXXX, integers only, uint64 exact.
// This is not a general JSON library: floats and exponents are rejected. Values are plain data
// (copyable, no shared state), so any thread may use its own.
#pragma once

#include <concepts>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace pgark::info::json {

// Declared before the Array/Object aliases: GCC -Wshadow flags scoped enumerators that follow them.
enum class Kind { Null, Bool, Int, UInt, String, Array, Object };

class Value;
using Array = std::vector<Value>;
// std::map<std::string> compares with char_traits<char>, i.e. as unsigned bytes (memcmp), which is
// exactly the key order pgBackRest writes and requires.
using Object = std::map<std::string, Value>;

// Integers are kept as Int (only negative values) or UInt (zero and above), so a uint64 such as
// db-system-id never loses bits, and equal numbers always compare equal.
class Value {
public:
    Value() noexcept = default;                 // null
    Value(std::nullptr_t) noexcept {}
    Value(bool value) : data_(value) {}
    template <std::signed_integral T>
        requires(!std::same_as<T, char>)
    Value(T value) : data_(signedData(static_cast<std::int64_t>(value))) {}
    template <std::unsigned_integral T>
        requires(!std::same_as<T, bool>)
    Value(T value) : data_(static_cast<std::uint64_t>(value)) {}
    Value(const char* value) : data_(std::string(value)) {}
    Value(std::string value) : data_(std::move(value)) {}
    Value(std::string_view value) : data_(std::string(value)) {}
    Value(Array value) : data_(std::move(value)) {}
    Value(Object value) : data_(std::move(value)) {}

    Kind kind() const noexcept { return static_cast<Kind>(data_.index()); }
    bool isNull() const noexcept { return kind() == Kind::Null; }
    bool isBool() const noexcept { return kind() == Kind::Bool; }
    bool isInteger() const noexcept { return kind() == Kind::Int || kind() == Kind::UInt; }
    bool isString() const noexcept { return kind() == Kind::String; }
    bool isArray() const noexcept { return kind() == Kind::Array; }
    bool isObject() const noexcept { return kind() == Kind::Object; }

    // Typed access; each throws Error(JsonFormat) when the value is of another kind or the number
    // does not fit ("expected unsigned integer but found string").
    bool asBool() const;
    std::int64_t asInt() const;
    std::uint64_t asUInt() const;
    std::uint32_t asUInt32() const;
    const std::string& asString() const;
    const Array& asArray() const;
    const Object& asObject() const;
    Array& asArray();
    Object& asObject();

    // Object member lookup: nullptr when absent (or when this is not an object).
    const Value* find(std::string_view key) const;

    friend bool operator==(const Value&, const Value&) = default;

private:
    using Data = std::variant<std::monostate, bool, std::int64_t, std::uint64_t, std::string, Array, Object>;
    static Data signedData(std::int64_t value) {
        return value < 0 ? Data(value) : Data(static_cast<std::uint64_t>(value));
    }
    Data data_;
};

std::string_view kindName(Kind kind) noexcept;  // "null", "bool", "integer", ...

// Compact rendering per §2.2. Strings may hold any bytes; they are written raw except for the
// seven escaped characters, so invalid UTF-8 passes through untouched (as pgBackRest does).
std::string render(const Value& value);
// `text` as a JSON string literal, quotes included (used for keys in the checksum rendering).
std::string renderString(std::string_view text);
void appendString(std::string& out, std::string_view text);

// Parses exactly one value with optional JSON whitespace around and between tokens. Accepts
// every escape on input (\uXXXX incl. surrogate pairs is decoded to UTF-8) so files written by
// other tools load. Throws Error(JsonFormat) naming the offset for anything else: floats,
// exponents, leading zeros, trailing text, integers beyond 64 bits.
Value parse(std::string_view text);
// Like parse(), but returns nullopt instead of throwing (used to split INI lines).
std::optional<Value> tryParse(std::string_view text);
// True when `text` is exactly one valid value; cheaper than tryParse (builds nothing).
bool valid(std::string_view text) noexcept;

}  // namespace pgark::info::json
