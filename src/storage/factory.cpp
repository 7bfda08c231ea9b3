// makeStorage: StorageSpec -> driver. See factory.h.
#include "storage/factory.h"

#include <fmt/format.h>

#include "common/error.h"
#include "storage/posix/posix_storage.h"

namespace pgark::storage {

const std::string& StorageSpec::field(const std::string& name) const {
    const auto found = fields.find(name);
    if (found == fields.end()) throwError(ErrorCode::Assert, "storage spec has no '{}' field", name);
    return found->second;
}

std::string StorageSpec::fieldOr(const std::string& name, const std::string& fallback) const {
    const auto found = fields.find(name);
    return found == fields.end() ? fallback : found->second;
}

namespace {

std::unique_ptr<Storage> makePosixFromSpec(const StorageSpec& spec) {
    PosixOptions options;
    options.neutralUmask = spec.fieldOr("neutral-umask", "y") == "y";
    if (const std::string size = spec.fieldOr("buffer-size", ""); !size.empty())
        options.bufferSize = static_cast<std::size_t>(std::stoull(size));
    return makePosixStorage(spec.field("path"), options);
}

}  // namespace

std::unique_ptr<Storage> makeStorage(const StorageSpec& spec) {
    if (spec.type == "posix" || spec.type == "cifs") return makePosixFromSpec(spec);
    throwError(ErrorCode::FeatureNotSupported, "storage type '{}' is not supported by this version of pgark", spec.type);
}

}  // namespace pgark::storage
