// Sha1Pair: see sha1_pair.h.
#include "common/crypto/sha1_pair.h"

#include <algorithm>
#include <cstring>

#include "common/error.h"

namespace pgark::crypto {

Sha1Pair::Sha1Pair() : lanes_(sha1LanesSupported()) {
    if (!lanes_)
        for (auto& hasher : fallback_) hasher = std::make_unique<Sha1Hasher>();
}

io::ByteView Sha1Pair::Lane::topUp(io::ByteView data) {
    if (carried == 0) return data;
    const std::size_t n = std::min(data.size(), carry.size() - carried);
    if (n != 0) std::memcpy(carry.data() + carried, data.data(), n);  // data() may be null when empty
    carried += n;
    if (carried == carry.size()) {
        sha1.update(carry.data(), 1);
        carried = 0;
    }
    return data.subspan(n);
}

void Sha1Pair::update(io::ByteView a, io::ByteView b) {
    if (!lanes_) {
        if (!a.empty()) fallback_[0]->update(a);
        if (!b.empty()) fallback_[1]->update(b);
        return;
    }
    // First the blocks begun by earlier pieces, then whole blocks of both streams together, then
    // the whole blocks only one stream has, and what is left of a block waits for the next piece.
    io::ByteView rest[2] = {lane_[0].topUp(a), lane_[1].topUp(b)};
    const std::size_t together = std::min(rest[0].size(), rest[1].size()) / Sha1Lane::kBlock;
    if (together != 0) {
        Sha1Lane::update2(lane_[0].sha1, rest[0].data(), lane_[1].sha1, rest[1].data(), together);
        for (auto& r : rest) r = r.subspan(together * Sha1Lane::kBlock);
    }
    for (int i = 0; i < 2; i++) {
        const std::size_t blocks = rest[i].size() / Sha1Lane::kBlock;
        if (blocks != 0) lane_[i].sha1.update(rest[i].data(), blocks);
        const io::ByteView tail = rest[i].subspan(blocks * Sha1Lane::kBlock);
        // A carry is only left when the carried block was completed above (or there was none).
        if (!tail.empty()) std::memcpy(lane_[i].carry.data() + lane_[i].carried, tail.data(), tail.size());
        lane_[i].carried += tail.size();
    }
}

std::string Sha1Pair::finalHex(int stream) {
    if (stream != 0 && stream != 1) throwError(ErrorCode::Assert, "Sha1Pair has streams 0 and 1, not {}", stream);
    if (!lanes_) return fallback_[stream]->finalHex();
    Lane& lane = lane_[stream];
    return lane.sha1.finalHex({lane.carry.data(), lane.carried});
}

}  // namespace pgark::crypto
