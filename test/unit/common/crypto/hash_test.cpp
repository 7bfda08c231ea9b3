// SHA-1 hasher, sha1Hex and the Sha1 / Size filters.
#include <catch2/catch.hpp>

#include "common/crypto/hash.h"
#include "common/error.h"
#include "unit/common/io/test_streams.h"

using namespace pgark;

TEST_CASE("sha1Hex matches the FIPS 180 test vectors", "[unit][crypto]") {
    CHECK(crypto::sha1Hex(std::string_view("abc")) == "a9993e364706816aba3e25717850c26c9cd0d89d");
    CHECK(crypto::sha1Hex(std::string_view("")) == "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    CHECK(crypto::sha1Hex(std::string_view("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")) ==
          "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    CHECK(crypto::sha1Hex(std::string(1000000, 'a')) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

TEST_CASE("Sha1Hasher streams and refuses use after finalHex", "[unit][crypto]") {
    SECTION("many small updates equal one call") {
        crypto::Sha1Hasher hasher;
        const std::string million(1000000, 'a');
        for (std::size_t pos = 0; pos < million.size(); pos += 997)
            hasher.update(io::asBytes(std::string_view(million).substr(pos, 997)));
        hasher.update({});
        CHECK(hasher.finalHex() == "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
    }
    SECTION("update or finalHex after finalHex is an Assert error") {
        crypto::Sha1Hasher hasher;
        hasher.update(io::asBytes(std::string_view("abc")));
        CHECK(hasher.finalHex() == "a9993e364706816aba3e25717850c26c9cd0d89d");
        auto isAssert = Catch::Predicate<Error>([](const Error& e) { return e.code() == ErrorCode::Assert; }, "Assert");
        CHECK_THROWS_MATCHES(hasher.update(io::asBytes(std::string_view("x"))), Error, isAssert);
        CHECK_THROWS_MATCHES(hasher.finalHex(), Error, isAssert);
    }
}

TEST_CASE("Sha1 and Size filters observe a stream", "[unit][crypto]") {
    SECTION("results after end of input, with specs that rebuild them") {
        auto sha1 = crypto::makeSha1Filter();
        auto size = crypto::makeSizeFilter();
        CHECK(sha1->observer());
        CHECK(size->observer());
        CHECK(std::holds_alternative<std::monostate>(sha1->result()));
        const std::string text = "The quick brown fox jumps over the lazy dog";
        for (char c : text) {
            sha1->observe(io::asBytes(std::string_view(&c, 1)));
            size->observe(io::asBytes(std::string_view(&c, 1)));
        }
        CHECK(std::get<std::uint64_t>(size->result()) == text.size());
        CHECK(std::holds_alternative<std::monostate>(sha1->result()));  // no digest of a prefix
        sha1->observe({});
        size->observe({});
        CHECK(std::get<std::string>(sha1->result()) == "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12");
        CHECK(std::get<std::uint64_t>(size->result()) == text.size());
        sha1->observe({});  // a repeated end signal changes nothing
        CHECK(std::get<std::string>(sha1->result()) == "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12");
        CHECK_THROWS_AS(sha1->observe(io::asBytes(text)), Error);
        CHECK(sha1->spec().type == io::FilterType::Sha1);
        CHECK(sha1->spec().params.empty());
        CHECK(size->spec().type == io::FilterType::Size);
    }
    SECTION("in a chain over a pseudo-random stream") {
        std::string data = test::drain(*std::make_unique<test::PatternReadStream>(3 * 1024 * 1024 + 17, 42));
        io::FilterChain chain;
        chain.add(crypto::makeSizeFilter()).add(crypto::makeSha1Filter());
        test::PatternReadStream source(data.size(), 42);
        auto reader = chain.reader(source, 100000);
        CHECK(test::drain(*reader, 65536) == data);
        CHECK(chain.result<std::uint64_t>(io::FilterType::Size) == data.size());
        CHECK(chain.result<std::string>(io::FilterType::Sha1) == test::referenceSha1(data));
    }
}
