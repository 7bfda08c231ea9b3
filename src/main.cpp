// pgark entry point: load the configuration, set up logging, run the command, and turn an Error into
// pgBackRest's "ERROR: [NNN]: message" line and exit status NNN.
#include <unistd.h>

#include <climits>
#include <exception>
#include <string>
#include <vector>

#include "command/command.h"
#include "common/error.h"
#include "common/log.h"
#include "config/config.h"

extern char** environ;  // NOLINT: POSIX

namespace {

// The running binary, for the default of the cmd option (the command workers are started with).
std::string selfPath(const char* argv0) {
    char buffer[PATH_MAX];
    const ssize_t size = ::readlink("/proc/self/exe", buffer, sizeof(buffer) - 1);
    if (size > 0) return std::string(buffer, static_cast<std::size_t>(size));
    return argv0 != nullptr ? argv0 : "pgark";
}

}  // namespace

int main(int argc, char** argv) {
    using namespace pgark;

    config::LoadInput input;
    input.args.assign(argv + 1, argv + argc);
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) input.env.emplace_back(*entry);
    input.exePath = selfPath(argc > 0 ? argv[0] : nullptr);

    std::vector<std::string> warnings;
    try {
        const config::Config config = config::load(input, warnings);
        log::init(command::logSettings(config));
        for (const std::string& warning : warnings) log::warn("{}", warning);
        return command::execute(config);
    } catch (const Error& error) {
        // The configuration could not be loaded (or logging not set up): log at the default levels.
        log::init({});
        for (const std::string& warning : warnings) log::warn("{}", warning);
        log::error("[{:03}]: {}", error.exitCode(), error.what());
        return error.exitCode();
    } catch (const std::exception& error) {
        log::init({});
        for (const std::string& warning : warnings) log::warn("{}", warning);
        log::error("[{:03}]: unhandled exception: {}", static_cast<int>(ErrorCode::Unhandled), error.what());
        return static_cast<int>(ErrorCode::Unhandled);
    }
}
