// Error: the one exception type pgark throws for failures that reach the user.
// Each carries a stable ErrorCode (also the process exit status), a message that says what
// failed and on which path, an optional hint the user can act on, and whether retrying the
// failed call may succeed. Expected absence is not an error: return std::optional or nullptr.
#pragma once

#include <cstdint>
#include <exception>
#include <optional>
#include <source_location>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace pgark {

enum class ErrorCode : std::uint16_t {
#define PGARK_ERROR(name, code) name = code,
#include "common/error_codes.def"
#undef PGARK_ERROR
};

// "FileOpen" -> "FileOpenError", as pgBackRest prints the type in its error lines.
std::string_view errorCodeName(ErrorCode code) noexcept;
// Looks a code up by number (for errors that cross the worker boundary); nullopt if unknown.
std::optional<ErrorCode> errorCodeFromNumber(int number) noexcept;

enum class Retry : bool { No, Yes };  // Yes = repeating just the failed call may succeed

class Error : public std::exception {
public:
    Error(ErrorCode code, std::string message, Retry retry = Retry::No,
          std::source_location where = std::source_location::current());

    ErrorCode code() const noexcept { return code_; }
    int exitCode() const noexcept { return static_cast<int>(code_); }
    bool retryable() const noexcept { return retry_ == Retry::Yes; }
    const std::string& message() const noexcept { return message_; }
    const std::string& hint() const noexcept { return hint_; }
    const std::source_location& where() const noexcept { return where_; }

    // The message, then "\nHINT: <hint>" when there is one.
    const char* what() const noexcept override { return full_.c_str(); }

    // Adds (or replaces) the hint; returns *this so a throw site can chain it.
    Error& withHint(std::string hint);

private:
    ErrorCode code_;
    std::string message_;
    std::string hint_;
    std::string full_;
    Retry retry_;
    std::source_location where_;
};

// Formats and throws an Error. Example:
//   throwError(ErrorCode::FileOpen, "unable to open file '{}' for read", path);
template <class... Args>
[[noreturn]] void throwError(ErrorCode code, fmt::format_string<Args...> format, Args&&... args) {
    throw Error(code, fmt::format(format, std::forward<Args>(args)...));
}

// The one errno mapper: throws `code` with "<context>: [<errno>] <strerror>". ENOSPC becomes
// DiskFull and EACCES Access so callers and tests can tell them apart; EINTR/EAGAIN are retryable.
[[noreturn]] void throwSys(ErrorCode code, int errNo, std::string_view context);

}  // namespace pgark
