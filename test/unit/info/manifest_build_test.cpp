// Tests of Manifest::build (spec §4.4, §3.5, §3.10, §3.11): a synthetic PGDATA in a temp dir with
// everything that must be skipped or kept, link and tablespace rules, the oracle test that rebuilds
// the PGDATA the real pgBackRest 2.45 backed up (test/fixtures/info/manifest/offline-pgdata.txt)
// and compares our walk with its manifest, and one real initdb cluster when PostgreSQL is installed.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <pwd.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/log.h"
#include "fake/mem_storage.h"
#include "info/info_file.h"
#include "info/manifest.h"
#include "info/manifest_build.h"
#include "storage/posix/posix_storage.h"
#include "unit/info/info_test_util.h"

using namespace pgark;
using namespace pgark::info;
namespace fs = std::filesystem;

namespace {

constexpr std::uint32_t kCatalog15 = 202209061;
constexpr std::string_view kTsDir = "PG_15_202209061";

Error errorOf(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const Error& error) {
        return error;
    }
    FAIL("no error thrown");
    return Error(ErrorCode::Unknown, "");
}

struct LogCapture {
    std::vector<std::string> lines;
    LogCapture() {
        log::setTestSink([this](std::string_view line) { lines.emplace_back(line); });
    }
    ~LogCapture() { log::setTestSink(nullptr); }
};

// A fresh directory (mkdtemp), removed with everything below it at the end.
struct TempDir {
    fs::path path;
    TempDir() {
        std::string templ = (fs::temp_directory_path() / "pgark-manifest-XXXXXX").string();
        REQUIRE(::mkdtemp(templ.data()) != nullptr);
        path = templ;
    }
    ~TempDir() {
        std::error_code ignored;
        fs::remove_all(path, ignored);
    }
};

void makeDir(const fs::path& path, mode_t mode = 0700) {
    fs::create_directories(path);
    REQUIRE(::chmod(path.c_str(), mode) == 0);
}

void makeFile(const fs::path& path, std::string_view content, mode_t mode = 0600, std::int64_t mtime = 1700000000) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << content;
    REQUIRE(::chmod(path.c_str(), mode) == 0);
    const struct timespec times[2] = {{static_cast<time_t>(mtime), 0}, {static_cast<time_t>(mtime), 0}};
    REQUIRE(::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) == 0);
}

void makeLink(const std::string& destination, const fs::path& link) {
    fs::create_directories(link.parent_path());
    REQUIRE(::symlink(destination.c_str(), link.c_str()) == 0);
}

std::string currentUser() {
    const passwd* entry = ::getpwuid(::geteuid());
    return entry != nullptr ? entry->pw_name : "";
}

std::vector<std::string> fileNames(const Manifest& manifest) {
    std::vector<std::string> names;
    for (const ManifestFile& file : manifest.files()) names.push_back(file.name);
    return names;
}

std::vector<std::string> pathNames(const Manifest& manifest) {
    std::vector<std::string> names;
    for (const ManifestPath& path : manifest.paths()) names.push_back(path.name);
    return names;
}

// A PGDATA with one of everything §4.4 talks about, plus a tablespace, a file link and a
// relative directory link, all inside `root`.
struct SyntheticCluster {
    TempDir dir;
    fs::path pg;

