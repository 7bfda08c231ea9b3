// Tests for protocol/pool with InProcessChannel workers (threads over real pipes): every job's
// result exactly once with 1 and 3 workers, next(workerIdx) asked per free worker, error codes
// carried intact, job retry of retryable errors, and what run() does when something fails.
#include "protocol/pool.h"

#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "common/error.h"
#include "fake/fake_clock.h"
#include "protocol/in_process_channel.h"
#include "protocol/server.h"

namespace {

using pgark::Error;
using pgark::ErrorCode;
using pgark::Retry;
using namespace pgark::protocol;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;

constexpr CommandId kEcho = 1;      // any fields -> the same fields
constexpr CommandId kFail = 2;      // u64 code, string message, string hint, bool retryable -> throws
constexpr CommandId kFlaky = 3;     // string token, u64 failures -> retryable FileRead until then, u64 attempts
constexpr CommandId kThrowStd = 4;  // string what -> std::runtime_error
constexpr CommandId kSleep = 5;     // u64 ms -> u64 ms
constexpr CommandId kUnknown = 99;  // no handler

// Handler state shared by the worker threads of one test.
struct Shared {
    std::mutex mutex;
    std::map<std::string, unsigned> attempts;  // per flaky token (all attempts, any worker)
};

std::vector<HandlerEntry> handlers(Shared& shared) {
    return {
        {kEcho,
         [](MessageReader& payload) {
             Message reply;
             reply.appendEncoded(payload.rest());
             return reply;
         }},
        {kFail,
         [](MessageReader& payload) -> Message {
             const auto code = pgark::errorCodeFromNumber(static_cast<int>(payload.readU64()));
             std::string message = payload.readString();
             std::string hint = payload.readString();
             const bool retryable = payload.readBool();
             Error error(code.value(), std::move(message), retryable ? Retry::Yes : Retry::No);
             if (!hint.empty()) error.withHint(std::move(hint));
             throw error;
         }},
        {kFlaky,
         [&shared](MessageReader& payload) {
             const std::string token = payload.readString();
             const std::uint64_t failures = payload.readU64();
             unsigned attempt;
             {
                 std::lock_guard lock(shared.mutex);
                 attempt = ++shared.attempts[token];
             }
             if (attempt <= failures)
                 throw Error(ErrorCode::FileRead, fmt::format("flaky failure {} of {}", attempt, failures), Retry::Yes);
             return Message().addU64(attempt);
         }},
        {kThrowStd, [](MessageReader& payload) -> Message { throw std::runtime_error(payload.readString()); }},
        {kSleep,
         [](MessageReader& payload) {
             const std::uint64_t ms = payload.readU64();
             std::this_thread::sleep_for(std::chrono::milliseconds(ms));
             return Message().addU64(ms);
         }},
    };
}

WorkerPool makePool(unsigned count, Shared& shared, ServeOptions options = {},
                    std::chrono::milliseconds timeout = 10000ms) {
    std::vector<std::unique_ptr<WorkerChannel>> workers;
    for (unsigned i = 0; i < count; ++i)
        workers.push_back(std::make_unique<InProcessChannel>(handlers(shared), options, fmt::format("worker {}", i + 1)));
    return WorkerPool(std::move(workers), timeout);
}

// Hands out a fixed list of jobs to whichever worker asks, recording every call.
class ListSource final : public JobSource {
public:
    explicit ListSource(std::vector<Job> jobs) : jobs_(std::make_move_iterator(jobs.begin()), std::make_move_iterator(jobs.end())) {}
    std::optional<Job> next(unsigned workerIdx) override {
        calls.push_back(workerIdx);
        if (jobs_.empty()) return std::nullopt;
        Job job = std::move(jobs_.front());
        jobs_.pop_front();
        givenTo[job.key] = workerIdx;
        return job;
    }
    std::vector<unsigned> calls;
    std::map<std::string, unsigned> givenTo;

private:
    std::deque<Job> jobs_;
};

Job echoJob(unsigned number) {
    Job job{fmt::format("file-{:04}", number), kEcho, {}};
    job.payload.addU64(number).addString(fmt::format("payload {}", number));
    return job;
}

Job failJob(std::string key, ErrorCode code, std::string message, std::string hint, bool retryable) {
    Job job{std::move(key), kFail, {}};
    job.payload.addU64(static_cast<std::uint64_t>(code)).addString(message).addString(hint).addBool(retryable);
    return job;
}

Job flakyJob(std::string key, std::uint64_t failures) {
    Job job{key, kFlaky, {}};
    job.payload.addString(key).addU64(failures);
    return job;
}

}  // namespace

