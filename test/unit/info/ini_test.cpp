// Tests of the strict INI layer (spec §2.1, §2.3, §2.4): parsing in file order with raw keys, the
// checksum over raw text, and canonical rendering, checked against files made by pgbackrest 2.45.
#include <catch2/catch.hpp>

#include "common/crypto/hash.h"
#include "common/error.h"
#include "info/info_file.h"
#include "info/ini.h"
#include "unit/info/info_test_util.h"

using namespace pgark;
using namespace pgark::info;
using pgark::test::info::fixture;

namespace {

std::string storedChecksum(const std::vector<IniLine>& lines) {
    for (const IniLine& line : lines)
        if (line.section == "backrest" && line.key == "backrest-checksum") return json::parse(line.value).asString();
    return {};
}

}  // namespace

TEST_CASE("parseIniLines keeps file order, raw keys and raw values", "[unit][info]") {
    SECTION("sections, empty lines and values") {
        const auto lines = parseIniLines("[backrest]\nbackrest-format=5\n\n[db]\ndb-id=1\ndb-version=\"15\"\n");
        REQUIRE(lines.size() == 3);
        CHECK(lines[0] == IniLine{"backrest", "backrest-format", "5"});
        CHECK(lines[1] == IniLine{"db", "db-id", "1"});
        CHECK(lines[2] == IniLine{"db", "db-version", "\"15\""});
    }

    SECTION("the key is split at the first '=' whose remainder is valid JSON") {
        const auto lines = parseIniLines("[db]\nwe\"ird=db \xc3\xbc={\"db-id\":16384}\nk=1=2\npg_data/my=file \\.txt={}\n");
        REQUIRE(lines.size() == 3);
        CHECK(lines[0].key == "we\"ird=db \xc3\xbc");
        CHECK(lines[0].value == "{\"db-id\":16384}");
        CHECK(lines[1].key == "k=1");  // "1=2" is not JSON, so the second '=' splits
        CHECK(lines[1].value == "2");
        CHECK(lines[2].key == "pg_data/my=file \\.txt");
        CHECK(lines[2].value == "{}");
    }

    SECTION("a leading '=' belongs to the key; whitespace is kept") {
        const auto lines = parseIniLines("[s]\n=a=1\n k =\"v\"\n");
        REQUIRE(lines.size() == 2);
        CHECK(lines[0].key == "=a");
        CHECK(lines[1].key == " k ");
    }

    SECTION("a repeated section is reported in file order") {
        const auto lines = parseIniLines("[backrest]\na=1\n[db]\nb=2\n[backrest]\nc=3");  // no final newline
        REQUIRE(lines.size() == 3);
        CHECK(lines[2] == IniLine{"backrest", "c", "3"});
    }

    SECTION("bad lines fail with the line number and without the line text") {
        for (const auto& [text, line] : std::vector<std::pair<std::string, int>>{
                 {"[s]\nsecret-pass\n", 2}, {"key=1\n", 1}, {"[]\n", 1}, {"[s]\nx=not json\n", 2}, {"[s]\n\n=1\n", 3}}) {
            INFO(text);
            try {
                (void)parseIniLines(text);
                FAIL("accepted");
            } catch (const Error& error) {
                CHECK(error.code() == ErrorCode::Format);
                CHECK_THAT(error.message(), Catch::StartsWith("line " + std::to_string(line) + ":"));
                CHECK(error.message().find("secret-pass") == std::string::npos);
                CHECK(error.message().find("not json") == std::string::npos);
            }
        }
    }
}

TEST_CASE("iniChecksum hashes the synthetic JSON of section 2.4", "[unit][info]") {
    SECTION("keys are JSON-escaped, values and section names are raw, the checksum line is skipped") {
        const std::vector<IniLine> lines = {
            {"backrest", "backrest-format", "5"},
            {"backrest", "backrest-version", "\"2.45\""},
            {"db", "we\"ird=db \\ \xc3\xbc", "{\"db-id\":1}"},
            {"db", "z", "null"},
            {"backrest", "backrest-checksum", "\"0000\""},
        };
        const std::string synthetic =
            "{\"backrest\":{\"backrest-format\":5,\"backrest-version\":\"2.45\"},"
            "\"db\":{\"we\\\"ird=db \\\\ \xc3\xbc\":{\"db-id\":1},\"z\":null}}";
        CHECK(iniChecksum(lines) == crypto::sha1Hex(synthetic));
    }

    SECTION("a section that reappears is opened again") {
        const std::vector<IniLine> lines = {{"a", "k", "1"}, {"b", "k", "2"}, {"a", "j", "3"}};
        CHECK(iniChecksum(lines) == crypto::sha1Hex("{\"a\":{\"k\":1},\"b\":{\"k\":2},\"a\":{\"j\":3}}"));
    }

    SECTION("it reproduces the checksums pgbackrest wrote") {
        for (const char* file : {"archive.info", "backup.info", "backup.manifest"}) {
            INFO(file);
            const auto lines = parseIniLines(fixture("plain", file));
            const std::string stored = storedChecksum(lines);
            REQUIRE(stored.size() == 40);
            CHECK(iniChecksum(lines) == stored);
        }
    }
}

