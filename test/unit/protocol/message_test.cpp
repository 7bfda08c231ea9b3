// Tests for protocol/message: round trips of every field type, optionals, embedded messages, and
// the Error(Protocol) a reader throws on truncated, mistyped or malformed input.
#include "protocol/message.h"

#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "common/error.h"

namespace {

using pgark::Error;
using pgark::ErrorCode;
using namespace pgark::protocol;
using Catch::Matchers::Contains;

std::vector<std::byte> bytesOf(std::string_view text) {
    const auto view = pgark::io::asBytes(text);
    return {view.begin(), view.end()};
}

// Runs `read` and returns the Error(Protocol) it must throw.
template <class F>
std::string protocolError(F&& read) {
    try {
        read();
    } catch (const Error& error) {
        CHECK(error.code() == ErrorCode::Protocol);
        return error.message();
    }
    FAIL("expected Error(Protocol)");
    return {};
}

}  // namespace

TEST_CASE("Message round trips every field type in order", "[unit][protocol]") {
    const std::vector<std::byte> blob = bytesOf(std::string("a\0b\xff", 4));
    Message message;
    message.addU64(0)
        .addU64(127)
        .addU64(128)
        .addU64(std::numeric_limits<std::uint64_t>::max())
        .addI64(0)
        .addI64(-1)
        .addI64(std::numeric_limits<std::int64_t>::min())
        .addI64(std::numeric_limits<std::int64_t>::max())
        .addBool(true)
        .addBool(false)
        .addString("")
        .addString("pg_data/base/1/1259")
        .addBytes(blob)
        .addBytes({});

    MessageReader reader = message.reader();
    CHECK(reader.peek() == FieldType::U64);
    CHECK(reader.readU64() == 0);
    CHECK(reader.readU64() == 127);
    CHECK(reader.readU64() == 128);
    CHECK(reader.readU64() == std::numeric_limits<std::uint64_t>::max());
    CHECK(reader.readI64() == 0);
    CHECK(reader.readI64() == -1);
    CHECK(reader.readI64() == std::numeric_limits<std::int64_t>::min());
    CHECK(reader.readI64() == std::numeric_limits<std::int64_t>::max());
    CHECK(reader.readBool());
    CHECK_FALSE(reader.readBool());
    CHECK(reader.readString().empty());
    CHECK(reader.readStringView() == "pg_data/base/1/1259");
    const pgark::io::ByteView bytes = reader.readBytes();
    CHECK(std::vector<std::byte>(bytes.begin(), bytes.end()) == blob);
    CHECK(reader.readBytes().empty());
    CHECK(reader.atEnd());
    CHECK(reader.fieldsRead() == 14);
    CHECK_FALSE(reader.peek().has_value());
    CHECK_NOTHROW(reader.expectEnd());

    SECTION("small integers stay small on the wire") {
        Message small;
        small.addU64(5).addI64(-3);
        CHECK(small.size() == 4);  // tag + 1-byte varint each
    }

    SECTION("a message rebuilt from its bytes reads the same") {
        Message copy(std::vector<std::byte>(message.bytes().begin(), message.bytes().end()));
        CHECK(copy == message);
        CHECK(copy.reader().readU64() == 0);
    }

    SECTION("a large bytes field survives unchanged") {
        std::vector<std::byte> big(3 * 1024 * 1024);
        for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<std::byte>(i * 7);
        Message large;
        large.addString("file").addBytes(big);
        MessageReader largeReader = large.reader();
        CHECK(largeReader.readString() == "file");
        const auto view = largeReader.readBytes();
        REQUIRE(view.size() == big.size());
        CHECK(std::memcmp(view.data(), big.data(), big.size()) == 0);
    }
}

TEST_CASE("Message optionals are Null when absent and the plain value when present", "[unit][protocol]") {
    Message message;
    message.addOptional(std::optional<std::uint64_t>())
        .addOptional(std::optional<std::uint64_t>(42))
        .addOptional(std::optional<std::int64_t>(-7))
        .addOptional(std::optional<bool>(false))
        .addOptional(std::optional<std::string>("label"))
        .addOptional(std::optional<std::string>())
        .addNull()
        .addU64(9);

    MessageReader reader = message.reader();
    CHECK(reader.peek() == FieldType::Null);
    CHECK_FALSE(reader.readOptionalU64().has_value());
    CHECK(reader.readOptionalU64() == 42u);
    CHECK(reader.readOptionalI64() == -7);
    CHECK(reader.readOptionalBool() == false);
    CHECK(reader.readOptionalString() == "label");
    CHECK_FALSE(reader.readOptionalString().has_value());
    CHECK_FALSE(reader.readOptionalBytes().has_value());
    CHECK(reader.readOptionalU64() == 9u);  // a plain field reads as a present optional
    CHECK(reader.atEnd());

    SECTION("a Null where a plain value is expected is a type error") {
        MessageReader again = message.reader();
        CHECK_THAT(protocolError([&] { again.readU64(); }), Contains("field 1 is null, expected u64"));
    }
}

