// runConcurrently: one piece of work run on several threads at once (this one and the others it
// starts), for the places that share a queue of independent items between threads: the delta
// check of a restore, the small-file groups of a backup to an object store. It owns what every
// such place needs to get right: starting the threads, letting the others stop early once one
// fails, joining them all before returning, and rethrowing the first failure on the caller's thread.
#pragma once

#include <atomic>
#include <functional>

namespace pgark {

// Runs `work` on `threads` threads (at least one: the caller's) and returns once every call has
// returned. When a call throws, `stop` becomes true so that the others can end early (they
// should check it between items), and once all have ended the first exception thrown is rethrown.
// If a thread cannot be started, `stop` is set, the threads started are joined, and that error
// is rethrown.
void runConcurrently(unsigned threads, const std::function<void(const std::atomic<bool>& stop)>& work);

}  // namespace pgark
