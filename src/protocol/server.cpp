// The worker's job loop. Retries live here, next to the handler, rather than in the parent: the
// payload is already in hand, so a retry costs no round trip, and the parent only ever sees one
// reply per job (pgBackRest retries in its protocol server for the same reason).
#include "protocol/server.h"

#include <exception>

namespace pgark::protocol {

namespace {

// Runs the handler, retrying retryable Errors; returns the frame to send back.
Frame runJob(const HandlerEntry& entry, io::ByteView payload, const ServeOptions& options) {
    Clock& clock = options.clock != nullptr ? *options.clock : systemClock();
    for (unsigned attempt = 0;; ++attempt) {
        try {
            MessageReader reader(payload);
            return Frame{FrameType::Result, entry.handle(reader)};
        } catch (const Error& error) {
            if (!error.retryable() || attempt >= options.jobRetry)
                return Frame{FrameType::Error,
                             wire::encodeError(error.code(), error.message(), error.hint(), error.retryable())};
        } catch (const std::exception& error) {
            return Frame{FrameType::Error, wire::encodeError(ErrorCode::Unhandled, error.what(), "", false)};
        } catch (...) {
            return Frame{FrameType::Error,
                         wire::encodeError(ErrorCode::Unhandled, "job handler threw a non-standard exception", "", false)};
        }
        // The first retry is immediate: most retryable failures are a momentary hiccup.
        if (attempt > 0 && options.retryInterval.count() > 0) clock.sleep(options.retryInterval);
    }
}

}  // namespace

void serve(WorkerChannel& channel, std::span<const HandlerEntry> handlers, const ServeOptions& options) {
    for (;;) {
        std::optional<Frame> frame = channel.receive(kNoTimeout);
        if (!frame || frame->type == FrameType::Exit) return;
        if (frame->type != FrameType::Job)
            throwError(ErrorCode::Protocol, "worker received an unexpected {} frame from {}", frameTypeName(frame->type),
                       channel.name());

        Frame reply{FrameType::Error, Message()};
        try {
            const wire::JobView job = wire::readJob(frame->body);
            const HandlerEntry* entry = nullptr;
            for (const HandlerEntry& candidate : handlers)
                if (candidate.command == job.command) entry = &candidate;
            if (entry == nullptr)
                reply.body = wire::encodeError(ErrorCode::Protocol,
                                               fmt::format("no handler for command {} of job '{}'", job.command, job.key),
                                               "", false);
            else
                reply = runJob(*entry, job.payload, options);
        } catch (const Error& error) {  // a malformed envelope: the stream itself is still in step
            reply.body = wire::encodeError(error.code(), error.message(), error.hint(), false);
        }

        // A parent that closed its end does not want the reply: nothing left to do.
        if (!channel.send(reply.type, {reply.body.bytes()}, kNoTimeout)) return;
    }
}

}  // namespace pgark::protocol
