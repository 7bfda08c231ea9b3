// load() and the Config getters (config/config.h): precedence, indexes, dependencies, defaults,
// required options and the effective option list.
#include "config/config.h"

#include <catch2/catch.hpp>

#include "unit/config/config_test_util.h"

using namespace pgark;
using namespace pgark::config;
using pgark::test::requireError;
using pgark::test::requireErrorHint;
using pgark::test::TempDir;

namespace {

// A load against a temporary root: no real /etc file is ever read.
struct Fixture {
    TempDir dir;
    std::vector<std::string> env;

    void file(std::string_view text) { dir.write("etc/pgark/pgark.conf", text); }

    Config load(std::vector<std::string> args) const {
        LoadInput input;
        input.args = std::move(args);
        input.env = env;
        input.root = dir.path();
        input.exePath = "/usr/bin/pgark";
        return config::load(input);
    }
};

}  // namespace

TEST_CASE("load picks the command, its parameters, and help for no arguments", "[unit][config]") {
    Fixture f;
    const Config push = f.load({"--stanza=main", "archive-push", "/pg/pg_wal/000000010000000000000001"});
    CHECK(push.command() == CommandId::ArchivePush);
    CHECK(push.commandName() == "archive-push");
    CHECK(push.params() == std::vector<std::string>{"/pg/pg_wal/000000010000000000000001"});

    CHECK(f.load({}).command() == CommandId::Help);
    CHECK(f.load({"version"}).command() == CommandId::Version);

    requireErrorHint([&] { f.load({"--stanza=main"}); }, ErrorCode::CommandRequired, "no command found",
                     "run 'pgark help' to list the commands");
    requireError([&] { f.load({"foo"}); }, ErrorCode::CommandInvalid, "invalid command 'foo'");
    requireError([&] { f.load({"version", "extra"}); }, ErrorCode::ParamInvalid, "command does not allow parameters");
    requireError([&] { f.load({"--stanza=main", "check", "extra"}); }, ErrorCode::ParamInvalid,
                 "command does not allow parameters");
    requireError([&] { f.load({"help", "backup", "type", "extra"}); }, ErrorCode::ParamInvalid,
                 "help takes at most a command and an option name");
    requireError([&] { f.load({"help", "nope"}); }, ErrorCode::CommandInvalid, "invalid command 'nope'");
}

TEST_CASE("load applies command line > environment > file > default", "[unit][config]") {
    Fixture f;
    f.file("[global]\nprocess-max=2\nbuffer-size=2MiB\ncompress-type=lz4\nrepo1-path=/file\n[main]\npg1-path=/pg\n");
    f.env = {"PGBACKREST_PROCESS_MAX=3", "PGARK_BUFFER_SIZE=4MiB", "PGBACKREST_BUFFER_SIZE=8MiB"};

    const Config c = f.load({"--stanza=main", "--process-max=4", "backup"});
    CHECK(c.getInt("process-max") == 4);
    CHECK(c.source("process-max") == Source::CommandLine);
    CHECK(c.getSize("buffer-size") == 4U << 20);  // PGARK_ beats PGBACKREST_
    CHECK(c.source("buffer-size") == Source::Environment);
    CHECK(c.getString("compress-type") == "lz4");
    CHECK(c.source("compress-type") == Source::ConfigFile);
    CHECK(c.getString("pg-path", 1) == "/pg");
    CHECK(c.getTime("archive-timeout") == std::chrono::seconds(60));
    CHECK(c.source("archive-timeout") == Source::Default);
    CHECK(c.getString("repo-path", 1) == "/file");

    SECTION("--reset- ignores the environment and the file") {
        const Config reset = f.load({"--stanza=main", "--reset-process-max", "--reset-repo1-path", "backup"});
        CHECK(reset.getInt("process-max") == 1);
        CHECK(reset.source("process-max") == Source::Default);
        CHECK(reset.getString("repo1-path") == "/var/lib/pgbackrest");
    }
    SECTION("the stanza section follows --stanza, or the stanza from the environment") {
        CHECK_FALSE(f.load({"--stanza=other", "--pg1-path=/x", "backup"}).getString("pg1-path") == "/pg");
        Fixture g;
        g.file("[main]\npg1-path=/pg\n");
        g.env = {"PGBACKREST_STANZA=main"};
        CHECK(g.load({"check"}).getString("pg1-path") == "/pg");
    }
}

