// Job, JobResult and RemoteError: what travels between the parent and a worker, and the encoding
// of the job envelope and of an error reply that pool.cpp and server.cpp share. A job is small
// and self-contained (the worker keeps nothing between jobs); its payload is a Message whose
// layout belongs to the command that defines the job (e.g. command/backup/file_job.cpp).
// Plain values: no ownership beyond their members, no threading rules.
#pragma once

#include <cstdint>
#include <string>
#include <variant>

#include "common/error.h"
#include "protocol/message.h"

namespace pgark::protocol {

using CommandId = std::uint32_t;  // one per job type; each command module defines its own

struct Job {
    std::string key;    // unique within a run, used in messages and to match the result (a file name)
    CommandId command;  // selects the worker's handler
    Message payload;    // the job's parameters, read by the handler in the order they were added
};

// An Error raised by a worker's handler, carried back across the pipe.
struct RemoteError {
    ErrorCode code = ErrorCode::Unhandled;
    std::string message;
    std::string hint;
    bool retryable = false;

    // The same error as a local pgark::Error (code, message, hint and retry flag intact).
    Error toError() const;
    [[noreturn]] void raise() const { throw toError(); }
};

struct JobResult {
    std::string key;                             // the Job's key
    unsigned workerIdx = 0;                      // 0-based index of the worker that ran it
    std::variant<Message, RemoteError> outcome;  // the handler's reply, or its error

    bool ok() const noexcept { return std::holds_alternative<Message>(outcome); }
    // The reply; throws the RemoteError as a pgark::Error when the job failed.
    const Message& output() const;
    const RemoteError* error() const noexcept { return std::get_if<RemoteError>(&outcome); }
};

namespace wire {

// Job frame body = envelope fields (key, command) followed by the payload's own fields, so the
// payload is written and read in place without being nested (and copied) as a bytes field.
Message jobEnvelope(std::string_view key, CommandId command);

struct JobView {
    std::string key;
    CommandId command;
    io::ByteView payload;  // borrows the frame body
};
// Throws Error(Protocol) on a malformed envelope.
JobView readJob(const Message& body);

// Error frame body: u64 code, string message, string hint, bool retryable.
Message encodeError(ErrorCode code, std::string_view message, std::string_view hint, bool retryable);
// Throws Error(Protocol) on a malformed body. An unknown code number becomes Unhandled, with the
// number kept in the message.
RemoteError decodeError(const Message& body);

}  // namespace wire

}  // namespace pgark::protocol
