// History identity helpers.
#include "info/info_pg.h"

#include <charconv>

#include "common/error.h"

namespace pgark::info {

std::string archiveId(const InfoPgData& pg) { return pg.version + "-" + std::to_string(pg.id); }

unsigned parseHistoryId(std::string_view key) {
    unsigned id = 0;
    const bool digits = !key.empty() && key.find_first_not_of("0123456789") == std::string_view::npos;
    const auto [ptr, ec] = std::from_chars(key.data(), key.data() + key.size(), id);
    if (!digits || ec != std::errc() || ptr != key.data() + key.size() || id == 0)
        throwError(ErrorCode::Format, "history key '{}' is not a positive integer id", key);
    return id;
}

}  // namespace pgark::info
