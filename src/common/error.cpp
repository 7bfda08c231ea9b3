// Error type and the errno mapper.
#include "common/error.h"

#include <cerrno>
#include <cstring>

namespace pgark {

std::string_view errorCodeName(ErrorCode code) noexcept {
    switch (code) {
#define PGARK_ERROR(name, number) \
    case ErrorCode::name:         \
        return #name "Error";
#include "common/error_codes.def"
#undef PGARK_ERROR
    }
    return "UnknownError";
}

std::optional<ErrorCode> errorCodeFromNumber(int number) noexcept {
    switch (number) {
#define PGARK_ERROR(name, code) \
    case code:                  \
        return ErrorCode::name;
#include "common/error_codes.def"
#undef PGARK_ERROR
    default:
        return std::nullopt;
    }
}

Error::Error(ErrorCode code, std::string message, Retry retry, std::source_location where)
    : code_(code), message_(std::move(message)), full_(message_), retry_(retry), where_(where) {}

Error& Error::withHint(std::string hint) {
    hint_ = std::move(hint);
    full_ = hint_.empty() ? message_ : message_ + "\nHINT: " + hint_;
    return *this;
}

void throwSys(ErrorCode code, int errNo, std::string_view context) {
    // Disk full and permission problems get their own codes: the user fixes them differently.
    if (errNo == ENOSPC || errNo == EDQUOT) code = ErrorCode::DiskFull;
    const Retry retry = (errNo == EINTR || errNo == EAGAIN) ? Retry::Yes : Retry::No;
    Error error(code, fmt::format("{}: [{}] {}", context, errNo, std::strerror(errNo)), retry);
    if (errNo == ENOSPC || errNo == EDQUOT)
        error.withHint("free space on the device or move the repository to a larger one");
    else if (errNo == EACCES || errNo == EPERM)
        error.withHint("check that the user running pgark owns or may write this path");
    throw error;
}

}  // namespace pgark