TEST_CASE("load silently drops file and environment options the command does not take", "[unit][config]") {
    Fixture f;
    f.file("[global]\nstart-fast=y\ncompress-type=lz4\n");
    f.env = {"PGBACKREST_ARCHIVE_COPY=y", "PGBACKREST_ONLINE=n"};
    const Config c = f.load({"--stanza=main", "--pg1-path=/pg", "restore"});
    CHECK(c.getString("type") == "default");
    CHECK(c.warnings().empty());
    CHECK(c.takes("type"));
    CHECK_FALSE(c.takes("start-fast"));
    CHECK_FALSE(c.takes("no-such-option"));
    requireError([&] { (void)c.has("start-fast"); }, ErrorCode::Assert,
                 "option 'start-fast' is not valid for command 'restore'");

    requireErrorHint([&] { f.load({"--stanza=main", "--output=json", "backup"}); }, ErrorCode::OptionInvalid,
                     "option 'output' not valid for command 'backup'", "run 'pgark help backup' to list its options");
    requireError([&] { f.load({"--stanza=main", "--repo=1", "archive-push", "/x"}); }, ErrorCode::OptionInvalid,
                 "option 'repo' not valid for command 'archive-push'");
}

TEST_CASE("load reports invalid values from every source", "[unit][config]") {
    Fixture f;
    requireError([&] { f.load({"--stanza=main", "--pg1-path=/pg", "--process-max=0", "backup"}); },
                 ErrorCode::OptionInvalidRange, "'0' is out of range for 'process-max' option");
    requireError([&] { f.load({"--stanza=main", "--pg1-path=/pg", "--type=bogus", "backup"}); },
                 ErrorCode::OptionInvalidValue, "'bogus' is not allowed for 'type' option");
    requireError([&] { f.load({"--stanza=main", "--pg1-path=relative", "backup"}); }, ErrorCode::OptionInvalidValue,
                 "'relative' must begin with / for 'pg1-path' option");
    f.env = {"PGBACKREST_PROCESS_MAX=abc"};
    requireError([&] { f.load({"--stanza=main", "--pg1-path=/pg", "backup"}); }, ErrorCode::OptionInvalidValue,
                 "'abc' is not valid for 'process-max' option");
    f.env.clear();
    f.file("[global]\nlog-level-console=loud\n");
    requireError([&] { f.load({"--stanza=main", "--pg1-path=/pg", "backup"}); }, ErrorCode::OptionInvalidValue,
                 "'loud' is not allowed for 'log-level-console' option");
}

TEST_CASE("load tracks configured repository and cluster indexes", "[unit][config]") {
    Fixture f;
    SECTION("repo1 alone when nothing is set") {
        const Config c = f.load({"--stanza=main", "--pg1-path=/pg", "backup"});
        CHECK(c.repoIndexes() == std::vector<unsigned>{1});
        CHECK(c.pgIndexes() == std::vector<unsigned>{1});
        CHECK(c.getString("repo-path", 1) == "/var/lib/pgbackrest");
        CHECK(c.getString("repo-type", 1) == "posix");
    }
    SECTION("every source adds indexes; deprecated names count as index 1") {
        f.file("[global]\nrepo3-path=/r3\n[main]\ndb-path=/pg1\npg4-path=/pg4\n");
        f.env = {"PGBACKREST_REPO_PATH=/r1"};
        const Config c = f.load({"--stanza=main", "--repo2-path=/r2", "--repo=2", "backup"});
        CHECK(c.repoIndexes() == std::vector<unsigned>{1, 2, 3});
        CHECK(c.pgIndexes() == std::vector<unsigned>{1, 4});
        CHECK(c.getString("repo-path", 1) == "/r1");
        CHECK(c.getString("repo2-path") == "/r2");
        CHECK(c.getString("repo-path", 3) == "/r3");
        CHECK(c.getString("pg4-path") == "/pg4");
        CHECK(c.getInt("pg-port", 4) == 5432);
        CHECK(c.getInt("repo") == 2);
    }
    SECTION("only repo2 configured: repo1 is not (pgBackRest's rule)") {
        const Config c = f.load({"--stanza=main", "--pg1-path=/pg", "--repo2-path=/r2", "backup"});
        CHECK(c.repoIndexes() == std::vector<unsigned>{2});
        requireErrorHint([&] { f.load({"--stanza=main", "--pg1-path=/pg", "--repo2-path=/r2", "--repo=1", "backup"}); },
                         ErrorCode::OptionInvalidValue, "repo1 is not configured (option 'repo' = 1)",
                         "configured repositories: repo2");
    }
    SECTION("a cluster index without its path") {
        requireErrorHint([&] { f.load({"--stanza=main", "--pg1-path=/pg", "--pg2-port=5433", "backup"}); },
                         ErrorCode::OptionRequired, "backup command requires option: pg2-path", "does this stanza exist?");
    }
}

