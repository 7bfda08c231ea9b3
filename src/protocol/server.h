// serve(): the worker side of the pool. Reads job frames, runs the handler registered for the
// job's command id, and replies with a result or an error frame, until the parent sends Exit or
// closes the pipe. The worker is stateless: a handler gets everything from its payload (filter
// specs with passphrases included, so nothing secret is on the command line) and must not keep
// state between jobs. Runs on the calling thread; handlers run there too, one job at a time.
#pragma once

#include <chrono>
#include <functional>
#include <span>
#include <string_view>

#include "common/clock.h"
#include "protocol/channel.h"
#include "protocol/job.h"

namespace pgark::protocol {

// Reads the payload, returns the reply. Throw pgark::Error to fail the job (its code, message,
// hint and retry flag reach the parent); any other exception is reported as Unhandled.
using Handler = std::function<Message(MessageReader& payload)>;

struct HandlerEntry {
    CommandId command;  // the id jobs carry
    Handler handle;
};

struct ServeOptions {
    unsigned jobRetry = 0;                    // extra attempts for a job failing with a retryable Error
    std::chrono::milliseconds retryInterval{0};  // wait before each retry after the first (which is at once)
    Clock* clock = nullptr;                   // for the retry wait; nullptr = systemClock(); borrowed
};

// Serves jobs until an Exit frame or end-of-stream, then returns. A job whose handler throws a
// retryable pgark::Error is run again (the payload re-read from the start) up to jobRetry more
// times; the last error is what the parent sees. An unknown command id is answered with
// Error(Protocol). Throws Error(Protocol) only when the frame stream itself is broken (a frame
// type a worker never receives, truncated or foreign bytes): the caller should then exit.
// `channel` and `handlers` are borrowed for the call.
void serve(WorkerChannel& channel, std::span<const HandlerEntry> handlers, const ServeOptions& options);
inline void serve(WorkerChannel& channel, std::span<const HandlerEntry> handlers, unsigned jobRetry) {
    serve(channel, handlers, ServeOptions{.jobRetry = jobRetry});
}

}  // namespace pgark::protocol
