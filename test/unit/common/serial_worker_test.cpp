// SerialWorker runs tasks one at a time in order, waitFor() orders the owner after a task, and a
// failure stops the queue and reaches the owner.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include "common/serial_worker.h"

using pgark::SerialWorker;

TEST_CASE("SerialWorker runs tasks in order and waitFor orders the owner after them", "[unit][common]") {
    SerialWorker worker;
    std::vector<int> seen;  // written by the worker only, read after waitFor()
    std::uint64_t last = 0;
    for (int i = 0; i < 200; i++) last = worker.submit([&seen, i] { seen.push_back(i); });
    CHECK(last == 200);
    worker.waitFor(last);
    REQUIRE(seen.size() == 200);
    for (int i = 0; i < 200; i++) CHECK(seen[static_cast<std::size_t>(i)] == i);
    worker.waitFor(0);  // nothing to wait for
    worker.finish();
}

TEST_CASE("SerialWorker: a failed task drops those behind it and the owner gets the error", "[unit][common]") {
    SerialWorker worker;
    std::atomic<int> ran{0};
    worker.submit([&] { ++ran; });
    const std::uint64_t failing = worker.submit([] { throw std::runtime_error("disk on fire"); });
    const std::uint64_t after = worker.submit([&] { ran += 100; });
    CHECK_THROWS_WITH(worker.waitFor(after), "disk on fire");
    CHECK_THROWS_WITH(worker.finish(), "disk on fire");
    CHECK(failing == 2);
    worker.submit([&] { ran += 1000; });  // a broken worker runs nothing more
    CHECK_THROWS_WITH(worker.finish(), "disk on fire");
    CHECK(ran == 1);
}

TEST_CASE("SerialWorker's destructor waits for the running task and drops the rest", "[unit][common]") {
    std::atomic<int> ran{0};
    std::atomic<bool> started{false};
    {
        SerialWorker worker;
        worker.submit([&] {
            started = true;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            ++ran;
        });
        for (int i = 0; i < 10; i++) worker.submit([&] { ++ran; });
        while (!started) std::this_thread::yield();
    }
    CHECK(ran == 1);  // the running task finished, the queued ones never ran
}

TEST_CASE("SerialWorker::TaskScope waits for its task when the scope is left by an exception", "[unit][common]") {
    SerialWorker worker;  // outlives the scope whose locals the task uses
    std::atomic<bool> finished{false};
    try {
        std::vector<int> local(1000, 1);
        SerialWorker::TaskScope scope(worker);
        scope.ticket = worker.submit([&] {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            int sum = 0;
            for (const int value : local) sum += value;  // the scope's local, still alive
            finished = sum == 1000;
        });
        throw std::runtime_error("compression failed");
    } catch (const std::runtime_error&) {
        CHECK(finished);  // the scope did not end before its task
    }
    // The worker goes on serving the next scope.
    int ran = 0;
    {
        SerialWorker::TaskScope scope(worker);
        scope.ticket = worker.submit([&] { ran = 1; });
    }
    CHECK(ran == 1);
}

TEST_CASE("SerialWorker::TaskScope leaves a task's failure to the owner's waitFor", "[unit][common]") {
    SerialWorker worker;
    std::uint64_t ticket = 0;
    {
        SerialWorker::TaskScope scope(worker);  // its destructor must not throw
        ticket = scope.ticket = worker.submit([] { throw std::runtime_error("disk on fire"); });
    }
    CHECK_THROWS_WITH(worker.waitFor(ticket), "disk on fire");
    SerialWorker::TaskScope idle(worker);  // ticket 0: nothing to wait for, nothing thrown
}
