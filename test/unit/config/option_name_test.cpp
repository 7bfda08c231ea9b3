// Option name lookup (config/option_name.h).
#include "config/option_name.h"

#include <catch2/catch.hpp>

#include "unit/config/config_test_util.h"

using namespace pgark;
using namespace pgark::config;
using Status = NameLookup::Status;

namespace {

std::string resolved(std::string_view written, NameMatch match = NameMatch::Exact) {
    const NameLookup lookup = lookupOptionName(written, match);
    REQUIRE(lookup.status == Status::Found);
    const char* form = lookup.form == NameForm::Negate ? "no-" : lookup.form == NameForm::Reset ? "reset-" : "";
    return form + keyName(lookup.key);
}

}  // namespace

TEST_CASE("lookupOptionName finds canonical, indexed, alias and deprecated names", "[unit][config]") {
    CHECK(resolved("stanza") == "stanza");
    CHECK(resolved("repo2-path") == "repo2-path");
    CHECK(resolved("pg256-port") == "pg256-port");
    CHECK(resolved("repo-path") == "repo1-path");             // unindexed alias
    CHECK(resolved("repo-cipher-pass") == "repo1-cipher-pass");
    CHECK(resolved("db-path") == "pg1-path");                 // deprecated, index 1
    CHECK(resolved("db2-path") == "pg2-path");                // deprecated with index
    CHECK(resolved("retention-full") == "repo1-retention-full");
    CHECK(resolved("hardlink") == "repo1-hardlink");
    CHECK(resolved("backup-host") == "repo1-host");
    CHECK(resolved("repo3-s3-verify-ssl") == "repo3-storage-verify-tls");
    CHECK(resolved("archive-queue-max") == "archive-push-queue-max");
    CHECK(resolved("no-online") == "no-online");
    CHECK(resolved("reset-repo1-path") == "reset-repo1-path");
}

TEST_CASE("lookupOptionName reports unknown names and index errors", "[unit][config]") {
    CHECK(lookupOptionName("bogus", NameMatch::Exact).status == Status::Unknown);
    CHECK(lookupOptionName("repo1", NameMatch::Exact).status == Status::Unknown);
    CHECK(lookupOptionName("stanza2", NameMatch::Exact).status == Status::Unknown);
    CHECK(lookupOptionName("repo-bundle", NameMatch::Exact).status == Status::IndexMissing);
    CHECK(lookupOptionName("pg-path", NameMatch::Exact).status == Status::IndexMissing);
    CHECK(lookupOptionName("repo0-path", NameMatch::Exact).status == Status::IndexOutOfRange);
    CHECK(lookupOptionName("repo257-path", NameMatch::Exact).status == Status::IndexOutOfRange);
    CHECK(lookupOptionName("repo99999999999999-path", NameMatch::Exact).status == Status::IndexOutOfRange);

    test::requireError([] { throwIfNameError(lookupOptionName("repo-bundle", NameMatch::Exact), "repo-bundle"); },
                       ErrorCode::OptionInvalid, "option 'repo-bundle' requires an index");
    test::requireError([] { throwIfNameError(lookupOptionName("repo257-path", NameMatch::Exact), "repo257-path"); },
                       ErrorCode::OptionInvalid, "option 'repo257-path' has an invalid index: indexes go from 1 to 256");
    CHECK_NOTHROW(throwIfNameError(lookupOptionName("bogus", NameMatch::Exact), "bogus"));
}

TEST_CASE("lookupOptionName accepts unambiguous prefixes only when asked", "[unit][config]") {
    CHECK(lookupOptionName("db-time", NameMatch::Exact).status == Status::Unknown);
    CHECK(resolved("db-time", NameMatch::Prefix) == "db-timeout");
    CHECK(resolved("log-level-con", NameMatch::Prefix) == "log-level-console");
    CHECK(resolved("repo2-pa", NameMatch::Prefix) == "repo2-path");
    CHECK(resolved("no-onl", NameMatch::Prefix) == "no-online");
    CHECK(resolved("stan", NameMatch::Prefix) == "stanza");
    // Two old spellings of one option are one match.
    CHECK(resolved("repo1-s3-verify-", NameMatch::Prefix) == "repo1-storage-verify-tls");
    // An exact name wins over the longer names it starts.
    CHECK(resolved("repo", NameMatch::Prefix) == "repo");

    const NameLookup ambiguous = lookupOptionName("re", NameMatch::Prefix);
    REQUIRE(ambiguous.status == Status::Ambiguous);
    CHECK(std::find(ambiguous.candidates.begin(), ambiguous.candidates.end(), "resume") != ambiguous.candidates.end());
    CHECK(std::find(ambiguous.candidates.begin(), ambiguous.candidates.end(), "recovery-option") !=
          ambiguous.candidates.end());
    test::requireErrorHint([&] { throwIfNameError(ambiguous, "--re"); }, ErrorCode::OptionInvalid,
                           "option '--re' is ambiguous",
                           "it is the start of several option names (recovery-option, repo, repo-azure-account, "
                           "repo-azure-container, repo-azure-endpoint, repo-azure-key, repo-azure-key-type, "
                           "repo-azure-uri-style, ...): write more of the name");
    CHECK(lookupOptionName("db-p", NameMatch::Prefix).status == Status::Ambiguous);  // db-path, db-port
    CHECK(lookupOptionName("zzz", NameMatch::Prefix).status == Status::Unknown);
}

TEST_CASE("suggestOptionName proposes the closest name for a typo", "[unit][config]") {
    CHECK(suggestOptionName("stanz") == "stanza");
    CHECK(suggestOptionName("log-pth") == "log-path");
    CHECK(suggestOptionName("repo2-pth") == "repo2-path");
    CHECK(suggestOptionName("no-onlin") == "online");
    CHECK(suggestOptionName("completely-unrelated").empty());
}
