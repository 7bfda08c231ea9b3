// Option value parsing and validation (config/value.h).
#include "config/value.h"

#include <catch2/catch.hpp>

#include "unit/config/config_test_util.h"

using namespace pgark;
using namespace pgark::config;
using pgark::test::requireError;

namespace {

const OptionDef& def(std::string_view name) { return optionDef(*findOptionId(name)); }

}  // namespace

TEST_CASE("parseBool accepts exactly y and n", "[unit][config]") {
    CHECK(parseBool("y") == true);
    CHECK(parseBool("n") == false);
    CHECK_FALSE(parseBool("Y"));
    CHECK_FALSE(parseBool("yes"));
    CHECK_FALSE(parseBool(""));
}

TEST_CASE("parseInteger takes decimal integers only", "[unit][config]") {
    CHECK(parseInteger("0") == 0);
    CHECK(parseInteger("-5") == -5);
    CHECK(parseInteger("65535") == 65535);
    CHECK(parseInteger("9223372036854775807") == INT64_MAX);
    CHECK(parseInteger("-9223372036854775808") == INT64_MIN);
    CHECK_FALSE(parseInteger("9223372036854775808"));
    CHECK_FALSE(parseInteger("1.5"));
    CHECK_FALSE(parseInteger("0x10"));
    CHECK_FALSE(parseInteger("+5"));
    CHECK_FALSE(parseInteger(""));
    CHECK_FALSE(parseInteger("-"));
}

TEST_CASE("parseSize takes units in powers of 1024, any case", "[unit][config]") {
    CHECK(parseSize("0") == 0U);
    CHECK(parseSize("1048576") == 1048576U);
    CHECK(parseSize("512b") == 512U);
    CHECK(parseSize("512k") == 512U * 1024);
    CHECK(parseSize("1kb") == 1024U);
    CHECK(parseSize("16KiB") == 16U * 1024);
    CHECK(parseSize("2MiB") == 2U << 20);
    CHECK(parseSize("1M") == 1U << 20);
    CHECK(parseSize("1mb") == 1U << 20);
    CHECK(parseSize("1g") == 1ULL << 30);
    CHECK(parseSize("1TiB") == 1ULL << 40);
    CHECK(parseSize("4PiB") == 4ULL << 50);

    CHECK_FALSE(parseSize("1.5MiB"));
    CHECK_FALSE(parseSize("-1"));
    CHECK_FALSE(parseSize("MiB"));
    CHECK_FALSE(parseSize("1x"));
    CHECK_FALSE(parseSize("1bb"));
    CHECK_FALSE(parseSize("1kibb"));
    CHECK_FALSE(parseSize("99999999999p"));  // overflows 64 bits
}

TEST_CASE("parseTime takes seconds with fractions", "[unit][config]") {
    using std::chrono::milliseconds;
    CHECK(parseTime("60") == milliseconds(60000));
    CHECK(parseTime("0.1") == milliseconds(100));
    CHECK(parseTime("1.50") == milliseconds(1500));
    CHECK(parseTime("1.5555") == milliseconds(1556));
    CHECK_FALSE(parseTime("abc"));
    CHECK_FALSE(parseTime("-1"));
    CHECK_FALSE(parseTime("1."));
    CHECK_FALSE(parseTime(".5"));
    CHECK_FALSE(parseTime("1e3"));
}

