// The info-file JSON dialect: value accessors, writer and parser.
//
// Why not nlohmann-json (installed): its dump() writes control bytes other than \b\f\n\r\t as
// \u00XX, which pgBackRest writes raw and whose 2.45 validator rejects when the escape holds a hex
// letter (\u001f), and it throws on (or rewrites) invalid UTF-8, which pgBackRest passes through
// raw, e.g. in file names. Matching pgBackRest byte for byte would mean post-processing its output;
// a small dialect of our own is simpler and also lets us refuse floats, which never appear here.
#include "info/json.h"

#include <charconv>
#include <limits>

#include "common/error.h"

namespace pgark::info::json {

std::string_view kindName(Kind kind) noexcept {
    switch (kind) {
    case Kind::Null: return "null";
    case Kind::Bool: return "bool";
    case Kind::Int: return "negative integer";
    case Kind::UInt: return "unsigned integer";
    case Kind::String: return "string";
    case Kind::Array: return "array";
    case Kind::Object: return "object";
    }
    return "unknown";
}

namespace {

[[noreturn]] void wrongKind(std::string_view expected, Kind found) {
    throwError(ErrorCode::JsonFormat, "expected {} but found {}", expected, kindName(found));
}

}  // namespace

bool Value::asBool() const {
    if (!isBool()) wrongKind("bool", kind());
    return std::get<bool>(data_);
}

std::int64_t Value::asInt() const {
    if (kind() == Kind::Int) return std::get<std::int64_t>(data_);
    if (kind() != Kind::UInt) wrongKind("integer", kind());
    const std::uint64_t value = std::get<std::uint64_t>(data_);
    if (value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        throwError(ErrorCode::JsonFormat, "integer {} is out of range for a signed 64-bit value", value);
    return static_cast<std::int64_t>(value);
}

std::uint64_t Value::asUInt() const {
    if (kind() != Kind::UInt) wrongKind("unsigned integer", kind());
    return std::get<std::uint64_t>(data_);
}

std::uint32_t Value::asUInt32() const {
    const std::uint64_t value = asUInt();
    if (value > std::numeric_limits<std::uint32_t>::max())
        throwError(ErrorCode::JsonFormat, "integer {} is out of range for an unsigned 32-bit value", value);
    return static_cast<std::uint32_t>(value);
}

const std::string& Value::asString() const {
    if (!isString()) wrongKind("string", kind());
    return std::get<std::string>(data_);
}

const Array& Value::asArray() const {
    if (!isArray()) wrongKind("array", kind());
    return std::get<Array>(data_);
}

Array& Value::asArray() {
    if (!isArray()) wrongKind("array", kind());
    return std::get<Array>(data_);
}

const Object& Value::asObject() const {
    if (!isObject()) wrongKind("object", kind());
    return std::get<Object>(data_);
}

Object& Value::asObject() {
    if (!isObject()) wrongKind("object", kind());
    return std::get<Object>(data_);
}

const Value* Value::find(std::string_view key) const {
    if (!isObject()) return nullptr;
    const Object& object = std::get<Object>(data_);
    const auto found = object.find(std::string(key));
    return found == object.end() ? nullptr : &found->second;
}

// ---------------------------------------------------------------------------------------------
// Writer

void appendString(std::string& out, std::string_view text) {
    out.push_back('"');
    for (const char c : text) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        // Everything else, other control bytes and non-ASCII included, goes out raw: the 2.45
        // reader does not understand \uXXXX beyond \u00XX and rejects files that use it.
        default: out.push_back(c); break;
        }
    }
    out.push_back('"');
}

std::string renderString(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 2);
    appendString(out, text);
    return out;
}

