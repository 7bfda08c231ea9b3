// Lexical path normalization for storage drivers.
#include "storage/posix/storage_path.h"

#include <vector>

#include "common/error.h"

namespace pgark::storage {

std::string normalizePath(std::string_view path) {
    // A NUL would silently cut the path short at the C API boundary.
    if (path.find('\0') != std::string_view::npos)
        throwError(ErrorCode::Assert, "path '{}' contains a NUL byte", std::string(path.substr(0, path.find('\0'))));

    std::vector<std::string_view> parts;
    std::size_t start = 0;
    while (start <= path.size()) {
        std::size_t end = path.find('/', start);
        if (end == std::string_view::npos) end = path.size();
        const std::string_view part = path.substr(start, end - start);
        if (part == "..") {
            // Resolved lexically: storage paths never depend on what a symlink on the way points to.
            if (parts.empty()) throwError(ErrorCode::Assert, "path '{}' is outside the storage root", path);
            parts.pop_back();
        } else if (!part.empty() && part != ".") {
            parts.push_back(part);
        }
        start = end + 1;
    }

    std::string result;
    for (const std::string_view part : parts) {
        if (!result.empty()) result += '/';
        result += part;
    }
    return result;
}

std::string_view parentPath(std::string_view normalized) noexcept {
    const std::size_t slash = normalized.rfind('/');
    return slash == std::string_view::npos ? std::string_view() : normalized.substr(0, slash);
}

std::string joinPath(std::string_view base, std::string_view name) {
    if (base.empty()) return std::string(name);
    if (name.empty()) return std::string(base);
    std::string result(base);
    result += '/';
    result += name;
    return result;
}

}  // namespace pgark::storage
