// Computed defaults and cross-option checks.
#include "config/option_rules.h"

#include <array>

#include "common/error.h"
#include "config/value.h"

namespace pgark::config {

namespace {

struct CompressLevels {
    std::string_view type;
    std::string_view defaultLevel;
    std::int64_t min;
    std::int64_t max;
};
// pgBackRest 2.45's per-type defaults and ranges; "none" takes any level (it is not used).
constexpr std::array<CompressLevels, 4> kCompressLevels = {{
    {"gz", "6", -1, 9},
    {"bz2", "9", 1, 9},
    {"lz4", "1", -5, 12},
    {"zst", "3", -7, 22},
}};

const CompressLevels* levelsOf(const ResolveFn& resolve) {
    const OptionValue* type = resolve("compress-type", 0);
    if (type == nullptr || type->values.empty()) return nullptr;
    for (const CompressLevels& levels : kCompressLevels)
        if (levels.type == type->values.front()) return &levels;
    return nullptr;
}

std::string_view first(const OptionValue* value) {
    return value == nullptr || value->values.empty() ? std::string_view{} : std::string_view(value->values.front());
}

}  // namespace

std::optional<std::string> computedDefault(const OptionDef& option, unsigned index, const ResolveFn& resolve,
                                           const std::string& exePath) {
    const std::string_view name = option.name;
    if (name == "cmd") return exePath;
    if (name == "pg-host-cmd" || name == "repo-host-cmd") {
        const std::string_view cmd = first(resolve("cmd", 0));
        return cmd.empty() ? exePath : std::string(cmd);
    }
    if (name == "compress-type") {
        // The deprecated compress=n, when compress-type itself is not set, means no compression.
        const OptionValue* compress = resolve("compress", 0);
        if (compress != nullptr && compress->source != Source::Default && first(compress) == "n") return "none";
        return std::nullopt;
    }
    if (name == "compress-level") {
        const CompressLevels* levels = levelsOf(resolve);
        return levels == nullptr ? std::string("0") : std::string(levels->defaultLevel);
    }
    if (name == "repo-storage-upload-chunk-size")
        return first(resolve("repo-type", index)) == "s3" ? "5MiB" : "4MiB";
    if (name == "pg-host-port" || name == "repo-host-port") {
        // ssh: no value, so the SSH client's own default (22, or its configuration) applies.
        const std::string typeName = name == "pg-host-port" ? "pg-host-type" : "repo-host-type";
        if (first(resolve(typeName, index)) == "tls") return "8432";
        return std::nullopt;
    }
    return std::nullopt;
}

void checkCompressLevel(std::string_view level, const ResolveFn& resolve) {
    const CompressLevels* levels = levelsOf(resolve);
    const auto number = parseInteger(level);
    if (levels == nullptr || !number) return;
    if (*number < levels->min || *number > levels->max)
        throw Error(ErrorCode::OptionInvalidRange,
                    fmt::format("'{}' is out of range for 'compress-level' option when 'compress-type' option = '{}'",
                                level, levels->type))
            .withHint(fmt::format("{} levels go from {} to {}", levels->type, levels->min, levels->max));
}

}  // namespace pgark::config
