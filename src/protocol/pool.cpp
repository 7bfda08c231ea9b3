// The pool's loop: fill every idle worker, then one poll() over all workers' pipes until a reply,
// a death or the earliest job deadline. Idle workers are polled too, so a worker that dies between
// jobs is noticed at once instead of at the next send. Each job's deadline starts when it is sent;
// a job that overruns is a hung worker as far as the parent can tell.
#include "protocol/pool.h"

#include <poll.h>

#include <cerrno>
#include <climits>

#include "common/error.h"
#include "protocol/process_channel.h"

namespace pgark::protocol {

namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr std::string_view kDeathHint = "the worker's own messages, if any, are on stderr above";

}  // namespace

WorkerPool::WorkerPool(std::vector<std::unique_ptr<WorkerChannel>> workers, std::chrono::milliseconds timeout)
    : workers_(std::move(workers)), running_(workers_.size()), timeout_(timeout) {
    if (workers_.empty()) throwError(ErrorCode::Assert, "worker pool needs at least one worker");
    for (const auto& worker : workers_)
        if (!worker) throwError(ErrorCode::Assert, "worker pool given a null channel");
    if (timeout_.count() <= 0) throwError(ErrorCode::Assert, "worker pool timeout must be positive");
}

WorkerPool::~WorkerPool() {
    close();
}

WorkerPool::WorkerPool(WorkerPool&& other) noexcept
    : workers_(std::move(other.workers_)),
      running_(std::move(other.running_)),
      timeout_(other.timeout_),
      broken_(other.broken_) {
    other.workers_.clear();
    other.running_.clear();
}

WorkerPool& WorkerPool::operator=(WorkerPool&& other) noexcept {
    if (this != &other) {
        close();
        workers_ = std::move(other.workers_);
        running_ = std::move(other.running_);
        timeout_ = other.timeout_;
        broken_ = other.broken_;
        other.workers_.clear();
        other.running_.clear();
    }
    return *this;
}

void WorkerPool::close() noexcept {
    for (auto& worker : workers_) worker->close();
}

void WorkerPool::stopAll() noexcept {
    // Workers holding a job are stopped without waiting for it; idle ones are asked to exit.
    for (unsigned i = 0; i < workers_.size(); ++i) {
        if (running_[i])
            workers_[i]->terminate();
        else
            workers_[i]->close();
        running_[i].reset();
    }
}

void WorkerPool::run(JobSource& source, const std::function<void(JobResult&&)>& onResult) {
    if (broken_) throwError(ErrorCode::Assert, "worker pool is unusable after an earlier failure");
    try {
        loop(source, onResult);
    } catch (...) {
        broken_ = true;
        stopAll();
        throw;
    }
}

std::chrono::milliseconds WorkerPool::remaining(unsigned workerIdx) const {
    if (timeout_ == kNoTimeout || !running_[workerIdx]) return timeout_;
    const auto left = running_[workerIdx]->deadline - SteadyClock::now();
    if (left <= SteadyClock::duration::zero()) return std::chrono::milliseconds(0);
    return std::chrono::ceil<std::chrono::milliseconds>(left);
}

void WorkerPool::fail(unsigned workerIdx, ErrorCode code, std::string_view what) {
    const std::string context =
        running_[workerIdx] ? fmt::format("while running job '{}'", running_[workerIdx]->key) : "while idle";
    throw Error(code, fmt::format("{} {} {}", workers_[workerIdx]->name(), what, context));
}

void WorkerPool::dispatch(unsigned workerIdx, Job&& job) {
    WorkerChannel& worker = *workers_[workerIdx];
    const Message envelope = wire::jobEnvelope(job.key, job.command);
    const auto now = SteadyClock::now();
    const auto deadline = timeout_ == kNoTimeout ? SteadyClock::time_point::max() : now + timeout_;
    running_[workerIdx] = Running{std::move(job.key), deadline};

    bool sent = false;
    try {
        sent = worker.send(FrameType::Job, {envelope.bytes(), job.payload.bytes()}, timeout_);
    } catch (const Error& error) {
        if (error.code() == ErrorCode::ProtocolTimeout)
            throw Error(ErrorCode::ProtocolTimeout,
                        fmt::format("{} did not accept job '{}' within {}ms", worker.name(),
                                    running_[workerIdx]->key, timeout_.count()));
        fail(workerIdx, ErrorCode::Protocol, fmt::format("could not be sent a job ({})", error.message()));
    }
    if (!sent) died(workerIdx);
}

void WorkerPool::died(unsigned workerIdx) {
    const std::string reason = workers_[workerIdx]->exitReason();
    try {
        fail(workerIdx, ErrorCode::Protocol, reason);
    } catch (Error& error) {
        error.withHint(std::string(kDeathHint));
        throw;
    }
}

