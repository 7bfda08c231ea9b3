// Repo: one configured repository as the commands see it: its index (repo<N>), its storage and its
// repository cipher passphrase. Built from the configuration by openRepos() (command/repo.cpp), the
// one place besides storage/factory.cpp that turns repo<N>-* options into objects.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "storage/factory.h"
#include "storage/storage.h"

namespace pgark::config {
class Config;
}

namespace pgark::command {

struct Repo {
    unsigned index = 1;                        // the N of repo<N>
    std::unique_ptr<storage::Storage> storage; // rooted at repo<N>-path
    std::string cipherPass;                    // repo<N>-cipher-pass, "" when repo<N>-cipher-type=none
    storage::StorageSpec spec;                 // how to open it again (worker processes get this through the pipe)

    std::string name() const { return "repo" + std::to_string(index); }
};

// Every configured repository in ascending index order, or only `--repo` when the command was
// given one. Throws Error(OptionInvalidValue) for a --repo that is not configured and
// Error(OptionRequired) when a repository is encrypted without a passphrase.
std::vector<Repo> openRepos(const config::Config& config);

}  // namespace pgark::command
