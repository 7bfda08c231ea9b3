// makeStorage: StorageSpec -> driver. See factory.h.
#include "storage/factory.h"

#include <fmt/format.h>

#include "common/error.h"
#include "storage/posix/posix_storage.h"
#include "storage/s3/s3_storage.h"

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

std::unique_ptr<Storage> makeS3FromSpec(const StorageSpec& spec) {
    S3Options options;
    options.root = spec.field("path");
    options.bucket = spec.field("bucket");
    options.endpoint = spec.field("endpoint");
    options.region = spec.field("region");
    options.accessKey = spec.field("key");
    options.secretKey = spec.field("key-secret");
    options.securityToken = spec.fieldOr("token", "");
    options.kmsKeyId = spec.fieldOr("kms-key-id", "");
    options.pathStyle = spec.fieldOr("uri-style", "host") == "path";
    options.port = static_cast<unsigned>(std::stoul(spec.fieldOr("port", "443")));
    if (const std::string size = spec.fieldOr("upload-chunk-size", ""); !size.empty())
        options.uploadChunkSize = static_cast<std::size_t>(std::stoull(size));
    options.http.verifyTls = spec.fieldOr("verify-tls", "y") == "y";
    options.http.caFile = spec.fieldOr("ca-file", "");
    options.http.caPath = spec.fieldOr("ca-path", "");
    options.http.connectHost = spec.fieldOr("host", "");
    if (const std::string timeout = spec.fieldOr("io-timeout-ms", ""); !timeout.empty())
        options.http.timeout = std::chrono::milliseconds(std::stoll(timeout));
    return makeS3Storage(std::move(options));
}

}  // namespace

std::unique_ptr<Storage> makeStorage(const StorageSpec& spec) {
    if (spec.type == "posix" || spec.type == "cifs") return makePosixFromSpec(spec);
    if (spec.type == "s3") return makeS3FromSpec(spec);
    throwError(ErrorCode::FeatureNotSupported, "storage type '{}' is not supported by this version of pgark", spec.type);
}

}  // namespace pgark::storage
