// WorkerChannel: one end of the frame pipe between the parent and one worker. A frame is an
// 8-byte header (magic "pk", frame type, reserved byte, u32 little-endian body length) followed by
// the body, a Message. FdChannel speaks frames over a pair of file descriptors and is the common
// engine of ProcessChannel (worker process over pipes, process_channel.h), InProcessChannel
// (worker thread, tests; in_process_channel.h) and the worker's own stdin/stdout end.
// A channel is owned by one object and used by one thread at a time; it is not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/io/buffer.h"
#include "protocol/message.h"

namespace pgark::protocol {

enum class FrameType : std::uint8_t {
    Job = 1,     // parent -> worker: job envelope (key, command) then the job's payload fields
    Result = 2,  // worker -> parent: the handler's reply message
    Error = 3,   // worker -> parent: code, message, hint, retryable
    Exit = 4,    // parent -> worker: finish and exit (EOF means the same)
};

std::string_view frameTypeName(FrameType type) noexcept;  // "job", "result", ...

inline constexpr std::size_t kFrameHeaderSize = 8;                       // bytes
inline constexpr std::size_t kMaxFrameBody = std::size_t{256} << 20;     // bytes; larger = corruption
inline constexpr std::chrono::milliseconds kNoTimeout = std::chrono::milliseconds::max();

struct Frame {
    FrameType type;
    Message body;
};

class WorkerChannel {
public:
    virtual ~WorkerChannel() = default;

    // For messages: "worker 2 (pid 4242)".
    virtual const std::string& name() const noexcept = 0;

    // The descriptor that becomes readable (POLLIN/POLLHUP) when a frame or end-of-stream is
    // pending, so one poll() can watch many channels; -1 once closed.
    virtual int pollFd() const noexcept = 0;

    // Sends one frame whose body is the concatenation of `parts` (gathered into one write where the
    // pipe allows). Returns false when the peer has closed its end (it died or exited). Never raises
    // SIGPIPE. Throws Error(ProtocolTimeout) when the peer does not drain the pipe within `timeout`,
    // Error(Protocol) for any other failure or a body above kMaxFrameBody.
    [[nodiscard]] virtual bool send(FrameType type, std::span<const io::ByteView> parts,
                                    std::chrono::milliseconds timeout) = 0;
    [[nodiscard]] bool send(FrameType type, std::initializer_list<io::ByteView> parts,
                            std::chrono::milliseconds timeout) {
        return send(type, std::span<const io::ByteView>(parts.begin(), parts.size()), timeout);
    }

    // The next whole frame; nullopt when the peer closed its end at a frame boundary. Throws
    // Error(ProtocolTimeout) when no whole frame arrives within `timeout` (kNoTimeout = wait
    // forever), Error(Protocol) on end-of-stream inside a frame or on bytes that are not a frame.
    [[nodiscard]] virtual std::optional<Frame> receive(std::chrono::milliseconds timeout) = 0;

    // After receive() returned nullopt or send() returned false: how the peer ended, for messages
    // ("exited with status 3", "was killed by signal 9 (Killed)"). A process is reaped here (killed
    // if it closed its pipe but keeps running), so no zombie is left. Idempotent.
    virtual std::string exitReason() = 0;

    // Orderly end: sends an Exit frame, closes our ends and waits a bounded time for the peer to
    // finish (a process is then killed if still running) and reaps it. Idempotent.
    virtual void close() noexcept = 0;

    // Immediate end for error paths, when the peer may be in the middle of a job whose result
    // nobody will read: closes our ends, stops the peer (a process gets SIGTERM, then SIGKILL after
    // a short grace) and reaps it. Idempotent.
    virtual void terminate() noexcept = 0;
};

// Frames over two descriptors. Used directly by a worker on its stdin/stdout (makeStdioChannel)
// and inside ProcessChannel/InProcessChannel. Non-blocking descriptors are polled for the timeout;
// blocking ones are too, unless the timeout is kNoTimeout.
class FdChannel final : public WorkerChannel {
public:
    struct Options {
        bool ownFds = true;  // close the descriptors in close()/the destructor
    };
    FdChannel(int readFd, int writeFd, std::string name, Options options);
    ~FdChannel() override;
    FdChannel(const FdChannel&) = delete;
    FdChannel& operator=(const FdChannel&) = delete;

    const std::string& name() const noexcept override { return name_; }
    void setName(std::string name) { name_ = std::move(name); }
    int pollFd() const noexcept override { return readFd_; }
    bool send(FrameType type, std::span<const io::ByteView> parts, std::chrono::milliseconds timeout) override;
    using WorkerChannel::send;
    std::optional<Frame> receive(std::chrono::milliseconds timeout) override;
    std::string exitReason() override { return "closed its end of the pipe"; }
    void close() noexcept override;       // sends Exit (best effort, no wait), closes the descriptors
    void terminate() noexcept override;   // closes the descriptors
    void closeWrite() noexcept;           // closes only the write end: the peer sees end-of-stream

private:
    void closeFds() noexcept;

    int readFd_;
    int writeFd_;
    std::string name_;
    Options options_;
    bool readNonBlocking_ = false;
    std::vector<std::byte> inbuf_;   // bytes read but not yet returned as a frame
    std::size_t inStart_ = 0;
    std::size_t inEnd_ = 0;
};

// The worker's end on its own stdin/stdout. Takes them over: the channel keeps private duplicates,
// then fd 0 becomes /dev/null and fd 1 a duplicate of stderr, so a stray print (or a log line sent
// to the console) goes to stderr instead of corrupting the frame stream. Call once, early in main.
std::unique_ptr<FdChannel> makeStdioChannel();

}  // namespace pgark::protocol
