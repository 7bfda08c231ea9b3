// Tests for protocol/process_channel and the pool with real worker processes (the protocol_worker
// test tool): 3 workers running 200 jobs, a worker that aborts, exits or is SIGKILLed mid-job,
// a job that overruns the timeout, a worker printing to stdout, descriptors the worker must not
// inherit, and a worker that cannot start. Every case checks that no child is left unreaped.
#include "protocol/process_channel.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "common/error.h"
#include "protocol/pool.h"
#include "tools/protocol_worker.h"

namespace {

using pgark::Error;
using pgark::ErrorCode;
using namespace pgark::protocol;
using namespace std::chrono_literals;
namespace worker = pgark::test::worker;
using Catch::Matchers::Contains;
using Catch::Matchers::Matches;

std::vector<std::string> workerArgv(std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{PGARK_PROTOCOL_WORKER};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
}

// True when `pid` is no child of ours any more: it was reaped (no zombie left behind).
bool reaped(pid_t pid) {
    int status = 0;
    errno = 0;
    return ::waitpid(pid, &status, WNOHANG) == -1 && errno == ECHILD;
}

struct ProcessPool {
    std::vector<pid_t> pids;
    std::unique_ptr<WorkerPool> pool;

    explicit ProcessPool(unsigned count, std::chrono::milliseconds timeout = 10000ms,
                         std::vector<std::string> extra = {}) {
        std::vector<std::unique_ptr<WorkerChannel>> workers;
        for (unsigned i = 0; i < count; ++i) {
            auto channel = std::make_unique<ProcessChannel>(workerArgv(extra), fmt::format("worker {}", i + 1));
            pids.push_back(channel->pid());
            workers.push_back(std::move(channel));
        }
        pool = std::make_unique<WorkerPool>(std::move(workers), timeout);
    }
    bool allReaped() const {
        for (pid_t pid : pids)
            if (!reaped(pid)) return false;
        return true;
    }
};

// A fixed list of jobs for whichever worker asks.
class ListSource final : public JobSource {
public:
    explicit ListSource(std::vector<Job> jobs) {
        for (Job& job : jobs) jobs_.push_back(std::move(job));
    }
    std::optional<Job> next(unsigned) override {
        if (index_ == jobs_.size()) return std::nullopt;
        return std::move(jobs_[index_++]);
    }

private:
    std::vector<Job> jobs_;
    std::size_t index_ = 0;
};

Job echoJob(unsigned number) {
    Job job{fmt::format("job-{}", number), worker::kEcho, {}};
    job.payload.addU64(number);
    return job;
}

Job sleepJob(std::string key, std::uint64_t ms) {
    Job job{std::move(key), worker::kSleep, {}};
    job.payload.addU64(ms);
    return job;
}

Job crashJob(std::string key, std::string mode) {
    Job job{std::move(key), worker::kCrash, {}};
    job.payload.addString(mode);
    return job;
}

// Runs the pool and returns the Error that must end run(), with how long run() took.
std::pair<Error, std::chrono::milliseconds> runFailing(WorkerPool& pool, JobSource& source) {
    const auto start = std::chrono::steady_clock::now();
    try {
        pool.run(source, [](JobResult&& result) { (void)result.output(); });
    } catch (const Error& error) {
        return {error, std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start)};
    }
    FAIL("run() should have failed");
    return {Error(ErrorCode::Assert, "unreachable"), 0ms};
}

}  // namespace

