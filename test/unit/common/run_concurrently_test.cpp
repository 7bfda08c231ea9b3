// runConcurrently runs its work on the threads asked for, all at once, returns after every one
// ended, and hands the first failure to the caller after telling the others to stop.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

#include "common/run_concurrently.h"

using pgark::runConcurrently;

TEST_CASE("runConcurrently runs the work on every thread at once", "[unit][common]") {
    const unsigned threads = GENERATE(1U, 2U, 4U);
    std::atomic<unsigned> arrived{0};
    std::atomic<unsigned> finished{0};
    std::atomic<bool> stopSeen{false};
    std::mutex mutex;
    std::set<std::thread::id> ids;
    runConcurrently(threads, [&](const std::atomic<bool>& stop) {
        {
            const std::lock_guard lock(mutex);
            ids.insert(std::this_thread::get_id());
        }
        // Every call waits for all the others to have started: this only ends if they run at once.
        arrived++;
        while (arrived < threads) std::this_thread::yield();
        if (stop) stopSeen = true;  // Catch's CHECK is not for other threads: checked below
        finished++;
    });
    CHECK_FALSE(stopSeen);
    CHECK(finished == threads);
    CHECK(ids.size() == threads);
    CHECK(ids.count(std::this_thread::get_id()) == 1);  // the caller's thread is one of them
}

TEST_CASE("runConcurrently rethrows the first failure once the others saw stop and ended", "[unit][common]") {
    std::atomic<unsigned> calls{0};
    std::atomic<unsigned> stopped{0};
    const auto run = [&] {
        runConcurrently(3, [&](const std::atomic<bool>& stop) {
            if (calls++ == 0) throw std::runtime_error("the first item failed");
            // The others go on until they are told to stop, as a queue consumer does between items.
            while (!stop) std::this_thread::sleep_for(std::chrono::milliseconds(1));
            stopped++;
        });
    };
    CHECK_THROWS_WITH(run(), "the first item failed");
    CHECK(calls == 3);
    CHECK(stopped == 2);  // both ended before runConcurrently returned
}
