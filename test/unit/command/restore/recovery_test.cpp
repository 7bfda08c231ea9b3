// planRecovery/writeRecovery: the postgresql.auto.conf lines and signal files of spec §9.6 for
// each --type, option validation, restore_command built from the restore's command line, earlier
// targets commented out, values quoted as ALTER SYSTEM quotes them.
#include "command/restore/recovery.h"

#include <catch2/catch.hpp>

#include "config/config.h"
#include "fake/mem_storage.h"
#include "info/manifest.h"
#include "storage/storage.h"
#include "unit/config/config_test_util.h"

using namespace pgark;
using namespace pgark::command::restore;

namespace {

info::Manifest onlineManifest(bool online = true) {
    info::Manifest manifest;
    manifest.data().optionOnline = online;
    manifest.data().pg.version = "15";
    manifest.pathAdd({.name = "pg_data", .mode = 0750});
    return manifest;
}

RecoveryPlan plan(std::vector<std::string> args, bool online = true) {
    args.insert(args.begin(), {"--stanza=main", "--pg1-path=/pg"});
    args.push_back("restore");
    return planRecovery(config::loadArgs(args), onlineManifest(online));
}

using Settings = std::vector<std::pair<std::string, std::string>>;
const std::string kRestoreCommand = "pgark --pg1-path=/pg --stanza=main archive-get %f \"%p\"";

}  // namespace

TEST_CASE("planRecovery writes the settings of each type in pgBackRest's order", "[unit][restore]") {
    CHECK(plan({}).settings == Settings{{"restore_command", kRestoreCommand}});
    CHECK(plan({}).signalFile == "recovery.signal");
    CHECK(plan({}).signalMode == 0640);
    CHECK(plan({"--type=immediate"}).settings == Settings{{"restore_command", kRestoreCommand},
                                                          {"recovery_target", "immediate"},
                                                          {"recovery_target_timeline", "current"}});
    CHECK(plan({"--type=time", "--target=2026-11-21 10:58:46+00", "--target-action=promote"}).settings ==
          Settings{{"restore_command", kRestoreCommand},
                   {"recovery_target_time", "2026-11-21 10:58:46+00"},
                   {"recovery_target_action", "promote"}});
    CHECK(plan({"--type=xid", "--target=1234", "--target-exclusive", "--target-timeline=3"}).settings ==
          Settings{{"restore_command", kRestoreCommand},
                   {"recovery_target_xid", "1234"},
                   {"recovery_target_inclusive", "false"},
                   {"recovery_target_timeline", "3"}});
    CHECK(plan({"--type=name", "--target=rp", "--target-action=pause"}).settings ==
          Settings{{"restore_command", kRestoreCommand}, {"recovery_target_name", "rp"}});
    CHECK(plan({"--type=standby"}).signalFile == "standby.signal");
    // --recovery-option first (sorted, '-' -> '_'); its restore_command replaces the generated one.
    CHECK(plan({"--recovery-option=restore-command=cp x y", "--recovery-option=a=1", "--archive-mode=off"}).settings ==
          Settings{{"a", "1"}, {"restore_command", "cp x y"}, {"archive_mode", "off"}});
}

TEST_CASE("planRecovery: none, preserve and offline backups", "[unit][restore]") {
    CHECK(plan({"--type=none"}).settings.empty());
    CHECK(plan({"--type=none"}).signalFile == "recovery.signal");  // 2.45: an online backup needs recovery
    CHECK(plan({"--type=none"}, false).signalFile.empty());
    CHECK(plan({}, false).type == "none");  // an offline backup starts as it is unless a type is given
    CHECK(plan({"--type=immediate"}, false).type == "immediate");
    CHECK(plan({"--type=preserve"}).settings.empty());
    CHECK(plan({"--type=preserve"}).signalFile.empty());
}

TEST_CASE("planRecovery refuses a target type without a target", "[unit][restore]") {
    test::requireError([] { (void)plan({"--type=time"}); }, ErrorCode::OptionRequired,
                       "restore command requires option: target");
}

TEST_CASE("planRecovery refuses PostgreSQL before 12 (recovery.conf) unless nothing is written", "[unit][restore]") {
    info::Manifest manifest = onlineManifest();
    manifest.data().pg.version = "11";
    const config::Config config = config::loadArgs({"--stanza=main", "--pg1-path=/pg", "restore"});
    test::requireError([&] { (void)planRecovery(config, manifest); }, ErrorCode::FeatureNotSupported,
                       "recovery settings for PostgreSQL 11 (recovery.conf) are not supported yet");
    const config::Config none = config::loadArgs({"--stanza=main", "--pg1-path=/pg", "--type=none", "restore"});
    CHECK(planRecovery(none, manifest).settings.empty());
}

TEST_CASE("restore_command passes the command-line options archive-get takes, quoted for the shell", "[unit][restore]") {
    const RecoveryPlan result = plan({"--config=/etc/my conf/x.conf", "--repo2-path=/r2", "--repo=2", "--process-max=4",
                                      "--log-level-console=detail", "--delta", "--type=default"});
    REQUIRE(result.settings.size() == 1);
    CHECK(result.settings[0].second == "pgark \"--config=/etc/my conf/x.conf\" --pg1-path=/pg --repo=2 --repo2-path=/r2 "
                                       "--stanza=main archive-get %f \"%p\"");
}

TEST_CASE("writeRecovery comments out earlier targets and appends the settings", "[unit][restore]") {
    test::MemStorage pg;
    storage::writeText(pg, "postgresql.auto.conf",
                       "# Do not edit\nwork_mem = '4MB'\n recovery_target_time = 'x'\nrecovery_target_name='y'\n\n", {});
    RecoveryPlan recovery{.type = "name",
                          .settings = {{"restore_command", "cp '%f'"}, {"recovery_target_name", "it's \\ here"}},
                          .signalFile = "recovery.signal",
                          .signalMode = 0640};
    writeRecovery(pg, recovery, 0);
    const std::string text = storage::readText(pg, "postgresql.auto.conf");
    const std::string stamp = text.substr(text.find("on ") + 3, 19);
    CHECK(text == "# Do not edit\nwork_mem = '4MB'\n# Removed by pgark restore on " + stamp +
                      " #  recovery_target_time = 'x'\n# Removed by pgark restore on " + stamp +
                      " # recovery_target_name='y'\n\n# Recovery settings generated by pgark restore on " + stamp +
                      "\nrestore_command = 'cp ''%f'''\nrecovery_target_name = 'it''s \\\\ here'\n");
    const auto signal = pg.info("recovery.signal", storage::InfoLevel::Detail);
    REQUIRE(signal);
    CHECK(signal->size == 0);
    CHECK(signal->mode == 0640);

    writeRecovery(pg, {.type = "preserve"}, 0);  // leaves everything alone
    CHECK(storage::readText(pg, "postgresql.auto.conf") == text);
}

TEST_CASE("writeRecovery creates postgresql.auto.conf when the backup had none", "[unit][restore]") {
    test::MemStorage pg;
    writeRecovery(pg, {.type = "standby", .settings = {{"restore_command", "x"}}, .signalFile = "standby.signal"}, 0);
    CHECK(storage::readText(pg, "postgresql.auto.conf").ends_with("\nrestore_command = 'x'\n"));
    CHECK(pg.info("standby.signal", storage::InfoLevel::Basic));
    CHECK_FALSE(pg.info("recovery.signal", storage::InfoLevel::Basic));
}
