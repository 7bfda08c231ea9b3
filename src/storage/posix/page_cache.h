// mostlyCached: whether a range of an open file is mostly in the page cache, so that a reader can
// choose between reading it from memory (buffered, or a mapping) and reading the disk directly
// (O_DIRECT) without filling the cache. Linux 6.5+ cachestat; older kernels say "cached".
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace pgark::storage {

// True when at least half the pages of `length` bytes from `offset` of `fd` are cached, or when
// the kernel cannot tell (ENOSYS).
bool mostlyCached(int fd, std::uint64_t offset, std::uint64_t length);

// A read-only shared mapping of the first `size` bytes of a cached file, for hashing it where it
// lies in the page cache: no copy into a buffer, no read system calls. Move-only; unmaps on
// destruction. The file must not be truncated while mapped by anyone else (PGDATA during a
// restore is the restore's own): populate() reports a file found shorter instead of faulting.
class MappedFile {
public:
    // The mapping, or nullopt when the file is missing, shorter than `size`, empty, or mostly not
    // in the page cache (mapping it would read it page by page: read it with O_DIRECT instead).
    // Throws Error(FileOpen/FileRead) when it cannot be opened or mapped for another reason.
    static std::optional<MappedFile> openCached(const std::string& path, std::uint64_t size);
    MappedFile(MappedFile&& other) noexcept;
    MappedFile& operator=(MappedFile&& other) noexcept;
    MappedFile(const MappedFile&) = delete;
    ~MappedFile();

    const std::byte* data() const noexcept { return data_; }
    std::uint64_t size() const noexcept { return size_; }
    // Maps the cached pages of bytes [offset, offset + length) (offset a multiple of the page
    // size) in one call instead of a page fault per 64 KiB; false when the file no longer has
    // them (it was truncated).
    bool populate(std::uint64_t offset, std::uint64_t length) const noexcept;

private:
    MappedFile(const std::byte* data, std::uint64_t size) noexcept : data_(data), size_(size) {}
    const std::byte* data_;
    std::uint64_t size_;
};

}  // namespace pgark::storage
