// Rules that tie one option to another or to the running binary, which a table row cannot say:
// computed defaults (compress-level by compress-type, upload chunk size by repo type, host ports
// by host type, cmd = this binary), the deprecated compress option, and compress-level's range per
// compress-type (spec notes under §12.3). Used by load.cpp only.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"

namespace pgark::config {

// Resolves another option (same index for an option of the same group, 0 otherwise); nullptr when
// it has no value or the command does not have it.
using ResolveFn = std::function<const OptionValue*(std::string_view name, unsigned index)>;

// The default of `option` at `index` when it depends on other options; nullopt = use the row's.
std::optional<std::string> computedDefault(const OptionDef& option, unsigned index, const ResolveFn& resolve,
                                           const std::string& exePath);

// Checks a compress-level value against the range of the resolved compress-type. Throws
// Error(OptionInvalidRange).
void checkCompressLevel(std::string_view level, const ResolveFn& resolve);

}  // namespace pgark::config
