// Clock: the one seam for reading wall-clock time and for sleeping, so that timeouts, retry
// back-off and backup labels can be made deterministic in tests (test/fake/fake_clock.h).
// systemClock() is a stateless process-wide singleton, safe from any thread. Code that takes a
// `Clock*` borrows it: the clock must outlive the call (or the object) that uses it.
#pragma once

#include <chrono>

namespace pgark {

class Clock {
public:
    virtual ~Clock() = default;

    // Current wall-clock time. Labels and log timestamps are formatted from it in local time.
    virtual std::chrono::system_clock::time_point now() = 0;

    // Blocks the calling thread for `duration` (a fake clock only moves its time forward).
    virtual void sleep(std::chrono::milliseconds duration) = 0;
};

// The real clock: std::chrono::system_clock and std::this_thread::sleep_for.
Clock& systemClock() noexcept;

}  // namespace pgark
