// FilterChain reader/writer, the default observer process(), filterTypeName and makeFilter.
#include <catch2/catch.hpp>

#include <set>
#include <stdexcept>

#include "common/compress/compress.h"
#include "common/crypto/cipher.h"
#include "common/crypto/hash.h"
#include "common/error.h"
#include "common/io/filter.h"
#include "unit/common/io/test_streams.h"

using namespace pgark;
using io::Buffer;
using io::ByteView;
using io::FilterType;
using test::StringReadStream;
using test::StringWriteStream;

namespace {

// Expands every byte b to b, ~b and, at end of input, emits a 150-byte trailer: output outgrows
// input and the flush needs several calls when the output buffer is small. Holds at most 4 KiB.
class ExpandFilter final : public io::Filter {
public:
    FilterType type() const noexcept override { return FilterType::GzCompress; }
    std::size_t process(ByteView in, Buffer& out) override {
        std::size_t consumed = 0;
        if (in.empty()) {
            if (!ended_) {
                ended_ = true;
                for (int i = 0; i < 50; ++i) queue_ += "END";
            }
        } else if (queue_.size() < 4096) {
            consumed = std::min<std::size_t>(in.size(), 1000);
            for (std::size_t i = 0; i < consumed; ++i) {
                queue_ += static_cast<char>(in[i]);
                queue_ += static_cast<char>(~static_cast<unsigned char>(in[i]));
            }
        }
        queue_.erase(0, out.append(io::asBytes(queue_)));
        return consumed;
    }
    bool flushed() const noexcept override { return ended_ && queue_.empty(); }
    io::FilterSpec spec() const override { return {type(), {}}; }

    static std::string expected(std::string_view in) {
        std::string out;
        for (char c : in) {
            out += c;
            out += static_cast<char>(~static_cast<unsigned char>(c));
        }
        for (int i = 0; i < 50; ++i) out += "END";
        return out;
    }

private:
    std::string queue_;
    bool ended_ = false;
};

// 1:1 transform (adds 1 to each byte) that takes at most 3 bytes per call: exercises partially
// consumed input buffers.
class SlowFilter final : public io::Filter {
public:
    FilterType type() const noexcept override { return FilterType::Lz4Compress; }
    std::size_t process(ByteView in, Buffer& out) override {
        const std::size_t n = std::min({in.size(), out.remaining(), std::size_t{3}});
        for (std::size_t i = 0; i < n; ++i) out.tail()[0] = static_cast<std::byte>(static_cast<unsigned char>(in[i]) + 1), out.grow(1);
        return n;
    }
    io::FilterSpec spec() const override { return {type(), {}}; }

