// aes-256-cbc in OpenSSL's "Salted__" format, byte compatible with
// `openssl enc -aes-256-cbc -md sha1 -pass pass:X` (EVP_BytesToKey, SHA-1, one iteration).
// The passphrase is used as raw bytes. Decryption of truncated data or with a wrong
// passphrase throws Error(Crypto) and never emits unauthenticated trailing garbage.
#pragma once

#include <memory>
#include <string>

#include "common/io/filter.h"

namespace pgark::crypto {

enum class CipherMode { Encrypt, Decrypt };

std::unique_ptr<io::Filter> makeCipherFilter(CipherMode mode, std::string passphrase);

// A new sub-passphrase: 48 random bytes from a CSPRNG, standard base64 -> 64 characters.
std::string cipherPassGenerate();

}  // namespace pgark::crypto
