// Tests for common/lock: acquiring and releasing lock files, conflicts with another process
// (a forked child), waiting with a timeout, exec-id sharing, lock-file content, stop files.
#include "common/lock.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <optional>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

#include "common/error.h"
#include "fake/fake_clock.h"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using pgark::Error;
using pgark::ErrorCode;
using pgark::lock::Lock;
using pgark::lock::LockOptions;
using pgark::lock::LockType;

struct TempDir {
    fs::path path;
    TempDir() {
        std::string templ = (fs::temp_directory_path() / "pgark-lock-XXXXXX").string();
        REQUIRE(::mkdtemp(templ.data()) != nullptr);
        path = templ;
    }
    ~TempDir() {
        std::error_code ignored;
        fs::remove_all(path, ignored);
    }
};

std::string readFile(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

// A forked child that takes a lock and keeps it until told to let go (or until this object
// dies). The child never returns into Catch: it leaves with _exit.
class ChildHolder {
public:
    ChildHolder(const std::string& lockPath, const std::string& stanza, LockType type, LockOptions options = {}) {
        int ready[2];
        int go[2];
        REQUIRE(::pipe(ready) == 0);
        REQUIRE(::pipe(go) == 0);
        pid_ = ::fork();
        REQUIRE(pid_ >= 0);
        if (pid_ == 0) {
            ::close(ready[0]);
            ::close(go[1]);
            char byte = 'n';
            int code = 0;
            try {
                Lock lock = Lock::acquire(lockPath, stanza, type, options);
                byte = 'y';
                (void)!::write(ready[1], &byte, 1);
                (void)!::read(go[0], &byte, 1);  // returns on a byte or when the parent closes the pipe
                lock.release();
            } catch (...) {
                (void)!::write(ready[1], &byte, 1);
                code = 1;
            }
            ::_exit(code);
        }
        ::close(ready[1]);
        ::close(go[0]);
        go_ = go[1];
        char byte = 0;
        REQUIRE(::read(ready[0], &byte, 1) == 1);
        ::close(ready[0]);
        REQUIRE(byte == 'y');
    }
    ~ChildHolder() { finish(); }

    pid_t pid() const { return pid_; }

    // Tells the child to release and waits for it; returns its exit status.
    int finish() {
        if (pid_ <= 0) return -1;
        ::close(go_);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = 0;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }

private:
    pid_t pid_ = 0;
    int go_ = -1;
};

// Runs `body` in a forked child and returns what it wrote to the pipe it was given.
template <class Body>
std::string inChild(Body body) {
    int out[2];
    REQUIRE(::pipe(out) == 0);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::close(out[0]);
        std::string text;
        try {
            text = body();
        } catch (const std::exception& e) {
            text = std::string("exception: ") + e.what();
        }
        (void)!::write(out[1], text.data(), text.size());
        ::_exit(0);
    }
    ::close(out[1]);
    std::string text;
    char buffer[512];
    for (ssize_t n; (n = ::read(out[0], buffer, sizeof(buffer))) > 0;) text.append(buffer, static_cast<std::size_t>(n));
    ::close(out[0]);
    ::waitpid(pid, nullptr, 0);
    return text;
}

}  // namespace

