// Options from the environment (config/env.h).
#include "config/env.h"

#include <catch2/catch.hpp>

#include "unit/config/config_test_util.h"

using namespace pgark;
using namespace pgark::config;
using pgark::test::requireError;

namespace {

RawOptions parse(std::vector<std::string> env, std::vector<std::string>* warnings = nullptr) {
    std::vector<std::string> ignored;
    return parseEnvironment(env, warnings != nullptr ? *warnings : ignored);
}

std::vector<std::string> values(const RawOptions& options, std::string_view name) {
    const NameLookup lookup = lookupOptionName(name, NameMatch::Exact);
    const auto it = options.find(lookup.key);
    return it == options.end() ? std::vector<std::string>{"<unset>"} : it->second.values;
}

}  // namespace

TEST_CASE("parseEnvironment reads PGARK_ and PGBACKREST_ variables", "[unit][config]") {
    const RawOptions options = parse({"PATH=/usr/bin", "PGBACKREST_STANZA=main", "PGARK_REPO1_CIPHER_PASS=a b=c",
                                      "PGBACKREST_START_FAST=y", "PGBACKREST_DB_PATH=/pg", "PGBACKREST_EXCLUDE=a:b:c",
                                      "PGARK_ANNOTATION=k=v:k2=v2"});
    CHECK(values(options, "stanza") == std::vector<std::string>{"main"});
    CHECK(values(options, "repo1-cipher-pass") == std::vector<std::string>{"a b=c"});
    CHECK(values(options, "start-fast") == std::vector<std::string>{"y"});
    CHECK(values(options, "pg1-path") == std::vector<std::string>{"/pg"});
    CHECK(values(options, "exclude") == std::vector<std::string>{"a", "b", "c"});
    CHECK(values(options, "annotation") == std::vector<std::string>{"k=v", "k2=v2"});
    CHECK(options.size() == 6);
}

TEST_CASE("parseEnvironment prefers PGARK_ over PGBACKREST_ in any order", "[unit][config]") {
    CHECK(values(parse({"PGBACKREST_STANZA=old", "PGARK_STANZA=new"}), "stanza") == std::vector<std::string>{"new"});
    CHECK(values(parse({"PGARK_STANZA=new", "PGBACKREST_STANZA=old"}), "stanza") == std::vector<std::string>{"new"});
    CHECK(values(parse({"PGARK_REPO_PATH=/new", "PGBACKREST_REPO1_PATH=/old"}), "repo1-path") ==
          std::vector<std::string>{"/new"});
    requireError([] { parse({"PGBACKREST_REPO_PATH=/a", "PGBACKREST_REPO1_PATH=/b"}); }, ErrorCode::OptionDuplicate,
                 "environment sets option 'repo1-path' more than once ('repo-path' and 'repo1-path')");
}

TEST_CASE("parseEnvironment warns about what it cannot use", "[unit][config]") {
    std::vector<std::string> warnings;
    const RawOptions options = parse({"PGBACKREST_BOGUS=1", "PGARK_TEST_PORT=55432", "PGARK_QUICKSTART_DIR=/x",
                                      "PGBACKREST_NO_START_FAST=y", "PGARK_RESET_REPO1_PATH=y"},
                                     &warnings);
    CHECK(options.empty());
    CHECK(warnings == std::vector<std::string>{"environment contains invalid option 'bogus'",
                                               "environment contains invalid negate option 'no-start-fast'",
                                               "environment contains invalid reset option 'reset-repo1-path'"});
}

TEST_CASE("parseEnvironment refuses empty values and bad booleans", "[unit][config]") {
    requireError([] { parse({"PGBACKREST_PG1_PATH="}); }, ErrorCode::OptionInvalidValue,
                 "environment variable 'PGBACKREST_PG1_PATH' must have a value");
    requireError([] { parse({"PGARK_START_FAST=yes"}); }, ErrorCode::OptionInvalidValue,
                 "environment boolean option 'start-fast' must be 'y' or 'n'");
    requireError([] { parse({"PGARK_REPO_BUNDLE=y"}); }, ErrorCode::OptionInvalid, "option 'repo-bundle' requires an index");
    // Prefixes are a command-line convenience only.
    std::vector<std::string> warnings;
    CHECK(parse({"PGBACKREST_STAN=x"}, &warnings).empty());
    CHECK(warnings == std::vector<std::string>{"environment contains invalid option 'stan'"});
}
