// info_file: load and save of checksummed info files (archive.info, backup.info, and the generic
// layer of backup.manifest) the way pgBackRest 2.45 does it (spec §1.3, §2.4, §7.2, A.1): every
// file is written twice, `X` then `X.copy`, with identical bytes, each atomically; a reader tries
// `X` and falls back to `X.copy` on any error. With a passphrase the bytes on disk are aes-256-cbc
// ("Salted__") encrypted. Which passphrase applies is the caller's business (§7.2).
// Stateless functions; the borrowed Storage is used only during the call.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "info/ini.h"
#include "storage/storage.h"

namespace pgark::info {

inline constexpr std::string_view kInfoCopyExt = ".copy";

// Parses decrypted file text: strict INI, backrest-checksum present and equal to the checksum of
// the raw lines (§2.4), backrest-format equal to 5. `name` (a path) is used in messages only.
// Throws Error(Format) for syntax errors, a missing key or a wrong format, Error(Checksum) for a
// missing or wrong checksum.
[[nodiscard]] Ini parseInfo(std::string_view text, std::string_view name);

// The text a save writes (before encryption): `ini` stamped with backrest-format=5 and
// backrest-version="2.45", in canonical order with a fresh checksum.
[[nodiscard]] std::string renderInfo(const Ini& ini);

// Loads `path`, or `path`.copy if `path` fails in any way (missing, unreadable, decryption,
// checksum, parse). `cipherPass` empty = the file is not encrypted. When both fail, throws
// Error naming both files and both reasons, with a hint: FileMissing if both are missing,
// Checksum if every present file failed its checksum, else FileInvalid.
[[nodiscard]] Ini loadInfoFile(storage::Storage& storage, std::string_view path, std::string_view cipherPass);

// As loadInfoFile, but returns nullopt when neither `path` nor `path`.copy exists.
[[nodiscard]] std::optional<Ini> loadInfoFileIfExists(storage::Storage& storage, std::string_view path,
                                                      std::string_view cipherPass);

// Renders `ini` (renderInfo), encrypts it once when `cipherPass` is not empty, and writes the
// same bytes atomically to `path` and then `path`.copy (creating parent paths). Throws the
// storage's Error if a write fails; `path` may then be new while `path`.copy is still old.
void saveInfoFile(storage::Storage& storage, std::string_view path, const Ini& ini, std::string_view cipherPass);

// Encrypts / decrypts a small in-memory payload with the aes-256-cbc filter (§7.1). Decrypt
// throws Error(Crypto) on a missing header, truncation or (almost always) a wrong passphrase.
[[nodiscard]] std::string encryptText(std::string_view plain, std::string_view cipherPass);
[[nodiscard]] std::string decryptText(std::string_view data, std::string_view cipherPass);

}  // namespace pgark::info
