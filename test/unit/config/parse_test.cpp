// Command-line parsing (config/parse.h).
#include "config/parse.h"

#include <catch2/catch.hpp>

#include "unit/config/config_test_util.h"

using namespace pgark;
using namespace pgark::config;
using pgark::test::requireError;

namespace {

CommandLine parse(std::vector<std::string> args) { return parseCommandLine(args); }

const RawValue& value(const CommandLine& line, std::string_view name) {
    const NameLookup lookup = lookupOptionName(name, NameMatch::Exact);
    REQUIRE(lookup.status == NameLookup::Status::Found);
    const auto it = line.options.find(lookup.key);
    REQUIRE(it != line.options.end());
    return it->second;
}

}  // namespace

TEST_CASE("parseCommandLine separates options, command and parameters", "[unit][config]") {
    const CommandLine line = parse({"--stanza=main", "archive-get", "000000010000000000000001", "--repo", "2",
                                    "pg_wal/RECOVERYXLOG"});
    CHECK(line.command == "archive-get");
    CHECK(line.params == std::vector<std::string>{"000000010000000000000001", "pg_wal/RECOVERYXLOG"});
    CHECK(value(line, "stanza").values == std::vector<std::string>{"main"});
    CHECK(value(line, "repo").values == std::vector<std::string>{"2"});

    const CommandLine empty = parse({});
    CHECK(empty.command.empty());
    CHECK(empty.options.empty());
    CHECK(parse({"-"}).command == "-");  // a lone dash is an argument (stdin), not an option
}

TEST_CASE("parseCommandLine handles --name=value, --name value and prefixes", "[unit][config]") {
    const CommandLine line = parse({"--pg1-path", "/data", "--db-time=5", "--log-level-con=info", "--repo-path=/r/"});
    CHECK(value(line, "pg1-path").values == std::vector<std::string>{"/data"});
    CHECK(value(line, "db-timeout").values == std::vector<std::string>{"5"});
    CHECK(value(line, "log-level-console").values == std::vector<std::string>{"info"});
    CHECK(value(line, "repo1-path").values == std::vector<std::string>{"/r/"});  // validated later, in load
    CHECK(value(line, "repo1-path").written == "repo-path");
    // A value may contain '=' and may look like an option when it is separate.
    CHECK(value(parse({"--recovery-option=a=b"}), "recovery-option").values == std::vector<std::string>{"a=b"});
    CHECK(value(parse({"--target", "--x"}), "target").values == std::vector<std::string>{"--x"});

    requireError([] { parse({"--stanza"}); }, ErrorCode::OptionInvalid, "option '--stanza' requires an argument");
    requireError([] { parse({"--stanza="}); }, ErrorCode::OptionInvalidValue, "option '--stanza' must have a value");
}

TEST_CASE("parseCommandLine handles booleans and negation", "[unit][config]") {
    const CommandLine line = parse({"--start-fast", "--archive-check=n", "--delta=y", "--no-online", "--no-config"});
    CHECK(value(line, "start-fast").values == std::vector<std::string>{"y"});
    CHECK(value(line, "archive-check").values == std::vector<std::string>{"n"});
    CHECK(value(line, "delta").values == std::vector<std::string>{"y"});
    CHECK(value(line, "online").form == NameForm::Negate);
    CHECK(value(line, "online").values.empty());
    CHECK(value(line, "config").form == NameForm::Negate);

    requireError([] { parse({"--start-fast=Y"}); }, ErrorCode::OptionInvalidValue,
                 "boolean option '--start-fast' argument must be 'y' or 'n'");
    requireError([] { parse({"--no-online=n"}); }, ErrorCode::OptionInvalid, "option 'no-online' does not allow an argument");
    requireError([] { parse({"--no-force"}); }, ErrorCode::OptionInvalid, "option 'no-force' cannot be negated");
    requireError([] { parse({"--no-stanza"}); }, ErrorCode::OptionInvalid, "option 'no-stanza' cannot be negated");
    // A boolean does not take the next argument as its value.
    CHECK(parse({"--start-fast", "backup"}).command == "backup");
}

