// Tests for common/log: line shape, routing between stdout, stderr, file and the test sink,
// the file sink's creation, banner and append, and whole-line writes from concurrent processes.
#include "common/log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

namespace {

namespace fs = std::filesystem;
using pgark::log::Level;
using pgark::log::Settings;

// Restores the default settings and removes the test sink when a test ends, pass or fail,
// so later tests in the binary see the logger as main() would leave it.
struct LogReset {
    ~LogReset() {
        pgark::log::setTestSink(nullptr);
        pgark::log::init(Settings{});
    }
};

// A fresh directory under the system temp dir, removed at the end.
struct TempDir {
    fs::path path;
    TempDir() {
        std::string templ = (fs::temp_directory_path() / "pgark-log-XXXXXX").string();
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

// Redirects stdout and stderr (the file descriptors, which is what the logger writes to) into
// files for the lifetime of the object; the text is available after stop().
class CaptureOutput {
public:
    CaptureOutput() : out_(dir_.path / "out"), err_(dir_.path / "err") {
        std::fflush(stdout);
        std::fflush(stderr);
        savedOut_ = ::dup(STDOUT_FILENO);
        savedErr_ = ::dup(STDERR_FILENO);
        redirect(STDOUT_FILENO, out_);
        redirect(STDERR_FILENO, err_);
    }
    ~CaptureOutput() { stop(); }

    void stop() {
        if (savedOut_ < 0) return;
        std::fflush(stdout);
        std::fflush(stderr);
        ::dup2(savedOut_, STDOUT_FILENO);
        ::dup2(savedErr_, STDERR_FILENO);
        ::close(savedOut_);
        ::close(savedErr_);
        savedOut_ = savedErr_ = -1;
    }
    std::string out() {
        stop();
        return readFile(out_);
    }
    std::string err() {
        stop();
        return readFile(err_);
    }

private:
    static void redirect(int target, const fs::path& path) {
        const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        ::dup2(fd, target);
        ::close(fd);
    }

    TempDir dir_;
    fs::path out_;
    fs::path err_;
    int savedOut_ = -1;
    int savedErr_ = -1;
};

Settings plain(Level console, Level stderrLevel = Level::Off) {
    Settings settings;
    settings.console = console;
    settings.stderrLevel = stderrLevel;
    settings.timestamp = false;
    return settings;
}

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> result;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) result.push_back(line);
    return result;
}

}  // namespace

TEST_CASE("log level names convert both ways", "[unit][log]") {
    SECTION("every option value maps to its level and back to the printed name") {
        const std::vector<std::pair<std::string, Level>> all = {
            {"off", Level::Off},     {"error", Level::Error}, {"warn", Level::Warn},   {"info", Level::Info},
            {"detail", Level::Detail}, {"debug", Level::Debug}, {"trace", Level::Trace}};
        for (const auto& [name, level] : all) {
            CHECK(pgark::log::levelFromName(name) == level);
            std::string upper = name;
            for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            CHECK(pgark::log::levelName(level) == upper);
        }
    }
    SECTION("unknown names are rejected") {
        CHECK_FALSE(pgark::log::levelFromName("warning").has_value());
        CHECK_FALSE(pgark::log::levelFromName("").has_value());
        CHECK_FALSE(pgark::log::levelFromName("INFO").has_value());
    }
}