    SyntheticCluster() : pg(dir.path / "pg") {
        makeDir(pg);
        makeFile(pg / "PG_VERSION", "15\n");
        makeFile(pg / "postgresql.conf", "port = 5432\n");
        makeFile(pg / "conf644.conf", "x", 0644);
        makeFile(pg / "recovery.conf", "kept on 12+");  // only skipped before 12
        for (const char* skipped : {"postmaster.pid", "postmaster.opts", "backup_label", "backup_label.old",
                                    "recovery.signal", "standby.signal", "postgresql.auto.conf.tmp", "backup_manifest",
                                    "backup_manifest.tmp", "pgsql_tmp_top"})
            makeFile(pg / skipped, "skip");

        makeFile(pg / "global/pg_control", std::string(8192, '\0'));
        makeFile(pg / "global/pg_filenode.map", "map");
        makeFile(pg / "global/1262", std::string(8192, 'g'));
        makeFile(pg / "global/pg_internal.init", "skip");
        makeFile(pg / "global/pg_internal.init.123", "skip");
        makeFile(pg / "global/pg_internal.initx", "kept");

        const fs::path db = pg / "base/1";
        makeFile(db / "PG_VERSION", "15\n");
        makeFile(db / "pg_filenode.map", "map");
        makeFile(db / "1259", std::string(8192, 'a'), 0600, 1700000100);
        makeFile(db / "1259_fsm", "f");
        makeFile(db / "1259.1", "s");
        makeFile(db / "t3_16384", "temp");
        makeFile(db / "t3_16384_vm.2", "temp");
        makeFile(db / "t3_x", "kept: not a temp relation");
        makeFile(db / "16400", "unlogged");
        makeFile(db / "16400_fsm", "unlogged");
        makeFile(db / "16400_vm", "unlogged");
        makeFile(db / "16400.1", "unlogged");
        makeFile(db / "16400_init", "");
        makeFile(db / "164000", "logged: another relation");
        makeFile(db / "pg_internal.init", "skip");
        makeFile(db / "pgsql_tmp/pgsql_tmp1.0", "skip");
        makeFile(pg / "base/pgsql_tmp/pgsql_tmp2.0", "skip");
        makeFile(pg / "base/notadb/123", "no page checksums outside database directories");

        makeFile(pg / "pg_wal/000000010000000000000001", "wal");
        makeFile(pg / "pg_wal/archive_status/000000010000000000000001.done", "");
        for (const char* dir : {"pg_dynshmem", "pg_notify", "pg_replslot", "pg_serial", "pg_snapshots", "pg_stat_tmp",
                                "pg_subtrans"})
            makeFile(pg / dir / "content", "skip");
        makeFile(pg / "pg_replslot/slot1/state", "skip");
        makeFile(pg / "pg_xact/0000", std::string(8192, 'x'));
        makeFile(pg / "pg_stat/pgstat.stat", "kept");
        makeFile(pg / "excl_dir/sub/f", "excluded");
        makeFile(pg / "excl_file", "excluded");
        REQUIRE(::mkfifo((pg / "fifo").c_str(), 0600) == 0);

        // Tablespace 16384 with a database 16385 holding a logged and an unlogged relation.
        const fs::path ts = dir.path / "ts1" / kTsDir / "16385";
        makeDir(dir.path / "ts1");
        makeFile(ts / "16390", std::string(8192, 't'));
        makeFile(ts / "16391", "unlogged");
        makeFile(ts / "16391_init", "");
        makeFile(ts / "pg_filenode.map", "map");
        makeFile(dir.path / "ts1" / "stray", "not in the PG_ directory: ignored");
        makeDir(pg / "pg_tblspc");
        makeLink((dir.path / "ts1").string(), pg / "pg_tblspc/16384");

        makeFile(dir.path / "etc/extra.conf", "extra", 0640);
        makeLink((dir.path / "etc/extra.conf").string(), pg / "extra.conf");
        makeFile(dir.path / "extra/f.txt", "f", 0600);
        makeLink("../extra", pg / "extra_link");
        // Directories as initdb makes them (create_directories followed the umask).
        for (const fs::directory_entry& entry : fs::recursive_directory_iterator(pg))
            if (entry.is_directory() && !entry.is_symlink()) REQUIRE(::chmod(entry.path().c_str(), 0700) == 0);
    }

    ManifestBuildOptions options() const {
        ManifestBuildOptions options;
        options.pgVersion = 150000;
        options.catalogVersion = kCatalog15;
        options.pgDataPath = pg.string();
        options.online = true;
        options.checksumPage = true;
        options.excludes = {"excl_dir/", "excl_file"};
        options.tablespaces = std::map<unsigned, std::string>{{16384, "ts1"}};
        return options;
    }

    Manifest build(const ManifestBuildOptions& options) const {
        auto storage = storage::makePosixStorage(pg.string(), {});
        return Manifest::build(*storage, options);
    }
};

}  // namespace

