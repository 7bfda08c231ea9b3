// Tests for encoding.h: lowercase hex and base64 against the RFC 4648 test vectors.
#include "common/crypto/encoding.h"

#include <catch2/catch.hpp>
#include <string_view>

using namespace pgark::crypto;

namespace {

std::string base64Of(std::string_view text) {
    return base64(reinterpret_cast<const unsigned char*>(text.data()), text.size());
}

}  // namespace

TEST_CASE("base64 encodes the RFC 4648 test vectors", "[unit][crypto]") {
    CHECK(base64Of("") == "");
    CHECK(base64Of("f") == "Zg==");
    CHECK(base64Of("fo") == "Zm8=");
    CHECK(base64Of("foo") == "Zm9v");
    CHECK(base64Of("foob") == "Zm9vYg==");
    CHECK(base64Of("fooba") == "Zm9vYmE=");
    CHECK(base64Of("foobar") == "Zm9vYmFy");
    // An MD5 digest's length: 24 characters, as Content-MD5 carries it.
    const unsigned char md5[16] = {0xd4, 0x1d, 0x8c, 0xd9, 0x8f, 0x00, 0xb2, 0x04,
                                   0xe9, 0x80, 0x09, 0x98, 0xec, 0xf8, 0x42, 0x7e};
    CHECK(base64(md5, sizeof md5) == "1B2M2Y8AsgTpgAmY7PhCfg==");
}

TEST_CASE("lowerHex writes two lowercase digits per byte", "[unit][crypto]") {
    const unsigned char bytes[] = {0x00, 0x09, 0xab, 0xf0, 0xff};
    CHECK(lowerHex(bytes, sizeof bytes) == "0009abf0ff");
    CHECK(lowerHex(bytes, 0).empty());
}
