// InProcessChannel: a worker that is a thread of this process running serve() over a pair of real
// pipes, so pool, retry and error-propagation tests exercise the same framing and poll() path as a
// worker process, without fork/exec. It cannot simulate a crash (a thread cannot die alone): tests
// of dying workers use ProcessChannel. The handlers run on the worker thread, so any state they
// share with the test must be synchronised. Owned and driven by one thread, like every channel.
#pragma once

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "protocol/channel.h"
#include "protocol/server.h"

namespace pgark::protocol {

class InProcessChannel final : public WorkerChannel {
public:
    // Starts the worker thread; `handlers` are copied into it. `name` is used in messages.
    InProcessChannel(std::vector<HandlerEntry> handlers, ServeOptions options, std::string name);
    ~InProcessChannel() override;  // close()
    InProcessChannel(const InProcessChannel&) = delete;
    InProcessChannel& operator=(const InProcessChannel&) = delete;

    const std::string& name() const noexcept override { return fds_->name(); }
    int pollFd() const noexcept override { return fds_->pollFd(); }
    bool send(FrameType type, std::span<const io::ByteView> parts, std::chrono::milliseconds timeout) override {
        return fds_->send(type, parts, timeout);
    }
    using WorkerChannel::send;
    std::optional<Frame> receive(std::chrono::milliseconds timeout) override { return fds_->receive(timeout); }
    std::string exitReason() override;  // joins the thread: "worker thread ended" (+ its error)
    void close() noexcept override;     // Exit frame, then join
    // Closes the pipes and joins: a handler in progress runs to its end first (threads cannot be killed).
    void terminate() noexcept override;

private:
    void join() noexcept;

    std::unique_ptr<FdChannel> fds_;
    std::thread thread_;
    std::string threadError_;  // written by the thread before it ends, read after join
};

}  // namespace pgark::protocol
