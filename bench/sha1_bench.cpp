// SHA-1 per core: OpenSSL (Sha1Hasher) against Sha1Lane one stream and two streams at once
// (update2). Run by hand: build/bench/sha1_bench [MiB=256]. Prints GB/s of hashed bytes.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/crypto/hash.h"
#include "common/crypto/sha1_lanes.h"

using namespace pgark;

namespace {

template <class Fn>
double gbPerSecond(std::size_t bytes, Fn fn) {
    double best = 0;
    for (int round = 0; round < 5; ++round) {
        const auto start = std::chrono::steady_clock::now();
        fn();
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        best = std::max(best, static_cast<double>(bytes) / seconds / 1e9);
    }
    return best;
}

}  // namespace

int main(int argc, char** argv) {
    const std::size_t size = (argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 256) << 20;
    std::vector<std::byte> a(size), b(size);
    for (std::size_t i = 0; i < size; ++i) a[i] = static_cast<std::byte>(i * 7), b[i] = static_cast<std::byte>(i * 13);
    std::printf("openssl     %.2f GB/s\n", gbPerSecond(size, [&] {
        crypto::Sha1Hasher hasher;
        hasher.update({a.data(), size});
        (void)hasher.finalHex();
    }));
    if (!crypto::sha1LanesSupported()) return 0;
    std::printf("lane x1     %.2f GB/s\n", gbPerSecond(size, [&] {
        crypto::Sha1Lane lane;
        lane.update(a.data(), size / crypto::Sha1Lane::kBlock);
        (void)lane.finalHex({});
    }));
    std::printf("lane x2     %.2f GB/s\n", gbPerSecond(2 * size, [&] {
        crypto::Sha1Lane laneA, laneB;
        crypto::Sha1Lane::update2(laneA, a.data(), laneB, b.data(), size / crypto::Sha1Lane::kBlock);
        (void)laneA.finalHex({});
        (void)laneB.finalHex({});
    }));
}
