// Path rules shared by every Storage driver (POSIX, in-memory, S3): a path is relative to the
// storage root, a leading '/' means the root too, "." and empty components are dropped and ".."
// may climb only as far as the root. Pure functions: no I/O, no state, thread-safe.
// Lives beside the POSIX driver for now; nothing here is POSIX specific.
#pragma once

#include <string>
#include <string_view>

namespace pgark::storage {

// Returns `path` as "a/b/c" ("" for the root). Throws Error(Assert) when ".." would leave the
// root or the path holds a NUL byte: such a path is a bug or hostile input, never a real file.
[[nodiscard]] std::string normalizePath(std::string_view path);

// "a/b/c" -> "a/b"; "c" -> "" (the root). Takes a normalized path.
[[nodiscard]] std::string_view parentPath(std::string_view normalized) noexcept;

// Joins a normalized relative path below `base` ("" = root) with one '/'.
[[nodiscard]] std::string joinPath(std::string_view base, std::string_view name);

}  // namespace pgark::storage