TEST_CASE("load enforces dependencies on the command line and drops them elsewhere", "[unit][config]") {
    Fixture f;
    const std::vector<std::string> base = {"--stanza=main", "--pg1-path=/pg"};
    auto with = [&](std::vector<std::string> extra, std::string command) {
        std::vector<std::string> args = base;
        args.insert(args.end(), extra.begin(), extra.end());
        args.push_back(std::move(command));
        return f.load(args);
    };
    requireError([&] { with({"--target=x"}, "restore"); }, ErrorCode::OptionInvalid,
                 "option 'target' not valid without option 'type' in ('lsn', 'name', 'time', 'xid')");
    requireError([&] { with({"--no-archive-check", "--archive-mode-check"}, "backup"); }, ErrorCode::OptionInvalid,
                 "option 'archive-mode-check' not valid without option 'archive-check'");
    requireError([&] { with({"--repo1-bundle", "--repo1-hardlink"}, "backup"); }, ErrorCode::OptionInvalid,
                 "option 'repo1-hardlink' not valid without option 'no-repo1-bundle'");
    requireError([&] { with({"--repo1-s3-uri-style=path"}, "backup"); }, ErrorCode::OptionInvalid,
                 "option 'repo1-s3-uri-style' not valid without option 'repo1-type' = 's3'");
    // A chain: gcs-endpoint needs gcs-key-type, which has no value without repo-type=gcs.
    requireError([&] { with({"--repo1-gcs-endpoint=e"}, "backup"); }, ErrorCode::OptionInvalid,
                 "option 'repo1-gcs-endpoint' not valid without option 'repo1-gcs-key-type'");
    requireError([&] { with({"--no-sck-keep-alive", "--tcp-keep-alive-idle=5"}, "backup"); }, ErrorCode::OptionInvalid,
                 "option 'tcp-keep-alive-idle' not valid without option 'sck-keep-alive'");
    requireError([&] { with({"--spool-path=/s"}, "archive-get"); }, ErrorCode::OptionInvalid,
                 "option 'spool-path' not valid without option 'archive-async'");

    SECTION("met dependencies") {
        const Config c = with({"--type=time", "--target=2024-01-01 00:00:00", "--target-action=promote"}, "restore");
        CHECK(c.getString("target") == "2024-01-01 00:00:00");
        CHECK(c.getString("target-action") == "promote");
        CHECK_FALSE(c.getBool("target-exclusive"));  // type=time meets its dependency: default n
        CHECK_FALSE(c.has("target-timeline"));
    }
    SECTION("a dependency on an option the command lacks is ignored") {
        CHECK(with({"--spool-path=/s"}, "restore").getString("spool-path") == "/s");
    }
    SECTION("unmet in a file or the environment: dropped, and no default") {
        f.file("[global]\nrepo1-s3-bucket=b\nrepo1-s3-uri-style=path\nrecovery-option=a=b\n");
        f.env = {"PGBACKREST_REPO1_CIPHER_PASS=secret"};
        const Config c = with({"--type=none"}, "restore");
        CHECK_FALSE(c.has("repo1-s3-bucket"));
        CHECK_FALSE(c.has("repo1-s3-uri-style"));
        CHECK_FALSE(c.has("repo1-cipher-pass"));
        CHECK(c.getHash("recovery-option").empty());
        CHECK_FALSE(c.has("target-action"));  // its default needs type=immediate/lsn/...
    }
}

