// runConcurrently: see run_concurrently.h.
#include "common/run_concurrently.h"

#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace pgark {

void runConcurrently(unsigned threads, const std::function<void(const std::atomic<bool>& stop)>& work) {
    std::atomic<bool> stop{false};
    std::mutex mutex;
    std::exception_ptr failure;
    const auto run = [&] {
        try {
            work(stop);
        } catch (...) {
            const std::lock_guard lock(mutex);
            if (!failure) failure = std::current_exception();
            stop = true;
        }
    };
    std::vector<std::thread> started;
    try {
        for (unsigned i = 1; i < threads; i++) started.emplace_back(run);
    } catch (...) {
        stop = true;
        for (std::thread& thread : started) thread.join();
        throw;
    }
    run();
    for (std::thread& thread : started) thread.join();
    if (failure) std::rethrow_exception(failure);
}

}  // namespace pgark
