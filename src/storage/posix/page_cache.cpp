// mostlyCached: see page_cache.h.
#include "storage/posix/page_cache.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include <fmt/format.h>

#include "common/error.h"

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

std::optional<MappedFile> MappedFile::openCached(const std::string& path, std::uint64_t size) {
    if (size == 0) return std::nullopt;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd == -1) {
        if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
        throwSys(ErrorCode::FileOpen, errno, fmt::format("unable to open file '{}' for read", path));
    }
    struct stat st;
    void* mapped = MAP_FAILED;
    int error = 0;
    if (::fstat(fd, &st) == 0 && static_cast<std::uint64_t>(st.st_size) >= size && mostlyCached(fd, 0, size)) {
        mapped = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
        if (mapped == MAP_FAILED) error = errno;
    }
    ::close(fd);  // the mapping keeps the file open
    if (error != 0) throwSys(ErrorCode::FileRead, error, fmt::format("unable to map file '{}'", path));
    if (mapped == MAP_FAILED) return std::nullopt;
    ::madvise(mapped, size, MADV_SEQUENTIAL);  // advisory
    return MappedFile(static_cast<const std::byte*>(mapped), size);
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
    if (this != &other) {
        if (data_ != nullptr) ::munmap(const_cast<std::byte*>(data_), size_);
        data_ = std::exchange(other.data_, nullptr);
        size_ = std::exchange(other.size_, 0);
    }
    return *this;
}

MappedFile::~MappedFile() {
    if (data_ != nullptr) ::munmap(const_cast<std::byte*>(data_), size_);
}

bool MappedFile::populate(std::uint64_t offset, std::uint64_t length) const noexcept {
    if (length == 0) return true;
    // EINVAL: a kernel before 5.14 without MADV_POPULATE_READ; the pages then fault in as read.
    // Only EFAULT (no page behind the range: the file is shorter now) means the bytes are gone.
    return ::madvise(const_cast<std::byte*>(data_ + offset), length, MADV_POPULATE_READ) == 0 || errno != EFAULT;
}

}  // namespace pgark::storage
