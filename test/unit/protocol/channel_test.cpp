// Tests for protocol/channel: FdChannel framing over real pipes (several frames per read, large
// bodies, end of stream), the Error(Protocol) for truncated or foreign bytes, timeouts, and a send
// to a closed pipe returning false without SIGPIPE.
#include "protocol/channel.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "common/error.h"

namespace {

using pgark::Error;
using pgark::ErrorCode;
using namespace pgark::protocol;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;

// Two channels joined by two pipes: what `a` sends `b` receives and the other way round.
struct Pair {
    std::unique_ptr<FdChannel> a;
    std::unique_ptr<FdChannel> b;
    int aToB[2];
    int bToA[2];

    explicit Pair(bool nonBlocking = true) {
        REQUIRE(::pipe2(aToB, O_CLOEXEC) == 0);
        REQUIRE(::pipe2(bToA, O_CLOEXEC) == 0);
        if (nonBlocking)
            for (int fd : {aToB[0], aToB[1], bToA[0], bToA[1]}) ::fcntl(fd, F_SETFL, O_NONBLOCK);
        a = std::make_unique<FdChannel>(bToA[0], aToB[1], "peer a", FdChannel::Options{});
        b = std::make_unique<FdChannel>(aToB[0], bToA[1], "peer b", FdChannel::Options{});
    }
};

// A raw pipe whose read end is a channel, for writing arbitrary bytes at it.
struct RawPipe {
    int fds[2];
    std::unique_ptr<FdChannel> reader;
    RawPipe() {
        REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
        ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
        reader = std::make_unique<FdChannel>(fds[0], -1, "raw peer", FdChannel::Options{});
    }
    ~RawPipe() { closeWrite(); }
    void write(const void* data, std::size_t size) { REQUIRE(::write(fds[1], data, size) == static_cast<ssize_t>(size)); }
    void write(std::string_view text) { write(text.data(), text.size()); }
    void closeWrite() {
        if (fds[1] >= 0) ::close(fds[1]);
        fds[1] = -1;
    }
};

Error protocolError(FdChannel& channel, std::chrono::milliseconds timeout = 1000ms) {
    try {
        (void)channel.receive(timeout);
    } catch (const Error& error) {
        return error;
    }
    FAIL("expected an Error from receive()");
    return Error(ErrorCode::Assert, "unreachable");
}

}  // namespace

TEST_CASE("FdChannel sends and receives frames of every type", "[unit][protocol]") {
    Pair pair;
    Message job;
    job.addString("key").addU64(7);
    Message payload;
    payload.addBytes(pgark::io::asBytes("file data"));

    // Several frames queued before the first receive arrive one at a time, intact.
    REQUIRE(pair.a->send(FrameType::Job, {job.bytes(), payload.bytes()}, 1000ms));
    REQUIRE(pair.a->send(FrameType::Exit, {}, 1000ms));
    REQUIRE(pair.b->send(FrameType::Result, {payload.bytes()}, 1000ms));
    REQUIRE(pair.b->send(FrameType::Error, {job.bytes()}, 1000ms));

    std::optional<Frame> frame = pair.b->receive(1000ms);
    REQUIRE(frame);
    CHECK(frame->type == FrameType::Job);
    CHECK(frame->body.size() == job.size() + payload.size());
    MessageReader reader = frame->body.reader();
    CHECK(reader.readString() == "key");
    CHECK(reader.readU64() == 7);
    CHECK(pgark::io::asText(reader.readBytes()) == "file data");

    frame = pair.b->receive(1000ms);
    REQUIRE(frame);
    CHECK(frame->type == FrameType::Exit);
    CHECK(frame->body.empty());

    frame = pair.a->receive(1000ms);
    REQUIRE(frame);
    CHECK(frame->type == FrameType::Result);
    CHECK(frame->body == payload);
    frame = pair.a->receive(1000ms);
    REQUIRE(frame);
    CHECK(frame->type == FrameType::Error);
    CHECK(frame->body == job);

    SECTION("end of stream at a frame boundary is nullopt, not an error") {
        pair.a->closeWrite();
        CHECK_FALSE(pair.b->receive(1000ms).has_value());
        CHECK_FALSE(pair.b->receive(1000ms).has_value());
    }
}

TEST_CASE("FdChannel carries a body larger than the pipe buffer", "[unit][protocol]") {
    for (bool nonBlocking : {true, false}) {
        DYNAMIC_SECTION((nonBlocking ? "non-blocking" : "blocking") << " descriptors") {
            Pair pair(nonBlocking);
            std::vector<std::byte> data(5 * 1024 * 1024 + 13);
            for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::byte>(i % 251);
            Message message;
            message.addBytes(data);
            std::thread writer([&] {
                CHECK(pair.a->send(FrameType::Result, {message.bytes()}, 10000ms));
                CHECK(pair.a->send(FrameType::Exit, {}, 10000ms));
            });
            std::optional<Frame> frame = pair.b->receive(10000ms);
            std::optional<Frame> exit = pair.b->receive(10000ms);
            writer.join();
            REQUIRE(frame);
            CHECK(frame->body == message);
            REQUIRE(exit);
            CHECK(exit->type == FrameType::Exit);
        }
    }
}