TEST_CASE("Manifest::build keeps what pgBackRest keeps and skips the rest", "[unit][info][manifest]") {
    SyntheticCluster cluster;
    LogCapture log;
    const Manifest manifest = cluster.build(cluster.options());

    const std::vector<std::string> expectedFiles = {
        "pg_data/PG_VERSION",
        "pg_data/base/1/1259",
        "pg_data/base/1/1259.1",
        "pg_data/base/1/1259_fsm",
        "pg_data/base/1/164000",
        "pg_data/base/1/16400_init",
        "pg_data/base/1/PG_VERSION",
        "pg_data/base/1/pg_filenode.map",
        "pg_data/base/1/t3_x",
        "pg_data/base/notadb/123",
        "pg_data/conf644.conf",
        "pg_data/extra.conf",
        "pg_data/extra_link/f.txt",
        "pg_data/global/1262",
        "pg_data/global/pg_control",
        "pg_data/global/pg_filenode.map",
        "pg_data/global/pg_internal.initx",
        "pg_data/pg_stat/pgstat.stat",
        "pg_data/pg_xact/0000",
        "pg_data/postgresql.conf",
        "pg_data/recovery.conf",
        "pg_tblspc/16384/PG_15_202209061/16385/16390",
        "pg_tblspc/16384/PG_15_202209061/16385/16391_init",
        "pg_tblspc/16384/PG_15_202209061/16385/pg_filenode.map",
    };
    CHECK(fileNames(manifest) == expectedFiles);

    const std::vector<std::string> expectedPaths = {
        "pg_data",
        "pg_data/base",
        "pg_data/base/1",
        "pg_data/base/notadb",
        "pg_data/excl_dir",
        "pg_data/extra_link",
        "pg_data/global",
        "pg_data/pg_dynshmem",
        "pg_data/pg_notify",
        "pg_data/pg_replslot",
        "pg_data/pg_serial",
        "pg_data/pg_snapshots",
        "pg_data/pg_stat",
        "pg_data/pg_stat_tmp",
        "pg_data/pg_subtrans",
        "pg_data/pg_tblspc",
        "pg_data/pg_wal",
        "pg_data/pg_wal/archive_status",
        "pg_data/pg_xact",
        "pg_tblspc",
        "pg_tblspc/16384",
        "pg_tblspc/16384/PG_15_202209061",
        "pg_tblspc/16384/PG_15_202209061/16385",
    };
    CHECK(pathNames(manifest) == expectedPaths);

    SECTION("page checksums: relation files in database directories only") {
        for (const ManifestFile& file : manifest.files()) {
            INFO(file.name);
            const bool relation = file.name.starts_with("pg_data/base/1/1") || file.name == "pg_data/base/1/t3_x" ||
                                  file.name == "pg_data/global/1262" || file.name == "pg_data/global/pg_internal.initx" ||
                                  file.name.starts_with("pg_tblspc/16384/PG_15_202209061/16385/163");
            CHECK(file.checksumPage == (relation ? std::optional<bool>(true) : std::nullopt));
        }
    }

    SECTION("entries carry size, mtime, mode and owner") {
        const ManifestFile* relation = manifest.file("pg_data/base/1/1259");
        CHECK(relation->size == 8192);
        CHECK(relation->sizeRepo == 8192);
        CHECK(relation->timestamp == 1700000100);
        CHECK(relation->mode == 0600);
        CHECK(relation->user == currentUser());
        CHECK(relation->checksum.empty());
        CHECK(relation->copy);
        CHECK(manifest.file("pg_data/conf644.conf")->mode == 0644);
        CHECK(manifest.file("pg_data/extra.conf")->size == 5);   // the linked file's facts
        CHECK(manifest.file("pg_data/extra.conf")->mode == 0640);
        CHECK(manifest.file("pg_data/base/1/16400_init")->copy);  // empty, not bundled: still stored
        CHECK(manifest.path("pg_data")->mode == 0700);
    }

    SECTION("targets and links") {
        REQUIRE(manifest.targets().size() == 4);
        const ManifestTarget& base = manifest.targetBase();
        CHECK(base.path == cluster.pg.string());
        CHECK(base.type == TargetType::Path);
        const ManifestTarget* tablespace = manifest.target("pg_tblspc/16384");
        REQUIRE(tablespace != nullptr);
        CHECK(tablespace->type == TargetType::Link);
        CHECK(tablespace->path == (cluster.dir.path / "ts1").string());
        CHECK(tablespace->tablespaceId == 16384);
        CHECK(tablespace->tablespaceName == "ts1");
        CHECK_FALSE(tablespace->file);
        const ManifestTarget* fileLink = manifest.target("pg_data/extra.conf");
        REQUIRE(fileLink != nullptr);
        CHECK(fileLink->path == (cluster.dir.path / "etc").string());
        CHECK(fileLink->file == "extra.conf");
        const ManifestTarget* relative = manifest.target("pg_data/extra_link");
        REQUIRE(relative != nullptr);
        CHECK(relative->path == "../extra");
        CHECK(relative->tablespaceId == 0);

        std::vector<std::string> links;
        for (const ManifestLink& link : manifest.links()) links.push_back(link.name + " -> " + link.destination);
        CHECK(links == std::vector<std::string>{"pg_data/extra.conf -> " + (cluster.dir.path / "etc/extra.conf").string(),
                                                "pg_data/extra_link -> ../extra",
                                                "pg_data/pg_tblspc/16384 -> " + (cluster.dir.path / "ts1").string()});
        // pg_tblspc/<oid> copies pg_data/pg_tblspc; the PG_ directory is the destination's own.
        CHECK(manifest.path("pg_tblspc/16384")->mode == 0700);
    }

    SECTION("messages for exclusions and special files") {
        const std::string pg = cluster.pg.string();
        CHECK(std::find(log.lines.begin(), log.lines.end(), "WARN: exclude special file '" + pg + "/fifo' from backup") !=
              log.lines.end());
    }

    SECTION("manifest data and rendering with defaults") {
        CHECK(manifest.data().type == BackupType::Full);
        CHECK(manifest.data().optionOnline);
        CHECK(manifest.data().optionChecksumPage == true);
        CHECK(manifest.data().pg.version == "15");
        CHECK(manifest.data().pg.catalogVersion == kCatalog15);
        CHECK(manifest.data().pg.controlVersion == 1300);
        const Ini ini = manifest.toIni();
        CHECK(*ini.raw("target:file:default", "mode") == "\"0600\"");
        CHECK(*ini.raw("target:path:default", "mode") == "\"0700\"");
        CHECK(*ini.raw("target:file:default", "user") == json::render(json::Value(currentUser())));
        CHECK(*ini.raw("target:file", "pg_data/conf644.conf") == "{\"mode\":\"0644\",\"size\":1,\"timestamp\":1700000000}");
        CHECK(*ini.raw("target:file", "pg_data/base/1/1259") ==
              "{\"checksum-page\":true,\"size\":8192,\"timestamp\":1700000100}");
        CHECK(*ini.raw("target:path", "pg_data/base") == "{}");
        CHECK(*ini.raw("backup:target", "pg_tblspc/16384") ==
              "{\"path\":" + json::render(json::Value((cluster.dir.path / "ts1").string())) +
                  ",\"tablespace-id\":\"16384\",\"tablespace-name\":\"ts1\",\"type\":\"link\"}");
    }
}

