// FdChannel: frames over a read and a write descriptor.
// Reads go through a 64 KiB buffer so that a small frame usually costs one read() for header and
// body together; a large body is read straight into its own vector. A frame goes out as one
// writev() of header + parts, so the body is never copied into a staging buffer.
// SIGPIPE: the writing thread blocks SIGPIPE around its writes and swallows the one a broken pipe
// raises, so a dead peer turns into `false` from send() and never into a dead parent. This touches
// only the calling thread's mask, not the process-wide disposition that other code may rely on.
#include "protocol/channel.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstring>

#include "common/error.h"

namespace pgark::protocol {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::byte kMagic0{'p'};
constexpr std::byte kMagic1{'k'};
constexpr std::size_t kReadBufferSize = 64 * 1024;  // bytes

struct Deadline {
    bool timed;
    Clock::time_point at;
    std::chrono::milliseconds timeout;

    explicit Deadline(std::chrono::milliseconds ms)
        : timed(ms != kNoTimeout), at(timed ? Clock::now() + ms : Clock::time_point::max()), timeout(ms) {}

    // Milliseconds for poll(): -1 = forever, rounded up so we never wake just before the deadline.
    int pollMs() const {
        if (!timed) return -1;
        const auto left = at - Clock::now();
        if (left <= Clock::duration::zero()) return 0;
        const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
        return ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
    }
};

// Waits until `fd` is ready for `events`; false when the deadline passed first.
bool waitFor(int fd, short events, const Deadline& deadline) {
    for (;;) {
        pollfd entry{fd, events, 0};
        const int ms = deadline.pollMs();
        const int ready = ::poll(&entry, 1, ms);
        if (ready > 0) return true;
        if (ready == 0) {
            if (ms == 0 || Clock::now() >= deadline.at) return false;
            continue;
        }
        if (errno != EINTR) throwSys(ErrorCode::Protocol, errno, "unable to poll protocol pipe");
    }
}

// Blocks SIGPIPE for this thread while it writes; if a write hit EPIPE, the SIGPIPE that the
// kernel queued for the thread is taken off the queue before the old mask comes back.
class SigpipeGuard {
public:
    SigpipeGuard() {
        sigemptyset(&pipeSet_);
        sigaddset(&pipeSet_, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &pipeSet_, &oldMask_);
        sigset_t pending;
        sigemptyset(&pending);
        sigpending(&pending);
        wasPending_ = sigismember(&pending, SIGPIPE) == 1;
    }
    ~SigpipeGuard() {
        const int savedErrno = errno;
        if (sawEpipe_ && !wasPending_) {
            const timespec zero{0, 0};
            while (sigtimedwait(&pipeSet_, nullptr, &zero) < 0 && errno == EINTR) {
            }
        }
        pthread_sigmask(SIG_SETMASK, &oldMask_, nullptr);
        errno = savedErrno;
    }
    SigpipeGuard(const SigpipeGuard&) = delete;
    SigpipeGuard& operator=(const SigpipeGuard&) = delete;
    void sawEpipe() noexcept { sawEpipe_ = true; }

private:
    sigset_t pipeSet_;
    sigset_t oldMask_;
    bool wasPending_ = false;
    bool sawEpipe_ = false;
};

std::string preview(const std::byte* data, std::size_t size) {
    std::string text;
    for (std::size_t i = 0; i < size && i < 40; ++i) {
        const auto c = static_cast<unsigned char>(data[i]);
        text += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '.';
    }
    return text;
}

}  // namespace

std::string_view frameTypeName(FrameType type) noexcept {
    switch (type) {
    case FrameType::Job: return "job";
    case FrameType::Result: return "result";
    case FrameType::Error: return "error";
    case FrameType::Exit: return "exit";
    }
    return "unknown";
}

FdChannel::FdChannel(int readFd, int writeFd, std::string name, Options options)
    : readFd_(readFd), writeFd_(writeFd), name_(std::move(name)), options_(options), inbuf_(kReadBufferSize) {
    const int flags = readFd_ >= 0 ? ::fcntl(readFd_, F_GETFL) : -1;
    readNonBlocking_ = flags >= 0 && (flags & O_NONBLOCK) != 0;
}

