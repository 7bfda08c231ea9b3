// info as a command: options -> gatherInfo -> text or JSON on stdout.
#include <cstdio>

#include "command/info/info.h"
#include "common/error.h"
#include "config/config.h"

namespace pgark::command::info {

int runInfo(const config::Config& config) {
    // pgBackRest refuses this while parsing options; our option table has no such dependency rule.
    if (config.has("set") && !config.has("stanza"))
        throw Error(ErrorCode::OptionInvalid, "option 'set' not valid without option 'stanza'");
    auto repos = openRepos(config);
    GatherOptions options;
    if (config.has("stanza")) options.stanza = config.getString("stanza");
    if (config.has("set")) options.set = config.getString("set");
    if (config.has("type")) options.type = config.getString("type");
    options.readBackupLock = [lockPath = config.getString("lock-path")](const std::string& stanza) {
        return lock::readLock(lockPath, stanza, lock::LockType::Backup);
    };
    const std::vector<StanzaInfo> stanzas = gatherInfo(repos, options);
    const std::string out = config.getString("output") == "json" ? renderJson(stanzas) : renderText(stanzas, {});
    if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size() || std::fflush(stdout) != 0)
        throw Error(ErrorCode::FileWrite, "unable to write info output to stdout");
    return 0;
}

}  // namespace pgark::command::info