TEST_CASE("Manifest::build options change the walk", "[unit][info][manifest]") {
    SyntheticCluster cluster;
    LogCapture log;
    ManifestBuildOptions options = cluster.options();

    SECTION("offline: WAL is kept, tablespaces named by oid") {
        options.online = false;
        options.tablespaces.reset();
        const Manifest manifest = cluster.build(options);
        CHECK(manifest.file("pg_data/pg_wal/000000010000000000000001") != nullptr);
        CHECK(manifest.file("pg_data/pg_wal/archive_status/000000010000000000000001.done") != nullptr);
        CHECK(manifest.target("pg_tblspc/16384")->tablespaceName == "ts16384");
        CHECK_FALSE(manifest.data().optionOnline);
    }

    SECTION("no page checksums") {
        options.checksumPage = false;
        const Manifest manifest = cluster.build(options);
        for (const ManifestFile& file : manifest.files()) CHECK_FALSE(file.checksumPage);
        CHECK(manifest.data().optionChecksumPage == false);
    }

    SECTION("bundle: empty files need no copy") {
        options.bundle = true;
        const Manifest manifest = cluster.build(options);
        const ManifestFile* empty = manifest.file("pg_data/base/1/16400_init");
        CHECK_FALSE(empty->copy);
        CHECK(empty->checksum == kSha1Empty);
        CHECK(manifest.file("pg_data/PG_VERSION")->copy);
        CHECK(manifest.data().bundle);
    }

    SECTION("excludes") {
        options.excludes = {"postgresql.conf", "base/1/", "pg_tblspc/16384"};
        const Manifest manifest = cluster.build(options);
        CHECK(manifest.file("pg_data/postgresql.conf") == nullptr);
        CHECK(manifest.file("pg_data/excl_file") != nullptr);
        CHECK(manifest.path("pg_data/base/1") != nullptr);
        CHECK(manifest.file("pg_data/base/1/1259") == nullptr);
        CHECK(manifest.target("pg_tblspc/16384") == nullptr);
        CHECK(manifest.path("pg_tblspc") == nullptr);
    }

    SECTION("unsupported version") {
        options.pgVersion = 110000;
        CHECK(errorOf([&] { (void)cluster.build(options); }).code() == ErrorCode::VersionNotSupported);
    }

    SECTION("relative PGDATA path") {
        options.pgDataPath = "pg";
        CHECK(errorOf([&] { (void)cluster.build(options); }).code() == ErrorCode::Assert);
    }
}

