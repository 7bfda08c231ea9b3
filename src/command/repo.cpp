// openRepos: repo<N>-* options -> Repo objects. See repo.h.
#include "command/repo.h"

#include <algorithm>

#include "common/error.h"
#include "config/config.h"
#include "storage/posix/posix_storage.h"

namespace pgark::command {
namespace {

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
    storage::PosixOptions options;
    if (config.takes("neutral-umask")) options.neutralUmask = config.getBool("neutral-umask");
    if (config.takes("buffer-size")) options.bufferSize = config.getSize("buffer-size");
    repo.storage = storage::makePosixStorage(config.getString("repo-path", index), options);
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