TEST_CASE("load computes defaults that depend on other options", "[unit][config]") {
    Fixture f;
    f.file("[global]\nrepo1-s3-key=k\nrepo1-s3-key-secret=s\nrepo2-azure-account=a\nrepo2-azure-key=k\n");
    const std::vector<std::string> s3 = {"--repo1-type=s3", "--repo1-s3-bucket=b", "--repo1-s3-endpoint=e",
                                         "--repo1-s3-region=r"};
    auto load = [&](std::vector<std::string> args) {
        args.insert(args.begin(), s3.begin(), s3.end());
        return f.load(args);
    };

    SECTION("compress-level by compress-type, range-checked per type") {
        CHECK(load({"--stanza=m", "--pg1-path=/p", "backup"}).getInt("compress-level") == 6);
        CHECK(load({"--stanza=m", "--pg1-path=/p", "--compress-type=lz4", "backup"}).getInt("compress-level") == 1);
        CHECK(load({"--stanza=m", "--pg1-path=/p", "--compress-type=zst", "backup"}).getInt("compress-level") == 3);
        CHECK(load({"--stanza=m", "--pg1-path=/p", "--compress-type=bz2", "backup"}).getInt("compress-level") == 9);
        CHECK(load({"--stanza=m", "--compress-type=zst", "--compress-level=-7", "archive-push", "/x"})
                  .getInt("compress-level") == -7);
        CHECK(load({"--stanza=m", "--compress-type=none", "--compress-level=50", "archive-push", "/x"})
                  .getInt("compress-level") == 50);
        requireErrorHint([&] { load({"--stanza=m", "--compress-type=lz4", "--compress-level=13", "archive-push", "/x"}); },
                         ErrorCode::OptionInvalidRange,
                         "'13' is out of range for 'compress-level' option when 'compress-type' option = 'lz4'",
                         "lz4 levels go from -5 to 12");
        requireError([&] { load({"--stanza=m", "--compress-level=-2", "archive-push", "/x"}); },
                     ErrorCode::OptionInvalidRange,
                     "'-2' is out of range for 'compress-level' option when 'compress-type' option = 'gz'");
        requireError([&] { load({"--stanza=m", "--compress-type=bz2", "--compress-level=0", "archive-push", "/x"}); },
                     ErrorCode::OptionInvalidRange,
                     "'0' is out of range for 'compress-level' option when 'compress-type' option = 'bz2'");
    }
    SECTION("the deprecated compress=n means compress-type=none unless that is set") {
        CHECK(load({"--stanza=m", "--no-compress", "archive-push", "/x"}).getString("compress-type") == "none");
        CHECK(load({"--stanza=m", "--no-compress", "--compress-type=lz4", "archive-push", "/x"})
                  .getString("compress-type") == "lz4");
        CHECK(load({"--stanza=m", "--compress", "archive-push", "/x"}).getString("compress-type") == "gz");
    }
    SECTION("upload chunk size by repo type, host port by host type, cmd from the binary") {
        const Config c = load({"--stanza=m", "--repo2-type=azure", "--repo2-azure-container=c", "--repo3-type=gcs",
                               "--repo3-gcs-key-type=auto", "--repo3-gcs-bucket=b", "info"});
        CHECK(c.getSize("repo-storage-upload-chunk-size", 1) == 5U << 20);
        CHECK(c.getSize("repo-storage-upload-chunk-size", 2) == 4U << 20);
        CHECK(c.getSize("repo-storage-upload-chunk-size", 3) == 4U << 20);
        CHECK(c.getString("repo-s3-uri-style", 1) == "host");
        CHECK(c.getBool("repo-storage-verify-tls", 2));
        CHECK(c.getString("repo3-gcs-endpoint") == "storage.googleapis.com");
        CHECK(c.getString("cmd") == "/usr/bin/pgark");

        const Config remote = load({"--stanza=m", "--repo1-host=h1", "--repo2-host=h2", "--repo2-host-type=tls",
                                    "--repo2-host-cert-file=/c", "--repo2-host-key-file=/k", "info"});
        CHECK_FALSE(remote.has("repo1-host-port"));
        CHECK(remote.getInt("repo2-host-port") == 8432);
        CHECK(remote.getString("repo1-host-cmd") == "/usr/bin/pgark");
        CHECK(remote.getString("repo1-host-user") == "pgbackrest");
    }
    SECTION("options required once their dependency holds") {
        requireError([&] { f.load({"--stanza=m", "--repo1-type=s3", "info"}); }, ErrorCode::OptionRequired,
                     "info command requires option: repo1-s3-bucket");
        requireError([&] { load({"--stanza=m", "--repo2-type=azure", "info"}); }, ErrorCode::OptionRequired,
                     "info command requires option: repo2-azure-container");
        requireErrorHint([&] { load({"--stanza=m", "--repo1-cipher-type=aes-256-cbc", "info"}); },
                         ErrorCode::OptionRequired, "info command requires option: repo1-cipher-pass",
                         "set repo1-cipher-pass in the configuration file or the environment");
    }
}

