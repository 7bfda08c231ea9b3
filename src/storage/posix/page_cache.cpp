// mostlyCached: see page_cache.h.
#include "storage/posix/page_cache.h"

#include <sys/syscall.h>
#include <unistd.h>

namespace pgark::storage {

bool mostlyCached(int fd, std::uint64_t offset, std::uint64_t length) {
    constexpr long kCachestat = 451;  // __NR_cachestat, the same on every architecture; missing from older headers
    struct {
        std::uint64_t off, len;
    } range{offset, length};
    struct {
        std::uint64_t nrCache, nrDirty, nrWriteback, nrEvicted, nrRecentlyEvicted;
    } stat{};
    if (::syscall(kCachestat, fd, &range, &stat, 0) == 0) {
        const std::uint64_t pages = (length + 4095) / 4096;
        return stat.nrCache * 2 >= pages;
    }
    return true;
}

}  // namespace pgark::storage
