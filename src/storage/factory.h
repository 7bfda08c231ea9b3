// StorageSpec and makeStorage: a storage described by plain data, so the parent can hand the same
// repository to worker processes through the job pipe (secrets included, never on a command
// line) and every process builds its driver the same way. The spec is a driver type plus named
// string fields that the driver's factory branch reads; command/repo.cpp fills it from the
// repo<N>-* options. Plain values; makeStorage is safe to call from any thread.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "storage/storage.h"

namespace pgark::storage {

struct StorageSpec {
    std::string type;                           // "posix" (also cifs), "s3"
    std::map<std::string, std::string> fields;  // driver settings by name, e.g. "path" -> "/var/lib/pgark"

    const std::string& field(const std::string& name) const;  // Error(Assert) when missing
    std::string fieldOr(const std::string& name, const std::string& fallback) const;
    bool operator==(const StorageSpec&) const = default;
};

// Posix fields: path (required), neutral-umask (y|n, default y), buffer-size (bytes).
// S3 fields: path, bucket, endpoint, region, key, key-secret (required); token, kms-key-id, uri-style (host|path),
// port, upload-chunk-size (bytes), verify-tls (y|n), ca-file, ca-path, host (to connect to),
// io-timeout-ms.
// Throws Error(FeatureNotSupported) for an unknown type.
[[nodiscard]] std::unique_ptr<Storage> makeStorage(const StorageSpec& spec);

}  // namespace pgark::storage