TEST_CASE("WorkerPool::run returns every job's result exactly once", "[unit][protocol]") {
    for (unsigned workers : {1u, 3u}) {
        DYNAMIC_SECTION(workers << " worker(s)") {
            Shared shared;
            WorkerPool pool = makePool(workers, shared);
            std::vector<Job> jobs;
            for (unsigned i = 0; i < 300; ++i) jobs.push_back(echoJob(i));
            ListSource source(std::move(jobs));

            std::map<std::string, unsigned> seen;
            std::set<unsigned> usedWorkers;
            pool.run(source, [&](JobResult&& result) {
                REQUIRE(result.ok());
                MessageReader reader = result.output().reader();
                const std::uint64_t number = reader.readU64();
                CHECK(result.key == fmt::format("file-{:04}", number));
                CHECK(reader.readString() == fmt::format("payload {}", number));
                CHECK(result.workerIdx == source.givenTo.at(result.key));
                ++seen[result.key];
                usedWorkers.insert(result.workerIdx);
            });
            CHECK(seen.size() == 300);
            for (const auto& [key, count] : seen) CHECK(count == 1);
            CHECK(usedWorkers.size() == workers);

            SECTION("the pool runs again after a normal run") {
                ListSource more({echoJob(1000), echoJob(1001)});
                unsigned results = 0;
                pool.run(more, [&](JobResult&& result) { results += result.ok() ? 1 : 0; });
                CHECK(results == 2);
            }
        }
    }
}

TEST_CASE("WorkerPool asks next(workerIdx) for each free worker", "[unit][protocol]") {
    Shared shared;
    WorkerPool pool = makePool(3, shared);

    SECTION("each free worker is asked, and asked again after its result") {
        std::vector<Job> jobs;
        for (unsigned i = 0; i < 9; ++i) jobs.push_back(echoJob(i));
        ListSource source(std::move(jobs));
        std::vector<unsigned> resultWorkers;
        std::vector<std::size_t> callsAtResult;
        pool.run(source, [&](JobResult&& result) {
            resultWorkers.push_back(result.workerIdx);
            callsAtResult.push_back(source.calls.size());
        });
        REQUIRE(source.calls.size() >= 3);
        CHECK(std::vector<unsigned>(source.calls.begin(), source.calls.begin() + 3) == std::vector<unsigned>{0, 1, 2});
        REQUIRE(resultWorkers.size() == 9);
        // After each result, the worker that delivered it is asked for its next job.
        for (std::size_t r = 0; r < resultWorkers.size(); ++r) {
            bool askedAgain = false;
            for (std::size_t c = callsAtResult[r]; c < source.calls.size(); ++c)
                askedAgain = askedAgain || source.calls[c] == resultWorkers[r];
            CHECK(askedAgain);
        }
        // The run ends only after every worker was told there is nothing left.
        std::set<unsigned> lastRound(source.calls.end() - 3, source.calls.end());
        CHECK(lastRound == std::set<unsigned>{0, 1, 2});
    }

    SECTION("a worker the source gives nothing gets nothing") {
        class OnlyEven final : public JobSource {
        public:
            std::optional<Job> next(unsigned workerIdx) override {
                if (workerIdx % 2 != 0 || left == 0) return std::nullopt;
                return echoJob(--left);
            }
            unsigned left = 20;
        } source;
        std::set<unsigned> used;
        pool.run(source, [&](JobResult&& result) { used.insert(result.workerIdx); });
        CHECK(used == std::set<unsigned>{0, 2});
        CHECK(source.left == 0);
    }

    SECTION("work unlocked by a result is picked up: nullopt is only 'nothing right now'") {
        class Chain final : public JobSource {
        public:
            std::optional<Job> next(unsigned) override {
                if (ready.empty()) return std::nullopt;
                Job job = echoJob(ready.back());
                ready.pop_back();
                return job;
            }
            std::vector<unsigned> ready{0};
        } source;
        unsigned results = 0;
        pool.run(source, [&](JobResult&& result) {
            ++results;
            const std::uint64_t number = result.output().reader().readU64();
            if (number < 9) source.ready.push_back(static_cast<unsigned>(number + 1));  // one job at a time
        });
        CHECK(results == 10);
    }
}

