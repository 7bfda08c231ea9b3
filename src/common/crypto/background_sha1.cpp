// BackgroundSha1: see background_sha1.h.
#include "common/crypto/background_sha1.h"

namespace pgark::crypto {

BackgroundSha1::~BackgroundSha1() {
    // The hashing thread reads the caller's buffer: never leave it running past our lifetime.
    if (pending_.valid()) pending_.wait();
}

void BackgroundSha1::wait() {
    if (pending_.valid()) pending_.get();  // rethrows a failure of the hashing thread
}

void BackgroundSha1::update(io::ByteView data) {
    wait();
    if (data.empty()) return;
    pending_ = std::async(std::launch::async, [this, data] { hasher_.update(data); });
}

std::string BackgroundSha1::finalHex() {
    wait();
    return hasher_.finalHex();
}

}  // namespace pgark::crypto