TEST_CASE("FdChannel rejects truncated and foreign bytes with Error(Protocol)", "[unit][protocol]") {
    RawPipe raw;

    SECTION("end of stream inside the header") {
        raw.write("pk\x02");
        raw.closeWrite();
        const Error error = protocolError(*raw.reader);
        CHECK(error.code() == ErrorCode::Protocol);
        CHECK_THAT(error.message(), Contains("unexpected end of stream from raw peer after 3 of 8 frame header bytes"));
    }

    SECTION("end of stream inside the body") {
        const unsigned char header[] = {'p', 'k', 2, 0, 10, 0, 0, 0};
        raw.write(header, sizeof(header));
        raw.write("abcd");
        raw.closeWrite();
        const Error error = protocolError(*raw.reader);
        CHECK(error.code() == ErrorCode::Protocol);
        CHECK_THAT(error.message(), Contains("inside a result frame: 4 of 10 body bytes"));
    }

    SECTION("bytes that are not a frame, e.g. a log line on stdout") {
        raw.write("P01   INFO: hello from a worker\n");
        const Error error = protocolError(*raw.reader);
        CHECK(error.code() == ErrorCode::Protocol);
        CHECK_THAT(error.message(), Contains("unexpected bytes from raw peer where a frame should start: 'P01   INFO: hello"));
        CHECK_THAT(error.hint(), Contains("stdout"));
    }

    SECTION("an unknown frame type") {
        const unsigned char header[] = {'p', 'k', 9, 0, 0, 0, 0, 0};
        raw.write(header, sizeof(header));
        CHECK_THAT(protocolError(*raw.reader).message(), Contains("unknown frame type 9 from raw peer"));
    }

    SECTION("a length above the limit") {
        const unsigned char header[] = {'p', 'k', 1, 0, 0xff, 0xff, 0xff, 0xff};
        raw.write(header, sizeof(header));
        CHECK_THAT(protocolError(*raw.reader).message(), Contains("exceeds the limit"));
    }

    SECTION("a frame that trickles in byte by byte is still whole") {
        Message body;
        body.addString("slow");
        std::thread writer([&] {
            const unsigned char header[] = {'p', 'k', 2, 0, static_cast<unsigned char>(body.size()), 0, 0, 0};
            for (unsigned char c : header) {
                raw.write(&c, 1);
                std::this_thread::sleep_for(1ms);
            }
            for (std::byte c : body.bytes()) {
                raw.write(&c, 1);
                std::this_thread::sleep_for(1ms);
            }
        });
        std::optional<Frame> frame = raw.reader->receive(5000ms);
        writer.join();
        REQUIRE(frame);
        CHECK(frame->body.reader().readString() == "slow");
    }
}

TEST_CASE("FdChannel receive and send time out with Error(ProtocolTimeout)", "[unit][protocol]") {
    SECTION("nothing arrives (non-blocking and blocking read ends)") {
        for (bool nonBlocking : {true, false}) {
            Pair pair(nonBlocking);
            const auto start = std::chrono::steady_clock::now();
            const Error error = protocolError(*pair.b, 50ms);
            const auto elapsed = std::chrono::steady_clock::now() - start;
            CHECK(error.code() == ErrorCode::ProtocolTimeout);
            CHECK_THAT(error.message(), Contains("timed out after 50ms waiting for a frame from peer b"));
            CHECK(elapsed >= 50ms);
            CHECK(elapsed < 2000ms);
        }
    }

    SECTION("half a frame arrives and then nothing") {
        Pair pair;
        const unsigned char header[] = {'p', 'k', 2, 0, 100, 0, 0, 0};
        REQUIRE(::write(pair.aToB[1], header, sizeof(header)) == 8);
        CHECK(protocolError(*pair.b, 50ms).code() == ErrorCode::ProtocolTimeout);
    }

    SECTION("the peer does not drain the pipe") {
        Pair pair;
        std::vector<std::byte> big(4 * 1024 * 1024);
        try {
            (void)pair.a->send(FrameType::Result, {pgark::io::ByteView(big)}, 50ms);
            FAIL("expected a send timeout");
        } catch (const Error& error) {
            CHECK(error.code() == ErrorCode::ProtocolTimeout);
            CHECK_THAT(error.message(), Contains("timed out after 50ms sending a result frame to peer a"));
        }
    }
}

TEST_CASE("FdChannel send to a closed pipe returns false without SIGPIPE", "[unit][protocol]") {
    Pair pair;
    pair.b->terminate();  // the reader of a->b is gone
    Message body;
    body.addString("nobody listens");
    // A SIGPIPE would end the test binary here; instead send() reports the dead peer.
    CHECK_FALSE(pair.a->send(FrameType::Job, {body.bytes()}, 1000ms));
    CHECK_FALSE(pair.a->send(FrameType::Job, {body.bytes()}, 1000ms));
    sigset_t pending;
    sigemptyset(&pending);
    sigpending(&pending);
    CHECK(sigismember(&pending, SIGPIPE) == 0);  // swallowed, not left pending
    sigset_t mask;
    pthread_sigmask(SIG_BLOCK, nullptr, &mask);
    CHECK(sigismember(&mask, SIGPIPE) == 0);  // and the thread's mask is restored

    SECTION("a closed channel neither sends nor receives") {
        pair.a->terminate();
        CHECK_FALSE(pair.a->send(FrameType::Exit, {}, 10ms));
        CHECK_FALSE(pair.a->receive(10ms).has_value());
        CHECK(pair.a->pollFd() == -1);
    }
}