TEST_CASE("parseCommandLine handles --reset-", "[unit][config]") {
    CHECK(value(parse({"--reset-repo1-path"}), "repo1-path").form == NameForm::Reset);
    CHECK(value(parse({"--reset-start-fast"}), "start-fast").form == NameForm::Reset);
    requireError([] { parse({"--reset-stanza"}); }, ErrorCode::OptionInvalid, "option 'reset-stanza' cannot be reset");
    requireError([] { parse({"--reset-repo1-path=/x"}); }, ErrorCode::OptionInvalid,
                 "option 'reset-repo1-path' does not allow an argument");
}

TEST_CASE("parseCommandLine refuses duplicates and contradictions", "[unit][config]") {
    requireError([] { parse({"--stanza=a", "--stanza=b"}); }, ErrorCode::OptionDuplicate,
                 "option 'stanza' cannot be set multiple times");
    requireError([] { parse({"--pg1-path=/a", "--db1-path=/b"}); }, ErrorCode::OptionDuplicate,
                 "option 'pg1-path' cannot be set multiple times");
    requireError([] { parse({"--repo-path=/a", "--repo1-path=/a"}); }, ErrorCode::OptionDuplicate,
                 "option 'repo1-path' cannot be set multiple times");
    requireError([] { parse({"--online", "--no-online"}); }, ErrorCode::OptionInvalid,
                 "option 'online' cannot be set and negated");
    requireError([] { parse({"--no-online", "--online"}); }, ErrorCode::OptionInvalid,
                 "option 'online' cannot be set and negated");
    requireError([] { parse({"--repo1-path=/a", "--reset-repo1-path"}); }, ErrorCode::OptionInvalid,
                 "option 'repo1-path' cannot be set and reset");
    requireError([] { parse({"--no-delta", "--reset-delta"}); }, ErrorCode::OptionInvalid,
                 "option 'delta' cannot be negated and reset");
    requireError([] { parse({"--no-delta", "--no-delta"}); }, ErrorCode::OptionDuplicate,
                 "option 'delta' cannot be set multiple times");

    // Lists and hashes accumulate.
    const CommandLine line = parse({"--exclude=a", "--exclude", "b", "--annotation=k=v", "--annotation=k2=v2"});
    CHECK(value(line, "exclude").values == std::vector<std::string>{"a", "b"});
    CHECK(value(line, "annotation").values == std::vector<std::string>{"k=v", "k2=v2"});
}

TEST_CASE("parseCommandLine refuses unknown, ambiguous and secure options", "[unit][config]") {
    test::requireErrorHint([] { parse({"--bogus", "backup"}); }, ErrorCode::OptionInvalid, "invalid option '--bogus'",
                           "run 'pgark help <command>' to list the options of a command");
    test::requireErrorHint([] { parse({"--stanzza=x"}); }, ErrorCode::OptionInvalid, "invalid option '--stanzza'",
                           "did you mean '--stanza'?");
    requireError([] { parse({"--re=1"}); }, ErrorCode::OptionInvalid, "option '--re' is ambiguous");
    requireError([] { parse({"-s", "x"}); }, ErrorCode::OptionInvalid, "invalid option '-s'");
    requireError([] { parse({"--"}); }, ErrorCode::OptionInvalid, "invalid option '--'");
    requireError([] { parse({"--repo-bundle"}); }, ErrorCode::OptionInvalid, "option '--repo-bundle' requires an index");
    requireError([] { parse({"--repo257-path=/x"}); }, ErrorCode::OptionInvalid,
                 "option '--repo257-path' has an invalid index: indexes go from 1 to 256");

    for (const std::string option : {"--repo1-cipher-pass=xyzzy", "--repo-cipher-pass=xyzzy", "--repo2-s3-key=xyzzy",
                                     "--repo1-s3-key-secret=xyzzy", "--repo1-s3-token=xyzzy", "--repo1-azure-key=xyzzy",
                                     "--repo1-azure-account=xyzzy", "--repo1-gcs-key=/xyzzy"}) {
        INFO(option);
        try {
            parse({option, "backup"});
            FAIL("accepted " << option);
        } catch (const Error& error) {
            CHECK(error.code() == ErrorCode::OptionInvalid);
            CHECK(error.message().ends_with("' is not allowed on the command-line"));
            CHECK(error.hint().find("configuration file") != std::string::npos);
            CHECK(std::string(error.what()).find("xyzzy") == std::string::npos);  // never echo the value
        }
    }
    test::requireError([] { parse({"--repo1-cipher-pass", "secret"}); }, ErrorCode::OptionInvalid,
                       "option 'repo1-cipher-pass' is not allowed on the command-line");
}