FdChannel::~FdChannel() {
    closeFds();
}

void FdChannel::closeFds() noexcept {
    if (options_.ownFds) {
        if (readFd_ >= 0) ::close(readFd_);
        if (writeFd_ >= 0) ::close(writeFd_);
    }
    readFd_ = -1;
    writeFd_ = -1;
}

void FdChannel::close() noexcept {
    closeFds();
}

void FdChannel::terminate() noexcept {
    closeFds();
}

void FdChannel::closeWrite() noexcept {
    if (options_.ownFds && writeFd_ >= 0) ::close(writeFd_);
    writeFd_ = -1;
}

bool FdChannel::send(FrameType type, std::span<const io::ByteView> parts, std::chrono::milliseconds timeout) {
    if (writeFd_ < 0) return false;
    std::size_t total = 0;
    for (const io::ByteView& part : parts) total += part.size();
    if (total > kMaxFrameBody)
        throwError(ErrorCode::Protocol, "unable to send a {} frame of {} bytes to {}: the limit is {} bytes",
                   frameTypeName(type), total, name_, kMaxFrameBody);

    std::byte header[kFrameHeaderSize] = {kMagic0, kMagic1, static_cast<std::byte>(type), std::byte{0}};
    for (unsigned i = 0; i < 4; ++i) header[4 + i] = static_cast<std::byte>((total >> (8 * i)) & 0xff);

    std::vector<iovec> iov;
    iov.reserve(parts.size() + 1);
    iov.push_back({header, kFrameHeaderSize});
    for (const io::ByteView& part : parts)
        if (!part.empty()) iov.push_back({const_cast<std::byte*>(part.data()), part.size()});

    const Deadline deadline(timeout);
    SigpipeGuard guard;
    std::size_t next = 0;
    while (next < iov.size()) {
        const int count = static_cast<int>(std::min<std::size_t>(iov.size() - next, IOV_MAX));
        const ssize_t written = ::writev(writeFd_, iov.data() + next, count);
        if (written < 0) {
            if (errno == EINTR) continue;
            if (errno == EPIPE) {
                guard.sawEpipe();
                return false;
            }
            if (errno == EAGAIN) {
                if (!waitFor(writeFd_, POLLOUT, deadline))
                    throwError(ErrorCode::ProtocolTimeout, "timed out after {}ms sending a {} frame to {}",
                               timeout.count(), frameTypeName(type), name_);
                continue;
            }
            throwSys(ErrorCode::Protocol, errno, fmt::format("unable to write to {}", name_));
        }
        // Skip the iovecs written in full and trim the one written in part.
        auto left = static_cast<std::size_t>(written);
        while (next < iov.size() && left >= iov[next].iov_len) left -= iov[next++].iov_len;
        if (left != 0) {
            iov[next].iov_base = static_cast<std::byte*>(iov[next].iov_base) + left;
            iov[next].iov_len -= left;
        }
    }
    return true;
}

