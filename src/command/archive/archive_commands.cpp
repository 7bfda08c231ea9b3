// archive-push and archive-get as commands: options -> PushOptions/GetOptions, then the cores.
#include <filesystem>

#include "command/archive/archive_get.h"
#include "command/archive/archive_push.h"
#include "command/cluster.h"
#include "command/commands.h"
#include "common/error.h"
#include "common/lock.h"
#include "common/log.h"
#include "config/config.h"

namespace pgark::command {
namespace {

// PostgreSQL runs archive_command and restore_command in the data directory, so %p is relative
// to it; pgBackRest resolves such paths against pg1-path, and so do we.
std::string absoluteWalPath(const config::Config& config, const std::string& path) {
    if (!path.empty() && path.front() == '/') return path;
    const auto base = pgPath(config);
    if (!base) {
        throw Error(ErrorCode::OptionRequired,
                    fmt::format("option 'pg1-path' must be set when a relative WAL path ('{}') is given", path))
            .withHint("does this stanza exist?");
    }
    return (std::filesystem::path(*base) / path).lexically_normal().string();
}

const std::string& param(const config::Config& config, std::size_t index, std::string_view what) {
    if (config.params().size() <= index) {
        throwError(ErrorCode::ParamRequired, "{} command requires the {} as a parameter", config.commandName(), what);
    }
    return config.params()[index];
}

}  // namespace

int runArchivePush(const config::Config& config) {
    const std::string walPath = absoluteWalPath(config, param(config, 0, "WAL file path"));
    lock::stopFileCheck(config.getString("lock-path"), config.getString("stanza"));

    archive::PushOptions options;
    options.stanza = config.getString("stanza");
    options.compressType = *compress::compressTypeFromName(config.getString("compress-type"));
    options.compressLevel = config.has("compress-level")
                                ? static_cast<int>(config.getInt("compress-level"))
                                : compress::compressLevelRange(options.compressType).defaultLevel;
    options.headerCheck = config.getBool("archive-header-check");
    // archive-mode-check depends on archive-check: with archive-check=n it has no value, and (as with
    // pgBackRest) an identical duplicate is then accepted without a warning.
    options.modeCheck = config.has("archive-mode-check") && config.getBool("archive-mode-check");
    if (pgPath(config)) options.pgControl = loadPgControl(config);

    auto repos = openRepos(config);
    archive::archivePushFile(walPath, repos, options);
    log::info("pushed WAL file '{}' to the archive", std::filesystem::path(walPath).filename().string());
    return 0;
}

int runArchiveGet(const config::Config& config) {
    const std::string walName = param(config, 0, "WAL file name");
    const std::string destPath = absoluteWalPath(config, param(config, 1, "destination path"));
    lock::stopFileCheck(config.getString("lock-path"), config.getString("stanza"));

    archive::GetOptions options;
    options.stanza = config.getString("stanza");
    options.pgControl = loadPgControl(config);

    auto repos = openRepos(config);
    if (archive::archiveGetFile(walName, destPath, repos, options)) return 0;
    log::info("unable to find {} in the archive", walName);
    return 1;  // PostgreSQL reads exit status 1 as "the archive has no more WAL"
}

}  // namespace pgark::command
