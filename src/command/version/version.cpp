// version command.
#include "command/version/version.h"

#include <cstdio>

#include <fmt/format.h>

// Angle brackets: "version.h" would find this folder's own header before the generated one.
#include <version.h>

namespace pgark::command::version {

std::string versionText() { return fmt::format("{} {}\n", kProjectName, kVersion); }

int run(const config::Config&) {
    const std::string text = versionText();
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
}

}  // namespace pgark::command::version
