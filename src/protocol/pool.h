// WorkerPool: the parent side of parallel work (backup, restore, verify, async archiving). The
// parent owns all state; it pulls small self-contained jobs from a JobSource, hands each to an
// idle worker over its channel, and passes every reply to onResult, on the caller's thread. A
// worker that dies or overruns the protocol timeout ends run() with an Error naming it and its
// job; nothing waits forever. The pool owns its channels (and so its worker processes). Not
// thread-safe: one thread creates it, runs it and destroys it.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "protocol/channel.h"
#include "protocol/job.h"

namespace pgark::protocol {

// Called only on the pool's thread (no locking needed). Ordering (largest first, per-tablespace
// queues, work stealing) is the source's business; the pool only says which worker is free.
class JobSource {
public:
    virtual ~JobSource() = default;
    // The next job for worker `workerIdx` (0-based), or nullopt when there is nothing *for this
    // worker* right now. The pool asks every idle worker again after each batch of results (a
    // result may unlock more work), and run() ends once every worker is idle and has been told
    // nullopt.
    virtual std::optional<Job> next(unsigned workerIdx) = 0;
};

class WorkerPool {
public:
    // Takes the channels (at least one). `timeout` bounds each job from send to reply and each
    // frame transfer (protocol-timeout); kNoTimeout disables it.
    WorkerPool(std::vector<std::unique_ptr<WorkerChannel>> workers, std::chrono::milliseconds timeout);
    ~WorkerPool();  // close()
    WorkerPool(WorkerPool&&) noexcept;
    WorkerPool& operator=(WorkerPool&&) noexcept;

    // Runs until the source is dry and every result is in. onResult runs on the caller's thread
    // (the one place to mutate the manifest), once per job, with the reply or the job's
    // RemoteError: deciding whether an error is fatal is the caller's business. Throws
    // Error(Protocol) when a worker dies (end of stream or exit) or breaks the framing, and
    // Error(ProtocolTimeout) when a job overruns the timeout; both name the worker and the job.
    // Any exception (from the source or onResult too) stops every worker first (no zombies) and
    // leaves the pool unusable: a later run() throws Error(Assert). May be called again after
    // a run that returned normally; the workers stay up in between.
    void run(JobSource& source, const std::function<void(JobResult&&)>& onResult);

    // Asks every worker to exit and reaps it. Idempotent; the destructor calls it.
    void close() noexcept;

    unsigned size() const noexcept { return static_cast<unsigned>(workers_.size()); }
    WorkerChannel& worker(unsigned workerIdx) { return *workers_.at(workerIdx); }

private:
    struct Running {
        std::string key;
        std::chrono::steady_clock::time_point deadline;
    };

    void loop(JobSource& source, const std::function<void(JobResult&&)>& onResult);
    void dispatch(unsigned workerIdx, Job&& job);
    void collect(unsigned workerIdx, const std::function<void(JobResult&&)>& onResult);
    std::chrono::milliseconds remaining(unsigned workerIdx) const;
    [[noreturn]] void fail(unsigned workerIdx, ErrorCode code, std::string_view what);
    [[noreturn]] void died(unsigned workerIdx);  // end of stream: the worker exited or was killed
    void stopAll() noexcept;

    std::vector<std::unique_ptr<WorkerChannel>> workers_;
    std::vector<std::optional<Running>> running_;  // per worker: the job it holds, if any
    std::chrono::milliseconds timeout_;
    bool broken_ = false;
};

// Starts `count` workers running `argv` (e.g. {"/usr/bin/pgark", "local", ...}) as ProcessChannels
// named "worker 1".."worker <count>". The command line must not carry secrets: jobs carry
// everything a worker needs through the pipe. Throws Error(Execute) when a worker cannot start
// (the ones already started are stopped).
WorkerPool makeProcessPool(unsigned count, const std::vector<std::string>& argv, std::chrono::milliseconds timeout);
// As above with a command line per worker (e.g. to pass the 1-based process number for log lines).
WorkerPool makeProcessPool(unsigned count,
                           const std::function<std::vector<std::string>(unsigned workerIdx)>& argvFor,
                           std::chrono::milliseconds timeout);

}  // namespace pgark::protocol