TEST_CASE("log lines have pgBackRest's shape", "[unit][log]") {
    LogReset reset;

    SECTION("without timestamp: process id and the level right-aligned in six characters") {
        pgark::log::init(plain(Level::Trace));
        CaptureOutput capture;
        pgark::log::error("e {}", 1);
        pgark::log::warn("w");
        pgark::log::info("i");
        pgark::log::detail("d");
        pgark::log::debug("g");
        pgark::log::write(Level::Trace, "t");
        CHECK(capture.out() ==
              "P00  ERROR: e 1\n"
              "P00   WARN: w\n"
              "P00   INFO: i\n"
              "P00 DETAIL: d\n"
              "P00  DEBUG: g\n"
              "P00  TRACE: t\n");
        CHECK(capture.err().empty());
    }

    SECTION("the process id is two digits, more only when it needs them") {
        Settings settings = plain(Level::Info);
        settings.processId = 7;
        pgark::log::init(settings);
        CaptureOutput capture;
        pgark::log::info("worker");
        settings.processId = 123;
        pgark::log::init(settings);
        pgark::log::info("many");
        CHECK(capture.out() == "P07   INFO: worker\nP123   INFO: many\n");
    }

    SECTION("with timestamp: local time with milliseconds first") {
        Settings settings = plain(Level::Info);
        settings.timestamp = true;
        pgark::log::init(settings);
        CaptureOutput capture;
        const std::time_t before = std::time(nullptr);
        pgark::log::info("stamped");
        const std::string out = capture.out();
        const std::regex shape(R"(^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})\.\d{3} P00   INFO: stamped\n$)");
        std::smatch match;
        REQUIRE(std::regex_match(out, match, shape));
        // Same second (or the next one) as the local clock when the line was written.
        std::tm local{};
        localtime_r(&before, &local);
        char expected[32];
        std::strftime(expected, sizeof(expected), "%Y-%m-%d %H:%M", &local);
        CHECK(match[1].str().substr(0, 16) == expected);
    }

    SECTION("continuation lines are indented under the message, trailing newlines dropped") {
        pgark::log::init(plain(Level::Info, Level::Warn));
        CaptureOutput capture;
        pgark::log::info("first\nsecond\n\nfourth\n");
        pgark::log::error("unable to do it\nHINT: do something else");
        CHECK(capture.out() ==
              "P00   INFO: first\n"
              "            second\n"
              "\n"
              "            fourth\n");
        CHECK(capture.err() ==
              "ERROR: unable to do it\n"
              "       HINT: do something else\n");
    }
}

TEST_CASE("log routes each line to stderr or stdout by level", "[unit][log]") {
    LogReset reset;

    SECTION("a line at or below the stderr level goes to stderr only, without prefix") {
        pgark::log::init(plain(Level::Info, Level::Warn));
        CaptureOutput capture;
        pgark::log::error("bad");
        pgark::log::warn("careful");
        pgark::log::info("fyi");
        pgark::log::detail("hidden");
        CHECK(capture.out() == "P00   INFO: fyi\n");
        CHECK(capture.err() == "ERROR: bad\nWARN: careful\n");
    }

    SECTION("stderr off: everything up to the console level goes to stdout") {
        pgark::log::init(plain(Level::Warn, Level::Off));
        CaptureOutput capture;
        pgark::log::error("bad");
        pgark::log::warn("careful");
        pgark::log::info("hidden");
        CHECK(capture.out() == "P00  ERROR: bad\nP00   WARN: careful\n");
        CHECK(capture.err().empty());
    }

    SECTION("a stderr level above the console level still takes the line") {
        pgark::log::init(plain(Level::Off, Level::Info));
        CaptureOutput capture;
        pgark::log::info("to stderr");
        pgark::log::debug("nowhere");
        CHECK(capture.out().empty());
        CHECK(capture.err() == "INFO: to stderr\n");
    }

    SECTION("stdio output written before a log line comes out before it") {
        pgark::log::init(plain(Level::Info));
        CaptureOutput capture;
        std::fputs("report line\n", stdout);
        pgark::log::info("after");
        CHECK(capture.out() == "report line\nP00   INFO: after\n");
    }

    SECTION("enabled() says whether any sink takes the level") {
        pgark::log::init(plain(Level::Warn, Level::Error));
        CHECK(pgark::log::enabled(Level::Error));
        CHECK(pgark::log::enabled(Level::Warn));
        CHECK_FALSE(pgark::log::enabled(Level::Info));
        CHECK_FALSE(pgark::log::enabled(Level::Off));
        pgark::log::init(plain(Level::Off, Level::Detail));
        CHECK(pgark::log::enabled(Level::Detail));
        CHECK_FALSE(pgark::log::enabled(Level::Debug));
    }
}