namespace {

void appendValue(std::string& out, const Value& value) {
    switch (value.kind()) {
    case Kind::Null: out += "null"; return;
    case Kind::Bool: out += value.asBool() ? "true" : "false"; return;
    case Kind::Int: out += std::to_string(value.asInt()); return;
    case Kind::UInt: out += std::to_string(value.asUInt()); return;
    case Kind::String: appendString(out, value.asString()); return;
    case Kind::Array: {
        out.push_back('[');
        bool first = true;
        for (const Value& item : value.asArray()) {
            if (!first) out.push_back(',');
            first = false;
            appendValue(out, item);
        }
        out.push_back(']');
        return;
    }
    case Kind::Object: {
        out.push_back('{');
        bool first = true;
        for (const auto& [key, item] : value.asObject()) {  // map order = byte order of keys
            if (!first) out.push_back(',');
            first = false;
            appendString(out, key);
            out.push_back(':');
            appendValue(out, item);
        }
        out.push_back('}');
        return;
    }
    }
}

}  // namespace

std::string render(const Value& value) {
    std::string out;
    appendValue(out, value);
    return out;
}

// ---------------------------------------------------------------------------------------------
// Parser

namespace {

// Deep nesting never occurs in info files; the limit keeps hostile input from exhausting the stack.
constexpr unsigned kMaxDepth = 256;

struct ParseFailure {
    std::size_t offset;
    const char* reason;
};

class Parser {
public:
    explicit Parser(std::string_view text) : text_(text) {}

    Value parseDocument() {
        skipSpace();
        Value value = parseValue(0);
        skipSpace();
        if (pos_ != text_.size()) fail("unexpected text after the value");
        return value;
    }

private:
    [[noreturn]] void fail(const char* reason) const { throw ParseFailure{pos_, reason}; }

    bool atEnd() const noexcept { return pos_ >= text_.size(); }
    char peek() const noexcept { return atEnd() ? '\0' : text_[pos_]; }

