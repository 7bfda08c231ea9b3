// ProcessChannel: a worker process started with posix_spawn, its stdin and stdout being the two
// pipes of the channel and its stderr inherited (so its log lines reach the user). Every other
// descriptor is closed in the child. The parent's ends are non-blocking and close-on-exec. The
// channel owns the process: close(), terminate() or the destructor always reap it, so no zombie
// outlives the channel. Not thread-safe; create and use from one thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "protocol/channel.h"

namespace pgark::protocol {

class ProcessChannel final : public WorkerChannel {
public:
    struct Options {
        std::chrono::milliseconds closeGrace{5000};     // close(): wait this long for exit, then SIGKILL
        std::chrono::milliseconds terminateGrace{1000}; // terminate(): SIGTERM, this long, then SIGKILL
    };

    // Starts argv[0] (a path, or a name looked up in PATH when it has no '/') with `argv`, the
    // current environment, default signal dispositions and an empty signal mask. `label` names it
    // in messages ("worker 2" -> "worker 2 (pid 4242)"). Throws Error(Execute) when it cannot
    // start (e.g. no such file). No secrets in argv: it is visible to every user through ps.
    ProcessChannel(const std::vector<std::string>& argv, std::string_view label, Options options);
    explicit ProcessChannel(const std::vector<std::string>& argv, std::string_view label = "worker")
        : ProcessChannel(argv, label, Options{}) {}
    ~ProcessChannel() override;  // close()
    ProcessChannel(const ProcessChannel&) = delete;
    ProcessChannel& operator=(const ProcessChannel&) = delete;

    pid_t pid() const noexcept { return pid_; }
    bool reaped() const noexcept { return reaped_; }

    const std::string& name() const noexcept override { return fds_->name(); }
    int pollFd() const noexcept override { return fds_->pollFd(); }
    bool send(FrameType type, std::span<const io::ByteView> parts, std::chrono::milliseconds timeout) override {
        return fds_->send(type, parts, timeout);
    }
    using WorkerChannel::send;
    std::optional<Frame> receive(std::chrono::milliseconds timeout) override { return fds_->receive(timeout); }
    std::string exitReason() override;
    void close() noexcept override;
    void terminate() noexcept override;

private:
    // Waits up to `grace` for the process to exit, then SIGKILLs it; records why it ended.
    void reap(std::chrono::milliseconds grace) noexcept;

    std::unique_ptr<FdChannel> fds_;
    Options options_;
    pid_t pid_ = -1;
    bool reaped_ = false;
    std::string exitReason_;
};

}  // namespace pgark::protocol
