// The pgark binary end to end (src/main.cpp): exit statuses, the error line, the command begin/end
// lines and the hidden doc-options command. Runs the binary the build just made (PGARK_BINARY).
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>

#include <catch2/catch.hpp>

#include "command/help/help.h"
#include "unit/config/config_test_util.h"
#include "version.h"

namespace {

struct Run {
    int status;
    std::string output;  // stdout and stderr together
};

// Runs the binary with `args` (shell words), with `env` ("NAME=value ...") added to the environment.
Run runPgark(const std::string& args, const std::string& env = "") {
    const std::string command = fmt::format("env {} '{}' {} 2>&1", env, PGARK_BINARY, args);
    std::FILE* pipe = ::popen(command.c_str(), "r");
    REQUIRE(pipe != nullptr);
    std::string output;
    char buffer[4096];
    while (const std::size_t got = std::fread(buffer, 1, sizeof(buffer), pipe)) output.append(buffer, got);
    const int status = ::pclose(pipe);
    REQUIRE(WIFEXITED(status));
    return {WEXITSTATUS(status), output};
}

}  // namespace

TEST_CASE("pgark version and help need no configuration", "[unit][command]") {
    pgark::test::TempDir dir;
    const Run version = runPgark("version");
    CHECK(version.status == 0);
    CHECK(version.output == fmt::format("pgark {}\n", pgark::kVersion));

    const Run none = runPgark("");
    CHECK(none.status == 0);
    CHECK(none.output.starts_with(fmt::format("pgark {} - General help", pgark::kVersion)));

    const Run doc = runPgark("doc-options");
    CHECK(doc.status == 0);
    CHECK(doc.output == pgark::command::help::optionReference());
}

TEST_CASE("pgark turns errors into pgBackRest's error line and exit status", "[unit][command]") {
    const Run bogus = runPgark("--bogus backup");
    CHECK(bogus.status == 31);
    CHECK(bogus.output == "ERROR: [031]: invalid option '--bogus'\n"
                          "       HINT: run 'pgark help <command>' to list the options of a command\n");
    CHECK(runPgark("nope").status == 48);
    CHECK(runPgark("--stanza=x").status == 30);
    CHECK(runPgark("--repo1-cipher-pass=secret --stanza=x info").output.find("secret'") == std::string::npos);
}

TEST_CASE("pgark logs command begin and end around a command", "[unit][command]") {
    pgark::test::TempDir dir;
    const std::string conf = dir.write("pgark.conf", "[global]\nrepo1-cipher-type=aes-256-cbc\n"
                                                     "repo1-cipher-pass=secret\n[main]\npg1-path=/pg\nbogus=1\n");
    const Run run = runPgark(fmt::format("--config={} --stanza=main --log-level-console=info --log-level-stderr=off "
                                      "--log-level-file=off --no-log-timestamp backup",
                                      conf),
                          "PGARK_PROCESS_MAX=2");
    CHECK(run.status == 55);
    CHECK(run.output ==
          fmt::format("P00   WARN: configuration file contains invalid option 'bogus'\n"
                      "P00   WARN: option 'repo1-retention-full' is not set for 'repo1-retention-full-type=count', the "
                      "repository may run out of space\n"
                      "            HINT: to retain full backups indefinitely (without warning), set option "
                      "'repo1-retention-full' to the maximum.\n"
                      "P00   INFO: backup command begin {}: --config={} --log-level-console=info --log-level-file=off "
                      "--log-level-stderr=off --no-log-timestamp --pg1-path=/pg --process-max=2 "
                      "--repo1-cipher-pass=<redacted> --repo1-cipher-type=aes-256-cbc --stanza=main\n"
                      "P00  ERROR: [055]: unable to open missing file '/pg/global/pg_control' for read\n"
                      "            HINT: pg1-path must be the cluster's data directory; is '/pg' right?\n"
                      "P00   INFO: backup command end: aborted with exception [055]\n",
                      pgark::kVersion, conf));
}
