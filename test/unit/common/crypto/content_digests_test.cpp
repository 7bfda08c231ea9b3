// contentDigests() and BackgroundContentDigester: MD5 (base64) of a body fed in pieces
// equals the one-shot digest S3 uploads use (storage/s3/s3_auth.h) and published test
// vectors; size is counted.
#include <catch2/catch.hpp>

#include <string>

#include "common/crypto/content_digests.h"
#include "storage/s3/s3_auth.h"
#include "unit/common/crypto/random_bytes.h"

using namespace pgark;

TEST_CASE("contentDigests matches published vectors", "[unit][crypto]") {
    const crypto::ContentDigests empty = crypto::contentDigests(io::ByteView{});
    CHECK(empty.size == 0);
    CHECK(empty.md5Base64 == "1B2M2Y8AsgTpgAmY7PhCfg==");
    const crypto::ContentDigests abc = crypto::contentDigests(io::asBytes(std::string_view("abc")));
    CHECK(abc.size == 3);
    CHECK(abc.md5Base64 == "kAFQmDzST7DWlj99KOF/cg==");
}

TEST_CASE("BackgroundContentDigester over pieces equals the one-shot digests of the whole", "[unit][crypto]") {
    const std::string body = test::randomBytes(3 * 1024 * 1024 + 17, 43);
    const std::size_t piece = GENERATE(1, 63, 64, 65, 4096, 1024 * 1024, 5 * 1024 * 1024);
    crypto::BackgroundContentDigester digester;
    std::size_t pieces = 0;
    for (std::size_t at = 0; at < body.size(); at += piece, ++pieces) {
        digester.update(io::asBytes(std::string_view(body).substr(at, piece)));
        if (pieces % 7 == 3) digester.wait();  // a wait between pieces changes nothing
    }
    digester.update(io::ByteView{});  // an empty piece neither
    const crypto::ContentDigests digests = digester.finish();
    CHECK(digests.size == body.size());
    CHECK(digests.md5Base64 == storage::s3::md5Base64(body));
}

TEST_CASE("BackgroundContentDigester has hashed every piece once wait() returns", "[unit][crypto]") {
    // The caller may change a piece's bytes after wait(): the digests are those from before.
    std::string body = test::randomBytes(2 * 1024 * 1024, 44);
    const std::string original = body;
    crypto::BackgroundContentDigester digester;
    digester.update(io::asBytes(std::string_view(body)));
    digester.wait();
    body.assign(body.size(), 'x');
    const crypto::ContentDigests digests = digester.finish();
    CHECK(digests.md5Base64 == storage::s3::md5Base64(original));
}