TEST_CASE("ProcessChannel starts a worker process and talks to it over its stdin/stdout", "[unit][protocol]") {
    ProcessChannel channel(workerArgv(), "worker 1");
    const pid_t pid = channel.pid();
    CHECK(channel.name() == fmt::format("worker 1 (pid {})", pid));

    const Message envelope = wire::jobEnvelope("who", worker::kPid);
    REQUIRE(channel.send(FrameType::Job, {envelope.bytes()}, 5000ms));
    std::optional<Frame> reply = channel.receive(5000ms);
    REQUIRE(reply);
    REQUIRE(reply->type == FrameType::Result);
    CHECK(reply->body.reader().readU64() == static_cast<std::uint64_t>(pid));

    SECTION("close() asks it to exit and reaps it") {
        channel.close();
        CHECK(channel.reaped());
        CHECK(reaped(pid));
        CHECK(channel.exitReason() == "exited with status 0");
    }

    SECTION("the worker inherits no descriptor but stdin, stdout and stderr") {
        // A descriptor opened without O_CLOEXEC, as careless code elsewhere might.
        const int leaky = ::open("/dev/null", O_RDONLY);
        REQUIRE(leaky >= 0);
        ProcessChannel second(workerArgv(), "worker 2");
        ::close(leaky);
        const Message list = wire::jobEnvelope("fds", worker::kListFds);
        REQUIRE(second.send(FrameType::Job, {list.bytes()}, 5000ms));
        std::optional<Frame> fds = second.receive(5000ms);
        REQUIRE(fds);
        MessageReader reader = fds->body.reader();
        std::set<std::uint64_t> open;
        for (std::uint64_t n = reader.readU64(); n > 0; --n) open.insert(reader.readU64());
        // 0 = /dev/null, 1 = stderr, 2 = stderr: then the channel's two private duplicates.
        CHECK(open.size() == 5);
        CHECK(open.count(0) == 1);
        CHECK(open.count(1) == 1);
        CHECK(open.count(2) == 1);
    }

    SECTION("output printed to stdout by a handler does not corrupt the frame stream") {
        const Message print = wire::jobEnvelope("print", worker::kPrint);
        const Message text = Message().addString("protocol_worker: a stray line on stdout (expected in this test)\n");
        REQUIRE(channel.send(FrameType::Job, {print.bytes(), text.bytes()}, 5000ms));
        std::optional<Frame> printed = channel.receive(5000ms);
        REQUIRE(printed);
        CHECK(printed->type == FrameType::Result);
        REQUIRE(channel.send(FrameType::Job, {envelope.bytes()}, 5000ms));
        std::optional<Frame> again = channel.receive(5000ms);
        REQUIRE(again);
        CHECK(again->type == FrameType::Result);
    }
}

TEST_CASE("ProcessChannel reports a worker that cannot start as Error(Execute)", "[unit][protocol]") {
    try {
        ProcessChannel channel({"/nonexistent/pgark-worker", "local"}, "worker 1");
        FAIL("expected Error(Execute)");
    } catch (const Error& error) {
        CHECK(error.code() == ErrorCode::Execute);
        CHECK(error.message() == "unable to start worker 1 '/nonexistent/pgark-worker': [2] No such file or directory");
    }
    try {
        (void)makeProcessPool(
            3, [](unsigned idx) { return idx == 2 ? std::vector<std::string>{"/nonexistent"} : workerArgv(); }, 1000ms);
        FAIL("expected Error(Execute)");
    } catch (const Error& error) {
        CHECK(error.code() == ErrorCode::Execute);
        CHECK_THAT(error.message(), Contains("worker 3"));
    }
}

TEST_CASE("A pool of 3 worker processes runs 200 jobs", "[unit][protocol]") {
    WorkerPool pool = makeProcessPool(3, workerArgv(), 10000ms);
    std::vector<Job> jobs;
    for (unsigned i = 0; i < 200; ++i) jobs.push_back(echoJob(i));
    ListSource source(std::move(jobs));
    std::map<std::string, unsigned> seen;
    std::set<unsigned> workers;
    pool.run(source, [&](JobResult&& result) {
        const std::uint64_t number = result.output().reader().readU64();
        CHECK(result.key == fmt::format("job-{}", number));
        ++seen[result.key];
        workers.insert(result.workerIdx);
    });
    CHECK(seen.size() == 200);
    CHECK(workers == std::set<unsigned>{0, 1, 2});

    SECTION("a retryable failure is retried by the worker (--job-retry)") {
        WorkerPool retrying = makeProcessPool(1, workerArgv({"--job-retry=2"}), 10000ms);
        Job flaky{"flaky", worker::kFlaky, {}};
        flaky.payload.addString("flaky").addU64(2);
        Job fatal{"fatal", worker::kFail, {}};
        fatal.payload.addU64(static_cast<std::uint64_t>(ErrorCode::FileMissing)).addString("gone").addBool(false);
        ListSource more({std::move(flaky), std::move(fatal)});
        std::map<std::string, JobResult> results;
        retrying.run(more, [&](JobResult&& result) { results.emplace(result.key, std::move(result)); });
        CHECK(results.at("flaky").output().reader().readU64() == 3);
        REQUIRE(results.at("fatal").error() != nullptr);
        CHECK(results.at("fatal").error()->code == ErrorCode::FileMissing);
        CHECK(results.at("fatal").error()->message == "gone");
    }
}

