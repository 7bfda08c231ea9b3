// Configuration file syntax (config/ini.h).
#include "config/ini.h"

#include <catch2/catch.hpp>

#include "unit/config/config_test_util.h"

using namespace pgark;
using namespace pgark::config;
using pgark::test::requireError;

TEST_CASE("Ini::parse reads sections, trims, skips comments and keeps empty values", "[unit][config]") {
    Ini ini;
    ini.parse("# comment\n\n[global]\n  repo1-path = /var/lib/x  \n#x=y\n  # indented comment\nk=a=b\r\nempty=\n"
              "[main]\npg1-path=/pg\n[global]\nlog-level-console=info\n",
              "/etc/pgark/pgark.conf");
    const auto* global = ini.section("global");
    REQUIRE(global != nullptr);
    REQUIRE(global->size() == 4);
    CHECK((*global)[0].key == "repo1-path");
    CHECK((*global)[0].value == "/var/lib/x");
    CHECK((*global)[0].line == 4);
    CHECK((*global)[0].file == "/etc/pgark/pgark.conf");
    CHECK((*global)[1].key == "k");
    CHECK((*global)[1].value == "a=b");
    CHECK((*global)[2].value.empty());
    CHECK((*global)[3].key == "log-level-console");  // a section named twice is one section
    REQUIRE(ini.section("main") != nullptr);
    CHECK(ini.section("main")->front().value == "/pg");
    CHECK(ini.section("other") == nullptr);
}

TEST_CASE("Ini::parse continues the previous file's section, as concatenated files do", "[unit][config]") {
    Ini ini;
    ini.parse("[main]\npg1-path=/pg\n", "/a.conf");
    ini.parse("pg1-port=5433\n[global]\nx=y\n", "/conf.d/b.conf");
    REQUIRE(ini.section("main")->size() == 2);
    CHECK(ini.section("main")->back().file == "/conf.d/b.conf");
}

TEST_CASE("Ini::parse reports syntax errors with file and line, never the value", "[unit][config]") {
    requireError([] { Ini().parse("repo1-cipher-pass=secret\n", "/x.conf"); }, ErrorCode::Format,
                 "key/value found outside of a section at line 1 of '/x.conf': repo1-cipher-pass");
    requireError([] { Ini().parse("[global]\n\nrepo1-path\n", "/x.conf"); }, ErrorCode::Format,
                 "missing '=' in key/value at line 3 of '/x.conf'");
    requireError([] { Ini().parse("[global]\n=x\n", "/x.conf"); }, ErrorCode::Format,
                 "missing key in key/value at line 2 of '/x.conf'");
    requireError([] { Ini().parse("[global\n", "/x.conf"); }, ErrorCode::Format,
                 "invalid section header at line 1 of '/x.conf'");
    requireError([] { Ini().parse("[]\n", "/x.conf"); }, ErrorCode::Format, "invalid section header at line 1 of '/x.conf'");
}
