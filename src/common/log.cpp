// Leveled logging: formatting and the console, stderr, file and test sinks.
#include "common/log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <mutex>
#include <utility>

namespace pgark::log {

namespace {

// pgBackRest writes this line before the first line a process logs to its file, so runs that
// append to the same file can be told apart (and tools that read those files find it).
constexpr std::string_view kProcessStart = "-------------------PROCESS START-------------------\n";
constexpr mode_t kLogPathMode = 0750;
constexpr mode_t kLogFileMode = 0640;

struct State {
    Settings settings;
    int fileFd = -1;
    bool fileStarted = false;  // the process-start banner has been written to fileFd
    std::function<void(std::string_view)> testSink;
    std::mutex mutex;  // serializes sink writes and guards the banner flag and the sink
};

State& state() {
    static State instance;
    return instance;
}

// Writes all of `text` with as few write(2) calls as the kernel allows: one, in practice, for
// a line on a regular file opened with O_APPEND, which is what keeps lines from processes that
// share a log file whole. Errors are ignored: a failing log sink must not fail the command.
void writeAll(int fd, std::string_view text) {
    while (!text.empty()) {
        const ssize_t written = ::write(fd, text.data(), text.size());
        if (written < 0) {
            if (errno == EINTR) continue;
            return;
        }
        text.remove_prefix(static_cast<std::size_t>(written));
    }
}

// "2026-11-21 10:00:00.123 " in local time.
std::string timestampText() {
    const auto now = std::chrono::system_clock::now();
    const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
    const auto millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm local{};
    localtime_r(&seconds, &local);
    return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03} ", local.tm_year + 1900, local.tm_mon + 1,
                       local.tm_mday, local.tm_hour, local.tm_min, local.tm_sec, millis);
}

// Prefix + message + "\n". Continuation lines of a multi-line message (an error with its hint,
// a libpq message) are indented to the width of the prefix, as pgBackRest does, so the message
// reads as one block under its level. Trailing newlines are dropped: the line adds its own.
std::string formatLines(std::string_view prefix, std::string_view message) {
    while (!message.empty() && message.back() == '\n') message.remove_suffix(1);
    std::string out;
    out.reserve(prefix.size() + message.size() + 1);
    out.append(prefix);
    std::size_t start = 0;
    for (;;) {
        const std::size_t end = message.find('\n', start);
        const std::string_view line = message.substr(start, end == std::string_view::npos ? end : end - start);
        if (start != 0 && !line.empty()) out.append(prefix.size(), ' ');
        out.append(line);
        out.push_back('\n');
        if (end == std::string_view::npos) break;
        start = end + 1;
    }
    return out;
}

// Creates `path` and any missing parents with `mode`; an existing directory is fine.
// Returns 0 or the errno of the step that failed.
int createPath(const std::string& path, mode_t mode) {
    for (std::size_t pos = path.find('/', 1);; pos = path.find('/', pos + 1)) {
        const std::string part = path.substr(0, pos);
        if (!part.empty() && ::mkdir(part.c_str(), mode) != 0 && errno != EEXIST) return errno;
        if (pos == std::string::npos) return 0;
    }
}

void closeFile(State& s) {
    if (s.fileFd >= 0) ::close(s.fileFd);
    s.fileFd = -1;
    s.fileStarted = false;
}

// Opens the log file for append; returns "" or the reason it could not be opened.
std::string openFile(State& s) {
    const std::string& path = s.settings.filePath;
    const std::size_t slash = path.rfind('/');
    if (slash != std::string::npos && slash != 0) {
        if (const int err = createPath(path.substr(0, slash), kLogPathMode); err != 0) return std::strerror(err);
    }
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, kLogFileMode);
    if (fd < 0) return std::strerror(errno);
    s.fileFd = fd;
    return {};
}

}  // namespace

std::optional<Level> levelFromName(std::string_view name) noexcept {
    if (name == "off") return Level::Off;
    if (name == "error") return Level::Error;
    if (name == "warn") return Level::Warn;
    if (name == "info") return Level::Info;
    if (name == "detail") return Level::Detail;
    if (name == "debug") return Level::Debug;
    if (name == "trace") return Level::Trace;
    return std::nullopt;
}

std::string_view levelName(Level level) noexcept {
    switch (level) {
    case Level::Off:
        return "OFF";
    case Level::Error:
        return "ERROR";
    case Level::Warn:
        return "WARN";
    case Level::Info:
        return "INFO";
    case Level::Detail:
        return "DETAIL";
    case Level::Debug:
        return "DEBUG";
    case Level::Trace:
        return "TRACE";
    }
    return "UNKNOWN";
}

void init(const Settings& settings) {
    State& s = state();
    std::string failure;
    {
        const std::lock_guard guard(s.mutex);
        closeFile(s);
        s.settings = settings;
        if (settings.file != Level::Off && !settings.filePath.empty()) failure = openFile(s);
    }
    // Reported through the normal sinks (stderr at the default levels) once the new settings are
    // in place, as pgBackRest does; the command itself goes on without a file.
    if (!failure.empty())
        write(Level::Warn, fmt::format("unable to open log file '{}': {}\nNOTE: process will continue without log file",
                                       settings.filePath, failure));
}

const Settings& settings() noexcept { return state().settings; }

bool enabled(Level level) noexcept {
    if (level == Level::Off) return false;
    const State& s = state();
    return level <= s.settings.console || level <= s.settings.stderrLevel ||
           (s.fileFd >= 0 && level <= s.settings.file);
}

void write(Level level, std::string_view text) {
    if (!enabled(level)) return;
    State& s = state();
    std::string prefixed;
    std::string_view message = text;
    {
        const std::lock_guard guard(s.mutex);
        if (!s.settings.messagePrefix.empty()) message = prefixed = s.settings.messagePrefix + std::string(text);
    }
    const std::string_view name = levelName(level);
    std::function<void(std::string_view)> sink;
    {
        const std::lock_guard guard(s.mutex);
        const Settings& set = s.settings;
        const bool toStderr = level <= set.stderrLevel;
        const bool toConsole = !toStderr && level <= set.console;
        const bool toFile = s.fileFd >= 0 && level <= set.file;

        // stderr lines carry only the level (pgBackRest's shape): they are meant for a terminal
        // or a caller that captures them, not for correlating with other processes.
        if (toStderr) writeAll(STDERR_FILENO, formatLines(fmt::format("{}: ", name), message));

        if (toConsole || toFile) {
            const std::string full = formatLines(
                fmt::format("{}P{:02} {:>6}: ", set.timestamp ? timestampText() : std::string(), set.processId, name),
                message);
            if (toConsole) {
                // Anything the command printed through stdio must come out before this line.
                std::fflush(stdout);
                writeAll(STDOUT_FILENO, full);
            }
            if (toFile) {
                if (s.fileStarted) {
                    writeAll(s.fileFd, full);
                } else {
                    // One write for banner and line; a blank line separates runs in a used file.
                    struct stat info{};
                    const bool empty = ::fstat(s.fileFd, &info) == 0 && info.st_size == 0;
                    writeAll(s.fileFd, fmt::format("{}{}{}", empty ? "" : "\n", kProcessStart, full));
                    s.fileStarted = true;
                }
            }
        }
        if (s.testSink && (toStderr || toConsole)) sink = s.testSink;
    }
    // Called without the mutex so that a sink may itself log.
    if (sink) sink(fmt::format("{}: {}", name, message));
}

void setTestSink(std::function<void(std::string_view line)> sink) {
    State& s = state();
    const std::lock_guard guard(s.mutex);
    s.testSink = std::move(sink);
}

}  // namespace pgark::log
