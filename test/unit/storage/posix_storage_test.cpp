// PosixStorage: the conformance suite on a real directory, plus what only a disk can show:
// modes as the kernel sees them, the temp file of an atomic write, a process killed before
// commit, a full file system and a permission error.
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "common/error.h"
#include "common/io/stream.h"
#include "conformance/storage_suite.h"
#include "storage/posix/posix_storage.h"
#include "unit/thrown.h"

using pgark::Error;
using pgark::ErrorCode;
using pgark::test::ScratchDir;
using namespace pgark::storage;
namespace io = pgark::io;

namespace {

mode_t modeOf(const std::string& path) {
    struct stat st;
    REQUIRE(::lstat(path.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

bool exists(const std::string& path) {
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0;
}

std::set<std::string> namesIn(const std::string& dir) {
    std::set<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) names.insert(entry.path().filename().string());
    return names;
}

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

using pgark::test::thrown;

// Runs `child` in a forked process and returns its exit status (or 128 + signal). The child must
// not touch Catch2: it reports through its exit code only.
template <class F>
int inChild(F&& child) {
    const pid_t pid = ::fork();
    REQUIRE(pid != -1);
    if (pid == 0) {
        int code = 99;
        try {
            code = child();
        } catch (...) {
            code = 98;
        }
        ::_exit(code);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

// Sets the process umask for one scope (tests in this binary run on one thread).
class UmaskScope {
public:
    explicit UmaskScope(mode_t mask) : previous_(::umask(mask)) {}
    ~UmaskScope() { ::umask(previous_); }

private:
    mode_t previous_;
};

}  // namespace

TEST_CASE("PosixStorage passes the storage conformance suite", "[unit][storage][posix]") {
    ScratchDir scratch;
    unsigned roots = 0;
    pgark::test::runStorageConformance(
        [&] {
            const std::string root = scratch.sub(std::to_string(++roots));
            std::filesystem::create_directory(root);
            return makePosixStorage(root, {});
        },
        {});
}

TEST_CASE("PosixStorage maps paths below its root", "[unit][storage][posix]") {
    SECTION("describe joins root and path") {
        CHECK(makePosixStorage("/var/lib/repo", {})->describe("archive/x") == "/var/lib/repo/archive/x");
        CHECK(makePosixStorage("/var/lib/repo///", {})->describe("/archive//x/") == "/var/lib/repo/archive/x");
        CHECK(makePosixStorage("/var/lib/repo", {})->describe("") == "/var/lib/repo");
        CHECK(makePosixStorage("/", {})->describe("etc") == "/etc");
        CHECK(makePosixStorage("/", {})->describe("/") == "/");
    }
    SECTION("an empty root or buffer size is a bug") {
        CHECK(thrown([] { (void)makePosixStorage("", {}); }).code() == ErrorCode::Assert);
        CHECK(thrown([] { (void)makePosixStorage("/tmp", {.bufferSize = 0}); }).code() == ErrorCode::Assert);
    }
    SECTION("a path escaping the root is refused before any file system call") {
        ScratchDir scratch;
        auto storage = makePosixStorage(scratch.sub("root"), {});
        const Error error = thrown([&] { writeText(*storage, "../outside", "x", {}); });
        CHECK(error.code() == ErrorCode::Assert);
        CHECK(error.message() == "path '../outside' is outside the storage root");
        CHECK_FALSE(exists(scratch.sub("outside")));
        CHECK_FALSE(exists(scratch.sub("root")));
    }
}

TEST_CASE("PosixStorage writes atomically through <name>.pgbackrest.tmp", "[unit][storage][posix]") {
    ScratchDir scratch;
    auto storage = makePosixStorage(scratch.path(), {});

    SECTION("the temp file holds the data until commit renames it") {
        auto stream = storage->openWrite("archive/seg", {});
        stream->write(io::asBytes("wal bytes"));
        CHECK(namesIn(scratch.sub("archive")) == std::set<std::string>{"seg.pgbackrest.tmp"});
        stream->commit();
        CHECK(namesIn(scratch.sub("archive")) == std::set<std::string>{"seg"});
        CHECK(slurp(scratch.sub("archive/seg")) == "wal bytes");
    }
    SECTION("a direct write uses the final name") {
        auto stream = storage->openWrite("data", {.atomic = false});
        stream->write(io::asBytes("bytes"));
        stream->commit();
        CHECK(namesIn(scratch.path()) == std::set<std::string>{"data"});
    }
    SECTION("a temp file left by a crash is replaced, mode included") {
        {
            std::ofstream stale(scratch.sub("info.pgbackrest.tmp"));
            stale << "stale contents that are longer";
        }
        ::chmod(scratch.sub("info.pgbackrest.tmp").c_str(), 0666);
        writeText(*storage, "info", "fresh", {});
        CHECK(namesIn(scratch.path()) == std::set<std::string>{"info"});
        CHECK(slurp(scratch.sub("info")) == "fresh");
        CHECK(modeOf(scratch.sub("info")) == 0640);
    }
    SECTION("a failed commit leaves no temp file and the existing name untouched") {
        std::filesystem::create_directories(scratch.sub("taken/inside"));
        auto stream = storage->openWrite("taken", {});
        stream->write(io::asBytes("x"));
        const Error error = thrown([&] { stream->commit(); });
        CHECK(error.code() == ErrorCode::FileMove);
        CHECK_THAT(error.message(), Catch::StartsWith("unable to move '" + scratch.sub("taken.pgbackrest.tmp") + "' to '" +
                                                      scratch.sub("taken") + "': ["));
        stream->abort();  // safe after a failed commit
        CHECK(namesIn(scratch.path()) == std::set<std::string>{"taken"});
        CHECK(exists(scratch.sub("taken/inside")));
    }
    SECTION("writing after commit is a bug") {
        auto stream = storage->openWrite("file", {});
        stream->commit();
        CHECK(thrown([&] { stream->write(io::asBytes("x")); }).code() == ErrorCode::Assert);
        CHECK(thrown([&] { stream->commit(); }).code() == ErrorCode::Assert);
    }
}

TEST_CASE("PosixStorage direct writes land byte for byte whatever the alignment", "[unit][storage][posix]") {
    ScratchDir scratch;
    auto storage = makePosixStorage(scratch.path(), {.bufferSize = 16384});
    std::string expected;
    io::Buffer aligned(3 * 4096, 4096);
    for (std::size_t i = 0; i < aligned.capacity(); i++) {
        aligned.tail()[0] = static_cast<std::byte>(i * 7);
        aligned.grow(1);
    }
    const std::string odd(5000, 'o');
    const std::uint64_t hint = GENERATE(0, 1 << 20);
    INFO("size hint " << hint);

    auto stream = storage->openWrite("direct", {.sizeHint = hint == 0 ? std::nullopt : std::optional(hint), .direct = true});
    // Whole pages of aligned memory, then odd pieces (staged), then pages again behind them, a
    // piece larger than the staging buffer, and an odd tail that is padded and cut off at commit.
    for (const std::string& piece : {std::string(io::asText(aligned.view())), odd, std::string(3, 't'),
                                    std::string(io::asText(aligned.view())), std::string(40000, 'b'), std::string(17, 'e')}) {
        const bool isAligned = piece.size() == aligned.size() && piece == io::asText(aligned.view());
        stream->write(isAligned ? aligned.view() : io::asBytes(piece));
        expected += piece;
    }
    stream->commit();
    CHECK(slurp(scratch.sub("direct")) == expected);
    struct stat st;
    REQUIRE(::stat(scratch.sub("direct").c_str(), &st) == 0);
    CHECK(static_cast<std::size_t>(st.st_size) == expected.size());

    SECTION("an aborted direct write leaves nothing") {
        auto again = storage->openWrite("gone", {.direct = true});
        again->write(aligned.view());
        again->abort();
        CHECK_FALSE(exists(scratch.sub("gone")));
        CHECK_FALSE(exists(scratch.sub("gone.pgbackrest.tmp")));
    }
}

TEST_CASE("PosixStorage direct reads return the bytes up to the limit", "[unit][storage][posix]") {
    ScratchDir scratch;
    auto storage = makePosixStorage(scratch.path(), {.bufferSize = 16384});
    std::string data(70000, '\0');
    for (std::size_t i = 0; i < data.size(); i++) data[i] = static_cast<char>(i * 31 + i / 4096);
    {
        // Written around the page cache, so the read below finds it uncached and reads it direct.
        auto stream = storage->openWrite("file", {.direct = true});
        stream->write(io::asBytes(data));
        stream->commit();
    }
    const std::uint64_t limit = GENERATE(std::uint64_t{70000}, std::uint64_t{12345}, std::uint64_t{8192});
    const std::size_t chunk = GENERATE(std::size_t{8192}, std::size_t{1000});
    INFO("limit " << limit << " chunk " << chunk);
    auto stream = storage->openRead("file", {.limit = limit, .direct = true});
    io::Buffer buffer(chunk, 4096);
    std::string read;
    for (std::size_t n; (n = stream->read(buffer.tail())) != 0;) read.append(io::asText({buffer.data(), n}));
    CHECK(read == data.substr(0, limit));
}

TEST_CASE("PosixStorage sets file and path modes", "[unit][storage][posix]") {
    ScratchDir scratch;
    SECTION("0640 files and 0750 paths whatever the umask") {
        UmaskScope umask(077);
        auto storage = makePosixStorage(scratch.path(), {});
        writeText(*storage, "a/b/file", "x", {});
        CHECK(modeOf(scratch.sub("a")) == 0750);
        CHECK(modeOf(scratch.sub("a/b")) == 0750);
        CHECK(modeOf(scratch.sub("a/b/file")) == 0640);
        storage->pathCreate("c", 0700);
        CHECK(modeOf(scratch.sub("c")) == 0700);
        writeText(*storage, "c/direct", "x", {.atomic = false, .mode = 0604});
        CHECK(modeOf(scratch.sub("c/direct")) == 0604);
    }
    SECTION("driver defaults come from PosixOptions") {
        auto storage = makePosixStorage(scratch.path(), {.fileMode = 0600, .pathMode = 0700});
        writeText(*storage, "a/file", "x", {});
        CHECK(modeOf(scratch.sub("a")) == 0700);
        CHECK(modeOf(scratch.sub("a/file")) == 0600);
    }
    SECTION("neutralUmask off lets the umask apply") {
        UmaskScope umask(077);
        auto storage = makePosixStorage(scratch.path(), {.neutralUmask = false});
        writeText(*storage, "a/file", "x", {});
        CHECK(modeOf(scratch.sub("a")) == 0700);
        CHECK(modeOf(scratch.sub("a/file")) == 0600);
    }
    SECTION("an existing root keeps its mode") {
        ::chmod(scratch.path().c_str(), 0755);
        auto storage = makePosixStorage(scratch.path(), {});
        storage->pathCreate("", std::nullopt);
        writeText(*storage, "file", "x", {});
        CHECK(modeOf(scratch.path()) == 0755);
    }
}

TEST_CASE("PosixStorage info reports what lstat and readlink see", "[unit][storage][posix]") {
    ScratchDir scratch;
    auto storage = makePosixStorage(scratch.path(), {});
    writeText(*storage, "file", "12345", {.mode = 0600, .mtime = 1'600'000'000});

    SECTION("Detail has owner ids and names from the system") {
        const auto info = storage->info("file", InfoLevel::Detail);
        REQUIRE(info);
        struct stat st;
        REQUIRE(::stat(scratch.sub("file").c_str(), &st) == 0);
        CHECK(info->mode == 0600);
        CHECK(info->userId == st.st_uid);
        CHECK(info->groupId == st.st_gid);
        CHECK(info->mtime == 1'600'000'000);
        const passwd* user = ::getpwuid(st.st_uid);
        CHECK(info->user == (user != nullptr ? user->pw_name : ""));
        CHECK_FALSE(info->group.empty());
    }
    SECTION("a link's destination is read verbatim") {
        storage->linkCreate("../somewhere/else", "link", false);
        const auto info = storage->info("link", InfoLevel::Detail);
        REQUIRE(info);
        CHECK(info->type == FileType::Link);
        CHECK(info->linkDestination == "../somewhere/else");
        char buffer[64] = {};
        CHECK(std::string(buffer, static_cast<std::size_t>(::readlink(scratch.sub("link").c_str(), buffer, sizeof buffer))) ==
              "../somewhere/else");
    }
    SECTION("a fifo is Special") {
        REQUIRE(::mkfifo(scratch.sub("fifo").c_str(), 0600) == 0);
        CHECK(storage->info("fifo", InfoLevel::Basic)->type == FileType::Special);
        std::map<std::string, FileType> types;
        for (const InfoLevel level : {InfoLevel::Exists, InfoLevel::Basic}) {
            storage->list("", {.level = level}, [&](const FileInfo& entry) { types[entry.name] = entry.type; });
            CHECK(types == std::map<std::string, FileType>{{"fifo", FileType::Special}, {"file", FileType::File}});
        }
    }
    SECTION("a hard link is another name for the same inode") {
        storage->linkCreate("file", "hard", true);
        struct stat a;
        struct stat b;
        REQUIRE(::stat(scratch.sub("file").c_str(), &a) == 0);
        REQUIRE(::stat(scratch.sub("hard").c_str(), &b) == 0);
        CHECK(a.st_ino == b.st_ino);
        CHECK(a.st_nlink == 2);
    }
}

TEST_CASE("PosixStorage reads and writes through small buffers", "[unit][storage][posix]") {
    ScratchDir scratch;
    std::string content;
    for (int i = 0; i < 5000; ++i) content += static_cast<char>('a' + (i * 7 + i / 13) % 26);
    // A 7-byte buffer makes every size class meet: smaller than, equal to and larger than it.
    auto storage = makePosixStorage(scratch.path(), {.bufferSize = 7});
    {
        auto stream = storage->openWrite("file", {});
        std::size_t at = 0;
        for (std::size_t size = 1; at < content.size(); size = size % 17 + 1) {
            const std::size_t n = std::min(size, content.size() - at);
            stream->write(io::asBytes(std::string_view(content).substr(at, n)));
            at += n;
        }
        stream->commit();
    }
    CHECK(slurp(scratch.sub("file")) == content);

    auto stream = storage->openRead("file", {.offset = 3, .limit = 4000});
    std::string read;
    std::vector<std::byte> chunk(17);
    for (std::size_t size = 1;; size = size % 17 + 1) {
        const std::size_t n = stream->read({chunk.data(), size});
        if (n == 0) break;
        CHECK(n <= size);
        read.append(reinterpret_cast<const char*>(chunk.data()), n);
    }
    CHECK(read == content.substr(3, 4000));
}

TEST_CASE("PosixStorage reports system errors with their codes", "[unit][storage][posix]") {
    ScratchDir scratch;
    auto storage = makePosixStorage(scratch.path(), {});

    SECTION("a missing file names the path") {
        const Error error = thrown([&] { (void)storage->openRead("missing", {}); });
        CHECK(error.code() == ErrorCode::FileMissing);
        CHECK(error.message() == "unable to open missing file '" + scratch.sub("missing") + "' for read");
    }
    SECTION("permission denied on open is FileOpen with a hint") {
        writeText(*storage, "secret", "x", {.mode = 0600});
        ::chmod(scratch.path().c_str(), 0755);
        const std::string root = scratch.path();
        const auto attempt = [root]() -> int {
            try {
                (void)makePosixStorage(root, {})->openRead("secret", {});
            } catch (const Error& error) {
                const bool named = error.message() == "unable to open file '" + root + "/secret' for read: [13] Permission denied";
                return error.code() == ErrorCode::FileOpen && named && !error.hint().empty() ? 0 : 1;
            }
            return 2;
        };
        if (::geteuid() == 0) {
            // Root reads anything: drop to nobody in a child to meet EACCES.
            const passwd* nobody = ::getpwnam("nobody");
            REQUIRE(nobody != nullptr);
            const uid_t uid = nobody->pw_uid;
            const gid_t gid = nobody->pw_gid;
            CHECK(inChild([&] { return ::setgid(gid) == 0 && ::setuid(uid) == 0 ? attempt() : 3; }) == 0);
        } else {
            ::chmod(scratch.sub("secret").c_str(), 0);
            CHECK(attempt() == 0);
        }
    }
    SECTION("a file in the way of a path is PathCreate") {
        writeText(*storage, "file", "x", {});
        const Error error = thrown([&] { writeText(*storage, "file/sub/x", "x", {}); });
        CHECK(error.code() == ErrorCode::FileOpen);  // open(2) says ENOTDIR before any mkdir
        CHECK(thrown([&] { storage->pathCreate("file", std::nullopt); }).message() ==
              "unable to create path '" + scratch.sub("file") + "': [17] File exists");
    }
    SECTION("pathSync of a file is PathOpen") {
        writeText(*storage, "file", "x", {});
        CHECK(thrown([&] { storage->pathSync("file"); }).code() == ErrorCode::PathOpen);
    }
    SECTION("removing a non-empty path without recurse is PathRemove naming it") {
        writeText(*storage, "dir/file", "x", {});
        CHECK(thrown([&] { storage->removePath("dir", {}); }).message() ==
              "unable to remove path '" + scratch.sub("dir") + "': [39] Directory not empty");
        CHECK(thrown([&] { storage->removePath("dir/file", {.recurse = true}); }).code() == ErrorCode::PathRemove);
    }
}

TEST_CASE("PosixStorage survives a process killed between write and commit", "[unit][storage][posix]") {
    ScratchDir scratch;
    const std::string root = scratch.path();
    const std::string data(3 * 1024 * 1024 + 17, 'w');  // more than one buffer: some of it reaches the file

    const auto crashAfterWrite = [&](bool kill) {
        return inChild([&] {
            auto storage = makePosixStorage(root, {});
            auto stream = storage->openWrite("archive/000000010000000000000001", {});
            stream->write(io::asBytes(data));
            if (kill) ::kill(::getpid(), SIGKILL);
            ::_exit(0);  // no destructor runs: the stream is neither committed nor aborted
            return 1;
        });
    };
    SECTION("SIGKILL") { CHECK(crashAfterWrite(true) == 128 + SIGKILL); }
    SECTION("_exit") { CHECK(crashAfterWrite(false) == 0); }

    auto storage = makePosixStorage(root, {});
    CHECK_FALSE(storage->info("archive/000000010000000000000001", InfoLevel::Exists));
    CHECK(namesIn(scratch.sub("archive")) == std::set<std::string>{"000000010000000000000001.pgbackrest.tmp"});
    CHECK(std::filesystem::file_size(scratch.sub("archive/000000010000000000000001.pgbackrest.tmp")) > 0);

    writeText(*storage, "archive/000000010000000000000001", "complete", {});
    CHECK(readText(*storage, "archive/000000010000000000000001") == "complete");
    CHECK(namesIn(scratch.sub("archive")) == std::set<std::string>{"000000010000000000000001"});
}

TEST_CASE("PosixStorage reports a full file system as DiskFull", "[unit][storage][posix]") {
    ScratchDir scratch;
    const std::string mountPoint = scratch.sub("small");
    std::filesystem::create_directory(mountPoint);
    if (::mount("tmpfs", mountPoint.c_str(), "tmpfs", 0, "size=1m") != 0) {
        WARN("SKIPPED: cannot mount a 1 MiB tmpfs at '" << mountPoint << "' (" << std::strerror(errno)
                                                          << "): the full-disk test needs root and CAP_SYS_ADMIN");
        return;
    }
    struct Unmount {
        std::string path;
        ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
    } unmount{mountPoint};

    auto storage = makePosixStorage(mountPoint, {});
    const std::string big(2 * 1024 * 1024, 'x');
    for (const bool atomic : {true, false}) {
        INFO("atomic " << atomic);
        {
            auto stream = storage->openWrite("dir/too-big", {.atomic = atomic});
            const Error error = thrown([&] {
                stream->write(io::asBytes(big));
                stream->commit();
            });
            CHECK(error.code() == ErrorCode::DiskFull);
            CHECK_THAT(error.message(), Catch::Contains("[28] No space left on device"));
            CHECK_FALSE(error.hint().empty());
        }
        CHECK_FALSE(storage->info("dir/too-big", InfoLevel::Exists));
        CHECK(namesIn(mountPoint + "/dir").empty());
    }
    {
        auto stream = storage->openWrite("dir/after-failure", {.syncPath = false});
        CHECK(thrown([&] { stream->write(io::asBytes(big)); }).code() == ErrorCode::DiskFull);
        // What reached the disk is incomplete: commit must not make it visible.
        const Error error = thrown([&] { stream->commit(); });
        CHECK(error.code() == ErrorCode::FileWrite);
        CHECK(error.message() == "unable to commit file '" + mountPoint + "/dir/after-failure' after a failed write");
    }
    CHECK(namesIn(mountPoint + "/dir").empty());
    // The space came back with the temp file: a small write fits.
    writeText(*storage, "dir/small", "fits", {});
    CHECK(readText(*storage, "dir/small") == "fits");
}

TEST_CASE("PosixStorage sizeHint reserves blocks but the file is exactly what was written", "[unit][storage][posix]") {
    ScratchDir scratch;
    auto storage = makePosixStorage(scratch.path(), {});
    const std::string data(300 * 1024, 'w');
    // Larger than the data (its extra blocks are given back), exact, smaller (the file grows past it).
    for (const std::uint64_t hint : {std::uint64_t{4} << 20, std::uint64_t{300} * 1024, std::uint64_t{4096}}) {
        INFO("hint " << hint);
        auto stream = storage->openWrite("seg", {.sizeHint = hint});
        stream->write(io::asBytes(data));
        stream->commit();
        CHECK(slurp(scratch.sub("seg")) == data);
        struct stat st;
        REQUIRE(::stat(scratch.sub("seg").c_str(), &st) == 0);
        CHECK(static_cast<std::size_t>(st.st_size) == data.size());
        // No reserved blocks left beyond the end (st_blocks counts 512-byte units).
        CHECK(static_cast<std::uint64_t>(st.st_blocks) * 512 < data.size() + 64 * 1024);
    }
    SECTION("an aborted write leaves nothing") {
        auto stream = storage->openWrite("gone", {.sizeHint = std::uint64_t{1} << 20});
        stream->write(io::asBytes(data));
        stream->abort();
        CHECK_FALSE(exists(scratch.sub("gone")));
    }
}