TEST_CASE("Manifest::build refuses bad links", "[unit][info][manifest]") {
    SyntheticCluster cluster;
    ManifestBuildOptions options = cluster.options();
    const fs::path& pg = cluster.pg;
    const fs::path& root = cluster.dir.path;

    SECTION("a directory in pg_tblspc") {
        makeDir(pg / "pg_tblspc/99999");
        const Error error = errorOf([&] { (void)cluster.build(options); });
        CHECK(error.code() == ErrorCode::LinkExpected);
        CHECK(error.message() == "'pg_data/pg_tblspc/99999' is not a symlink - pg_tblspc should contain only symlinks");
    }
    SECTION("a file in pg_tblspc") {
        makeFile(pg / "pg_tblspc/99999", "x");
        CHECK(errorOf([&] { (void)cluster.build(options); }).code() == ErrorCode::LinkExpected);
    }
    SECTION("a destination inside PGDATA") {
        makeLink((pg / "base").string(), pg / "inner");
        const Error error = errorOf([&] { (void)cluster.build(options); });
        CHECK(error.code() == ErrorCode::LinkDestination);
        CHECK(error.message() == "link 'inner' destination '" + (pg / "base").string() + "' is in PGDATA");
    }
    SECTION("a link to a link") {
        makeLink((root / "extra").string(), root / "hop");
        makeLink((root / "hop").string(), pg / "double");
        const Error error = errorOf([&] { (void)cluster.build(options); });
        CHECK(error.code() == ErrorCode::LinkDestination);
        CHECK(error.message() == "link '" + pg.string() + "/double' cannot reference another link '" + (root / "hop").string() + "'");
    }
    SECTION("two links to one directory") {
        makeLink((root / "extra").string(), pg / "zz_again");
        const Error error = errorOf([&] { (void)cluster.build(options); });
        CHECK(error.code() == ErrorCode::LinkDestination);
        CHECK(error.message() == "link 'zz_again' (" + (root / "extra").string() +
                                     ") destination is the same directory as link 'extra_link' (" + (root / "extra").string() + ")");
    }
    SECTION("one linked directory inside another") {
        makeDir(root / "extra/deeper");
        makeLink((root / "extra/deeper").string(), pg / "zz_deeper");
        CHECK(errorOf([&] { (void)cluster.build(options); }).message().ends_with("destination is a subdirectory of link "
                                                                                 "'extra_link' (" + (root / "extra").string() + ")"));
    }
    SECTION("two links to one file") {
        makeLink((root / "etc/extra.conf").string(), pg / "zz.conf");
        CHECK(errorOf([&] { (void)cluster.build(options); }).message().find("destination is the same file as link") !=
              std::string::npos);
    }
    SECTION("two file links in one directory are fine") {
        makeFile(root / "etc/other.conf", "o");
        makeLink((root / "etc/other.conf").string(), pg / "zz.conf");
        CHECK(cluster.build(options).file("pg_data/zz.conf") != nullptr);
    }
    SECTION("a dangling link") {
        makeLink((root / "nowhere").string(), pg / "dangling");
        const Error error = errorOf([&] { (void)cluster.build(options); });
        CHECK(error.code() == ErrorCode::FileMissing);
        CHECK(error.message() == "unable to get info for missing path/file '" + (root / "nowhere").string() + "'");
    }
    SECTION("a tablespace missing from the map") {
        options.tablespaces = std::map<unsigned, std::string>{};
        const Error error = errorOf([&] { (void)cluster.build(options); });
        CHECK(error.message() == "tablespace with oid 16384 not found in tablespace map");
        CHECK(error.hint() == "was a tablespace created or dropped during the backup?");
    }
    SECTION("a tablespace link to a file") {
        makeFile(root / "tsfile", "x");
        makeLink((root / "tsfile").string(), pg / "pg_tblspc/20000");
        options.tablespaces->emplace(20000, "tsf");
        CHECK(errorOf([&] { (void)cluster.build(options); }).code() == ErrorCode::FileMissing);  // no PG_ dir inside a file
    }
    SECTION("a tablespace without its PG_ directory") {
        makeDir(root / "ts2");
        makeLink((root / "ts2").string(), pg / "pg_tblspc/20001");
        options.tablespaces->emplace(20001, "ts2");
        const Error error = errorOf([&] { (void)cluster.build(options); });
        CHECK(error.code() == ErrorCode::FileMissing);
        CHECK(error.message() == "unable to get info for missing path/file '" + (root / "ts2" / kTsDir).string() + "'");
    }
}

