// See encoding.h.
#include "common/crypto/encoding.h"

#include <openssl/evp.h>

#include <climits>

#include "common/error.h"

namespace pgark::crypto {

std::string lowerHex(const unsigned char* data, std::size_t size) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out(size * 2, '0');
    for (std::size_t i = 0; i < size; ++i) {
        out[2 * i] = kHex[data[i] >> 4];
        out[2 * i + 1] = kHex[data[i] & 15];
    }
    return out;
}

std::string base64(const unsigned char* data, std::size_t size) {
    if (size > static_cast<std::size_t>(INT_MAX) / 4 * 3) throwError(ErrorCode::Assert, "base64 of {} bytes: too large", size);
    // EVP_EncodeBlock is plain base64 (no provider involved) and ends what it writes with a NUL.
    std::string out(4 * ((size + 2) / 3) + 1, '\0');
    const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
    out.resize(static_cast<std::size_t>(written));
    return out;
}

}  // namespace pgark::crypto