TEST_CASE("load requires the options a command needs", "[unit][config]") {
    Fixture f;
    requireErrorHint([&] { f.load({"backup"}); }, ErrorCode::OptionRequired, "backup command requires option: stanza",
                     "name the stanza with --stanza=<name> (or PGARK_STANZA in the environment)");
    requireErrorHint([&] { f.load({"--stanza=main", "backup"}); }, ErrorCode::OptionRequired,
                     "backup command requires option: pg1-path", "does this stanza exist?");
    requireError([&] { f.load({"--stanza=main", "restore"}); }, ErrorCode::OptionRequired,
                 "restore command requires option: pg1-path");
    CHECK_NOTHROW(f.load({"info"}));
    CHECK_NOTHROW(f.load({"start"}));
    CHECK_NOTHROW(f.load({"--force", "stop"}));
    CHECK_NOTHROW(f.load({"--stanza=main", "archive-push", "/x"}));  // pg1-path is optional here
    CHECK_NOTHROW(f.load({"--stanza=main", "verify"}));
    CHECK_NOTHROW(f.load({"help", "backup"}));  // help describes, it does not run backup
}

TEST_CASE("load refuses beta options without beta", "[unit][config]") {
    Fixture f;
    requireError([&] { f.load({"--stanza=m", "--pg1-path=/p", "--repo1-bundle", "--repo1-block", "backup"}); },
                 ErrorCode::OptionInvalid, "option 'repo1-block' is not valid without option 'beta'");
    const Config c = f.load({"--stanza=m", "--pg1-path=/p", "--beta", "--repo1-bundle", "--repo1-block", "backup"});
    CHECK(c.getBool("repo1-block"));
    CHECK(c.getSize("repo1-block-size-super") == 256U << 10);
}

