// FakeClock: a Clock whose time moves only when told to. sleep() returns at once and advances
// the time by the requested duration, so a timeout loop runs to its deadline instantly and the
// number and length of its sleeps can be asserted. Thread-safe (the parts of an S3 upload read
// it and sleep on threads of their own).
#pragma once

#include <chrono>
#include <mutex>

#include "common/clock.h"

namespace pgark::test {

class FakeClock final : public Clock {
public:
    // Starts at `start` (default 2023-11-14 22:13:20 UTC, an arbitrary fixed instant).
    explicit FakeClock(std::chrono::system_clock::time_point start =
                           std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000)))
        : now_(start) {}

    std::chrono::system_clock::time_point now() override {
        const std::lock_guard lock(mutex_);
        return now_;
    }

    void sleep(std::chrono::milliseconds duration) override {
        const std::lock_guard lock(mutex_);
        now_ += duration;
        slept_ += duration;
        ++sleepCount_;
    }

    void advance(std::chrono::milliseconds duration) {
        const std::lock_guard lock(mutex_);
        now_ += duration;
    }
    void set(std::chrono::system_clock::time_point time) {
        const std::lock_guard lock(mutex_);
        now_ = time;
    }

    std::chrono::milliseconds slept() const {  // total of all sleep() calls
        const std::lock_guard lock(mutex_);
        return slept_;
    }
    unsigned sleepCount() const {
        const std::lock_guard lock(mutex_);
        return sleepCount_;
    }

private:
    mutable std::mutex mutex_;
    std::chrono::system_clock::time_point now_;
    std::chrono::milliseconds slept_{0};
    unsigned sleepCount_ = 0;
};

}  // namespace pgark::test