    static std::string expected(std::string_view in) {
        std::string out(in);
        for (char& c : out) c = static_cast<char>(static_cast<unsigned char>(c) + 1);
        return out;
    }
};

// Fails on demand: after `failAfter` input bytes, or when flushing.
class FailingFilter final : public io::Filter {
public:
    enum class How { PgarkError, StdError, NoProgress, AtFlush };
    FailingFilter(How how, std::size_t failAfter) : how_(how), failAfter_(failAfter) {}
    FilterType type() const noexcept override { return FilterType::ZstCompress; }
    std::size_t process(ByteView in, Buffer& out) override {
        if (in.empty()) {
            if (how_ == How::AtFlush) throwError(ErrorCode::Format, "flush failed on purpose");
            return 0;
        }
        if (seen_ >= failAfter_) {
            if (how_ == How::PgarkError) throwError(ErrorCode::Format, "corrupt data on purpose");
            if (how_ == How::StdError) throw std::runtime_error("plain exception");
            if (how_ == How::NoProgress) return 0;
        }
        const std::size_t n = out.append(in);
        seen_ += n;
        return n;
    }
    bool flushed() const noexcept override { return how_ != How::AtFlush; }
    io::FilterSpec spec() const override { return {type(), {}}; }

private:
    How how_;
    std::size_t failAfter_;
    std::size_t seen_ = 0;
};

// Records where observed bytes live, to prove observers are shown bytes in place.
class SpyObserver final : public io::Filter {
public:
    FilterType type() const noexcept override { return FilterType::PageChecksum; }
    bool observer() const noexcept override { return true; }
    void observe(ByteView data) override {
        if (data.empty())
            ++ends;
        else
            views.push_back(data);
    }
    io::FilterSpec spec() const override { return {type(), {}}; }
    std::vector<ByteView> views;
    int ends = 0;
};

// A transformer that forgot to implement process().
class LazyFilter final : public io::Filter {
public:
    FilterType type() const noexcept override { return FilterType::Bz2Compress; }
    io::FilterSpec spec() const override { return {type(), {}}; }
};

std::string sampleText(std::size_t size) {
    std::string text;
    text.reserve(size);
    for (std::size_t i = 0; text.size() < size; ++i) text += fmt::format("row {} value {};", i, i * 7919 % 1000);
    text.resize(size);
    return text;
}

// sha1+size of the original, two transforms, sha1+size of the output.
io::FilterChain fullChain() {
    io::FilterChain chain;
    chain.add(crypto::makeSha1Filter()).add(crypto::makeSizeFilter());
    chain.add(std::make_unique<ExpandFilter>()).add(std::make_unique<SlowFilter>());
    chain.add(crypto::makeSha1Filter()).add(crypto::makeSizeFilter());
    return chain;
}

void checkFullChainResults(const io::FilterChain& chain, const std::string& input, const std::string& output) {
    CHECK(chain.result<std::string>(FilterType::Sha1, 0) == test::referenceSha1(input));
    CHECK(chain.result<std::uint64_t>(FilterType::Size, 0) == input.size());
    CHECK(chain.result<std::string>(FilterType::Sha1, 1) == test::referenceSha1(output));
    CHECK(chain.result<std::uint64_t>(FilterType::Size, 1) == output.size());
}

}  // namespace

TEST_CASE("filterTypeName gives each filter type a distinct name", "[unit][filter]") {
    std::set<std::string_view> names;
    for (int t = 0; t <= static_cast<int>(FilterType::PageChecksum); ++t) {
        const std::string_view name = io::filterTypeName(static_cast<FilterType>(t));
        CHECK(name != "unknown");
        names.insert(name);
    }
    CHECK(names.size() == static_cast<std::size_t>(FilterType::PageChecksum) + 1);
    CHECK(io::filterTypeName(FilterType::Sha1) == "sha1");
    CHECK(io::filterTypeName(FilterType::Size) == "size");
    CHECK(io::filterTypeName(FilterType::CipherDecrypt) == "cipherDecrypt");
}

TEST_CASE("FilterChain reader runs observers and transformers in order", "[unit][filter]") {
    const std::string input = sampleText(100000);
    const std::string expected = SlowFilter::expected(ExpandFilter::expected(input));

    SECTION("default buffer size") {
        io::FilterChain chain = fullChain();
        StringReadStream source(input);
        auto reader = chain.reader(source);
        CHECK(test::drain(*reader) == expected);
        checkFullChainResults(chain, input, expected);
        std::byte extra[4];
        CHECK(reader->read(extra) == 0);  // stays at end
    }
    SECTION("small and odd buffer, source chunk and read sizes") {
        for (std::size_t bufferSize : {1, 2, 3, 7, 64, 1000, 4097}) {
            for (std::size_t chunk : {1, 5, 4096}) {
                CAPTURE(bufferSize, chunk);
                const std::string part = input.substr(0, 5000);
                io::FilterChain chain = fullChain();
                StringReadStream source(part, chunk);
                auto reader = chain.reader(source, bufferSize);
                const std::string got = test::drain(*reader, chunk == 1 ? 3 : 777);
                const std::string want = SlowFilter::expected(ExpandFilter::expected(part));
                REQUIRE(got == want);
                checkFullChainResults(chain, part, want);
            }
        }
    }
    SECTION("empty input still flushes every filter") {
        io::FilterChain chain = fullChain();
        StringReadStream source("");
        auto reader = chain.reader(source, 5);
        const std::string got = test::drain(*reader, 2);
        CHECK(got == SlowFilter::expected(ExpandFilter::expected("")));
        checkFullChainResults(chain, "", got);
    }
    SECTION("observers only: bytes are observed in the caller's buffer") {
        io::FilterChain chain;
        chain.add(crypto::makeSizeFilter()).add(std::make_unique<SpyObserver>());
        auto* spy = static_cast<SpyObserver*>(chain.filters()[1].get());
        StringReadStream source(input, 3000);
        auto reader = chain.reader(source);
        std::vector<std::byte> out(10000);
        std::string got;
        for (std::size_t n; (n = reader->read(out)) != 0;) got.append(io::asText({out.data(), n}));
        CHECK(got == input);
        CHECK(chain.result<std::uint64_t>(FilterType::Size) == input.size());
        REQUIRE_FALSE(spy->views.empty());
        for (ByteView view : spy->views) {
            CHECK(view.data() >= out.data());
            CHECK(view.data() + view.size() <= out.data() + out.size());
        }
        CHECK(spy->ends == 1);
    }
    SECTION("an empty chain passes bytes through") {
        io::FilterChain chain;
        CHECK(chain.empty());
        StringReadStream source(input, 999);
        auto reader = chain.reader(source);
        CHECK(test::drain(*reader) == input);
    }
}