TEST_CASE("log test sink receives console lines without prefix", "[unit][log]") {
    LogReset reset;
    std::vector<std::string> seen;
    pgark::log::setTestSink([&seen](std::string_view line) { seen.emplace_back(line); });

    SECTION("lines that reach stdout or stderr, as LEVEL: message") {
        pgark::log::init(plain(Level::Info, Level::Warn));
        CaptureOutput capture;
        pgark::log::warn("archive {} is late", "000000010000000000000001");
        pgark::log::info("two\nlines");
        pgark::log::debug("not shown");
        capture.stop();
        CHECK(seen == std::vector<std::string>{"WARN: archive 000000010000000000000001 is late", "INFO: two\nlines"});
        CHECK(pgark::log::settings().console == Level::Info);
    }

    SECTION("a line that reaches only the file does not reach the sink") {
        TempDir dir;
        Settings settings = plain(Level::Warn);
        settings.file = Level::Debug;
        settings.filePath = (dir.path / "s-backup.log").string();
        pgark::log::init(settings);
        pgark::log::debug("file only");
        CHECK(seen.empty());
        CHECK(readFile(dir.path / "s-backup.log").find("P00  DEBUG: file only\n") != std::string::npos);
    }

    SECTION("a message prefix (expire --dry-run) goes before every message") {
        Settings settings = plain(Level::Info);
        settings.messagePrefix = "[DRY-RUN] ";
        pgark::log::init(settings);
        CaptureOutput capture;
        pgark::log::info("expire full backup\nHINT: x");
        capture.stop();
        CHECK(seen == std::vector<std::string>{"INFO: [DRY-RUN] expire full backup\nHINT: x"});
        CHECK(capture.out() == "P00   INFO: [DRY-RUN] expire full backup\n            HINT: x\n");
    }

    SECTION("removing the sink stops the capture") {
        pgark::log::init(plain(Level::Info));
        CaptureOutput capture;
        pgark::log::setTestSink(nullptr);
        pgark::log::info("after removal");
        capture.stop();
        CHECK(seen.empty());
    }
}

