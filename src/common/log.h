// Leveled logging in pgBackRest's line shape:
//   2026-11-21 10:00:00.123 P00   INFO: backup command begin 0.1.0: --stanza=main ...
// Three sinks with their own levels: console (stdout), stderr, and a file <log-path>/<stanza>-<command>.log.
// "P00" is the process id: 00 for the main process, 01.. for workers. A test sink captures lines.
// Process-wide state; set up once by main before any thread starts.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace pgark::log {

enum class Level { Off = 0, Error, Warn, Info, Detail, Debug, Trace };

// "off", "error", "warn", "info", "detail", "debug", "trace" <-> Level; nullopt if unknown.
std::optional<Level> levelFromName(std::string_view name) noexcept;
std::string_view levelName(Level level) noexcept;  // upper case as printed: "INFO", "WARN", ...

struct Settings {
    Level console = Level::Warn;     // log-level-console, to stdout
    Level stderrLevel = Level::Warn; // log-level-stderr, to stderr (a line goes to one of the two, stderr first)
    Level file = Level::Off;         // log-level-file
    std::string filePath;            // full path of the log file; "" = no file
    bool timestamp = true;           // log-timestamp
    unsigned processId = 0;          // the "P00" number
    std::string messagePrefix;       // put before every message, e.g. "[DRY-RUN] "
};

// Applies settings; opens (appends to) the log file, creating its directory. A log file that
// cannot be opened gives one warning on stderr and logging goes on without it.
void init(const Settings& settings);
const Settings& settings() noexcept;

// True when a line of `level` would reach any sink: callers skip building costly messages otherwise.
bool enabled(Level level) noexcept;
void write(Level level, std::string_view message);

template <class... Args>
void error(fmt::format_string<Args...> f, Args&&... a) { if (enabled(Level::Error)) write(Level::Error, fmt::format(f, std::forward<Args>(a)...)); }
template <class... Args>
void warn(fmt::format_string<Args...> f, Args&&... a) { if (enabled(Level::Warn)) write(Level::Warn, fmt::format(f, std::forward<Args>(a)...)); }
template <class... Args>
void info(fmt::format_string<Args...> f, Args&&... a) { if (enabled(Level::Info)) write(Level::Info, fmt::format(f, std::forward<Args>(a)...)); }
template <class... Args>
void detail(fmt::format_string<Args...> f, Args&&... a) { if (enabled(Level::Detail)) write(Level::Detail, fmt::format(f, std::forward<Args>(a)...)); }
template <class... Args>
void debug(fmt::format_string<Args...> f, Args&&... a) { if (enabled(Level::Debug)) write(Level::Debug, fmt::format(f, std::forward<Args>(a)...)); }

// Test sink: while set, every line that passes the console level is also handed to `sink`
// (without timestamp and process prefix: "WARN: message"). Pass nullptr to remove it.
void setTestSink(std::function<void(std::string_view line)> sink);

}  // namespace pgark::log
