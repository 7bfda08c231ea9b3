// protocol_worker: a minimal worker executable for the protocol tests. It serves the handlers of
// tools/protocol_worker.h on stdin/stdout exactly as `pgark local` will, so the tests can run a
// pool of real processes and make one crash, hang or misbehave on demand.
// Usage: protocol_worker [--job-retry=N]
#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/error.h"
#include "common/log.h"
#include "protocol/channel.h"
#include "protocol/server.h"
#include "tools/protocol_worker.h"

namespace {

using namespace pgark;
using namespace pgark::protocol;
namespace worker = pgark::test::worker;

Message echo(MessageReader& payload) {
    Message reply;
    reply.appendEncoded(payload.rest());
    return reply;
}

Message sleepFor(MessageReader& payload) {
    const std::uint64_t ms = payload.readU64();
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    return Message().addU64(ms);
}

Message fail(MessageReader& payload) {
    const auto number = static_cast<int>(payload.readU64());
    std::string message = payload.readString();
    const bool retryable = payload.readBool();
    const std::optional<ErrorCode> code = errorCodeFromNumber(number);
    throw Error(code.value_or(ErrorCode::Unknown), std::move(message), retryable ? Retry::Yes : Retry::No);
}

[[noreturn]] void crash(MessageReader& payload) {
    const std::string mode = payload.readString();
    if (mode == "exit") ::_exit(3);
    // No core file: the test only wants the process gone by a signal, not a dump on disk.
    const rlimit noCore{0, 0};
    ::setrlimit(RLIMIT_CORE, &noCore);
    std::abort();
}

// State across attempts of one job only (keyed by the job's token), which is what a retry needs.
std::map<std::string, std::uint64_t> flakyAttempts;

Message flaky(MessageReader& payload) {
    const std::string token = payload.readString();
    const std::uint64_t failures = payload.readU64();
    const std::uint64_t attempt = ++flakyAttempts[token];
    if (attempt <= failures)
        throw Error(ErrorCode::FileRead, fmt::format("flaky failure {} of {}", attempt, failures), Retry::Yes);
    return Message().addU64(attempt);
}

Message throwStd(MessageReader& payload) {
    throw std::runtime_error(payload.readString());
}

Message print(MessageReader& payload) {
    const std::string text = payload.readString();
    std::fputs(text.c_str(), stdout);
    std::fflush(stdout);
    return Message().addBool(true);
}

Message listFds(MessageReader&) {
    std::vector<std::uint64_t> fds;
    DIR* dir = ::opendir("/proc/self/fd");
    if (dir == nullptr) throwError(ErrorCode::PathOpen, "unable to list '/proc/self/fd'");
    const int own = ::dirfd(dir);
    while (const dirent* entry = ::readdir(dir)) {
        if (entry->d_name[0] == '.') continue;
        const int fd = std::atoi(entry->d_name);
        if (fd != own) fds.push_back(static_cast<std::uint64_t>(fd));
    }
    ::closedir(dir);
    Message reply;
    reply.addU64(fds.size());
    for (std::uint64_t fd : fds) reply.addU64(fd);
    return reply;
}

Message pid(MessageReader&) {
    return Message().addU64(static_cast<std::uint64_t>(::getpid()));
}

}  // namespace

int main(int argc, char** argv) {
    ServeOptions options;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg.starts_with("--job-retry=")) options.jobRetry = static_cast<unsigned>(std::atoi(argv[i] + 12));
    }
    // stdout is the protocol: nothing may log to the console.
    log::init(log::Settings{.console = log::Level::Off, .stderrLevel = log::Level::Warn, .timestamp = false});

    const std::vector<HandlerEntry> handlers = {
        {worker::kEcho, echo},         {worker::kSleep, sleepFor},   {worker::kFail, fail},
        {worker::kCrash, [](MessageReader& payload) -> Message { crash(payload); }},
        {worker::kFlaky, flaky},       {worker::kThrowStd, throwStd}, {worker::kPrint, print},
        {worker::kListFds, listFds},   {worker::kPid, pid},
    };
    try {
        auto channel = makeStdioChannel();
        serve(*channel, handlers, options);
        return 0;
    } catch (const Error& error) {
        std::fprintf(stderr, "protocol_worker: %s\n", error.what());
        return error.exitCode();
    }
}