std::optional<Frame> FdChannel::receive(std::chrono::milliseconds timeout) {
    if (readFd_ < 0) return std::nullopt;
    const Deadline deadline(timeout);

    // One read of what is available; 0 = end of stream. A blocking descriptor is polled first when
    // the wait is timed, a non-blocking one only after it says EAGAIN (saves a poll per frame).
    auto readAvailable = [&](std::byte* into, std::size_t capacity) -> std::size_t {
        for (;;) {
            if (!readNonBlocking_ && deadline.timed && !waitFor(readFd_, POLLIN, deadline))
                throwError(ErrorCode::ProtocolTimeout, "timed out after {}ms waiting for a frame from {}",
                           timeout.count(), name_);
            const ssize_t got = ::read(readFd_, into, capacity);
            if (got >= 0) return static_cast<std::size_t>(got);
            if (errno == EINTR) continue;
            if (errno == EAGAIN) {
                if (!waitFor(readFd_, POLLIN, deadline))
                    throwError(ErrorCode::ProtocolTimeout, "timed out after {}ms waiting for a frame from {}",
                               timeout.count(), name_);
                continue;
            }
            throwSys(ErrorCode::Protocol, errno, fmt::format("unable to read from {}", name_));
        }
    };

    // Header: buffered reads, possibly picking up the body and later frames too.
    while (inEnd_ - inStart_ < kFrameHeaderSize) {
        if (inStart_ == inEnd_) {
            inStart_ = inEnd_ = 0;
        } else if (inEnd_ == inbuf_.size()) {
            std::memmove(inbuf_.data(), inbuf_.data() + inStart_, inEnd_ - inStart_);
            inEnd_ -= inStart_;
            inStart_ = 0;
        }
        const std::size_t got = readAvailable(inbuf_.data() + inEnd_, inbuf_.size() - inEnd_);
        if (got == 0) {
            if (inEnd_ == inStart_) return std::nullopt;
            throwError(ErrorCode::Protocol, "unexpected end of stream from {} after {} of {} frame header bytes",
                       name_, inEnd_ - inStart_, kFrameHeaderSize);
        }
        inEnd_ += got;
    }

    const std::byte* header = inbuf_.data() + inStart_;
    if (header[0] != kMagic0 || header[1] != kMagic1) {
        throw Error(ErrorCode::Protocol,
                    fmt::format("unexpected bytes from {} where a frame should start: '{}'", name_,
                                preview(header, inEnd_ - inStart_)))
            .withHint("a worker must write nothing but protocol frames to its stdout; logs belong on stderr");
    }
    const auto typeNumber = static_cast<std::uint8_t>(header[2]);
    if (typeNumber < static_cast<std::uint8_t>(FrameType::Job) || typeNumber > static_cast<std::uint8_t>(FrameType::Exit))
        throwError(ErrorCode::Protocol, "unknown frame type {} from {}", typeNumber, name_);
    const auto type = static_cast<FrameType>(typeNumber);
    std::size_t size = 0;
    for (unsigned i = 0; i < 4; ++i) size |= static_cast<std::size_t>(header[4 + i]) << (8 * i);
    if (size > kMaxFrameBody)
        throwError(ErrorCode::Protocol, "{} frame of {} bytes from {} exceeds the limit of {} bytes",
                   frameTypeName(type), size, name_, kMaxFrameBody);
    inStart_ += kFrameHeaderSize;

    // Body: what is buffered, then straight into the body vector (never past this frame's end).
    std::vector<std::byte> body(size);
    std::size_t have = std::min(size, inEnd_ - inStart_);
    if (have != 0) std::memcpy(body.data(), inbuf_.data() + inStart_, have);
    inStart_ += have;
    while (have < size) {
        const std::size_t got = readAvailable(body.data() + have, size - have);
        if (got == 0)
            throwError(ErrorCode::Protocol, "unexpected end of stream from {} inside a {} frame: {} of {} body bytes",
                       name_, frameTypeName(type), have, size);
        have += got;
    }
    if (inStart_ == inEnd_) inStart_ = inEnd_ = 0;
    return Frame{type, Message(std::move(body))};
}

std::unique_ptr<FdChannel> makeStdioChannel() {
    const int in = ::fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
    if (in < 0) throwSys(ErrorCode::Protocol, errno, "unable to duplicate stdin for the protocol");
    const int out = ::fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
    if (out < 0) {
        const int savedErrno = errno;
        ::close(in);
        throwSys(ErrorCode::Protocol, savedErrno, "unable to duplicate stdout for the protocol");
    }
    // From here on fd 0/1 are harmless: nothing can read a frame meant for the channel, and
    // anything printed lands on stderr.
    const int devNull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (devNull >= 0) {
        ::dup2(devNull, STDIN_FILENO);
        ::close(devNull);
    }
    ::dup2(STDERR_FILENO, STDOUT_FILENO);
    return std::make_unique<FdChannel>(in, out, "parent", FdChannel::Options{});
}

}  // namespace pgark::protocol