TEST_CASE("A worker process that dies mid-job ends run() with Error(Protocol) naming it and the job",
          "[unit][protocol]") {
    ProcessPool workers(3);

    SECTION("abort()") {
        std::vector<Job> jobs;
        for (unsigned i = 0; i < 20; ++i) jobs.push_back(echoJob(i));
        jobs.push_back(crashJob("pg_data/base/1/1259", "abort"));
        jobs.push_back(sleepJob("long", 10000));  // busy elsewhere when the crash is noticed
        for (unsigned i = 20; i < 40; ++i) jobs.push_back(echoJob(i));
        ListSource source(std::move(jobs));
        const auto [error, elapsed] = runFailing(*workers.pool, source);
        CHECK(error.code() == ErrorCode::Protocol);
        CHECK_THAT(error.message(),
                   Matches("worker [123] \\(pid [0-9]+\\) was killed by signal 6 \\(Aborted\\)( and dumped core)? while running job "
                           "'pg_data/base/1/1259'"));
        CHECK_THAT(error.hint(), Contains("stderr"));
        CHECK(elapsed < 1000ms);
        CHECK(workers.allReaped());
    }

    SECTION("_exit()") {
        ListSource source({crashJob("exits", "exit")});
        const auto [error, elapsed] = runFailing(*workers.pool, source);
        CHECK(error.code() == ErrorCode::Protocol);
        CHECK_THAT(error.message(), Matches("worker 1 \\(pid [0-9]+\\) exited with status 3 while running job 'exits'"));
        CHECK(elapsed < 1000ms);
        CHECK(workers.allReaped());
    }

    SECTION("SIGKILL from outside") {
        ListSource source({sleepJob("victim", 10000), sleepJob("bystander", 10000)});
        const pid_t victim = workers.pids[0];
        std::thread killer([victim] {
            std::this_thread::sleep_for(200ms);
            ::kill(victim, SIGKILL);
        });
        const auto [error, elapsed] = runFailing(*workers.pool, source);
        killer.join();
        CHECK(error.code() == ErrorCode::Protocol);
        CHECK(error.message() ==
              fmt::format("worker 1 (pid {}) was killed by signal 9 (Killed) while running job 'victim'", victim));
        CHECK(elapsed < 1200ms);  // 200ms until the kill, then at once: the bystander is stopped, not awaited
        CHECK(workers.allReaped());
    }

    SECTION("SIGKILL while idle is noticed by the next run") {
        ListSource first({echoJob(1)});
        workers.pool->run(first, [](JobResult&&) {});
        ::kill(workers.pids[1], SIGKILL);
        std::this_thread::sleep_for(50ms);
        ListSource second({sleepJob("a", 500), sleepJob("b", 500), sleepJob("c", 500)});
        const auto [error, elapsed] = runFailing(*workers.pool, second);
        CHECK(error.code() == ErrorCode::Protocol);
        CHECK_THAT(error.message(), Matches(fmt::format("worker 2 \\(pid {}\\) was killed by signal 9 \\(Killed\\) "
                                                        "while (running job 'b'|idle)",
                                                        workers.pids[1])));
        CHECK(elapsed < 1000ms);
        CHECK(workers.allReaped());
    }
}

TEST_CASE("A worker process that overruns the timeout ends run() with ProtocolTimeout", "[unit][protocol]") {
    ProcessPool workers(2, 300ms);
    ListSource source({echoJob(1), sleepJob("stuck", 30000), echoJob(2)});
    const auto [error, elapsed] = runFailing(*workers.pool, source);
    CHECK(error.code() == ErrorCode::ProtocolTimeout);
    CHECK_THAT(error.message(), Matches("worker [12] \\(pid [0-9]+\\) did not finish job 'stuck' within 300ms"));
    CHECK(elapsed >= 300ms);
    CHECK(elapsed < 1500ms);  // the stuck worker is terminated, not awaited
    CHECK(workers.allReaped());
}

TEST_CASE("WorkerPool::close reaps every worker process", "[unit][protocol]") {
    ProcessPool workers(2);
    ListSource source({echoJob(1), echoJob(2), echoJob(3)});
    unsigned results = 0;
    workers.pool->run(source, [&](JobResult&&) { ++results; });
    CHECK(results == 3);
    CHECK_FALSE(reaped(workers.pids[0]));  // still serving between runs
    workers.pool->close();
    CHECK(workers.allReaped());
    workers.pool.reset();  // idempotent: the destructor closes again
}
