// The command registry, log settings and execute() (command/command.h).
#include "command/command.h"

#include <catch2/catch.hpp>

#include "common/log.h"
#include "unit/config/config_test_util.h"
#include "version.h"

using namespace pgark;
using namespace pgark::command;
using config::CommandId;

namespace {

// Captures log lines while alive; restores quiet default logging afterwards.
class LogCapture {
public:
    explicit LogCapture(log::Level console = log::Level::Info) {
        log::Settings settings;
        settings.console = console;
        settings.stderrLevel = log::Level::Off;
        settings.timestamp = false;
        log::init(settings);
        log::setTestSink([this](std::string_view line) { lines_.emplace_back(line); });
    }
    ~LogCapture() {
        log::setTestSink(nullptr);
        log::init({});
    }
    const std::vector<std::string>& lines() const { return lines_; }

private:
    std::vector<std::string> lines_;
};

}  // namespace

TEST_CASE("the registry has one entry per command, in table order", "[unit][command]") {
    REQUIRE(commands().size() == config::kCommandCount);
    for (const config::CommandDef& def : config::commandTable()) {
        const Command& command = findCommand(def.id);
        CHECK(command.def == &def);
        CHECK(command.name() == def.name);
        CHECK(command.run != nullptr);
    }
    CHECK(findCommand(CommandId::Backup).needsStanza());
    CHECK(findCommand(CommandId::ArchivePush).needsStanza());
    CHECK_FALSE(findCommand(CommandId::Info).needsStanza());
    CHECK_FALSE(findCommand(CommandId::Stop).needsStanza());
    CHECK_FALSE(findCommand(CommandId::Version).needsStanza());
    CHECK_FALSE(findCommand(CommandId::Help).needsStanza());
    CHECK(findCommand(CommandId::Version).options().empty());
    CHECK(findCommand(CommandId::Backup).options().size() > 100);
}

TEST_CASE("commands not written yet say so", "[unit][command]") {
    for (const CommandId id : {CommandId::Verify}) {
        const Command& command = findCommand(id);
        std::vector<std::string> args = {"--stanza=main", "--pg1-path=/pg", std::string(command.name())};
        if (id == CommandId::Verify) args.erase(args.begin() + 1);
        const config::Config config = config::loadArgs(args);
        test::requireError([&] { run(config); }, ErrorCode::CommandInvalid,
                           fmt::format("command '{}' is not implemented yet", command.name()));
    }
}

TEST_CASE("logSettings follows the log options", "[unit][command]") {
    const log::Settings settings = logSettings(config::loadArgs(
        {"--stanza=main", "--log-level-console=detail", "--log-level-stderr=error", "--log-level-file=debug",
         "--log-path=/var/log/x", "--no-log-timestamp", "archive-push", "/w"}));
    CHECK(settings.console == log::Level::Detail);
    CHECK(settings.stderrLevel == log::Level::Error);
    CHECK(settings.file == log::Level::Debug);
    CHECK(settings.filePath == "/var/log/x/main-archive-push.log");
    CHECK_FALSE(settings.timestamp);

    const log::Settings defaults = logSettings(config::loadArgs({"info"}));
    CHECK(defaults.console == log::Level::Warn);
    CHECK(defaults.stderrLevel == log::Level::Warn);
    CHECK(defaults.file == log::Level::Info);
    CHECK(defaults.filePath == "/var/log/pgbackrest/all-info.log");
    CHECK(defaults.timestamp);

    CHECK(logSettings(config::loadArgs({"--log-level-file=off", "start"})).filePath.empty());
    CHECK(logSettings(config::loadArgs({"version"})).filePath.empty());
}

TEST_CASE("execute logs command begin and end around the command", "[unit][command]") {
    SECTION("a failing command: the error, then aborted with its code") {
        const config::Config config = config::loadArgs({"--stanza=main", "--pg1-path=/pg", "--no-online",
                                                        "--exclude=a b", "--log-timestamp=n", "backup"});
        LogCapture capture;
        CHECK(execute(config) == static_cast<int>(ErrorCode::FileMissing));
        REQUIRE(capture.lines().size() == 3);
        CHECK(capture.lines()[0] == fmt::format("INFO: backup command begin {}: --exclude=\"a b\" --no-log-timestamp "
                                                "--no-online --pg1-path=/pg --stanza=main",
                                                kVersion));
        CHECK(capture.lines()[1] == "ERROR: [055]: unable to open missing file '/pg/global/pg_control' for read\n"
                                    "HINT: pg1-path must be the cluster's data directory; is '/pg' right?");
        CHECK(capture.lines()[2] == "INFO: backup command end: aborted with exception [055]");
    }
    SECTION("a successful command; help logs at debug, so nothing shows at info") {
        const config::Config config = config::loadArgs({"doc-options"});
        LogCapture capture(log::Level::Debug);
        std::FILE* saved = stdout;
        // doc-options prints the whole reference: send it to /dev/null for this test.
        stdout = std::fopen("/dev/null", "w");
        const int code = execute(config);
        std::fclose(stdout);
        stdout = saved;
        CHECK(code == 0);
        REQUIRE(capture.lines().size() == 2);
        CHECK(capture.lines()[0] == fmt::format("DEBUG: doc-options command begin {}:", kVersion));
        CHECK(capture.lines()[1].starts_with("DEBUG: doc-options command end: completed successfully"));
    }
}
