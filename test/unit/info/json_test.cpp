// Tests of the info-file JSON dialect (spec §2.2): byte-exact writer rules, exact 64-bit integers,
// and a parser that rejects what these files never contain.
#include <catch2/catch.hpp>

#include <functional>
#include <limits>

#include "common/error.h"
#include "info/json.h"

using namespace pgark;
using namespace pgark::info;

namespace {

ErrorCode codeOf(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const Error& error) {
        return error.code();
    }
    FAIL("no error thrown");
    return ErrorCode::Unknown;
}

}  // namespace

TEST_CASE("json::render writes the compact, sorted form of pgBackRest", "[unit][info]") {
    SECTION("objects are compact with keys in byte order") {
        json::Object object;
        object["b"] = json::Value(1);
        object["a"] = json::Value("x");
        object["B"] = json::Value(true);
        object["\xc3\xa9"] = json::Value(nullptr);  // non-ASCII sorts after ASCII (unsigned bytes)
        object["a-b"] = json::Value(json::Array{json::Value(1), json::Value(false), json::Value()});
        CHECK(json::render(json::Value(object)) == "{\"B\":true,\"a\":\"x\",\"a-b\":[1,false,null],\"b\":1,\"\xc3\xa9\":null}");
    }

    SECTION("strings escape exactly the seven characters of the dialect") {
        CHECK(json::renderString("q\"b\\n\nr\rt\tb\bf\f") == "\"q\\\"b\\\\n\\nr\\rt\\tb\\bf\\f\"");
        // '/', other control bytes, DEL and non-ASCII stay raw: never \uXXXX.
        const std::string raw = std::string("a/b\x01\x1f\x7f") + "\xc3\xbc\xe2\x82\xac";
        CHECK(json::renderString(raw) == "\"" + raw + "\"");
        CHECK(json::render(json::Value(raw)).find("\\u") == std::string::npos);
    }

    SECTION("a key holding '\"', '=', '\\' and non-ASCII") {
        json::Object object;
        object["we\"ird=db \\ \xc3\xbc"] = json::Value(16384);
        CHECK(json::render(json::Value(object)) == "{\"we\\\"ird=db \\\\ \xc3\xbc\":16384}");
        CHECK(json::parse(json::render(json::Value(object))) == json::Value(object));
    }

    SECTION("empty containers") {
        CHECK(json::render(json::Value(json::Object{})) == "{}");
        CHECK(json::render(json::Value(json::Array{})) == "[]");
        CHECK(json::render(json::Value("")) == "\"\"");
    }
}

TEST_CASE("json integers keep all 64 bits", "[unit][info]") {
    SECTION("uint64 beyond 2^53 round-trips exactly") {
        for (const std::string text : {"9007199254740993", "7710594626612865982", "18446744073709551615"}) {
            const json::Value value = json::parse(text);
            CHECK(value.kind() == json::Kind::UInt);
            CHECK(std::to_string(value.asUInt()) == text);
            CHECK(json::render(value) == text);
        }
        CHECK(json::parse("9007199254740993").asUInt() == 9007199254740993ULL);
        CHECK(json::render(json::Value(std::numeric_limits<std::uint64_t>::max())) == "18446744073709551615");
    }

    SECTION("negative values and the signed range") {
        CHECK(json::parse("-1").asInt() == -1);
        CHECK(json::parse("-9223372036854775808").asInt() == std::numeric_limits<std::int64_t>::min());
        CHECK(json::render(json::Value(std::numeric_limits<std::int64_t>::min())) == "-9223372036854775808");
        CHECK(json::parse("0").asUInt() == 0);
        // A non-negative signed value is the same number as the unsigned one.
        CHECK(json::Value(5) == json::Value(5U));
        CHECK(json::parse("1795262712").asInt() == 1795262712);
    }

    SECTION("out of range and non-integers are rejected") {
        CHECK(codeOf([] { (void)json::parse("18446744073709551616"); }) == ErrorCode::JsonFormat);
        CHECK(codeOf([] { (void)json::parse("-9223372036854775809"); }) == ErrorCode::JsonFormat);
        CHECK(codeOf([] { (void)json::parse("1.5"); }) == ErrorCode::JsonFormat);
        CHECK(codeOf([] { (void)json::parse("1e3"); }) == ErrorCode::JsonFormat);
        CHECK(codeOf([] { (void)json::parse("01"); }) == ErrorCode::JsonFormat);
        CHECK(codeOf([] { (void)json::parse("-"); }) == ErrorCode::JsonFormat);
        CHECK(codeOf([] { (void)json::parse("-1").asUInt(); }) == ErrorCode::JsonFormat);
        CHECK(codeOf([] { (void)json::parse("18446744073709551615").asInt(); }) == ErrorCode::JsonFormat);
        CHECK(codeOf([] { (void)json::parse("4294967296").asUInt32(); }) == ErrorCode::JsonFormat);
    }
}

