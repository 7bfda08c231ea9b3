// BackgroundSha1 gives the same digest as the one-shot SHA-1 when fed alternating buffers.
#include <catch2/catch.hpp>

#include <vector>

#include "common/crypto/background_sha1.h"
#include "common/crypto/hash.h"

using namespace pgark;

TEST_CASE("BackgroundSha1 matches sha1Hex over alternating buffers", "[unit][crypto]") {
    std::string whole;
    crypto::BackgroundSha1 hasher;
    std::vector<std::byte> buffers[2] = {std::vector<std::byte>(70000), std::vector<std::byte>(70000)};
    for (unsigned chunk = 0, turn = 0; chunk < 37; chunk++, turn ^= 1) {
        const std::size_t size = 1 + (chunk * 7919) % buffers[turn].size();
        for (std::size_t i = 0; i < size; i++) buffers[turn][i] = static_cast<std::byte>((chunk * 31 + i) & 0xff);
        whole.append(reinterpret_cast<const char*>(buffers[turn].data()), size);
        hasher.update({buffers[turn].data(), size});
    }
    CHECK(hasher.finalHex() == crypto::sha1Hex(whole));

    crypto::BackgroundSha1 empty;
    CHECK(empty.finalHex() == "da39a3ee5e6b4b0d3255bfef95601890afd80709");
}