TEST_CASE("log file sink appends whole lines to its file", "[unit][log]") {
    LogReset reset;
    TempDir dir;
    const fs::path file = dir.path / "log" / "sub" / "main-backup.log";
    Settings settings = plain(Level::Off);
    settings.file = Level::Info;
    settings.filePath = file.string();

    SECTION("creates the directory 0750 and the file 0640, banner before the first line") {
        const mode_t oldMask = ::umask(022);
        pgark::log::init(settings);
        ::umask(oldMask);
        REQUIRE(fs::exists(file));
        CHECK(readFile(file).empty());  // opened, but nothing logged yet: no banner
        pgark::log::info("one");
        pgark::log::detail("not at info");
        pgark::log::error("two\nHINT: more");

        struct stat info{};
        REQUIRE(::stat((dir.path / "log").c_str(), &info) == 0);
        CHECK((info.st_mode & 07777) == 0750);
        REQUIRE(::stat((dir.path / "log" / "sub").c_str(), &info) == 0);
        CHECK((info.st_mode & 07777) == 0750);
        REQUIRE(::stat(file.c_str(), &info) == 0);
        CHECK((info.st_mode & 07777) == 0640);
        CHECK(readFile(file) ==
              "-------------------PROCESS START-------------------\n"
              "P00   INFO: one\n"
              "P00  ERROR: two\n"
              "            HINT: more\n");
    }

    SECTION("a second process start appends after a blank line and a new banner") {
        pgark::log::init(settings);
        pgark::log::info("first run");
        pgark::log::init(settings);
        pgark::log::info("second run");
        CHECK(readFile(file) ==
              "-------------------PROCESS START-------------------\n"
              "P00   INFO: first run\n"
              "\n"
              "-------------------PROCESS START-------------------\n"
              "P00   INFO: second run\n");
    }

    SECTION("the file gets the timestamp too when it is on") {
        settings.timestamp = true;
        pgark::log::init(settings);
        pgark::log::info("stamped");
        const auto got = lines(readFile(file));
        REQUIRE(got.size() == 2);
        CHECK(std::regex_match(got[1], std::regex(R"(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3} P00   INFO: stamped)")));
    }

    SECTION("file level off or no path: no file") {
        settings.file = Level::Off;
        pgark::log::init(settings);
        pgark::log::error("x");
        CHECK_FALSE(fs::exists(file));
        CHECK_FALSE(pgark::log::enabled(Level::Error));
    }

    SECTION("a file that cannot be opened gives one warning and logging goes on") {
        std::ofstream(dir.path / "plainfile") << "x";
        settings.filePath = (dir.path / "plainfile" / "main-backup.log").string();
        settings.stderrLevel = Level::Warn;
        std::vector<std::string> seen;
        pgark::log::setTestSink([&seen](std::string_view line) { seen.emplace_back(line); });
        CaptureOutput capture;
        pgark::log::init(settings);
        pgark::log::warn("still logging");
        const std::string err = capture.err();
        CHECK(err ==
              "WARN: unable to open log file '" + settings.filePath +
                  "': Not a directory\n"
                  "      NOTE: process will continue without log file\n"
                  "WARN: still logging\n");
        REQUIRE(seen.size() == 2);
        CHECK(seen[0].rfind("WARN: unable to open log file '", 0) == 0);
        CHECK_FALSE(pgark::log::enabled(Level::Info));  // the file sink is gone
    }
}

TEST_CASE("log lines from concurrent processes never interleave", "[unit][log]") {
    LogReset reset;
    TempDir dir;
    const fs::path file = dir.path / "shared.log";
    constexpr int kChildren = 4;
    constexpr int kLines = 300;
    // Long enough that a split write would show, short enough to stay fast.
    const std::string payload(180, 'x');

    std::vector<pid_t> children;
    for (int child = 1; child <= kChildren; ++child) {
        const pid_t pid = ::fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            Settings settings = plain(Level::Off);
            settings.file = Level::Info;
            settings.filePath = file.string();
            settings.processId = static_cast<unsigned>(child);
            settings.timestamp = true;
            pgark::log::init(settings);
            for (int i = 0; i < kLines; ++i) pgark::log::info("line {} {}\nsecond part {}", i, payload, i);
            ::_exit(0);
        }
        children.push_back(pid);
    }
    for (const pid_t pid : children) {
        int status = 0;
        REQUIRE(::waitpid(pid, &status, 0) == pid);
        CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 0));
    }

    const auto got = lines(readFile(file));
    const std::regex first(R"(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3} P0([1-4])   INFO: line (\d+) x{180})");
    const std::regex second(R"( {36}second part (\d+))");
    int banners = 0;
    int messages = 0;
    for (std::size_t i = 0; i < got.size(); ++i) {
        if (got[i].empty() || got[i] == "-------------------PROCESS START-------------------") {
            banners += got[i].empty() ? 0 : 1;
            continue;
        }
        std::smatch head;
        REQUIRE(std::regex_match(got[i], head, first));
        REQUIRE(i + 1 < got.size());
        std::smatch tail;
        REQUIRE(std::regex_match(got[i + 1], tail, second));
        CHECK(head[2].str() == tail[1].str());  // the two lines of one message stay together
        ++messages;
        ++i;
    }
    CHECK(banners == kChildren);
    CHECK(messages == kChildren * kLines);
}
