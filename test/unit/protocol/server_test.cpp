// Tests for protocol/server (serve) and the job/error wire encoding, driven frame by frame
// through an InProcessChannel: replies, exit on an Exit frame or end of stream, malformed jobs
// answered without ending the worker, and a broken frame stream ending serve().
#include "protocol/server.h"

#include <fcntl.h>
#include <unistd.h>

#include <cctype>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "common/error.h"
#include "protocol/in_process_channel.h"

namespace {

using pgark::Error;
using pgark::ErrorCode;
using namespace pgark::protocol;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;

constexpr CommandId kUpper = 7;  // string -> the string in upper case

std::vector<HandlerEntry> upperHandler() {
    return {{kUpper, [](MessageReader& payload) {
                 std::string text = payload.readString();
                 for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
                 return Message().addString(text);
             }}};
}

Frame roundTrip(WorkerChannel& channel, std::string_view key, CommandId command, const Message& payload) {
    const Message envelope = wire::jobEnvelope(key, command);
    REQUIRE(channel.send(FrameType::Job, {envelope.bytes(), payload.bytes()}, 5000ms));
    std::optional<Frame> frame = channel.receive(5000ms);
    REQUIRE(frame);
    return std::move(*frame);
}

}  // namespace

TEST_CASE("serve answers each job with the handler's result", "[unit][protocol]") {
    InProcessChannel channel(upperHandler(), {}, "worker 1");
    for (const char* text : {"base/1", "", "pg_wal"}) {
        Frame reply = roundTrip(channel, text, kUpper, Message().addString(text));
        CHECK(reply.type == FrameType::Result);
        std::string expected = text;
        for (char& c : expected) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        CHECK(reply.body.reader().readString() == expected);
    }

    SECTION("an Exit frame ends serve() cleanly") {
        REQUIRE(channel.send(FrameType::Exit, {}, 1000ms));
        CHECK_FALSE(channel.receive(5000ms).has_value());
        CHECK(channel.exitReason() == "worker thread ended");
    }

    SECTION("a job with a malformed envelope is answered with Protocol and the worker carries on") {
        const Message bad = Message().addU64(1);  // the key should come first
        REQUIRE(channel.send(FrameType::Job, {bad.bytes()}, 1000ms));
        std::optional<Frame> reply = channel.receive(5000ms);
        REQUIRE(reply);
        REQUIRE(reply->type == FrameType::Error);
        const RemoteError error = wire::decodeError(reply->body);
        CHECK(error.code == ErrorCode::Protocol);
        CHECK(error.message == "protocol message field 1 is u64, expected string");
        CHECK(roundTrip(channel, "after", kUpper, Message().addString("ok")).type == FrameType::Result);
    }

    SECTION("a frame a worker never receives ends serve() with an error") {
        REQUIRE(channel.send(FrameType::Result, {}, 1000ms));
        CHECK_FALSE(channel.receive(5000ms).has_value());
        CHECK(channel.exitReason() == "worker thread ended with error: worker received an unexpected result frame from parent");
    }
}

TEST_CASE("serve returns at end of stream and when the parent stops reading", "[unit][protocol]") {
    int toWorker[2];
    int fromWorker[2];
    REQUIRE(::pipe2(toWorker, O_CLOEXEC) == 0);
    REQUIRE(::pipe2(fromWorker, O_CLOEXEC) == 0);
    FdChannel parent(fromWorker[0], toWorker[1], "worker 1", FdChannel::Options{});
    FdChannel worker(toWorker[0], fromWorker[1], "parent", FdChannel::Options{});
    const std::vector<HandlerEntry> table = upperHandler();
    bool returned = false;
    std::thread thread([&] {
        serve(worker, table, 0);
        returned = true;
    });

    SECTION("end of stream") {
        CHECK(roundTrip(parent, "a", kUpper, Message().addString("a")).type == FrameType::Result);
        parent.closeWrite();
        thread.join();
        CHECK(returned);
    }

    SECTION("the parent closed both ends while a job was queued: the reply cannot be sent") {
        const Message envelope = wire::jobEnvelope("orphan", kUpper);
        const Message payload = Message().addString("x");
        REQUIRE(parent.send(FrameType::Job, {envelope.bytes(), payload.bytes()}, 1000ms));
        parent.terminate();
        thread.join();
        CHECK(returned);
    }
}

TEST_CASE("wire error encoding keeps code, message, hint and retry flag", "[unit][protocol]") {
    const Message body = wire::encodeError(ErrorCode::DiskFull, "unable to write 'x'", "free space", true);
    const RemoteError error = wire::decodeError(body);
    CHECK(error.code == ErrorCode::DiskFull);
    CHECK(error.message == "unable to write 'x'");
    CHECK(error.hint == "free space");
    CHECK(error.retryable);
    const Error local = error.toError();
    CHECK(local.code() == ErrorCode::DiskFull);
    CHECK(local.retryable());
    CHECK(local.hint() == "free space");

    SECTION("an unknown code number becomes Unhandled and keeps the number") {
        Message odd;
        odd.addU64(9999).addString("strange").addString("").addBool(false);
        const RemoteError decoded = wire::decodeError(odd);
        CHECK(decoded.code == ErrorCode::Unhandled);
        CHECK(decoded.message == "[error code 9999] strange");
    }

    SECTION("a truncated error body is a Protocol error") {
        Message truncated;
        truncated.addU64(39).addString("half");
        try {
            (void)wire::decodeError(truncated);
            FAIL("expected Error(Protocol)");
        } catch (const Error& e) {
            CHECK(e.code() == ErrorCode::Protocol);
        }
    }

    SECTION("a job envelope round trips and the payload follows in place") {
        const Message envelope = wire::jobEnvelope("pg_data/PG_VERSION", 0xfffffffe);
        Message body;
        body.appendEncoded(envelope.bytes()).appendEncoded(Message().addString("payload").bytes());
        const wire::JobView job = wire::readJob(body);
        CHECK(job.key == "pg_data/PG_VERSION");
        CHECK(job.command == 0xfffffffe);
        CHECK(MessageReader(job.payload).readString() == "payload");

        Message tooBig;
        tooBig.addString("k").addU64(std::uint64_t{1} << 40);
        CHECK_THROWS_WITH(wire::readJob(tooBig), Contains("invalid command id"));
    }
}