TEST_CASE("Message::appendEncoded embeds another message read back with rest()", "[unit][protocol]") {
    Message inner;
    inner.addString("inner").addU64(3);
    Message outer;
    outer.addString("key").appendEncoded(inner.bytes());

    MessageReader reader = outer.reader();
    CHECK(reader.readString() == "key");
    MessageReader innerReader(reader.rest());
    CHECK(reader.atEnd());
    CHECK(innerReader.readString() == "inner");
    CHECK(innerReader.readU64() == 3);
    CHECK(innerReader.atEnd());
}

TEST_CASE("MessageReader throws Error(Protocol) on mistyped, truncated or malformed data", "[unit][protocol]") {
    SECTION("reading past the last field") {
        Message message;
        message.addU64(1);
        MessageReader reader = message.reader();
        reader.readU64();
        CHECK_THAT(protocolError([&] { reader.readString(); }),
                   Contains("ended before field 2 (string): it has 1 field(s)"));
    }

    SECTION("each type read as another") {
        Message message;
        message.addString("x").addBytes(pgark::io::asBytes("y")).addBool(true).addI64(-1);
        MessageReader reader = message.reader();
        CHECK_THAT(protocolError([&] { reader.readBytes(); }), Contains("field 1 is string, expected bytes"));
        MessageReader second = message.reader();
        second.readString();
        CHECK_THAT(protocolError([&] { second.readString(); }), Contains("field 2 is bytes, expected string"));
        second = message.reader();
        second.readString();
        second.readBytes();
        CHECK_THAT(protocolError([&] { second.readU64(); }), Contains("field 3 is bool, expected u64"));
        second.readBool();
        CHECK_THAT(protocolError([&] { second.readU64(); }), Contains("field 4 is i64, expected u64"));
    }

    SECTION("truncated inside a field, at every cut") {
        Message message;
        message.addU64(300).addString("hello").addBytes(pgark::io::asBytes("data")).addI64(-1000).addBool(true);
        const auto whole = message.bytes();
        for (std::size_t cut = 0; cut < whole.size(); ++cut) {
            MessageReader reader(whole.first(cut));
            INFO("cut at byte " << cut);
            CHECK_THROWS_AS(
                [&] {
                    reader.readU64();
                    reader.readString();
                    reader.readBytes();
                    reader.readI64();
                    reader.readBool();
                }(),
                Error);
        }
        MessageReader reader(whole.first(4));  // tag + 2-byte varint + string tag, no length
        reader.readU64();
        CHECK_THAT(protocolError([&] { reader.readString(); }), Contains("truncated in field 2 (string)"));
    }

    SECTION("a length that runs past the end") {
        std::vector<std::byte> raw = {std::byte{4}, std::byte{100}, std::byte{'a'}};  // string of 100, 1 present
        MessageReader reader(raw);
        CHECK_THAT(protocolError([&] { reader.readString(); }), Contains("truncated in field 1 (string)"));
    }

    SECTION("an unknown tag") {
        std::vector<std::byte> raw = {std::byte{0x42}};
        MessageReader reader(raw);
        CHECK_THAT(protocolError([&] { reader.peek(); }), Contains("unknown type tag 66"));
        CHECK_THROWS_AS(reader.readU64(), Error);
    }

    SECTION("an over-long varint") {
        std::vector<std::byte> raw(12, std::byte{0xff});
        raw[0] = std::byte{1};  // U64 tag, then 11 continuation bytes
        MessageReader reader(raw);
        CHECK_THAT(protocolError([&] { reader.readU64(); }), Contains("over-long integer"));
    }

    SECTION("a bool byte other than 0 or 1") {
        std::vector<std::byte> raw = {std::byte{3}, std::byte{2}};
        MessageReader reader(raw);
        CHECK_THAT(protocolError([&] { reader.readBool(); }), Contains("invalid value 2"));
    }

    SECTION("unread fields left over") {
        Message message;
        message.addU64(1).addU64(2);
        MessageReader reader = message.reader();
        reader.readU64();
        CHECK_THAT(protocolError([&] { reader.expectEnd(); }), Contains("unread byte(s) after field 1"));
    }
}