TEST_CASE("WorkerPool passes a worker's error to onResult with its code intact", "[unit][protocol]") {
    Shared shared;
    WorkerPool pool = makePool(2, shared);

    SECTION("a pgark::Error keeps code, message, hint and retry flag; other jobs still finish") {
        ListSource source({echoJob(1),
                           failJob("missing", ErrorCode::FileMissing, "unable to open missing file '/pg/base/1'",
                                   "check the path", false),
                           echoJob(2)});
        std::map<std::string, JobResult> results;
        pool.run(source, [&](JobResult&& result) { results.emplace(result.key, std::move(result)); });
        REQUIRE(results.size() == 3);
        CHECK(results.at("file-0001").ok());
        CHECK(results.at("file-0002").ok());
        const JobResult& failed = results.at("missing");
        REQUIRE_FALSE(failed.ok());
        const RemoteError* error = failed.error();
        REQUIRE(error != nullptr);
        CHECK(error->code == ErrorCode::FileMissing);
        CHECK(error->message == "unable to open missing file '/pg/base/1'");
        CHECK(error->hint == "check the path");
        CHECK_FALSE(error->retryable);
        try {
            (void)failed.output();
            FAIL("output() of a failed job must throw");
        } catch (const Error& raised) {
            CHECK(raised.code() == ErrorCode::FileMissing);
            CHECK(raised.exitCode() == 55);
            CHECK(std::string(raised.what()) == "unable to open missing file '/pg/base/1'\nHINT: check the path");
        }
    }

    SECTION("any other exception becomes Unhandled") {
        Job job{"std", kThrowStd, {}};
        job.payload.addString("vector::at out of range");
        ListSource source({std::move(job)});
        std::optional<RemoteError> error;
        pool.run(source, [&](JobResult&& result) { error = *result.error(); });
        REQUIRE(error);
        CHECK(error->code == ErrorCode::Unhandled);
        CHECK(error->message == "vector::at out of range");
    }

    SECTION("a command with no handler is a Protocol error for that job only") {
        ListSource source({Job{"odd", kUnknown, {}}, echoJob(3)});
        std::map<std::string, JobResult> results;
        pool.run(source, [&](JobResult&& result) { results.emplace(result.key, std::move(result)); });
        REQUIRE(results.at("odd").error() != nullptr);
        CHECK(results.at("odd").error()->code == ErrorCode::Protocol);
        CHECK(results.at("odd").error()->message == "no handler for command 99 of job 'odd'");
        CHECK(results.at("file-0003").ok());
    }

    SECTION("a payload the handler cannot read fails that job with Protocol") {
        Job job{"bad payload", kFail, {}};
        job.payload.addString("not a code");
        ListSource source({std::move(job)});
        std::optional<RemoteError> error;
        pool.run(source, [&](JobResult&& result) { error = *result.error(); });
        REQUIRE(error);
        CHECK(error->code == ErrorCode::Protocol);
        CHECK_THAT(error->message, Contains("field 1 is string, expected u64"));
    }

    SECTION("an error rethrown from onResult ends run() with that error and stops the pool") {
        ListSource source({failJob("bad", ErrorCode::Checksum, "checksum mismatch", "", false)});
        try {
            pool.run(source, [](JobResult&& result) { (void)result.output(); });
            FAIL("run() should rethrow");
        } catch (const Error& error) {
            CHECK(error.code() == ErrorCode::Checksum);
            CHECK(error.message() == "checksum mismatch");
        }
        ListSource again({echoJob(1)});
        try {
            pool.run(again, [](JobResult&&) {});
            FAIL("a failed pool must not run again");
        } catch (const Error& error) {
            CHECK(error.code() == ErrorCode::Assert);
        }
    }

    SECTION("an exception from the source ends run() with it") {
        class Throwing final : public JobSource {
        public:
            std::optional<Job> next(unsigned) override {
                if (++calls > 2) throw Error(ErrorCode::FileRead, "manifest unreadable");
                return echoJob(calls);
            }
            unsigned calls = 0;
        } source;
        CHECK_THROWS_WITH(pool.run(source, [](JobResult&&) {}), "manifest unreadable");
    }
}

