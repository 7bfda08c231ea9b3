// Worker thread over pipes. The worker's ends stay blocking (like a real worker's stdin/stdout);
// the parent's ends are non-blocking, as in ProcessChannel, so the pool sees identical behaviour.
#include "protocol/in_process_channel.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "common/error.h"

namespace pgark::protocol {

namespace {

void makePipe(int fds[2]) {
    if (::pipe2(fds, O_CLOEXEC) != 0) throwSys(ErrorCode::Protocol, errno, "unable to create worker pipe");
}

}  // namespace

InProcessChannel::InProcessChannel(std::vector<HandlerEntry> handlers, ServeOptions options, std::string name) {
    int toWorker[2];
    int fromWorker[2];
    makePipe(toWorker);
    try {
        makePipe(fromWorker);
    } catch (...) {
        ::close(toWorker[0]);
        ::close(toWorker[1]);
        throw;
    }
    for (int fd : {toWorker[1], fromWorker[0]}) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    fds_ = std::make_unique<FdChannel>(fromWorker[0], toWorker[1], std::move(name), FdChannel::Options{});

    auto worker = std::make_unique<FdChannel>(toWorker[0], fromWorker[1], "parent", FdChannel::Options{});
    thread_ = std::thread([this, worker = std::move(worker), handlers = std::move(handlers), options]() {
        try {
            serve(*worker, handlers, options);
        } catch (const std::exception& error) {
            threadError_ = error.what();
        }
        worker->close();  // the parent sees end-of-stream, as from an exited process
    });
}

InProcessChannel::~InProcessChannel() {
    close();
}

void InProcessChannel::join() noexcept {
    if (thread_.joinable()) thread_.join();
}

std::string InProcessChannel::exitReason() {
    fds_->terminate();
    join();
    return threadError_.empty() ? "worker thread ended" : "worker thread ended with error: " + threadError_;
}

void InProcessChannel::close() noexcept {
    if (thread_.joinable()) {
        try {
            (void)fds_->send(FrameType::Exit, {}, std::chrono::milliseconds(100));
        } catch (...) {  // closing the pipe below ends the thread just as well
        }
    }
    fds_->terminate();
    join();
}

void InProcessChannel::terminate() noexcept {
    fds_->terminate();
    join();
}

}  // namespace pgark::protocol
