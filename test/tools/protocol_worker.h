// Command ids of the test worker (test/tools/protocol_worker.cpp), shared with the protocol unit
// tests that start it as a real worker process. Test-only; not part of pgark's protocol.
#pragma once

#include "protocol/job.h"

namespace pgark::test::worker {

inline constexpr protocol::CommandId kEcho = 1;      // payload: any fields -> the same fields back
inline constexpr protocol::CommandId kSleep = 2;     // u64 ms -> u64 ms, after sleeping that long
inline constexpr protocol::CommandId kFail = 3;      // u64 code, string message, bool retryable -> throws that Error
inline constexpr protocol::CommandId kCrash = 4;     // string "abort" | "exit" -> abort() / _exit(3), mid-job
inline constexpr protocol::CommandId kFlaky = 5;     // string token, u64 n -> fails retryably n times per token, then u64 attempts
inline constexpr protocol::CommandId kThrowStd = 6;  // string what -> throws std::runtime_error(what)
inline constexpr protocol::CommandId kPrint = 7;     // string text -> prints it to stdout, replies bool true
inline constexpr protocol::CommandId kListFds = 8;   // -> u64 count, then u64 per open descriptor of the worker
inline constexpr protocol::CommandId kPid = 9;       // -> u64 the worker's pid

}  // namespace pgark::test::worker
