// Text forms of digests: lowercase hex (SHA-1 names in the repository, SHA-256 in SigV4) and
// base64 (Content-MD5). One place for what the hashers, the content digests and the S3 signer
// each wrote out before.
#pragma once

#include <cstddef>
#include <string>

namespace pgark::crypto {

// Two lowercase hex characters per byte.
std::string lowerHex(const unsigned char* data, std::size_t size);

// Standard base64 with padding (RFC 4648, section 4), no line breaks.
std::string base64(const unsigned char* data, std::size_t size);

}  // namespace pgark::crypto