TEST_CASE("validateValue checks type, allowed values and range", "[unit][config]") {
    SECTION("integer") {
        CHECK(validateValue(def("process-max"), CommandId::Backup, "process-max", "4") == "4");
        requireError([] { validateValue(def("process-max"), CommandId::Backup, "process-max", "abc"); },
                     ErrorCode::OptionInvalidValue, "'abc' is not valid for 'process-max' option");
        requireError([] { validateValue(def("process-max"), CommandId::Backup, "process-max", "0"); },
                     ErrorCode::OptionInvalidRange, "'0' is out of range for 'process-max' option");
        requireError([] { validateValue(def("process-max"), CommandId::Backup, "process-max", "1000"); },
                     ErrorCode::OptionInvalidRange, "'1000' is out of range for 'process-max' option");
        requireError([] { validateValue(def("pg-port"), CommandId::Backup, "pg1-port", "70000"); },
                     ErrorCode::OptionInvalidRange, "'70000' is out of range for 'pg1-port' option");
    }
    SECTION("size: allowed values compare as sizes") {
        CHECK(validateValue(def("buffer-size"), CommandId::Backup, "buffer-size", "1048576") == "1048576");
        CHECK(validateValue(def("buffer-size"), CommandId::Backup, "buffer-size", "64kb") == "64kb");
        requireError([] { validateValue(def("buffer-size"), CommandId::Backup, "buffer-size", "3MiB"); },
                     ErrorCode::OptionInvalidValue, "'3MiB' is not allowed for 'buffer-size' option");
        requireError([] { validateValue(def("manifest-save-threshold"), CommandId::Backup, "manifest-save-threshold", "0"); },
                     ErrorCode::OptionInvalidRange, "'0' is out of range for 'manifest-save-threshold' option");
        requireError([] { validateValue(def("manifest-save-threshold"), CommandId::Backup, "manifest-save-threshold", "2x"); },
                     ErrorCode::OptionInvalidValue, "'2x' is not valid for 'manifest-save-threshold' option");
        CHECK(validateValue(def("archive-get-queue-max"), CommandId::ArchiveGet, "archive-get-queue-max", "4PiB") == "4PiB");
        requireError([] { validateValue(def("archive-get-queue-max"), CommandId::ArchiveGet, "archive-get-queue-max", "5PiB"); },
                     ErrorCode::OptionInvalidRange, "'5PiB' is out of range for 'archive-get-queue-max' option");
    }
    SECTION("time") {
        CHECK(validateValue(def("archive-timeout"), CommandId::Backup, "archive-timeout", "0.1") == "0.1");
        requireError([] { validateValue(def("archive-timeout"), CommandId::Backup, "archive-timeout", "0.01"); },
                     ErrorCode::OptionInvalidRange, "'0.01' is out of range for 'archive-timeout' option");
        requireError([] { validateValue(def("archive-timeout"), CommandId::Backup, "archive-timeout", "86401"); },
                     ErrorCode::OptionInvalidRange, "'86401' is out of range for 'archive-timeout' option");
    }
    SECTION("string-id, with per-command allowed values") {
        CHECK(validateValue(def("type"), CommandId::Backup, "type", "full") == "full");
        CHECK(validateValue(def("type"), CommandId::Restore, "type", "immediate") == "immediate");
        requireError([] { validateValue(def("type"), CommandId::Backup, "type", "immediate"); },
                     ErrorCode::OptionInvalidValue, "'immediate' is not allowed for 'type' option");
        CHECK(validateValue(def("output"), CommandId::Verify, "output", "none") == "none");
        requireError([] { validateValue(def("output"), CommandId::Info, "output", "none"); },
                     ErrorCode::OptionInvalidValue, "'none' is not allowed for 'output' option");
    }
    SECTION("path: absolute, no //, trailing / dropped") {
        CHECK(validateValue(def("repo-path"), CommandId::Backup, "repo1-path", "/a/b/") == "/a/b");
        CHECK(validateValue(def("repo-path"), CommandId::Backup, "repo1-path", "/") == "/");
        requireError([] { validateValue(def("repo-path"), CommandId::Backup, "repo1-path", "a"); },
                     ErrorCode::OptionInvalidValue, "'a' must begin with / for 'repo1-path' option");
        requireError([] { validateValue(def("repo-path"), CommandId::Backup, "repo1-path", "/a//b"); },
                     ErrorCode::OptionInvalidValue, "'/a//b' cannot contain // for 'repo1-path' option");
    }
    SECTION("hash needs key=value") {
        CHECK(validateValue(def("annotation"), CommandId::Backup, "annotation", "a=b=c") == "a=b=c");
        requireError([] { validateValue(def("annotation"), CommandId::Backup, "annotation", "a"); },
                     ErrorCode::OptionInvalidValue, "key/value 'a' not valid for 'annotation' option");
        requireError([] { validateValue(def("annotation"), CommandId::Backup, "annotation", "=d"); },
                     ErrorCode::OptionInvalidValue, "key/value '=d' not valid for 'annotation' option");
        CHECK(splitKeyValue("a=b=c") == std::make_pair(std::string("a"), std::string("b=c")));
        CHECK(splitKeyValue("a=") == std::make_pair(std::string("a"), std::string()));
    }
    SECTION("boolean") {
        requireError([] { validateValue(def("start-fast"), CommandId::Backup, "start-fast", "yes"); },
                     ErrorCode::OptionInvalidValue, "boolean option 'start-fast' must be 'y' or 'n'");
    }
}