TEST_CASE("FilterChain writer pushes through filters and commits or aborts the sink", "[unit][filter]") {
    const std::string input = sampleText(300000);
    const std::string expected = SlowFilter::expected(ExpandFilter::expected(input));

    SECTION("commit flushes every filter then commits the sink") {
        for (std::size_t bufferSize : {std::size_t{1}, std::size_t{3}, std::size_t{4096}, io::kDefaultBufferSize}) {
            for (std::size_t chunk : {std::size_t{1}, std::size_t{7919}, input.size()}) {
                if (chunk == 1 && bufferSize > 3) continue;  // byte-at-a-time is covered by the small buffers
                CAPTURE(bufferSize, chunk);
                const std::string part = chunk == 1 ? input.substr(0, 3000) : input;
                io::FilterChain chain = fullChain();
                StringWriteStream sink;
                auto writer = chain.writer(sink, bufferSize);
                for (std::size_t pos = 0; pos < part.size(); pos += chunk)
                    writer->write(io::asBytes(std::string_view(part).substr(pos, chunk)));
                CHECK_FALSE(sink.committed);
                writer->commit();
                CHECK(sink.committed);
                CHECK_FALSE(sink.aborted);
                const std::string want = SlowFilter::expected(ExpandFilter::expected(part));
                REQUIRE(sink.data() == want);
                checkFullChainResults(chain, part, want);
                writer.reset();
                CHECK(sink.aborts == 0);  // a committed writer does not abort when destroyed
            }
        }
    }
    SECTION("output is bounded: the sink sees whole buffers, not the whole stream at once") {
        io::FilterChain chain = fullChain();
        StringWriteStream sink;
        auto writer = chain.writer(sink, 4096);
        writer->write(io::asBytes(input));
        CHECK(sink.writes >= expected.size() / 4096 - 3);  // two buffers may still hold output
        writer->commit();
        CHECK(sink.data() == expected);
    }
    SECTION("abort aborts the sink and commits nothing") {
        io::FilterChain chain = fullChain();
        StringWriteStream sink;
        auto writer = chain.writer(sink, 64);
        writer->write(io::asBytes(input));
        writer->abort();
        CHECK(sink.aborted);
        CHECK_FALSE(sink.committed);
        writer->abort();  // idempotent
        writer.reset();
        CHECK(sink.aborts == 1);
    }
    SECTION("a writer destroyed without commit aborts the sink") {
        io::FilterChain chain = fullChain();
        StringWriteStream sink;
        {
            auto writer = chain.writer(sink);
            writer->write(io::asBytes(input));
        }
        CHECK(sink.aborted);
        CHECK_FALSE(sink.committed);
    }
    SECTION("writing or committing after the end is an Assert error") {
        io::FilterChain chain;
        chain.add(crypto::makeSizeFilter());
        StringWriteStream sink;
        auto writer = chain.writer(sink);
        writer->write(io::asBytes(std::string_view("abc")));
        writer->commit();
        CHECK(sink.data() == "abc");
        CHECK(chain.result<std::uint64_t>(FilterType::Size) == 3);
        CHECK_THROWS_MATCHES(writer->write(io::asBytes(std::string_view("x"))), Error,
                             Catch::Predicate<Error>([](const Error& e) { return e.code() == ErrorCode::Assert; }));
        CHECK_THROWS_AS(writer->commit(), Error);
    }
    SECTION("a failed sink commit aborts the sink and throws") {
        io::FilterChain chain = fullChain();
        StringWriteStream sink;
        sink.failCommit = true;
        auto writer = chain.writer(sink, 100);
        writer->write(io::asBytes(input));
        CHECK_THROWS_MATCHES(writer->commit(), Error,
                             Catch::Predicate<Error>([](const Error& e) { return e.code() == ErrorCode::FileWrite; }));
        CHECK(sink.aborted);
        CHECK_FALSE(sink.committed);
    }
    SECTION("observers only: bytes are observed in the caller's buffer, not copied") {
        io::FilterChain chain;
        chain.add(std::make_unique<SpyObserver>());
        auto* spy = static_cast<SpyObserver*>(chain.filters()[0].get());
        StringWriteStream sink;
        auto writer = chain.writer(sink);
        writer->write(io::asBytes(input));
        writer->write({});
        writer->commit();
        REQUIRE(spy->views.size() == 1);
        CHECK(spy->views[0].data() == io::asBytes(input).data());
        CHECK(spy->ends == 1);
        CHECK(sink.data() == input);
    }
}