TEST_CASE("Manifest::build follows a symlinked PGDATA root", "[unit][info][manifest]") {
    SyntheticCluster cluster;
    const fs::path alias = cluster.dir.path / "alias";
    makeLink(cluster.pg.string(), alias);
    ManifestBuildOptions options = cluster.options();
    options.pgDataPath = alias.string();
    auto storage = storage::makePosixStorage(alias.string(), {});
    const Manifest manifest = Manifest::build(*storage, options);
    CHECK(manifest.path("pg_data")->mode == 0700);  // the directory's mode, not the link's 0777
    CHECK(manifest.file("pg_data/global/pg_control") != nullptr);
}

// The PGDATA that the real pgBackRest walked for offline.manifest, rebuilt from its listing (same
// names, sizes, mtimes, modes, links; sparse contents), must give the same manifest lists.
TEST_CASE("Manifest::build matches pgBackRest 2.45 on the same PGDATA", "[unit][info][manifest]") {
    const fs::path fixtures = pgark::test::info::fixtureDir() / "manifest";
    std::string oldRoot = pgark::test::info::readBinary(fixtures / "offline-root.txt");
    while (!oldRoot.empty() && oldRoot.back() == '\n') oldRoot.pop_back();
    const std::string listing = pgark::test::info::readBinary(fixtures / "offline-pgdata.txt");
    const std::string manifestText = pgark::test::info::readBinary(fixtures / "offline.manifest");

    TempDir dir;
    const std::string newRoot = dir.path.string();
    const auto remap = [&](std::string text) {
        if (text.starts_with(oldRoot)) text = newRoot + text.substr(oldRoot.size());
        return text;
    };

    struct DirMode {
        fs::path path;
        mode_t mode;
    };
    std::vector<DirMode> dirModes;
    std::istringstream lines(listing);
    std::string line;
    while (std::getline(lines, line)) {
        std::vector<std::string> fields;
        std::size_t start = 0;
        for (std::size_t tab; (tab = line.find('\t', start)) != std::string::npos; start = tab + 1)
            fields.push_back(line.substr(start, tab - start));
        fields.push_back(line.substr(start));
        REQUIRE(fields.size() == 6);
        const char type = fields[0][0];
        const auto mode = static_cast<mode_t>(std::stoul(fields[1], nullptr, 8));
        const fs::path path = dir.path / fields[4];
        if (type == 'd') {
            fs::create_directories(path);
            dirModes.push_back({path, mode});
        } else if (type == 'f') {
            const int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
            REQUIRE(fd >= 0);
            REQUIRE(::ftruncate(fd, static_cast<off_t>(std::stoull(fields[2]))) == 0);
            ::close(fd);
            REQUIRE(::chmod(path.c_str(), mode) == 0);
            const time_t mtime = static_cast<time_t>(std::stoll(fields[3]));
            const struct timespec times[2] = {{mtime, 0}, {mtime, 0}};
            REQUIRE(::utimensat(AT_FDCWD, path.c_str(), times, 0) == 0);
        } else if (type == 'l') {
            REQUIRE(::symlink(remap(fields[5]).c_str(), path.c_str()) == 0);
        } else if (type == 'p') {
            REQUIRE(::mkfifo(path.c_str(), mode) == 0);
        }
    }
    // Directory modes last: a 0500 directory would refuse the files created in it.
    for (auto it = dirModes.rbegin(); it != dirModes.rend(); ++it) REQUIRE(::chmod(it->path.c_str(), it->mode) == 0);

    const Manifest expected = Manifest::fromIni(parseInfo(manifestText, "offline.manifest"), "offline.manifest");
    ManifestBuildOptions options;
    options.pgVersion = 150000;
    options.catalogVersion = expected.data().pg.catalogVersion;
    options.pgDataPath = newRoot + "/pg";
    options.online = false;
    options.checksumPage = true;
    options.excludes = {"excl_dir/", "excl_file"};
    LogCapture log;
    auto storage = storage::makePosixStorage(options.pgDataPath, {});
    const Manifest built = Manifest::build(*storage, options);

    // Owners are left out: the rebuilt tree belongs to whoever runs the test.
    std::vector<std::string> builtFiles, expectedFiles;
    for (const ManifestFile& file : built.files())
        builtFiles.push_back(fmt::format("{} size={} time={} mode={:o} page={}", file.name, file.size, file.timestamp,
                                         file.mode, file.checksumPage.has_value()));
    for (const ManifestFile& file : expected.files())
        expectedFiles.push_back(fmt::format("{} size={} time={} mode={:o} page={}", file.name, file.size, file.timestamp,
                                            file.mode, file.checksumPage.has_value()));
    CHECK(builtFiles == expectedFiles);

    std::vector<std::string> builtPaths, expectedPaths;
    for (const ManifestPath& path : built.paths()) builtPaths.push_back(fmt::format("{} {:o}", path.name, path.mode));
    for (const ManifestPath& path : expected.paths()) expectedPaths.push_back(fmt::format("{} {:o}", path.name, path.mode));
    CHECK(builtPaths == expectedPaths);

    std::vector<std::string> builtLinks, expectedLinks;
    for (const ManifestLink& link : built.links()) builtLinks.push_back(link.name + " " + link.destination);
    for (const ManifestLink& link : expected.links()) expectedLinks.push_back(link.name + " " + remap(link.destination));
    CHECK(builtLinks == expectedLinks);

    REQUIRE(built.targets().size() == expected.targets().size());
    for (std::size_t i = 0; i < built.targets().size(); ++i) {
        ManifestTarget want = expected.targets()[i];
        want.path = remap(want.path);
        CHECK(built.targets()[i] == want);
    }
    CHECK(built.data().pg.controlVersion == expected.data().pg.controlVersion);
    CHECK(built.data().pg.version == expected.data().pg.version);
}

