// openRepos: repo<N>-* options -> Repo objects. See repo.h.
#include "command/repo.h"

#include <algorithm>

#include "common/error.h"
#include "config/config.h"
#include "storage/factory.h"

namespace pgark::command {
namespace {

storage::StorageSpec repoStorageSpec(const config::Config& config, unsigned index) {
    storage::StorageSpec spec;
    spec.type = config.getString("repo-type", index);
    spec.fields["path"] = config.getString("repo-path", index);
    if (config.takes("neutral-umask")) spec.fields["neutral-umask"] = config.getBool("neutral-umask") ? "y" : "n";
    if (config.takes("buffer-size")) spec.fields["buffer-size"] = std::to_string(config.getSize("buffer-size"));
    return spec;
}

Repo openRepo(const config::Config& config, unsigned index) {
    Repo repo;
    repo.index = index;
    const std::string type = config.getString("repo-type", index);
    if (type != "posix" && type != "cifs") {
        throw Error(ErrorCode::FeatureNotSupported,
                    fmt::format("repo{}-type={} is not supported by this version of pgark", index, type))
            .withHint("use a posix repository; S3 support is being added");
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
