// The command registry.
#include "command/command.h"

#include <chrono>

#include "command/commands.h"
#include "command/expire/expire.h"
#include "command/local/local_pool.h"
#include "command/help/help.h"
#include "command/info/info.h"
#include "command/version/version.h"
#include "common/error.h"
#include "version.h"

namespace pgark::command {

namespace {

using config::CommandId;

const Command kCommands[] = {
    {&config::commandDef(CommandId::ArchiveGet), &runArchiveGet},
    {&config::commandDef(CommandId::ArchivePush), &runArchivePush},
    {&config::commandDef(CommandId::Backup), &runBackup},
    {&config::commandDef(CommandId::Check), &runCheck},
    {&config::commandDef(CommandId::DocOptions), &help::runDocOptions},
    {&config::commandDef(CommandId::Expire), &runExpire},
    {&config::commandDef(CommandId::Help), &help::run},
    {&config::commandDef(CommandId::Info), &info::runInfo},
    {&config::commandDef(CommandId::Local), &runLocal},
    {&config::commandDef(CommandId::Restore), &runRestore},
    {&config::commandDef(CommandId::StanzaCreate), &runStanzaCreate},
    {&config::commandDef(CommandId::StanzaDelete), &runStanzaDelete},
    {&config::commandDef(CommandId::StanzaUpgrade), &runStanzaUpgrade},
    {&config::commandDef(CommandId::Start), &runStart},
    {&config::commandDef(CommandId::Stop), &runStop},
    {&config::commandDef(CommandId::Verify), &notImplemented},
    {&config::commandDef(CommandId::Version), &version::run},
};
static_assert(std::size(kCommands) == config::kCommandCount);

}  // namespace

bool Command::needsStanza() const {
    const auto stanza = config::findOptionId("stanza");
    const config::OptionDef& option = config::optionDef(*stanza);
    return option.validFor(def->id) && option.requiredFor(def->id);
}

std::span<const Command> commands() noexcept { return kCommands; }

const Command& findCommand(config::CommandId id) noexcept { return kCommands[static_cast<std::size_t>(id)]; }

int run(const config::Config& config) { return findCommand(config.command()).run(config); }

int notImplemented(const config::Config& config) {
    throw Error(ErrorCode::CommandInvalid, fmt::format("command '{}' is not implemented yet", config.commandName()))
        .withHint("see doc/status.md for the commands that work today");
}

}  // namespace pgark::command

namespace pgark::command {

log::Settings logSettings(const config::Config& config) {
    log::Settings settings;
    auto level = [&](std::string_view name) { return *log::levelFromName(config.getString(name)); };
    if (config.command() == config::CommandId::Local) {
        // A worker: stdout is the protocol pipe, so it logs to stderr only, as its parent asked.
        settings.console = log::Level::Off;
        settings.stderrLevel = level("log-level-stderr");
        settings.timestamp = config.getBool("log-timestamp");
        settings.processId = static_cast<unsigned>(config.getInt("process"));
        return settings;
    }
    if (!config::commandDef(config.command()).readsConfig) return settings;
    settings.console = level("log-level-console");
    settings.stderrLevel = level("log-level-stderr");
    settings.file = level("log-level-file");
    settings.timestamp = config.getBool("log-timestamp");
    // expire --dry-run marks every line, as pgBackRest does, so its log is never mistaken for a real run.
    if (config.takes("dry-run") && config.getBool("dry-run")) settings.messagePrefix = "[DRY-RUN] ";
    if (settings.file != log::Level::Off)
        settings.filePath = fmt::format("{}/{}-{}.log", config.getString("log-path"),
                                        config.has("stanza") ? config.getString("stanza") : "all", config.commandName());
    return settings;
}

int execute(const config::Config& config) noexcept {
    const Command& command = findCommand(config.command());
    const log::Level level = command.def->beginLevel;
    const auto start = std::chrono::steady_clock::now();
    auto end = [&](std::string_view outcome) {
        if (!log::enabled(level)) return;
        std::string line = fmt::format("{} command end: {}", command.name(), outcome);
        // The elapsed time changes every run: like the timestamps, log-timestamp=n leaves it out.
        if (log::settings().timestamp)
            line += fmt::format(" ({}ms)", std::chrono::duration_cast<std::chrono::milliseconds>(
                                               std::chrono::steady_clock::now() - start)
                                               .count());
        log::write(level, line);
    };
    int code = 0;
    try {
        if (log::enabled(level)) {
            std::string line = fmt::format("{} command begin {}:", command.name(), kVersion);
            for (const std::string& option : config.effectiveOptions()) line += " " + option;
            log::write(level, line);
        }
        code = command.run(config);
        end("completed successfully");
        return code;
    } catch (const Error& error) {
        code = error.exitCode();
        log::error("[{:03}]: {}", code, error.what());
    } catch (const std::exception& error) {
        code = static_cast<int>(ErrorCode::Unhandled);
        log::error("[{:03}]: unhandled exception: {}", code, error.what());
    } catch (...) {
        code = static_cast<int>(ErrorCode::Unhandled);
        log::error("[{:03}]: unhandled exception of unknown type", code);
    }
    try {
        end(fmt::format("aborted with exception [{:03}]", code));
    } catch (...) {  // uncoverable - formatting a short line only fails when memory is exhausted
    }
    return code;
}

}  // namespace pgark::command