TEST_CASE("json::parse reads every value kind and rejects bad text", "[unit][info]") {
    SECTION("a backup.info entry") {
        const json::Value value = json::parse(
            "{\"backup-archive-start\":null,\"backup-reference\":[\"A\",\"B\"],\"db-id\":1,\"option-online\":false}");
        REQUIRE(value.isObject());
        CHECK(value.find("backup-archive-start")->isNull());
        CHECK(value.find("backup-reference")->asArray().size() == 2);
        CHECK(value.find("db-id")->asUInt() == 1);
        CHECK_FALSE(value.find("option-online")->asBool());
        CHECK(value.find("missing") == nullptr);
    }

    SECTION("escapes are decoded, \\u included, and written back raw") {
        CHECK(json::parse("\"a\\/b\\\"\\\\\\n\\r\\t\\b\\f\"").asString() == "a/b\"\\\n\r\t\b\f");
        CHECK(json::parse("\"\\u00e9\"").asString() == "\xc3\xa9");
        CHECK(json::parse("\"\\u20AC\"").asString() == "\xe2\x82\xac");
        CHECK(json::parse("\"\\ud83d\\ude00\"").asString() == "\xf0\x9f\x98\x80");
        CHECK(json::render(json::parse("\"\\u00e9\"")) == "\"\xc3\xa9\"");
        // Raw control bytes inside strings are accepted (pgBackRest writes them raw).
        CHECK(json::parse("\"a\x01z\"").asString() == "a\x01z");
    }

    SECTION("whitespace between tokens is tolerated on input") {
        CHECK(json::parse(" { \"a\" : [ 1 , 2 ] } ") == json::parse("{\"a\":[1,2]}"));
    }

    SECTION("malformed text fails with JsonFormat and an offset, never the text") {
        for (const char* bad : {"", "{", "{\"a\"}", "{\"a\":1,}", "[1,]", "\"abc", "tru", "nul", "{\"a\":1}x", "\"\\x\"",
                                "\"\\u12\"", "\"\\ud83d\"", "{a:1}", "{\"a\":1,\"a\":2}"}) {
            INFO(bad);
            CHECK_FALSE(json::valid(bad));
            CHECK_FALSE(json::tryParse(bad).has_value());
            try {
                (void)json::parse(bad);
                FAIL("accepted");
            } catch (const Error& error) {
                CHECK(error.code() == ErrorCode::JsonFormat);
                CHECK_THAT(error.message(), Catch::Matches("invalid JSON at offset \\d+: .*"));
            }
        }
    }

    SECTION("deep nesting is refused without exhausting the stack") {
        const std::string deep = std::string(100000, '[') + std::string(100000, ']');
        CHECK_FALSE(json::valid(deep));
        const std::string ok = std::string(100, '[') + std::string(100, ']');
        CHECK(json::valid(ok));
    }

    SECTION("typed access of the wrong kind throws JsonFormat") {
        const json::Value text("15");
        CHECK(codeOf([&] { (void)text.asUInt(); }) == ErrorCode::JsonFormat);
        CHECK(codeOf([&] { (void)text.asBool(); }) == ErrorCode::JsonFormat);
        CHECK(codeOf([&] { (void)text.asObject(); }) == ErrorCode::JsonFormat);
        CHECK(codeOf([&] { (void)json::Value(1).asString(); }) == ErrorCode::JsonFormat);
        CHECK(codeOf([&] { (void)json::Value().asArray(); }) == ErrorCode::JsonFormat);
    }
}