// One real cluster, made by initdb and never started, when PostgreSQL 15 is installed.
TEST_CASE("Manifest::build over a cluster made by initdb", "[unit][info][manifest][pg]") {
    const std::string bin = "/usr/lib/postgresql/15/bin";
    if (!fs::exists(bin + "/initdb")) {
        WARN("skipped: no PostgreSQL 15 at " + bin);
        return;
    }
    TempDir dir;
    const bool root = ::geteuid() == 0;
    std::string command = bin + "/initdb -k -N -D " + (dir.path / "pg").string() + " -A trust -U postgres >/dev/null 2>&1";
    if (root) {
        // initdb refuses root: run it as postgres in a directory postgres can enter.
        const passwd* postgres = ::getpwnam("postgres");
        if (postgres == nullptr) {
            WARN("skipped: running as root without a postgres user");
            return;
        }
        REQUIRE(::chown(dir.path.c_str(), postgres->pw_uid, postgres->pw_gid) == 0);
        REQUIRE(::chmod(dir.path.c_str(), 0755) == 0);
        command = "runuser -u postgres -- " + command;
    }
    REQUIRE(std::system(command.c_str()) == 0);
    const fs::path pg = dir.path / "pg";
    makeFile(pg / "postmaster.pid", "12345\n");  // as if it were running

    ManifestBuildOptions options;
    options.pgVersion = 150000;
    options.catalogVersion = kCatalog15;
    options.pgDataPath = pg.string();
    options.online = true;
    options.checksumPage = true;
    options.tablespaces = std::map<unsigned, std::string>{};
    auto storage = storage::makePosixStorage(pg.string(), {});
    const Manifest manifest = Manifest::build(*storage, options);

    CHECK(manifest.file("pg_data/global/pg_control") != nullptr);
    CHECK_FALSE(manifest.file("pg_data/global/pg_control")->checksumPage);
    CHECK(manifest.file("pg_data/postmaster.pid") == nullptr);
    CHECK(manifest.file("pg_data/PG_VERSION") != nullptr);
    CHECK(manifest.file("pg_data/base/1/1259")->checksumPage == true);
    CHECK_FALSE(manifest.file("pg_data/base/1/pg_filenode.map")->checksumPage);
    CHECK_FALSE(manifest.file("pg_data/base/1/PG_VERSION")->checksumPage);
    CHECK(manifest.path("pg_data/pg_wal/archive_status") != nullptr);
    for (const ManifestFile& file : manifest.files()) CHECK_FALSE(file.name.starts_with("pg_data/pg_wal/"));
    CHECK(manifest.path("pg_data")->mode == 0700);
    if (root) CHECK(manifest.path("pg_data")->user == "postgres");
    CHECK(manifest.files().size() > 900);
    // The rendering is a valid manifest once labelled.
    Manifest labelled = manifest;
    labelled.setLabel("20261121-120512F");
    CHECK(fileNames(Manifest::fromIni(parseInfo(renderManifest(labelled), "m"), "m")) == fileNames(labelled));
}

