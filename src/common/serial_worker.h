// SerialWorker: one background thread that runs the tasks handed to it one at a time, in the order
// given. It lets a command overlap stages of one stream on a 2-core machine (hash, write) while the
// caller's thread does the next chunk. Tasks refer to the caller's buffers: the caller may reuse a
// buffer only after waitFor(ticket of the last task using it) returned. After a task throws, the
// tasks queued behind it are dropped and the next waitFor()/finish() rethrows the failure.
// One owner thread; not copyable. The destructor waits for the running task and drops the rest.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>

namespace pgark {

class SerialWorker {
public:
    SerialWorker();
    ~SerialWorker();
    SerialWorker(const SerialWorker&) = delete;
    SerialWorker& operator=(const SerialWorker&) = delete;

    // Queues `task`; returns its ticket, 1 for the first task and one more for each after it.
    std::uint64_t submit(std::function<void()> task);
    // Returns once the task with `ticket` and all before it have run (0: at once); rethrows the
    // first failure of any task.
    void waitFor(std::uint64_t ticket);
    // Waits for every queued task; rethrows the first failure.
    void finish();

    // For a worker that outlives the scope whose locals its task uses (one made before a dlopen,
    // say, and handed down): waits in its destructor for `ticket`, also when the scope is left by
    // an exception. A failure is left for the owner's own waitFor()/finish().
    //     SerialWorker::TaskScope scope(worker);
    //     scope.ticket = worker.submit([&] { ... });
    struct TaskScope {
        explicit TaskScope(SerialWorker& owner) noexcept : worker(owner) {}
        ~TaskScope();
        TaskScope(const TaskScope&) = delete;
        TaskScope& operator=(const TaskScope&) = delete;
        SerialWorker& worker;
        std::uint64_t ticket = 0;  // 0: nothing to wait for
    };

private:
    void run();

    std::mutex mutex_;
    std::condition_variable wake_;  // the worker: a task was queued or stop_ was set
    std::condition_variable done_;  // the owner: a task finished or failed
    std::deque<std::function<void()>> queue_;
    std::uint64_t submitted_ = 0;   // tickets handed out
    std::uint64_t completed_ = 0;   // tickets run (or dropped after a failure)
    std::exception_ptr failure_;
    bool stop_ = false;
    std::thread thread_;            // last: starts once the members above exist
};

}  // namespace pgark
