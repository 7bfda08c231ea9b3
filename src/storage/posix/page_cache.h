// mostlyCached: whether a range of an open file is mostly in the page cache, so that a reader can
// choose between reading it from memory (buffered, or a mapping) and reading the disk directly
// (O_DIRECT) without filling the cache. Linux 6.5+ cachestat; older kernels say "cached".
#pragma once

#include <cstdint>

namespace pgark::storage {

// True when at least half the pages of `length` bytes from `offset` of `fd` are cached, or when
// the kernel cannot tell (ENOSYS).
bool mostlyCached(int fd, std::uint64_t offset, std::uint64_t length);

}  // namespace pgark::storage