TEST_CASE("load reads config files and passes their warnings on", "[unit][config]") {
    Fixture f;
    f.file("[global]\npg1-path=/g\nbogus=1\nrepo1-retention-full=2\n[main]\npg1-path=/pg\n");
    const Config c = f.load({"--stanza=main", "backup"});
    CHECK(c.warnings() == std::vector<std::string>{
                              "configuration file contains stanza-only option 'pg1-path' in global section 'global'",
                              "configuration file contains invalid option 'bogus'"});
    CHECK(c.getString("pg1-path") == "/pg");

    SECTION("backup and expire warn when full backups never expire") {
        const Config e = f.load({"--stanza=main", "--repo2-path=/r2", "expire"});
        CHECK(e.warnings().back() ==
              "option 'repo2-retention-full' is not set for 'repo2-retention-full-type=count', the repository may run "
              "out of space\nHINT: to retain full backups indefinitely (without warning), set option "
              "'repo2-retention-full' to the maximum.");
    }
    SECTION("--config, --no-config") {
        const std::string other = f.dir.write("other.conf", "[main]\npg1-path=/other\n");
        CHECK(f.load({"--stanza=main", "--config=" + other, "backup"}).getString("pg1-path") == "/other");
        requireError([&] { f.load({"--stanza=main", "--no-config", "backup"}); }, ErrorCode::OptionRequired,
                     "backup command requires option: pg1-path");
        requireError([&] { f.load({"--stanza=main", "--config=" + f.dir.path() + "/none.conf", "backup"}); },
                     ErrorCode::FileMissing, "unable to open missing file '" + f.dir.path() + "/none.conf' for read");
        // The locating options may come from the environment too.
        f.env = {"PGBACKREST_CONFIG=" + other};
        CHECK(f.load({"--stanza=main", "backup"}).getString("pg1-path") == "/other");
        f.env = {"PGARK_CONFIG_PATH=" + f.dir.mkdir("base")};
        f.dir.write("base/pgbackrest.conf", "[main]\npg1-path=/base\n");
        CHECK(f.load({"--stanza=main", "backup"}).getString("pg1-path") == "/base");
        f.env.clear();
        // config is a string, as in pgBackRest: a relative path is relative to the working directory.
        requireError([&] { f.load({"--stanza=main", "--config=relative-none.conf", "backup"}); }, ErrorCode::FileMissing,
                     "unable to open missing file 'relative-none.conf' for read");
    }
    SECTION("help and version read neither files nor the environment") {
        f.file("[global]\nthis is not valid\n");
        f.env = {"PGBACKREST_START_FAST=bad"};
        CHECK_NOTHROW(f.load({"version"}));
        CHECK_NOTHROW(f.load({"help", "backup"}));
        CHECK_THROWS_AS(f.load({"--stanza=main", "backup"}), Error);
    }
}

TEST_CASE("help checks its options as the described command's", "[unit][config]") {
    Fixture f;
    const Config c = f.load({"help", "backup", "--repo1-path=/x", "--start-fast"});
    CHECK(c.command() == CommandId::Help);
    CHECK(c.getString("repo1-path") == "/x");
    requireError([&] { f.load({"help", "backup", "--output=json"}); }, ErrorCode::OptionInvalid,
                 "option 'output' not valid for command 'backup'");
    requireError([&] { f.load({"help", "--stanza=x"}); }, ErrorCode::OptionInvalid,
                 "option 'stanza' not valid for command 'help'");
}

TEST_CASE("Config getters are typed", "[unit][config]") {
    Fixture f;
    const Config c = f.load({"--stanza=main", "--pg1-path=/pg/", "--exclude=a", "--exclude=b", "--annotation=k=v",
                             "--annotation=k=w", "--annotation=x=1=2", "--archive-timeout=1.5", "--buffer-size=64KiB",
                             "backup"});
    CHECK(c.getString("pg-path", 1) == "/pg");
    CHECK(c.getString("pg1-path") == "/pg");
    CHECK(c.getString("process-max") == "1");  // any single value reads as text
    CHECK(c.getList("exclude") == std::vector<std::string>{"a", "b"});
    CHECK(c.getHash("annotation") == std::map<std::string, std::string>{{"k", "w"}, {"x", "1=2"}});
    CHECK(c.getTime("archive-timeout") == std::chrono::milliseconds(1500));
    CHECK(c.getSize("buffer-size") == 65536U);
    CHECK(c.getBool("online"));
    CHECK_FALSE(c.getBool("start-fast"));
    CHECK(c.getString("type") == "incr");
    CHECK(c.has("stanza"));
    CHECK_FALSE(c.has("checksum-page"));
    CHECK(loadArgs({"--stanza=main", "--pg1-path=/pg", "restore"}).getList("db-include").empty());

    requireError([&] { (void)c.getString("checksum-page"); }, ErrorCode::Assert, "option 'checksum-page' has no value");
    requireError([&] { (void)c.getBool("process-max"); }, ErrorCode::Assert,
                 "option 'process-max' has type integer, not boolean");
    requireError([&] { (void)c.getString("exclude"); }, ErrorCode::Assert,
                 "option 'exclude' has type list, not string");
    requireError([&] { (void)c.getString("repo-path"); }, ErrorCode::Assert,
                 "option 'repo-path' needs an index from 1 to 256");
    requireError([&] { (void)c.getString("stanza", 1); }, ErrorCode::Assert, "option 'stanza' has no index");
    requireError([&] { (void)c.getString("no-such-option"); }, ErrorCode::Assert,
                 "option 'no-such-option' is not a known option name");
    requireError([&] { (void)c.getList("stanza"); }, ErrorCode::Assert, "option 'stanza' is not a list option");
    requireError([&] { (void)c.getHash("exclude"); }, ErrorCode::Assert, "option 'exclude' is not a hash option");
}

