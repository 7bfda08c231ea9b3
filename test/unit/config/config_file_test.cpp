// Which configuration files are read (config/config_file.h), against a temporary root.
#include "config/config_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "unit/config/config_test_util.h"

using namespace pgark;
using namespace pgark::config;
using pgark::test::requireError;
using pgark::test::TempDir;

namespace {

std::vector<std::string> filesRead(const ConfigFileSettings& settings, const TempDir& dir) {
    std::vector<std::string> result;
    for (const std::string& file : loadConfigFiles(settings).files) result.push_back(file.substr(dir.path().size()));
    return result;
}

}  // namespace

TEST_CASE("loadConfigFiles prefers /etc/pgark and falls back to pgBackRest's files", "[unit][config]") {
    TempDir dir;
    ConfigFileSettings settings;
    settings.root = dir.path();

    SECTION("nothing at all") { CHECK(filesRead(settings, dir).empty()); }
    SECTION("pgBackRest's files when /etc/pgark/pgark.conf is missing") {
        dir.write("etc/pgbackrest/pgbackrest.conf", "[global]\n");
        dir.write("etc/pgbackrest/conf.d/b.conf", "[global]\n");
        dir.write("etc/pgbackrest/conf.d/a.conf", "[global]\n");
        dir.write("etc/pgbackrest/conf.d/notes.txt", "not config");
        dir.mkdir("etc/pgbackrest/conf.d/dir.conf");
        dir.write("etc/pgbackrest.conf", "[global]\n");  // legacy: not read when the new one exists
        dir.write("etc/pgark/conf.d/x.conf", "[global]\n");  // pgark's conf.d alone does not switch
        CHECK(filesRead(settings, dir) == std::vector<std::string>{"/etc/pgbackrest/pgbackrest.conf",
                                                                   "/etc/pgbackrest/conf.d/a.conf",
                                                                   "/etc/pgbackrest/conf.d/b.conf"});
    }
    SECTION("the legacy /etc/pgbackrest.conf") {
        dir.write("etc/pgbackrest.conf", "[global]\n");
        dir.write("etc/pgbackrest/conf.d/a.conf", "[global]\n");
        CHECK(filesRead(settings, dir) ==
              std::vector<std::string>{"/etc/pgbackrest.conf", "/etc/pgbackrest/conf.d/a.conf"});
    }
    SECTION("pgark's own files win") {
        dir.write("etc/pgark/pgark.conf", "[global]\n");
        dir.write("etc/pgark/conf.d/z.conf", "[global]\n");
        dir.write("etc/pgbackrest/pgbackrest.conf", "[global]\n");
        dir.write("etc/pgbackrest/conf.d/a.conf", "[global]\n");
        CHECK(filesRead(settings, dir) ==
              std::vector<std::string>{"/etc/pgark/pgark.conf", "/etc/pgark/conf.d/z.conf"});
    }
    SECTION("--no-config skips the main file but not the include path") {
        dir.write("etc/pgbackrest/pgbackrest.conf", "[global]\n");
        dir.write("etc/pgbackrest/conf.d/a.conf", "[global]\n");
        settings.noConfig = true;
        CHECK(filesRead(settings, dir) == std::vector<std::string>{"/etc/pgbackrest/conf.d/a.conf"});
    }
}

TEST_CASE("loadConfigFiles follows --config, --config-path and --config-include-path", "[unit][config]") {
    TempDir dir;
    ConfigFileSettings settings;
    settings.root = dir.path();
    dir.write("etc/pgbackrest/pgbackrest.conf", "[global]\n");
    dir.write("etc/pgbackrest/conf.d/a.conf", "[global]\n");

    SECTION("--config alone: that file only") {
        settings.config = dir.write("my.conf", "[global]\n");
        CHECK(filesRead(settings, dir) == std::vector<std::string>{"/my.conf"});
    }
    SECTION("--config with --config-include-path") {
        settings.config = dir.write("my.conf", "[global]\n");
        settings.configIncludePath = dir.mkdir("inc");
        dir.write("inc/1.conf", "[global]\n");
        CHECK(filesRead(settings, dir) == std::vector<std::string>{"/my.conf", "/inc/1.conf"});
    }
    SECTION("--config-path moves both defaults; pgark.conf first, then pgbackrest.conf") {
        settings.configPath = dir.mkdir("base");
        dir.write("base/pgbackrest.conf", "[global]\n");
        dir.write("base/conf.d/c.conf", "[global]\n");
        CHECK(filesRead(settings, dir) == std::vector<std::string>{"/base/pgbackrest.conf", "/base/conf.d/c.conf"});
        dir.write("base/pgark.conf", "[global]\n");
        CHECK(filesRead(settings, dir) == std::vector<std::string>{"/base/pgark.conf", "/base/conf.d/c.conf"});
    }
    SECTION("--config-path without files reads nothing (and not the legacy file)") {
        dir.write("etc/pgbackrest.conf", "[global]\n");
        settings.configPath = dir.mkdir("empty");
        CHECK(filesRead(settings, dir).empty());
    }
    SECTION("explicit files and paths must exist") {
        settings.config = dir.path() + "/missing.conf";
        requireError([&] { loadConfigFiles(settings); }, ErrorCode::FileMissing,
                     "unable to open missing file '" + dir.path() + "/missing.conf' for read");
        settings.config.reset();
        settings.configIncludePath = dir.path() + "/missing.d";
        requireError([&] { loadConfigFiles(settings); }, ErrorCode::PathMissing,
                     "unable to list missing path '" + dir.path() + "/missing.d'");
    }
    SECTION("a syntax error names the file") {
        settings.config = dir.write("bad.conf", "[global]\nnovalue\n");
        requireError([&] { loadConfigFiles(settings); }, ErrorCode::Format,
                     "missing '=' in key/value at line 2 of '" + dir.path() + "/bad.conf'");
    }
    SECTION("an unreadable file is an error, not a missing one") {
        if (::geteuid() == 0) {
            SUCCEED("root reads any file: permission check skipped");
        } else {
            const std::string path = dir.write("secret.conf", "[global]\n");
            ::chmod(path.c_str(), 0);
            settings.config = path;
            CHECK_THROWS_AS(loadConfigFiles(settings), Error);
        }
    }
}