TEST_CASE("serve retries a job failing with a retryable error up to jobRetry times", "[unit][protocol]") {
    Shared shared;

    SECTION("succeeds within the retries") {
        WorkerPool pool = makePool(2, shared, ServeOptions{.jobRetry = 2});
        ListSource source({flakyJob("twice", 2), flakyJob("never", 0)});
        std::map<std::string, std::uint64_t> attempts;
        pool.run(source, [&](JobResult&& result) { attempts[result.key] = result.output().reader().readU64(); });
        CHECK(attempts.at("twice") == 3);
        CHECK(attempts.at("never") == 1);
    }

    SECTION("the last error is reported when the retries run out") {
        WorkerPool pool = makePool(1, shared, ServeOptions{.jobRetry = 2});
        ListSource source({flakyJob("thrice", 3)});
        std::optional<RemoteError> error;
        pool.run(source, [&](JobResult&& result) { error = *result.error(); });
        REQUIRE(error);
        CHECK(error->code == ErrorCode::FileRead);
        CHECK(error->message == "flaky failure 3 of 3");
        CHECK(error->retryable);
        CHECK(shared.attempts.at("thrice") == 3);
    }

    SECTION("a non-retryable error is not retried") {
        std::atomic<unsigned> calls = 0;
        std::vector<HandlerEntry> table = {{kFail, [&calls](MessageReader&) -> Message {
                                                ++calls;
                                                throw Error(ErrorCode::Format, "bad format");
                                            }}};
        std::vector<std::unique_ptr<WorkerChannel>> workers;
        workers.push_back(std::make_unique<InProcessChannel>(table, ServeOptions{.jobRetry = 5}, "worker 1"));
        WorkerPool single(std::move(workers), 10000ms);
        ListSource source({Job{"once", kFail, {}}});
        std::optional<RemoteError> error;
        single.run(source, [&](JobResult&& result) { error = *result.error(); });
        REQUIRE(error);
        CHECK(error->code == ErrorCode::Format);
        CHECK(calls == 1);
    }

    SECTION("the first retry is immediate, later ones wait the retry interval") {
        pgark::test::FakeClock clock;
        {
            WorkerPool pool = makePool(1, shared, ServeOptions{.jobRetry = 3, .retryInterval = 15000ms, .clock = &clock});
            ListSource source({flakyJob("slow", 3)});
            std::uint64_t attempts = 0;
            pool.run(source, [&](JobResult&& result) { attempts = result.output().reader().readU64(); });
            CHECK(attempts == 4);
        }  // pool closed: the worker thread is joined before the clock is read
        CHECK(clock.sleepCount() == 2);
        CHECK(clock.slept() == 30000ms);
    }
}

TEST_CASE("WorkerPool ends run() with ProtocolTimeout when a job overruns", "[unit][protocol]") {
    Shared shared;
    WorkerPool pool = makePool(2, shared, {}, 100ms);
    Job slow{"slow job", kSleep, {}};
    slow.payload.addU64(400);
    ListSource source({echoJob(1), std::move(slow)});
    const auto start = std::chrono::steady_clock::now();
    try {
        pool.run(source, [](JobResult&&) {});
        FAIL("expected a timeout");
    } catch (const Error& error) {
        CHECK(error.code() == ErrorCode::ProtocolTimeout);
        CHECK(error.message() == "worker 2 did not finish job 'slow job' within 100ms");
        CHECK_THAT(error.hint(), Contains("protocol-timeout"));
    }
    // The thread worker cannot be killed, so run() returned after its 400ms handler: a process
    // worker would have been stopped at once (see process_channel_test).
    CHECK(std::chrono::steady_clock::now() - start < 3000ms);
}

TEST_CASE("WorkerPool construction checks its arguments", "[unit][protocol]") {
    CHECK_THROWS_AS(WorkerPool({}, 1000ms), Error);
    Shared shared;
    std::vector<std::unique_ptr<WorkerChannel>> workers;
    workers.push_back(std::make_unique<InProcessChannel>(handlers(shared), ServeOptions{}, "worker 1"));
    CHECK_THROWS_AS(WorkerPool(std::move(workers), 0ms), Error);
}