TEST_CASE("Lock::acquire creates, fills and releases the lock files", "[unit][lock]") {
    TempDir dir;
    const std::string lockPath = (dir.path / "lock" / "nested").string();
    const std::string backupFile = lockPath + "/main-backup.lock";
    const std::string archiveFile = lockPath + "/main-archive.lock";

    SECTION("backup lock: path 0750, file 0640 with pgBackRest's JSON, removed on destruction") {
        const mode_t oldMask = ::umask(022);
        {
            Lock lock = Lock::acquire(lockPath, "main", LockType::Backup, {});
            ::umask(oldMask);
            CHECK(lock.held());
            CHECK(fs::exists(backupFile));
            CHECK_FALSE(fs::exists(archiveFile));
            struct stat info{};
            REQUIRE(::stat(lockPath.c_str(), &info) == 0);
            CHECK((info.st_mode & 07777) == 0750);
            REQUIRE(::stat(backupFile.c_str(), &info) == 0);
            CHECK((info.st_mode & 07777) == 0640);
            const std::string pid = std::to_string(::getpid());
            CHECK(std::regex_match(readFile(backupFile),
                                   std::regex(R"(\{"execId":")" + pid + R"(-[0-9a-f]{8}","pid":)" + pid + R"(\})")));
            CHECK(lock.execId() == pgark::lock::processExecId());
        }
        CHECK_FALSE(fs::exists(backupFile));
    }

    SECTION("all: archive and backup; release() is explicit and idempotent") {
        Lock lock = Lock::acquire(lockPath, "main", LockType::All, {});
        CHECK(fs::exists(archiveFile));
        CHECK(fs::exists(backupFile));
        lock.release();
        CHECK_FALSE(lock.held());
        CHECK_FALSE(fs::exists(archiveFile));
        CHECK_FALSE(fs::exists(backupFile));
        lock.release();
    }

    SECTION("a moved lock is released once, by its new owner") {
        std::optional<Lock> outer;
        {
            Lock inner = Lock::acquire(lockPath, "main", LockType::Archive, {});
            outer.emplace(std::move(inner));
        }
        CHECK(fs::exists(archiveFile));
        outer.reset();
        CHECK_FALSE(fs::exists(archiveFile));
    }

    SECTION("a file left by a dead process is taken over and rewritten") {
        fs::create_directories(lockPath);
        std::ofstream(backupFile) << R"({"execId":"1-deadbeef","pid":1})";
        Lock lock = Lock::acquire(lockPath, "main", LockType::Backup, {});
        CHECK(readFile(backupFile).find(R"("pid":)" + std::to_string(::getpid())) != std::string::npos);
    }

    SECTION("acquiring what this process already holds is a bug") {
        Lock lock = Lock::acquire(lockPath, "main", LockType::Backup, {});
        try {
            Lock second = Lock::acquire(lockPath, "main", LockType::All, {});
            FAIL("second acquire succeeded");
        } catch (const Error& e) {
            CHECK(e.code() == ErrorCode::Assert);
            CHECK(e.message() == "lock on file '" + backupFile + "' is already held by this process");
        }
        // The archive lock taken before the failure was given back.
        CHECK_FALSE(fs::exists(archiveFile));
        CHECK(fs::exists(backupFile));
    }

    SECTION("another stanza is another lock") {
        Lock main = Lock::acquire(lockPath, "main", LockType::Backup, {});
        Lock other = Lock::acquire(lockPath, "other", LockType::Backup, {});
        CHECK(fs::exists(lockPath + "/other-backup.lock"));
    }
}

