// SigV4 against the worked examples AWS publishes in its S3 documentation ("Signature Calculations
// for the Authorization Header", example credentials AKIAIOSFODNN7EXAMPLE), and the signing-key
// derivation example of its general SigV4 documentation. Only the documented inputs and expected
// outputs are used here.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include "storage/s3/s3_auth.h"

using namespace pgark::storage::s3;

namespace {

const SigV4Credentials kExample{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "us-east-1", "s3"};
const std::string kEmptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

std::string hexOf(const std::string& raw) {
    std::string out;
    for (const unsigned char c : raw) out += fmt::format("{:02x}", c);
    return out;
}

}  // namespace

TEST_CASE("sha256Hex and md5Base64 give the standard digests", "[unit][s3]") {
    CHECK(sha256Hex("") == kEmptyHash);
    CHECK(sha256Hex("Welcome to Amazon S3.") == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
    CHECK(md5Base64("") == "1B2M2Y8AsgTpgAmY7PhCfg==");
    CHECK(md5Base64("abc") == "kAFQmDzST7DWlj99KOF/cg==");  // RFC 1321's 900150983cd24fb0...
    // Longer than a block, and not a multiple of one: the digests run over several updates' worth.
    const std::string text(1000, 'x');
    CHECK(sha256Hex(text) == "44f8354494a5ba03ba1792a8d3e9c534c47a9181980fde7a3f44b06ef2ae7c7f");
}

TEST_CASE("hmacSha256 gives RFC 4231's results, also for a key longer than a block", "[unit][s3]") {
    const auto hexOf = [](const std::string& raw) {
        std::string out;
        for (const unsigned char c : raw) out += fmt::format("{:02x}", c);
        return out;
    };
    CHECK(hexOf(hmacSha256("Jefe", "what do ya want for nothing?")) ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    CHECK(hexOf(hmacSha256(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First")) ==
          "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    // A key of exactly one block is used as it is.
    CHECK(hexOf(hmacSha256(std::string(64, 'k'), "")) == "83026a325aaee70e36cfe607536aa1054104ad1077c36134810d4ccded1ccd3b");
}

TEST_CASE("SigV4 signs AWS's documented S3 examples", "[unit][s3]") {
    SECTION("GET object with a Range header") {
        const std::map<std::string, std::string> headers{{"host", "examplebucket.s3.amazonaws.com"},
                                                         {"range", "bytes=0-9"},
                                                         {"x-amz-content-sha256", kEmptyHash},
                                                         {"x-amz-date", "20130524T000000Z"}};
        const std::string canonical = canonicalRequest("GET", "/test.txt", "", headers, kEmptyHash);
        CHECK(canonical ==
              "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
              "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
              "x-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n"
              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        CHECK(stringToSign("20130524T000000Z", kExample, canonical) ==
              "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
              "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
        CHECK(authorization(kExample, "GET", "/test.txt", "", headers, kEmptyHash) ==
              "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
              "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
              "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
    }
    SECTION("PUT object with a '$' in the key and a storage class") {
        const std::string payload = sha256Hex("Welcome to Amazon S3.");
        const std::map<std::string, std::string> headers{{"date", "Fri, 24 May 2013 00:00:00 GMT"},
                                                         {"host", "examplebucket.s3.amazonaws.com"},
                                                         {"x-amz-content-sha256", payload},
                                                         {"x-amz-date", "20130524T000000Z"},
                                                         {"x-amz-storage-class", "REDUCED_REDUNDANCY"}};
        CHECK(authorization(kExample, "PUT", "/test%24file.text", "", headers, payload) ==
              "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
              "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,"
              "Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
    }
    SECTION("GET bucket lifecycle (a query parameter without a value)") {
        const std::map<std::string, std::string> headers{{"host", "examplebucket.s3.amazonaws.com"},
                                                         {"x-amz-content-sha256", kEmptyHash},
                                                         {"x-amz-date", "20130524T000000Z"}};
        const std::string query = canonicalQuery({{"lifecycle", ""}});
        CHECK(query == "lifecycle=");
        CHECK(authorization(kExample, "GET", "/", query, headers, kEmptyHash) ==
              "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
              "SignedHeaders=host;x-amz-content-sha256;x-amz-date,"
              "Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
    }
    SECTION("list objects (query parameters sorted by name)") {
        const std::map<std::string, std::string> headers{{"host", "examplebucket.s3.amazonaws.com"},
                                                         {"x-amz-content-sha256", kEmptyHash},
                                                         {"x-amz-date", "20130524T000000Z"}};
        const std::string query = canonicalQuery({{"prefix", "J"}, {"max-keys", "2"}});
        CHECK(query == "max-keys=2&prefix=J");
        CHECK(authorization(kExample, "GET", "/", query, headers, kEmptyHash) ==
              "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
              "SignedHeaders=host;x-amz-content-sha256;x-amz-date,"
              "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
    }
}

TEST_CASE("SigV4 derives the documented signing key", "[unit][s3]") {
    const SigV4Credentials iam{"", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "us-east-1", "iam"};
    CHECK(hexOf(signingKey(iam, "20120215")) == "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

TEST_CASE("canonicalQuery encodes reserved characters and keeps unreserved ones", "[unit][s3]") {
    CHECK(canonicalQuery({{"prefix", "a/b c+d"}, {"continuation-token", "x=y~z"}}) ==
          "continuation-token=x%3Dy~z&prefix=a%2Fb%20c%2Bd");
    CHECK(amzDate(std::chrono::system_clock::time_point(std::chrono::seconds(1'369'353'600))) == "20130524T000000Z");
}