TEST_CASE("effectiveOptions lists what the user set, in name order, secrets redacted", "[unit][config]") {
    Fixture f;
    f.file("[global]\nrepo1-cipher-type=aes-256-cbc\nrepo1-cipher-pass=secret\nlog-path=/tmp/log\n[main]\npg1-path=/pg\n");
    f.env = {"PGBACKREST_PROCESS_MAX=2", "PGARK_REPO2_PATH=/r2", "PGARK_REPO2_CIPHER_TYPE=aes-256-cbc",
             "PGARK_REPO2_CIPHER_PASS=x"};
    const Config c = f.load({"--stanza=main", "--no-archive-check", "--start-fast", "--exclude=a", "--exclude=b c",
                             "--reset-delta", "--type=full", "--config=" + f.dir.path() + "/etc/pgark/pgark.conf",
                             "--annotation=k=v w", "backup"});
    CHECK(c.effectiveOptions() == std::vector<std::string>{
                                      "--annotation=\"k=v w\"",
                                      "--no-archive-check",
                                      "--config=" + f.dir.path() + "/etc/pgark/pgark.conf",
                                      "--reset-delta",
                                      "--exclude=a",
                                      "--exclude=\"b c\"",
                                      "--log-path=/tmp/log",
                                      "--pg1-path=/pg",
                                      "--process-max=2",
                                      "--repo1-cipher-pass=<redacted>",
                                      "--repo2-cipher-pass=<redacted>",
                                      "--repo1-cipher-type=aes-256-cbc",
                                      "--repo2-cipher-type=aes-256-cbc",
                                      "--repo2-path=/r2",
                                      "--stanza=main",
                                      "--start-fast",
                                      "--type=full",
                                  });
    CHECK(c.getString("repo1-cipher-pass") == "secret");
    f.env.clear();
    CHECK(f.load({"--stanza=main", "--no-config", "--pg1-path=/p", "backup"}).effectiveOptions() ==
          std::vector<std::string>{"--no-config", "--pg1-path=/p", "--stanza=main"});
}

TEST_CASE("loadArgs reads neither environment nor files", "[unit][config]") {
    const Config c = loadArgs({"--stanza=main", "--repo1-path=/r", "archive-push", "/w"});
    CHECK(c.getString("repo1-path") == "/r");
    CHECK(c.warnings().empty());
    CHECK(c.getString("cmd") == "pgark");
}

TEST_CASE("load hands back the warnings found before an error", "[unit][config]") {
    Fixture f;
    f.file("[global]\nbogus=1\n");
    LoadInput input;
    input.args = {"--stanza=main", "backup"};
    input.root = f.dir.path();
    std::vector<std::string> warnings;
    requireError([&] { load(input, warnings); }, ErrorCode::OptionRequired, "backup command requires option: pg1-path");
    CHECK(warnings == std::vector<std::string>{"configuration file contains invalid option 'bogus'"});

    input.args = {"--stanza=main", "--pg1-path=/pg", "--repo1-retention-full=1", "backup"};
    const Config c = load(input, warnings);
    CHECK(warnings == c.warnings());
    CHECK(warnings.size() == 1);
}
