// Load/save of info files: parse + verify, the X / X.copy pair, optional encryption.
#include "info/info_file.h"

#include "common/crypto/cipher.h"
#include "common/error.h"
#include "common/io/buffer.h"

namespace pgark::info {

namespace {

// Info files are a few KB, manifests a few MB: a whole-buffer pass through the filter is simpler
// than a stream and the output buffer only bounds each step, not the payload.
std::string runFilter(io::Filter& filter, std::string_view input) {
    io::Buffer out(64 * 1024);
    std::string result;
    result.reserve(input.size() + 64);
    io::ByteView in = io::asBytes(input);
    while (!in.empty()) {
        const std::size_t used = filter.process(in, out);
        in = in.subspan(used);
        result.append(io::asText(out.view()));
        out.clear();
    }
    // End of input: call with an empty view until the filter has flushed everything.
    for (;;) {
        filter.process({}, out);
        result.append(io::asText(out.view()));
        out.clear();
        if (filter.flushed()) break;
    }
    return result;
}

constexpr std::string_view kCipherMagic = "Salted__";  // first bytes of every encrypted file (§7.1)

std::string copyPath(std::string_view path) { return std::string(path) + std::string(kInfoCopyExt); }

struct Attempt {
    std::string path;
    std::optional<Ini> ini;
    std::optional<Error> error;
};

Attempt tryLoad(storage::Storage& storage, std::string path, std::string_view cipherPass) {
    Attempt attempt{std::move(path), std::nullopt, std::nullopt};
    try {
        const std::string name = storage.describe(attempt.path);
        std::string text = storage::readText(storage, attempt.path);
        if (!cipherPass.empty())
            text = decryptText(text, cipherPass);
        else if (text.starts_with(kCipherMagic))
            // Would otherwise surface as a baffling syntax error on binary data.
            throwError(ErrorCode::Crypto, "info file '{}' is encrypted but no cipher passphrase is configured", name);
        attempt.ini = parseInfo(text, name);
    } catch (const Error& error) {
        attempt.error = error;
    }
    return attempt;
}

[[noreturn]] void throwBothFailed(storage::Storage& storage, const Attempt& main, const Attempt& copy,
                                  bool encrypted) {
    const Error& first = *main.error;
    const Error& second = *copy.error;
    const bool firstMissing = first.code() == ErrorCode::FileMissing;
    const bool secondMissing = second.code() == ErrorCode::FileMissing;

    ErrorCode code = ErrorCode::FileInvalid;
    if (firstMissing && secondMissing)
        code = ErrorCode::FileMissing;
    else if ((firstMissing || first.code() == ErrorCode::Checksum) && (secondMissing || second.code() == ErrorCode::Checksum))
        code = ErrorCode::Checksum;

    // Both reads failed the same way before any content was seen (an unreachable object store,
    // a refused certificate or key): that is the error, not a corrupt repository.
    const bool unreadable = first.code() == second.code() &&
                            (first.code() == ErrorCode::Protocol || first.code() == ErrorCode::HostConnect ||
                             first.code() == ErrorCode::ProtocolTimeout || first.code() == ErrorCode::FileRead);
    if (unreadable) code = first.code();

    std::string hint;
    if (unreadable) {
        hint = first.hint().empty() ? "check that the repository storage is reachable" : first.hint();
    } else if (code == ErrorCode::FileMissing) {
        hint = "check the repository path and stanza name; a new stanza needs stanza-create first";
    } else if (first.code() == ErrorCode::Crypto || second.code() == ErrorCode::Crypto ||
               (encrypted && (first.code() == ErrorCode::Format || second.code() == ErrorCode::Format))) {
        // A wrong passphrase usually fails the padding check (Crypto), but 1 in 256 decrypts to
        // garbage that only the parser notices.
        hint = "check repo-cipher-type and repo-cipher-pass: they must match how the repository was created";
    } else {
        hint = "the repository may be corrupt; if one of the two files is intact, restore the other from it";
    }

    throw Error(code, fmt::format("unable to load info file '{}' or '{}':\n{}: {}\n{}: {}", storage.describe(main.path),
                                  storage.describe(copy.path), errorCodeName(first.code()), first.message(),
                                  errorCodeName(second.code()), second.message()))
        .withHint(std::move(hint));
}

}  // namespace

std::string encryptText(std::string_view plain, std::string_view cipherPass) {
    auto filter = crypto::makeCipherFilter(crypto::CipherMode::Encrypt, std::string(cipherPass));
    return runFilter(*filter, plain);
}

std::string decryptText(std::string_view data, std::string_view cipherPass) {
    auto filter = crypto::makeCipherFilter(crypto::CipherMode::Decrypt, std::string(cipherPass));
    return runFilter(*filter, data);
}

Ini parseInfo(std::string_view text, std::string_view name) {
    std::vector<IniLine> lines;
    try {
        lines = parseIniLines(text);
    } catch (const Error& error) {
        throwError(ErrorCode::Format, "invalid info file '{}': {}", name, error.message());
    }

    // Verify over the raw lines in file order: that is what the writer hashed (§2.4).
    const IniLine* stored = nullptr;
    for (const IniLine& line : lines)
        if (line.section == kBackrestSection && line.key == kBackrestChecksumKey) stored = &line;
    if (stored == nullptr) throwError(ErrorCode::Checksum, "missing checksum in info file '{}'", name);
    const std::optional<json::Value> storedValue = json::tryParse(stored->value);
    if (!storedValue || !storedValue->isString())
        throwError(ErrorCode::Checksum, "invalid checksum in info file '{}': the checksum is not a string", name);
    const std::string computed = iniChecksum(lines);
    if (storedValue->asString() != computed)
        throwError(ErrorCode::Checksum, "invalid checksum in info file '{}': expected '{}' but found '{}'", name, computed,
                   storedValue->asString());

    Ini ini;
    try {
        ini = Ini::fromLines(lines);
    } catch (const Error& error) {
        throwError(ErrorCode::Format, "invalid info file '{}': {}", name, error.message());
    }

    const std::string* format = ini.raw(kBackrestSection, kBackrestFormatKey);
    if (format == nullptr) throwError(ErrorCode::Format, "missing backrest-format in info file '{}'", name);
    if (*format != std::to_string(kRepoFormat))
        throwError(ErrorCode::Format, "invalid format in info file '{}': expected {} but found {}", name, kRepoFormat,
                   *format);
    return ini;
}

std::string renderInfo(const Ini& ini) {
    Ini stamped = ini;
    stamped.set(kBackrestSection, kBackrestFormatKey, json::Value(kRepoFormat));
    stamped.set(kBackrestSection, kBackrestVersionKey, json::Value(kWriterVersion));
    return stamped.render();
}

Ini loadInfoFile(storage::Storage& storage, std::string_view path, std::string_view cipherPass) {
    Attempt main = tryLoad(storage, std::string(path), cipherPass);
    if (main.ini) return std::move(*main.ini);
    Attempt copy = tryLoad(storage, copyPath(path), cipherPass);
    if (copy.ini) return std::move(*copy.ini);
    throwBothFailed(storage, main, copy, !cipherPass.empty());
}

std::optional<Ini> loadInfoFileIfExists(storage::Storage& storage, std::string_view path, std::string_view cipherPass) {
    Attempt main = tryLoad(storage, std::string(path), cipherPass);
    if (main.ini) return std::move(*main.ini);
    Attempt copy = tryLoad(storage, copyPath(path), cipherPass);
    if (copy.ini) return std::move(*copy.ini);
    if (main.error->code() == ErrorCode::FileMissing && copy.error->code() == ErrorCode::FileMissing) return std::nullopt;
    throwBothFailed(storage, main, copy, !cipherPass.empty());
}

void saveInfoFile(storage::Storage& storage, std::string_view path, const Ini& ini, std::string_view cipherPass) {
    std::string bytes = renderInfo(ini);
    if (!cipherPass.empty()) bytes = encryptText(bytes, cipherPass);
    // Main file first, then the copy (pgBackRest's order): a crash in between leaves a valid pair
    // member either way, and readers fall back to the copy.
    storage::writeText(storage, path, bytes, {});
    storage::writeText(storage, copyPath(path), bytes, {});
}

}  // namespace pgark::info
