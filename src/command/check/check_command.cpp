// check as a command: options, cluster session, then the core.
#include "command/check/check.h"
#include "command/cluster.h"
#include "command/commands.h"
#include "common/lock.h"
#include "config/config.h"

namespace pgark::command {

int runCheck(const config::Config& config) {
    lock::stopFileCheck(config.getString("lock-path"), config.getString("stanza"));
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
