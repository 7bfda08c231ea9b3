// BackgroundSha1: see background_sha1.h.
#include "common/crypto/background_sha1.h"

namespace pgark::crypto {

void BackgroundSha1::update(io::ByteView data) {
    // The caller alternates two buffers: the previous chunk must be hashed before its buffer is
    // filled again, which happens as soon as we return.
    worker_.waitFor(last_);
    if (data.empty()) return;
    last_ = worker_.submit([this, data] { hasher_.update(data); });
}

std::string BackgroundSha1::finalHex() {
    worker_.finish();
    return hasher_.finalHex();
}

}  // namespace pgark::crypto
