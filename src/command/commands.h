// The run functions of the commands that act on a stanza; the command table (command.cpp) maps
// each command to one of these. Each returns the process exit status or throws pgark::Error.
#pragma once

namespace pgark::config {
class Config;
}

namespace pgark::command {

int runArchivePush(const config::Config& config);
int runArchiveGet(const config::Config& config);
int runCheck(const config::Config& config);
int runStanzaCreate(const config::Config& config);
int runStanzaUpgrade(const config::Config& config);
int runStanzaDelete(const config::Config& config);
int runStart(const config::Config& config);
int runStop(const config::Config& config);
int runBackup(const config::Config& config);
int runRestore(const config::Config& config);

}  // namespace pgark::command
