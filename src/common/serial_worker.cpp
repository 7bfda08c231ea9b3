// SerialWorker: see serial_worker.h.
#include "common/serial_worker.h"

#include <utility>

namespace pgark {

SerialWorker::SerialWorker() : thread_([this] { run(); }) {}

SerialWorker::~SerialWorker() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
        queue_.clear();  // never run a task whose buffers the owner is about to free
    }
    wake_.notify_one();
    thread_.join();
}

SerialWorker::TaskScope::~TaskScope() {
    try {
        worker.waitFor(ticket);
    } catch (...) {
        // the task failed, or one before it: the owner's waitFor()/finish() reports it
    }
}

std::uint64_t SerialWorker::submit(std::function<void()> task) {
    std::uint64_t ticket;
    {
        std::lock_guard lock(mutex_);
        ticket = ++submitted_;
        if (failure_) {
            ++completed_;  // a broken stream runs nothing more; waitFor() reports the failure
            return ticket;
        }
        queue_.push_back(std::move(task));
    }
    wake_.notify_one();
    return ticket;
}

void SerialWorker::waitFor(std::uint64_t ticket) {
    std::unique_lock lock(mutex_);
    done_.wait(lock, [&] { return completed_ >= ticket || failure_; });
    if (failure_) std::rethrow_exception(failure_);
}

void SerialWorker::finish() {
    std::uint64_t last;
    {
        std::lock_guard lock(mutex_);
        last = submitted_;
    }
    waitFor(last);
}

void SerialWorker::run() {
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_.wait(lock, [&] { return stop_ || !queue_.empty(); });
        if (stop_) return;
        std::function<void()> task = std::move(queue_.front());
        queue_.pop_front();
        lock.unlock();
        std::exception_ptr failed;
        try {
            task();
        } catch (...) {
            failed = std::current_exception();
        }
        lock.lock();
        if (failed && !failure_) failure_ = failed;
        if (failure_) {
            // The stream is broken: what is queued behind the failure must not run.
            completed_ += 1 + queue_.size();
            queue_.clear();
        } else {
            ++completed_;
        }
        done_.notify_all();
    }
}

}  // namespace pgark
