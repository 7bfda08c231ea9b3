// help and version texts, and the generated reference doc/configuration.md (command/help, command/version).
#include "command/help/help.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>

#include "command/command.h"
#include "command/help/text.h"
#include "command/version/version.h"
#include "unit/config/config_test_util.h"
#include "version.h"

using namespace pgark;
using namespace pgark::command;

namespace {

std::string helpFor(std::vector<std::string> args) {
    args.insert(args.begin(), "help");
    return help::helpText(config::loadArgs(args));
}

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

// The longest line of a text, in characters.
std::size_t widest(const std::string& text) {
    std::size_t widest = 0;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) widest = std::max(widest, line.size());
    return widest;
}

// doc/configuration.md in the source tree, found from this file's path.
std::filesystem::path referencePath() {
    return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path().parent_path() / "doc" /
           "configuration.md";
}

}  // namespace

TEST_CASE("versionText names the binary and its version", "[unit][command]") {
    CHECK(version::versionText() == fmt::format("pgark {}\n", kVersion));
    CHECK(std::string(kVersion) == "0.1.0");
}

TEST_CASE("help without a command lists the commands", "[unit][command]") {
    const std::string text = helpFor({});
    CHECK(text.starts_with(fmt::format("pgark {} - General help\n", kVersion)));
    for (const Command& command : commands())
        CHECK(contains(text, fmt::format("    {:<16}", command.name())) == !command.def->internal);
    CHECK(contains(text, "    archive-push    Push a WAL segment to the archive.\n"));
    CHECK(help::helpText(config::loadArgs({})) == text);
}

TEST_CASE("help <command> describes it and lists its options by section", "[unit][command]") {
    const std::string text = helpFor({"backup"});
    CHECK(text.starts_with(fmt::format("pgark {} - 'backup' command help\n\nBack up a database cluster.\n", kVersion)));
    CHECK(contains(text, "\nCommand Options:\n\n  --annotation                      annotate the backup"));
    CHECK(contains(text, "\nGeneral Options:\n"));
    CHECK(contains(text, "\nLog Options:\n"));
    CHECK(contains(text, "\nRepository Options:\n"));
    CHECK(contains(text, "\nStanza Options:\n"));
    CHECK(contains(text, "  --type                            backup type, or recovery type for restore\n"
                         "                                    [default=incr]\n"));
    CHECK(contains(text, "  --repo-path "));
    CHECK_FALSE(contains(text, "--exec-id"));  // internal
    CHECK_FALSE(contains(text, "--output"));   // not a backup option

    // Values given on the help command line show as current.
    CHECK(contains(helpFor({"backup", "--repo1-path=/x"}), "[current=/x, default=/var/lib/pgbackrest]"));

    for (const Command& command : commands()) {
        INFO(command.name());
        CHECK(widest(helpFor({std::string(command.name())})) <= 80);
    }
    CHECK_FALSE(contains(helpFor({"version"}), "Options:"));
    for (const config::OptionId id : findCommand(config::CommandId::Backup).options()) {
        INFO(config::optionDef(id).name);
        CHECK(widest(helpFor({"backup", std::string(config::optionDef(id).name)})) <= 80);
    }
}

TEST_CASE("help <command> <option> describes one option", "[unit][command]") {
    const std::string tls = helpFor({"backup", "repo-storage-verify-tls"});
    CHECK(tls.starts_with(
        fmt::format("pgark {} - 'backup' command - 'repo-storage-verify-tls' option help\n\n", kVersion)));
    CHECK(contains(tls, "\ndefault: y\n"));
    CHECK(contains(tls, "\nindexed: repo1-storage-verify-tls to repo256-storage-verify-tls\n"));
    CHECK(contains(tls, "\ndeprecated names: repo-s3-verify-ssl, repo-azure-verify-tls, repo-s3-verify-tls\n"));

    // Any spelling finds the option.
    const std::string port = helpFor({"backup", "pg1-port"});
    CHECK(contains(port, "'pg-port' option help"));
    CHECK(contains(port, "\ndefault: 5432\n"));
    CHECK(contains(port, "\nallowed range: 0 to 65535\n"));
    CHECK(contains(port, "\ndeprecated name: db-port\n"));
    CHECK(helpFor({"backup", "pg-port"}) == port);
    CHECK(contains(helpFor({"expire", "retention-full"}), "'repo-retention-full' option help"));

    const std::string type = helpFor({"restore", "type"});
    CHECK(contains(type, "\ndefault: default\n"));
    CHECK(contains(type, "\nallowed: default, immediate, lsn, name, none, preserve, standby, time, xid\n"));
    CHECK(contains(helpFor({"backup", "type"}), "\nallowed: full, diff, incr\n"));
    CHECK(contains(helpFor({"archive-push", "repo-cipher-pass"}), "\nSecure: not allowed on the command line"));
    CHECK(contains(helpFor({"backup", "compress-level"}), "\ndefault: by compress-type: gz 6, bz2 9, lz4 1, zst 3\n"));
    CHECK(contains(helpFor({"backup", "stanza", "--stanza=main"}), "\ncurrent: main\n"));

    test::requireError([] { helpFor({"backup", "nope"}); }, ErrorCode::OptionInvalid,
                       "option 'nope' is not valid for command 'backup'");
    test::requireError([] { helpFor({"backup", "output"}); }, ErrorCode::OptionInvalid,
                       "option 'output' is not valid for command 'backup'");
}

TEST_CASE("wrap and sentence format help text", "[unit][command]") {
    CHECK(help::wrap("aaa bbb ccc", 7) == "aaa bbb\nccc");
    CHECK(help::wrap("aaa bbb ccc", 9, 2) == "aaa bbb\n  ccc");
    CHECK(help::wrap("one\n\ntwo", 80) == "one\n\ntwo");
    CHECK(help::wrap("averyveryverylongword x", 5) == "averyveryverylongword\nx");
    CHECK(help::sentence("get help") == "Get help.");
    CHECK(help::sentence("Done.") == "Done.");
    CHECK(help::commaList("a b c") == "a, b, c");
}

TEST_CASE("doc/configuration.md is generated from the option table", "[unit][command]") {
    const std::string reference = help::optionReference();
    for (const config::OptionDef& option : config::optionTable())
        CHECK(contains(reference, fmt::format("\n#### `{}`\n", option.name)));
    CHECK(contains(reference, "| `backup` | Back up a database cluster. | yes |"));
    CHECK(contains(reference, "its [&lt;stanza&gt;] section"));  // placeholders are not taken for HTML
    CHECK_FALSE(contains(reference, "`doc-options`"));
    CHECK(reference.ends_with("\n"));
    CHECK_FALSE(reference.ends_with("\n\n"));

    std::ifstream file(referencePath(), std::ios::binary);
    REQUIRE(file.good());
    const std::string committed((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    INFO("doc/configuration.md is out of date with src/config/options.def: regenerate it with "
         "`build/pgark doc-options > doc/configuration.md`");
    CHECK(committed == reference);
}