TEST_CASE("Lock::acquire fails while another process holds the lock", "[unit][lock]") {
    TempDir dir;
    const std::string lockPath = dir.path.string();
    const std::string backupFile = lockPath + "/main-backup.lock";

    SECTION("held by a child: the error names the file and the child's pid, with a hint") {
        ChildHolder child(lockPath, "main", LockType::Backup);
        try {
            Lock lock = Lock::acquire(lockPath, "main", LockType::All, {});
            FAIL("acquire succeeded");
        } catch (const Error& e) {
            CHECK(e.code() == ErrorCode::LockAcquire);
            CHECK(e.message() ==
                  "unable to acquire lock on file '" + backupFile + "': held by process " + std::to_string(child.pid()));
            CHECK(e.hint() == "is another pgark or pgBackRest process running? wait for it to end or stop it");
        }
        // The archive lock taken first was released, and the child's file is untouched.
        CHECK_FALSE(fs::exists(lockPath + "/main-archive.lock"));
        CHECK(fs::exists(backupFile));
        CHECK(child.finish() == 0);
        CHECK_FALSE(fs::exists(backupFile));
    }

    SECTION("held by the parent: a forked child fails, and cannot release the parent's lock") {
        Lock lock = Lock::acquire(lockPath, "main", LockType::Backup, {});
        const std::string result = inChild([&] {
            try {
                Lock mine = Lock::acquire(lockPath, "main", LockType::Backup, {});
                return std::string("acquired");
            } catch (const Error& e) {
                lock.release();  // the inherited copy: must not remove or unlock the parent's file
                return fmt::format("{} {}", e.exitCode(), e.message());
            }
        });
        CHECK(result == "50 unable to acquire lock on file '" + backupFile + "': held by process " +
                            std::to_string(::getpid()));
        CHECK(fs::exists(backupFile));
        CHECK(pgark::lock::readLock(lockPath, "main", LockType::Backup).held);
        CHECK(inChild([&] {
                  try {
                      Lock mine = Lock::acquire(lockPath, "main", LockType::Backup, {});
                      return "acquired";
                  } catch (const Error&) {
                      return "refused";
                  }
              }) == "refused");
    }

    SECTION("waiting: retries every 100 ms until the timeout, then fails") {
        ChildHolder child(lockPath, "main", LockType::Backup);
        pgark::test::FakeClock clock;
        LockOptions options;
        options.timeout = 1050ms;
        options.clock = &clock;
        CHECK_THROWS_AS(Lock::acquire(lockPath, "main", LockType::Backup, options), Error);
        CHECK(clock.sleepCount() == 11);  // ten full intervals, then the last 50 ms
        CHECK(clock.slept() == 1050ms);
    }

    SECTION("waiting: succeeds once the holder lets go") {
        ChildHolder child(lockPath, "main", LockType::Backup);
        const pid_t holder = child.pid();
        // A helper process ends the holder after 300 ms while this one waits on the lock.
        const pid_t killer = ::fork();
        REQUIRE(killer >= 0);
        if (killer == 0) {
            ::usleep(300'000);
            ::kill(holder, SIGKILL);  // a killed holder's flock goes away with its descriptors
            ::_exit(0);
        }
        LockOptions options;
        options.timeout = 5s;
        const auto start = std::chrono::steady_clock::now();
        Lock lock = Lock::acquire(lockPath, "main", LockType::Backup, options);
        const auto waited = std::chrono::steady_clock::now() - start;
        CHECK(lock.held());
        CHECK(waited >= 250ms);
        CHECK(waited < 4s);
        ::waitpid(killer, nullptr, 0);
        child.finish();
        CHECK(pgark::lock::readLock(lockPath, "main", LockType::Backup).pid == ::getpid());
    }

    SECTION("a holder with the same exec id counts as acquired and keeps its file") {
        LockOptions shared;
        shared.execId = "4242-0badcafe";
        ChildHolder child(lockPath, "main", LockType::Backup, shared);
        const std::string before = readFile(backupFile);
        {
            Lock lock = Lock::acquire(lockPath, "main", LockType::Backup, shared);
            CHECK(lock.held());
            lock.percentComplete(50);  // not ours to write
        }
        CHECK(readFile(backupFile) == before);
        CHECK(before.find(R"("execId":"4242-0badcafe")") != std::string::npos);
        CHECK(child.finish() == 0);
    }
}

TEST_CASE("Lock::percentComplete and readLock report progress", "[unit][lock]") {
    TempDir dir;
    const std::string lockPath = dir.path.string();
    const std::string backupFile = lockPath + "/main-backup.lock";

    SECTION("pctCplt is percent x 100, sorted between execId and pid") {
        Lock lock = Lock::acquire(lockPath, "main", LockType::Backup, {});
        lock.percentComplete(45.5);
        CHECK(readFile(backupFile) == fmt::format(R"({{"execId":"{}","pctCplt":4550,"pid":{}}})",
                                                  lock.execId(), ::getpid()));
        lock.percentComplete(150);
        CHECK(pgark::lock::readLock(lockPath, "main", LockType::Backup).pctCplt == 10000u);
        lock.percentComplete(-3);
        CHECK(pgark::lock::readLock(lockPath, "main", LockType::Backup).pctCplt == 0u);
    }

    SECTION("a reader never sees the content half written while progress is updated") {
        Lock lock = Lock::acquire(lockPath, "main", LockType::Backup, {});
        lock.percentComplete(0);
        std::atomic<bool> done{false};
        unsigned reads = 0, withoutProgress = 0, backwards = 0;
        std::thread reader([&] {
            unsigned last = 0;
            while (!done.load()) {
                const auto info = pgark::lock::readLock(lockPath, "main", LockType::Backup);
                ++reads;
                if (!info.pctCplt) ++withoutProgress;
                else if (*info.pctCplt < last) ++backwards;
                else last = *info.pctCplt;
            }
        });
        for (unsigned step = 1; step <= 10000; ++step) lock.percentComplete(step / 100.0);
        done = true;
        reader.join();
        INFO("reads: " << reads);
        CHECK(withoutProgress == 0);
        CHECK(backwards == 0);
        CHECK(pgark::lock::readLock(lockPath, "main", LockType::Backup).pctCplt == 10000u);
    }

    SECTION("readLock of a lock held by a child") {
        ChildHolder child(lockPath, "main", LockType::Backup);
        const auto info = pgark::lock::readLock(lockPath, "main", LockType::Backup);
        CHECK(info.held);
        CHECK(info.pid == child.pid());
        CHECK(info.execId.rfind(std::to_string(child.pid()) + "-", 0) == 0);
        CHECK_FALSE(info.pctCplt.has_value());
    }

    SECTION("readLock of a missing file and of a file nobody holds (older two-line form)") {
        CHECK_FALSE(pgark::lock::readLock(lockPath, "main", LockType::Backup).held);
        std::ofstream(backupFile) << "1234\n1234-abcdef01\n";
        const auto info = pgark::lock::readLock(lockPath, "main", LockType::Backup);
        CHECK_FALSE(info.held);
        CHECK(info.pid == 1234);
        CHECK(info.execId == "1234-abcdef01");
    }

    SECTION("processExecId is pid-dash-8-hex and differs in a forked child") {
        const std::string mine = pgark::lock::processExecId();
        CHECK(std::regex_match(mine, std::regex(std::to_string(::getpid()) + "-[0-9a-f]{8}")));
        CHECK(pgark::lock::processExecId() == mine);
        const std::string child = inChild([] { return pgark::lock::processExecId(); });
        CHECK(child != mine);
        CHECK(std::regex_match(child, std::regex("[0-9]+-[0-9a-f]{8}")));
    }
}

TEST_CASE("stop files stop commands for one stanza or for all", "[unit][lock]") {
    TempDir dir;
    const std::string lockPath = (dir.path / "lock").string();

    SECTION("one stanza") {
        pgark::lock::stopFileCheck(lockPath, "main");  // no lock-path yet: nothing stopped
        CHECK(pgark::lock::stopFileCreate(lockPath, "main"));
        CHECK(fs::exists(lockPath + "/main.stop"));
        CHECK_FALSE(pgark::lock::stopFileCreate(lockPath, "main"));
        try {
            pgark::lock::stopFileCheck(lockPath, "main");
            FAIL("no stop error");
        } catch (const Error& e) {
            CHECK(e.code() == ErrorCode::Stop);
            CHECK(e.message() == "stop file exists for stanza main");
            CHECK(e.hint() == "run start --stanza=main to allow commands again");
        }
        pgark::lock::stopFileCheck(lockPath, "other");
        CHECK(pgark::lock::stopFileRemove(lockPath, "main"));
        CHECK_FALSE(pgark::lock::stopFileRemove(lockPath, "main"));
        pgark::lock::stopFileCheck(lockPath, "main");
    }

    SECTION("all stanzas") {
        CHECK(pgark::lock::stopFileCreate(lockPath, std::nullopt));
        CHECK(fs::exists(lockPath + "/all.stop"));
        struct stat info{};
        REQUIRE(::stat(lockPath.c_str(), &info) == 0);
        CHECK(S_ISDIR(info.st_mode));
        for (const char* stanza : {"main", "other"}) {
            try {
                pgark::lock::stopFileCheck(lockPath, stanza);
                FAIL("no stop error");
            } catch (const Error& e) {
                CHECK(e.code() == ErrorCode::Stop);
                CHECK(e.message() == "stop file exists for all stanzas");
                CHECK(e.hint() == "run start without --stanza to allow commands again");
            }
        }
        CHECK_FALSE(pgark::lock::stopFileRemove(lockPath, "main"));  // a stanza start does not lift all
        CHECK_THROWS_AS(pgark::lock::stopFileCheck(lockPath, "main"), Error);
        CHECK(pgark::lock::stopFileRemove(lockPath, std::nullopt));
        pgark::lock::stopFileCheck(lockPath, "main");
    }

    SECTION("a stop file that cannot be created is an error") {
        std::ofstream(dir.path / "file") << "x";
        CHECK_THROWS_AS(pgark::lock::stopFileCreate((dir.path / "file").string(), "main"), Error);
    }
}
