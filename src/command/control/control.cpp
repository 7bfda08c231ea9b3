// start and stop: remove or create the stop file in lock-path that makes commands refuse to run,
// for one stanza (--stanza) or for all.
#include <optional>

#include "command/commands.h"
#include "common/lock.h"
#include "common/log.h"
#include "config/config.h"

namespace pgark::command {
namespace {
std::optional<std::string> stanzaOf(const config::Config& config) {
    if (!config.has("stanza")) return std::nullopt;
    return config.getString("stanza");
}
std::string describe(const std::optional<std::string>& stanza) {
    return stanza ? "stanza '" + *stanza + "'" : std::string("all stanzas");
}
}  // namespace

int runStop(const config::Config& config) {
    const auto stanza = stanzaOf(config);
    std::optional<std::string_view> view;
    if (stanza) view = *stanza;
    if (!lock::stopFileCreate(config.getString("lock-path"), view))
        log::warn("stop file already exists for {}", describe(stanza));
    else
        log::info("{} stopped: commands will refuse to run until 'start'", describe(stanza));
    return 0;
}

int runStart(const config::Config& config) {
    const auto stanza = stanzaOf(config);
    std::optional<std::string_view> view;
    if (stanza) view = *stanza;
    if (!lock::stopFileRemove(config.getString("lock-path"), view))
        log::warn("stop file does not exist for {}", describe(stanza));
    else
        log::info("{} started", describe(stanza));
    return 0;
}

}  // namespace pgark::command