TEST_CASE("Ini renders the canonical order of section 2.3", "[unit][info]") {
    SECTION("generic re-render of the real files is byte-identical") {
        // The manifest holds a database named we"ird=db ü and a file named my=file ü\.txt.
        for (const char* file : {"archive.info", "backup.info", "backup.manifest"}) {
            INFO(file);
            const std::string text = fixture("plain", file);
            CHECK(Ini::parse(text).render() == text);
        }
        CHECK(Ini::parse(fixture("plain", "backup.manifest")).raw("db", "we\"ird=db \xc3\xbc") != nullptr);
    }

    SECTION("sections are sorted, [backrest] leads, empty sections vanish, the checksum trails") {
        Ini ini;
        ini.set("db:history", "1", json::Value(json::Object{{"db-id", json::Value(7)}}));
        ini.set("db", "db-id", json::Value(1));
        ini.set("cipher", "cipher-pass", json::Value("p"));
        ini.set("empty", "k", json::Value(1));
        CHECK(ini.remove("empty", "k"));
        CHECK_FALSE(ini.remove("empty", "k"));
        CHECK_FALSE(ini.remove("nowhere", "k"));
        const std::string text = ini.render();
        const std::string body =
            "[backrest]\nbackrest-format=5\nbackrest-version=\"2.45\"\n\n"
            "[cipher]\ncipher-pass=\"p\"\n\n"
            "[db]\ndb-id=1\n\n"
            "[db:history]\n1={\"db-id\":7}\n\n"
            "[backrest]\nbackrest-checksum=\"";
        REQUIRE(text.size() == body.size() + 40 + 2);
        CHECK(text.substr(0, body.size()) == body);
        CHECK(text.substr(body.size() + 40) == "\"\n");
        // The trailer verifies: the rendered checksum is the checksum of the rendered lines.
        const auto lines = parseIniLines(text);
        CHECK(iniChecksum(lines) == storedChecksum(lines));
    }

    SECTION("entries keep insertion order inside a section (history ids are numeric)") {
        Ini ini;
        for (int id = 1; id <= 10; ++id) ini.set("db:history", std::to_string(id), json::Value(id));
        const std::string text = ini.render();
        CHECK(text.find("9=9\n10=10\n") != std::string::npos);
    }

    SECTION("set replaces in place; lookups") {
        Ini ini = Ini::parse("[db]\na=1\nb=2\n");
        ini.set("db", "a", json::Value("x"));
        REQUIRE(ini.section("db") != nullptr);
        CHECK(ini.section("db")->entries.front().key == "a");
        CHECK(*ini.raw("db", "a") == "\"x\"");
        CHECK(ini.get("db", "b").asUInt() == 2);
        CHECK_FALSE(ini.find("db", "c").has_value());
        CHECK(ini.raw("nodb", "a") == nullptr);
        CHECK(ini.remove("db", "a"));
        CHECK(ini.get("db", "b").asUInt() == 2);  // index rebuilt after the removal
        CHECK(ini.removeSection("db"));
        CHECK_FALSE(ini.hasSection("db"));
        try {
            (void)ini.get("db", "b");
            FAIL("no error");
        } catch (const Error& error) {
            CHECK(error.code() == ErrorCode::Format);
            CHECK(error.message() == "missing key 'b' in section '[db]'");
        }
    }

    SECTION("a key repeated within a section is an error") {
        try {
            (void)Ini::parse("[db]\na=1\na=2\n");
            FAIL("accepted");
        } catch (const Error& error) {
            CHECK(error.code() == ErrorCode::Format);
            CHECK(error.message() == "duplicate key 'a' in section '[db]'");
        }
    }
}