    void skipSpace() noexcept {
        while (!atEnd() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r'))
            ++pos_;
    }

    void expectWord(std::string_view word) {
        if (text_.substr(pos_, word.size()) != word) fail("invalid literal");
        pos_ += word.size();
    }

    Value parseValue(unsigned depth) {
        if (depth > kMaxDepth) fail("nesting too deep");
        if (atEnd()) fail("unexpected end of text");
        switch (peek()) {
        case '{': return parseObject(depth);
        case '[': return parseArray(depth);
        case '"': return Value(parseString());
        case 't': expectWord("true"); return Value(true);
        case 'f': expectWord("false"); return Value(false);
        case 'n': expectWord("null"); return Value();
        default: return parseNumber();
        }
    }

    Value parseObject(unsigned depth) {
        ++pos_;  // '{'
        Object object;
        skipSpace();
        if (peek() == '}') {
            ++pos_;
            return Value(std::move(object));
        }
        for (;;) {
            skipSpace();
            if (peek() != '"') fail("expected a string key");
            std::string key = parseString();
            skipSpace();
            if (peek() != ':') fail("expected ':'");
            ++pos_;
            skipSpace();
            Value item = parseValue(depth + 1);
            if (!object.emplace(std::move(key), std::move(item)).second) fail("duplicate object key");
            skipSpace();
            if (peek() == ',') {
                ++pos_;
                continue;
            }
            if (peek() == '}') {
                ++pos_;
                return Value(std::move(object));
            }
            fail("expected ',' or '}'");
        }
    }

    Value parseArray(unsigned depth) {
        ++pos_;  // '['
        Array array;
        skipSpace();
        if (peek() == ']') {
            ++pos_;
            return Value(std::move(array));
        }
        for (;;) {
            skipSpace();
            array.push_back(parseValue(depth + 1));
            skipSpace();
            if (peek() == ',') {
                ++pos_;
                continue;
            }
            if (peek() == ']') {
                ++pos_;
                return Value(std::move(array));
            }
            fail("expected ',' or ']'");
        }
    }

    unsigned parseHex4() {
        if (text_.size() - pos_ < 4) fail("truncated \\u escape");
        unsigned code = 0;
        for (int i = 0; i < 4; ++i) {
            const char c = text_[pos_++];
            code <<= 4;
            if (c >= '0' && c <= '9') code |= static_cast<unsigned>(c - '0');
            else if (c >= 'a' && c <= 'f') code |= static_cast<unsigned>(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F') code |= static_cast<unsigned>(c - 'A' + 10);
            else fail("invalid \\u escape");
        }
        return code;
    }

    static void appendUtf8(std::string& out, unsigned code) {
        if (code < 0x80) {
            out.push_back(static_cast<char>(code));
        } else if (code < 0x800) {
            out.push_back(static_cast<char>(0xC0 | (code >> 6)));
            out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
        } else if (code < 0x10000) {
            out.push_back(static_cast<char>(0xE0 | (code >> 12)));
            out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
        } else {
            out.push_back(static_cast<char>(0xF0 | (code >> 18)));
            out.push_back(static_cast<char>(0x80 | ((code >> 12) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
        }
    }

    std::string parseString() {
        ++pos_;  // opening quote
        std::string out;
        for (;;) {
            if (atEnd()) fail("unterminated string");
            const char c = text_[pos_++];
            if (c == '"') return out;
            if (c != '\\') {
                // Raw control bytes are accepted: pgBackRest writes them unescaped.
                out.push_back(c);
                continue;
            }
            if (atEnd()) fail("unterminated string");
            const char e = text_[pos_++];
            switch (e) {
            case '"': out.push_back('"'); break;
            case '\\': out.push_back('\\'); break;
            case '/': out.push_back('/'); break;
            case 'b': out.push_back('\b'); break;
            case 'f': out.push_back('\f'); break;
            case 'n': out.push_back('\n'); break;
            case 'r': out.push_back('\r'); break;
            case 't': out.push_back('\t'); break;
            case 'u': {
                unsigned code = parseHex4();
                if (code >= 0xD800 && code <= 0xDBFF) {
                    if (text_.substr(pos_, 2) != "\\u") fail("unpaired surrogate in \\u escape");
                    pos_ += 2;
                    const unsigned low = parseHex4();
                    if (low < 0xDC00 || low > 0xDFFF) fail("unpaired surrogate in \\u escape");
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                } else if (code >= 0xDC00 && code <= 0xDFFF) {
                    fail("unpaired surrogate in \\u escape");
                }
                appendUtf8(out, code);
                break;
            }
            default: --pos_; fail("invalid escape");
            }
        }
    }

    Value parseNumber() {
        const std::size_t start = pos_;
        const bool negative = peek() == '-';
        if (negative) ++pos_;
        if (atEnd() || peek() < '0' || peek() > '9') fail("invalid value");
        if (peek() == '0' && pos_ + 1 < text_.size() && text_[pos_ + 1] >= '0' && text_[pos_ + 1] <= '9')
            fail("leading zero in number");
        while (!atEnd() && peek() >= '0' && peek() <= '9') ++pos_;
        if (peek() == '.' || peek() == 'e' || peek() == 'E') fail("only integers are supported");
        const char* first = text_.data() + start + (negative ? 1 : 0);
        const char* last = text_.data() + pos_;
        std::uint64_t magnitude = 0;
        const auto [ptr, ec] = std::from_chars(first, last, magnitude);
        if (ec != std::errc() || ptr != last) {
            pos_ = start;
            fail("integer out of 64-bit range");
        }
        if (!negative) return Value(magnitude);
        constexpr std::uint64_t kMinMagnitude = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) + 1;
        if (magnitude > kMinMagnitude) {
            pos_ = start;
            fail("integer out of 64-bit range");
        }
        if (magnitude == kMinMagnitude) return Value(std::numeric_limits<std::int64_t>::min());
        return Value(-static_cast<std::int64_t>(magnitude));
    }

    std::string_view text_;
    std::size_t pos_ = 0;
};

}  // namespace

Value parse(std::string_view text) {
    try {
        return Parser(text).parseDocument();
    } catch (const ParseFailure& failure) {
        // Never quote the text itself: values may hold a passphrase ([cipher] cipher-pass).
        throwError(ErrorCode::JsonFormat, "invalid JSON at offset {}: {}", failure.offset, failure.reason);
    }
}

std::optional<Value> tryParse(std::string_view text) {
    try {
        return Parser(text).parseDocument();
    } catch (const ParseFailure&) {
        return std::nullopt;
    }
}

bool valid(std::string_view text) noexcept {
    try {
        return tryParse(text).has_value();
    } catch (...) {
        return false;  // only std::bad_alloc can get here
    }
}

}  // namespace pgark::info::json
