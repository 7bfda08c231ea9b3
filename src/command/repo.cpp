// openRepos: repo<N>-* options -> Repo objects. See repo.h.
#include "command/repo.h"

#include <algorithm>

#include "common/error.h"
#include "config/config.h"
#include "storage/factory.h"

namespace pgark::command {
namespace {

// The S3 settings of repo<N>; secrets go into the spec (and through the worker pipe), never argv.
void addS3Fields(const config::Config& config, unsigned index, storage::StorageSpec& spec) {
    if (const std::string keyType = config.getString("repo-s3-key-type", index); keyType != "shared") {
        throw Error(ErrorCode::FeatureNotSupported,
                    fmt::format("repo{}-s3-key-type={} is not supported by this version of pgark", index, keyType))
            .withHint(fmt::format("use repo{0}-s3-key-type=shared with repo{0}-s3-key and repo{0}-s3-key-secret", index));
    }
    const auto copy = [&](const char* option, const char* field) {
        if (config.has(option, index)) spec.fields[field] = config.getString(option, index);
    };
    copy("repo-s3-bucket", "bucket");
    copy("repo-s3-endpoint", "endpoint");
    copy("repo-s3-region", "region");
    copy("repo-s3-key", "key");
    copy("repo-s3-key-secret", "key-secret");
    copy("repo-s3-token", "token");
    copy("repo-s3-kms-key-id", "kms-key-id");
    copy("repo-s3-uri-style", "uri-style");
    copy("repo-storage-ca-file", "ca-file");
    copy("repo-storage-ca-path", "ca-path");
    copy("repo-storage-host", "host");
    spec.fields["port"] = std::to_string(config.getInt("repo-storage-port", index));
    spec.fields["verify-tls"] = config.getBool("repo-storage-verify-tls", index) ? "y" : "n";
    if (config.has("repo-storage-upload-chunk-size", index))
        spec.fields["upload-chunk-size"] = std::to_string(config.getSize("repo-storage-upload-chunk-size", index));
    if (config.takes("io-timeout")) spec.fields["io-timeout-ms"] = std::to_string(config.getTime("io-timeout").count());
}

storage::StorageSpec repoStorageSpec(const config::Config& config, unsigned index) {
    storage::StorageSpec spec;
    spec.type = config.getString("repo-type", index);
    spec.fields["path"] = config.getString("repo-path", index);
    if (config.takes("neutral-umask")) spec.fields["neutral-umask"] = config.getBool("neutral-umask") ? "y" : "n";
    if (config.takes("buffer-size")) spec.fields["buffer-size"] = std::to_string(config.getSize("buffer-size"));
    if (spec.type == "s3") addS3Fields(config, index, spec);
    return spec;
}

Repo openRepo(const config::Config& config, unsigned index) {
    Repo repo;
    repo.index = index;
    const std::string type = config.getString("repo-type", index);
    if (type != "posix" && type != "cifs" && type != "s3") {
        throw Error(ErrorCode::FeatureNotSupported,
                    fmt::format("repo{}-type={} is not supported by this version of pgark", index, type))
            .withHint("use a posix or s3 repository");
    }
    if (config.getString("repo-cipher-type", index) == "aes-256-cbc") {
        if (!config.has("repo-cipher-pass", index)) {
            throw Error(ErrorCode::OptionRequired,
                        fmt::format("repo{0}-cipher-type=aes-256-cbc needs repo{0}-cipher-pass", index))
                .withHint(fmt::format("set repo{}-cipher-pass in the configuration file or the environment", index));
        }
        repo.cipherPass = config.getString("repo-cipher-pass", index);
    }
    repo.spec = repoStorageSpec(config, index);
    repo.storage = storage::makeStorage(repo.spec);
    return repo;
}

}  // namespace

std::vector<Repo> openRepos(const config::Config& config) {
    std::vector<unsigned> indexes = config.repoIndexes();
    if (config.takes("repo") && config.has("repo")) {
        const auto only = static_cast<unsigned>(config.getInt("repo"));
        if (std::find(indexes.begin(), indexes.end(), only) == indexes.end()) {
            throw Error(ErrorCode::OptionInvalidValue, fmt::format("repo{} is not configured", only))
                .withHint("set repo" + std::to_string(only) + "-path (or another repo" + std::to_string(only) +
                          "-* option) or choose a configured --repo");
        }
        indexes = {only};
    }
    std::vector<Repo> repos;
    for (const unsigned index : indexes) repos.push_back(openRepo(config, index));
    return repos;
}

}  // namespace pgark::command