TEST_CASE("FilterChain propagates filter errors as pgark::Error", "[unit][filter]") {
    using How = FailingFilter::How;
    const std::string input = sampleText(50000);
    auto chainWith = [](How how) {
        io::FilterChain chain;
        chain.add(crypto::makeSizeFilter()).add(std::make_unique<FailingFilter>(how, 20000));
        return chain;
    };
    auto codeIs = [](ErrorCode code) {
        return Catch::Predicate<Error>([code](const Error& e) { return e.code() == code; }, "error code");
    };

    SECTION("reader: the error is thrown and thrown again on the next read") {
        io::FilterChain chain = chainWith(How::PgarkError);
        StringReadStream source(input);
        auto reader = chain.reader(source, 4096);
        CHECK_THROWS_MATCHES(test::drain(*reader), Error, codeIs(ErrorCode::Format));
        std::byte one[1];
        CHECK_THROWS_MATCHES(reader->read(one), Error, codeIs(ErrorCode::Format));
    }
    SECTION("reader: a non-pgark exception becomes an Assert error naming the filter") {
        io::FilterChain chain = chainWith(How::StdError);
        StringReadStream source(input);
        auto reader = chain.reader(source, 4096);
        CHECK_THROWS_WITH(test::drain(*reader), Catch::Contains("zstCompress") && Catch::Contains("plain exception"));
    }
    SECTION("reader: a filter that makes no progress fails instead of spinning") {
        io::FilterChain chain = chainWith(How::NoProgress);
        StringReadStream source(input);
        auto reader = chain.reader(source, 4096);
        CHECK_THROWS_MATCHES(test::drain(*reader), Error, codeIs(ErrorCode::Assert));
    }
    SECTION("reader: a flush error surfaces at end of stream") {
        io::FilterChain chain = chainWith(How::AtFlush);
        StringReadStream source(input);
        auto reader = chain.reader(source, 4096);
        CHECK_THROWS_MATCHES(test::drain(*reader), Error, codeIs(ErrorCode::Format));
    }
    SECTION("writer: a failed write leaves the writer unable to commit; destruction aborts") {
        io::FilterChain chain = chainWith(How::PgarkError);
        StringWriteStream sink;
        auto writer = chain.writer(sink, 4096);
        CHECK_THROWS_MATCHES(writer->write(io::asBytes(input)), Error, codeIs(ErrorCode::Format));
        CHECK_THROWS_MATCHES(writer->commit(), Error, codeIs(ErrorCode::Assert));
        writer.reset();
        CHECK(sink.aborted);
        CHECK_FALSE(sink.committed);
    }
    SECTION("writer: a flush error in commit aborts the sink") {
        io::FilterChain chain = chainWith(How::AtFlush);
        StringWriteStream sink;
        auto writer = chain.writer(sink, 4096);
        writer->write(io::asBytes(input));
        CHECK_THROWS_MATCHES(writer->commit(), Error, codeIs(ErrorCode::Format));
        CHECK(sink.aborted);
        CHECK_FALSE(sink.committed);
    }
    SECTION("a transformer without process() is an Assert error") {
        io::FilterChain chain;
        chain.add(std::make_unique<LazyFilter>());
        StringReadStream source(input);
        auto reader = chain.reader(source);
        CHECK_THROWS_MATCHES(test::drain(*reader), Error, codeIs(ErrorCode::Assert));
    }
    SECTION("adding a null filter is an Assert error") {
        io::FilterChain chain;
        CHECK_THROWS_MATCHES(chain.add(nullptr), Error, codeIs(ErrorCode::Assert));
    }
}