void WorkerPool::collect(unsigned workerIdx, const std::function<void(JobResult&&)>& onResult) {
    WorkerChannel& worker = *workers_[workerIdx];
    std::optional<Frame> frame;
    try {
        frame = worker.receive(remaining(workerIdx));
    } catch (const Error& error) {
        if (error.code() == ErrorCode::ProtocolTimeout && running_[workerIdx])
            throw Error(ErrorCode::ProtocolTimeout,
                        fmt::format("{} did not finish job '{}' within {}ms", worker.name(), running_[workerIdx]->key,
                                    timeout_.count()))
                .withHint("raise protocol-timeout if jobs this large need longer");
        Error wrapped(ErrorCode::Protocol,
                      fmt::format("{} sent a broken reply {}: {}", worker.name(),
                                  running_[workerIdx] ? fmt::format("to job '{}'", running_[workerIdx]->key)
                                                      : std::string("while idle"),
                                  error.message()));
        if (!error.hint().empty()) wrapped.withHint(error.hint());
        throw wrapped;
    }
    if (!frame) died(workerIdx);
    if (!running_[workerIdx])
        fail(workerIdx, ErrorCode::Protocol, fmt::format("sent an unexpected {} frame", frameTypeName(frame->type)));
    if (frame->type != FrameType::Result && frame->type != FrameType::Error)
        fail(workerIdx, ErrorCode::Protocol, fmt::format("sent an unexpected {} frame", frameTypeName(frame->type)));

    JobResult result;
    result.key = std::move(running_[workerIdx]->key);
    result.workerIdx = workerIdx;
    running_[workerIdx].reset();
    if (frame->type == FrameType::Result) {
        result.outcome = std::move(frame->body);
    } else {
        try {
            result.outcome = wire::decodeError(frame->body);
        } catch (const Error& error) {
            throwError(ErrorCode::Protocol, "{} sent a malformed error reply to job '{}': {}", worker.name(),
                       result.key, error.message());
        }
    }
    onResult(std::move(result));
}

void WorkerPool::loop(JobSource& source, const std::function<void(JobResult&&)>& onResult) {
    const auto count = static_cast<unsigned>(workers_.size());
    std::vector<pollfd> fds(count);
    for (;;) {
        bool busy = false;
        for (unsigned i = 0; i < count; ++i) {
            if (!running_[i]) {
                std::optional<Job> job = source.next(i);
                if (job) dispatch(i, std::move(*job));
            }
            busy = busy || running_[i].has_value();
        }
        if (!busy) return;

        auto earliest = SteadyClock::time_point::max();
        for (unsigned i = 0; i < count; ++i) {
            fds[i] = pollfd{workers_[i]->pollFd(), POLLIN, 0};
            if (running_[i] && running_[i]->deadline < earliest) earliest = running_[i]->deadline;
        }
        int waitMs = -1;
        if (earliest != SteadyClock::time_point::max()) {
            const auto left = std::chrono::ceil<std::chrono::milliseconds>(earliest - SteadyClock::now()).count();
            waitMs = left <= 0 ? 0 : (left > INT_MAX ? INT_MAX : static_cast<int>(left));
        }
        const int ready = ::poll(fds.data(), count, waitMs);
        if (ready < 0) {
            if (errno == EINTR) continue;
            throwSys(ErrorCode::Protocol, errno, "unable to wait for workers");
        }
        // Replies first: a reply that arrived just at the deadline still counts.
        for (unsigned i = 0; i < count && ready > 0; ++i)
            if (fds[i].revents != 0) collect(i, onResult);
        const auto now = SteadyClock::now();
        for (unsigned i = 0; i < count; ++i)
            if (running_[i] && now >= running_[i]->deadline)
                throw Error(ErrorCode::ProtocolTimeout,
                            fmt::format("{} did not finish job '{}' within {}ms", workers_[i]->name(),
                                        running_[i]->key, timeout_.count()))
                    .withHint("raise protocol-timeout if jobs this large need longer");
    }
}

WorkerPool makeProcessPool(unsigned count, const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
    return makeProcessPool(count, [&argv](unsigned) { return argv; }, timeout);
}

WorkerPool makeProcessPool(unsigned count,
                           const std::function<std::vector<std::string>(unsigned workerIdx)>& argvFor,
                           std::chrono::milliseconds timeout) {
    if (count == 0) throwError(ErrorCode::Assert, "worker pool needs at least one worker");
    std::vector<std::unique_ptr<WorkerChannel>> workers;
    workers.reserve(count);
    for (unsigned i = 0; i < count; ++i)
        workers.push_back(std::make_unique<ProcessChannel>(argvFor(i), fmt::format("worker {}", i + 1)));
    return WorkerPool(std::move(workers), timeout);
}

}  // namespace pgark::protocol
