// The system implementation of Clock.
#include "common/clock.h"

#include <thread>

namespace pgark {

namespace {

class SystemClock final : public Clock {
public:
    std::chrono::system_clock::time_point now() override { return std::chrono::system_clock::now(); }
    void sleep(std::chrono::milliseconds duration) override { std::this_thread::sleep_for(duration); }
};

}  // namespace

Clock& systemClock() noexcept {
    static SystemClock clock;
    return clock;
}

}  // namespace pgark
