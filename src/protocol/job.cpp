// Job envelope and error-reply encoding shared by the pool (parent) and serve() (worker).
#include "protocol/job.h"

#include <limits>

namespace pgark::protocol {

Error RemoteError::toError() const {
    Error error(code, message, retryable ? Retry::Yes : Retry::No);
    if (!hint.empty()) error.withHint(hint);
    return error;
}

const Message& JobResult::output() const {
    if (const RemoteError* failure = error()) failure->raise();
    return std::get<Message>(outcome);
}

namespace wire {

Message jobEnvelope(std::string_view key, CommandId command) {
    Message envelope;
    envelope.reserve(key.size() + 16);
    envelope.addString(key).addU64(command);
    return envelope;
}

JobView readJob(const Message& body) {
    MessageReader reader = body.reader();
    JobView job;
    job.key = reader.readString();
    const std::uint64_t command = reader.readU64();
    if (command > std::numeric_limits<CommandId>::max())
        throwError(ErrorCode::Protocol, "job '{}' has invalid command id {}", job.key, command);
    job.command = static_cast<CommandId>(command);
    job.payload = reader.rest();
    return job;
}

Message encodeError(ErrorCode code, std::string_view message, std::string_view hint, bool retryable) {
    Message body;
    body.addU64(static_cast<std::uint64_t>(code)).addString(message).addString(hint).addBool(retryable);
    return body;
}

RemoteError decodeError(const Message& body) {
    MessageReader reader = body.reader();
    RemoteError error;
    const std::uint64_t number = reader.readU64();
    error.message = reader.readString();
    error.hint = reader.readString();
    error.retryable = reader.readBool();
    const auto known = number <= static_cast<std::uint64_t>(std::numeric_limits<int>::max())
                           ? errorCodeFromNumber(static_cast<int>(number))
                           : std::nullopt;
    if (known) {
        error.code = *known;
    } else {
        error.code = ErrorCode::Unhandled;
        error.message = fmt::format("[error code {}] {}", number, error.message);
    }
    return error;
}

}  // namespace wire

}  // namespace pgark::protocol
