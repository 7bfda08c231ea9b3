// The `local` worker command and the parent's way of starting a pool of them. See local_pool.h.
#include <sys/prctl.h>
#include <unistd.h>

#include <csignal>

#include <climits>
#include <fmt/format.h>

#include "command/backup/file_job_protocol.h"
#include "command/local/local_pool.h"
#include "command/restore/file_job_protocol.h"
#include "common/error.h"
#include "common/log.h"
#include "config/config.h"
#include "protocol/channel.h"
#include "protocol/server.h"

namespace pgark::command {
namespace {

std::string selfExe() {
    char buffer[PATH_MAX];
    const ssize_t size = ::readlink("/proc/self/exe", buffer, sizeof(buffer) - 1);
    if (size <= 0) throwSys(ErrorCode::Execute, errno, "unable to find the path of the running pgark binary");
    return std::string(buffer, static_cast<std::size_t>(size));
}

}  // namespace

protocol::WorkerPool startLocalPool(const config::Config& config, unsigned processMax) {
    const std::string exe = selfExe();
    // Workers log warnings and errors to stderr (their stdout is the protocol pipe); the parent's
    // log file stays the parent's.
    const std::string stderrLevel = config.getString("log-level-stderr");
    const std::string retry = std::to_string(config.getInt("job-retry"));
    const std::string retryInterval = std::to_string(config.getTime("job-retry-interval").count() / 1000);
    const std::string timestamp = config.getBool("log-timestamp") ? "y" : "n";
    return protocol::makeProcessPool(
        processMax,
        [&](unsigned workerIdx) {
            return std::vector<std::string>{exe,
                                            "--log-level-console=off",
                                            "--log-level-file=off",
                                            "--log-level-stderr=" + stderrLevel,
                                            "--log-timestamp=" + timestamp,
                                            "--job-retry=" + retry,
                                            "--job-retry-interval=" + retryInterval,
                                            "--process=" + std::to_string(workerIdx + 1),
                                            "local"};
        },
        config.getTime("protocol-timeout"));
}

int runLocal(const config::Config& config) {
    // A worker outlives a parent killed with SIGKILL only to finish a file nobody will record, and
    // meanwhile writes into a backup directory the next run may be resuming: die with the parent.
    const pid_t parent = ::getppid();
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) == 0 && ::getppid() != parent) return 0;
    const protocol::HandlerEntry handlers[] = {
        backup::backupFileHandler(),
        restore::restoreFileHandler(),
    };
    auto channel = protocol::makeStdioChannel();
    protocol::serve(*channel, handlers,
                    protocol::ServeOptions{.jobRetry = static_cast<unsigned>(config.getInt("job-retry")),
                                           .retryInterval = config.getTime("job-retry-interval")});
    return 0;
}

}  // namespace pgark::command