TEST_CASE("FilterChain::result finds the nth filter of a type", "[unit][filter]") {
    io::FilterChain chain;
    chain.add(crypto::makeSha1Filter()).add(crypto::makeSizeFilter()).add(std::make_unique<SlowFilter>());
    chain.add(crypto::makeSizeFilter());
    auto isAssert = Catch::Predicate<Error>([](const Error& e) { return e.code() == ErrorCode::Assert; }, "Assert");

    SECTION("sha1 has no result before the stream ends") {
        CHECK_THROWS_MATCHES(chain.result<std::string>(FilterType::Sha1), Error, isAssert);
    }
    SECTION("after the stream ends") {
        StringReadStream source("hello");
        auto reader = chain.reader(source);
        CHECK(test::drain(*reader) == "ifmmp");
        CHECK(chain.result<std::string>(FilterType::Sha1) == test::referenceSha1("hello"));
        CHECK(chain.result<std::uint64_t>(FilterType::Size, 0) == 5);
        CHECK(chain.result<std::uint64_t>(FilterType::Size, 1) == 5);
        CHECK_THROWS_MATCHES(chain.result<std::uint64_t>(FilterType::Size, 2), Error, isAssert);
        CHECK_THROWS_MATCHES(chain.result<std::string>(FilterType::CipherEncrypt), Error, isAssert);
        CHECK_THROWS_MATCHES(chain.result<std::string>(FilterType::Lz4Compress), Error, isAssert);  // no result
    }
    SECTION("specs describe every filter in order") {
        const auto specs = chain.specs();
        REQUIRE(specs.size() == 4);
        CHECK(specs[0].type == FilterType::Sha1);
        CHECK(specs[1].type == FilterType::Size);
        CHECK(specs[2].type == FilterType::Lz4Compress);
        CHECK(specs[3].type == FilterType::Size);
    }
}

TEST_CASE("Filter::process passes bytes through an observer", "[unit][filter]") {
    auto sha1 = crypto::makeSha1Filter();
    Buffer out(4);
    CHECK(sha1->process(io::asBytes(std::string_view("abcdef")), out) == 4);
    CHECK(io::asText(out.view()) == "abcd");
    CHECK(sha1->process(io::asBytes(std::string_view("ef")), out) == 0);  // out is full
    out.clear();
    CHECK(sha1->process(io::asBytes(std::string_view("ef")), out) == 2);
    CHECK(sha1->process({}, out) == 0);
    CHECK(sha1->flushed());
    CHECK(std::get<std::string>(sha1->result()) == test::referenceSha1("abcdef"));
}

