// Default implementations of the optional Storage operations, and the small-file helpers.
#include "storage/storage.h"

#include "common/error.h"

namespace pgark::storage {

void Storage::pathCreate(std::string_view path, std::optional<mode_t>) {
    throwError(ErrorCode::FeatureNotSupported, "{} storage cannot create path '{}'", type(), describe(path));
}
void Storage::pathSync(std::string_view path) {
    throwError(ErrorCode::FeatureNotSupported, "{} storage cannot sync path '{}'", type(), describe(path));
}
void Storage::linkCreate(std::string_view, std::string_view linkPath, bool) {
    throwError(ErrorCode::FeatureNotSupported, "{} storage cannot create link '{}'", type(), describe(linkPath));
}
void Storage::move(std::string_view from, std::string_view) {
    throwError(ErrorCode::FeatureNotSupported, "{} storage cannot move '{}'", type(), describe(from));
}

std::string readText(Storage& storage, std::string_view path) {
    auto stream = storage.openRead(path, {});
    return io::readAll(*stream);
}

std::optional<std::string> readTextIfExists(Storage& storage, std::string_view path) {
    auto stream = storage.openRead(path, {.ignoreMissing = true});
    if (!stream) return std::nullopt;
    return io::readAll(*stream);
}

void writeText(Storage& storage, std::string_view path, std::string_view text, const WriteOptions& options) {
    auto stream = storage.openWrite(path, options);
    stream->write(io::asBytes(text));
    stream->commit();
}

}  // namespace pgark::storage