TEST_CASE("Manifest::build walks any storage; links need a way to open their destinations", "[unit][info][manifest]") {
    test::MemStorage pgData;
    storage::writeText(pgData, "PG_VERSION", "15\n", {});
    storage::writeText(pgData, "global/pg_control", std::string(8192, '\0'), {});
    storage::writeText(pgData, "base/1/1259", std::string(8192, 'a'), {});
    storage::writeText(pgData, "pg_wal/000000010000000000000001", "wal", {});
    ManifestBuildOptions options;
    options.pgVersion = 150000;
    options.catalogVersion = kCatalog15;
    options.pgDataPath = "/pg";
    options.checksumPage = true;

    const Manifest manifest = Manifest::build(pgData, options);
    CHECK(fileNames(manifest) ==
          std::vector<std::string>{"pg_data/PG_VERSION", "pg_data/base/1/1259", "pg_data/global/pg_control"});
    CHECK(manifest.file("pg_data/base/1/1259")->checksumPage == true);
    CHECK(pathNames(manifest) ==
          std::vector<std::string>{"pg_data", "pg_data/base", "pg_data/base/1", "pg_data/global", "pg_data/pg_wal"});
    CHECK(manifest.targetBase().path == "/pg");

    pgData.linkCreate("/elsewhere", "pg_wal2", false);
    const Error error = errorOf([&] { (void)Manifest::build(pgData, options); });
    CHECK(error.code() == ErrorCode::Assert);
    CHECK(error.message() == "following links in 'mem' storage needs ManifestBuildOptions::openPath");
}
