// check as a command: options, cluster session, then the core.
#include "command/check/check.h"
#include "command/cluster.h"
#include "command/commands.h"
#include "config/config.h"

namespace pgark::command {

int runCheck(const config::Config& config) {
    const postgres::PgControl control = loadPgControl(config);
    auto connection = connectPg(config);
    db::PgClient client(*connection);
    auto repos = openRepos(config);
    check::CheckOptions options{.stanza = config.getString("stanza"),
                                .pgPath = *pgPath(config),
                                .archiveTimeout = config.getTime("archive-timeout"),
                                .archiveCheck = config.getBool("archive-check")};
    check::checkStanza(client, repos, control, options);
    return 0;
}

}  // namespace pgark::command