TEST_CASE("makeFilter rebuilds filters from their specs", "[unit][filter]") {
    auto isAssert = Catch::Predicate<Error>([](const Error& e) { return e.code() == ErrorCode::Assert; }, "Assert");
    const std::string input = sampleText(200000);

    SECTION("size, sha1 and cipher rebuild from spec() and behave the same") {
        io::FilterChain original;
        original.add(crypto::makeSha1Filter()).add(crypto::makeSizeFilter());
        original.add(crypto::makeCipherFilter(crypto::CipherMode::Encrypt, "spec-pass"));
        io::FilterChain rebuilt;
        for (const io::FilterSpec& spec : original.specs()) rebuilt.add(io::makeFilter(spec));
        REQUIRE(rebuilt.specs().size() == 3);
        CHECK(rebuilt.filters()[0]->type() == FilterType::Sha1);
        CHECK(rebuilt.filters()[1]->type() == FilterType::Size);
        CHECK(rebuilt.filters()[2]->type() == FilterType::CipherEncrypt);
        CHECK(rebuilt.specs()[2].params.at("pass") == "spec-pass");

        StringReadStream source(input);
        auto encrypted = rebuilt.reader(source);
        io::FilterChain decrypt;
        decrypt.add(io::makeFilter({FilterType::CipherDecrypt, {{"pass", "spec-pass"}}}));
        auto plain = decrypt.reader(*encrypted);
        CHECK(test::drain(*plain) == input);
        CHECK(rebuilt.result<std::string>(FilterType::Sha1) == test::referenceSha1(input));
        CHECK(rebuilt.result<std::uint64_t>(FilterType::Size) == input.size());
    }
    SECTION("bad specs are Assert errors that never show a passphrase") {
        CHECK_THROWS_MATCHES(io::makeFilter({FilterType::Sha1, {{"level", "3"}}}), Error, isAssert);
        CHECK_THROWS_MATCHES(io::makeFilter({FilterType::CipherEncrypt, {}}), Error, isAssert);
        CHECK_THROWS_MATCHES(io::makeFilter({FilterType::PageChecksum, {}}), Error, isAssert);
        try {
            io::makeFilter({FilterType::CipherDecrypt, {{"pass", "hunter2"}, {"typo", "hunter2"}}});
            FAIL("no error");
        } catch (const Error& e) {
            CHECK(e.code() == ErrorCode::Assert);
            CHECK_THAT(e.what(), Catch::Contains("typo") && !Catch::Contains("hunter2"));
        }
        CHECK_THROWS_MATCHES(io::makeFilter({FilterType::ZstCompress, {}}), Error, isAssert);
        CHECK_THROWS_MATCHES(io::makeFilter({FilterType::ZstCompress, {{"level", "3x"}}}), Error, isAssert);
        CHECK_THROWS_MATCHES(io::makeFilter({FilterType::ZstCompress, {{"level", ""}}}), Error, isAssert);
        CHECK_THROWS_MATCHES(io::makeFilter({FilterType::GzCompress, {{"level", "99"}}}), Error, isAssert);
        CHECK_THROWS_MATCHES(io::makeFilter({FilterType::GzDecompress, {{"level", "6"}}}), Error, isAssert);
    }
    SECTION("every compress type round trips through makeFilter") {
        struct Case {
            FilterType compress;
            FilterType decompress;
            const char* level;
        };
        for (const Case& c : {Case{FilterType::GzCompress, FilterType::GzDecompress, "6"},
                              Case{FilterType::Bz2Compress, FilterType::Bz2Decompress, "9"},
                              Case{FilterType::Lz4Compress, FilterType::Lz4Decompress, "-5"},
                              Case{FilterType::ZstCompress, FilterType::ZstDecompress, "3"}}) {
            CAPTURE(io::filterTypeName(c.compress));
            io::FilterChain store;
            store.add(io::makeFilter({c.compress, {{"level", c.level}}}));
            REQUIRE(store.filters()[0]->type() == c.compress);
            CHECK(store.specs()[0].params.at("level") == c.level);
            store.add(io::makeFilter(store.specs()[0]));  // compress twice: the spec rebuilds a working twin
            store.add(crypto::makeSizeFilter());
            StringReadStream source(input, 10000);
            auto packed = store.reader(source, 7000);

            io::FilterChain load;
            load.add(io::makeFilter({c.decompress, {}})).add(io::makeFilter({c.decompress, {}}));
            load.add(crypto::makeSha1Filter());
            auto unpacked = load.reader(*packed, 5000);
            CHECK(test::drain(*unpacked, 4000) == input);
            CHECK(load.result<std::string>(FilterType::Sha1) == test::referenceSha1(input));
            CHECK(store.result<std::uint64_t>(FilterType::Size) < input.size());
        }
    }
}
