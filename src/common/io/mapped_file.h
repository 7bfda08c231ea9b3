// MappedFile: a whole local file mapped read-only into memory, its pages populated up front.
// archive-push hashes and compresses a 16 MiB WAL segment straight from the page cache this way:
// no read() copies and no page faults on buffers of its own. The file must not shrink while
// mapped (a WAL segment is complete and unchanged when archive_command runs).
#pragma once

#include <string>

#include "common/io/buffer.h"

namespace pgark::io {

class MappedFile {
public:
    // Throws Error(FileMissing) for a missing file, Error(FileOpen) when it cannot be opened or
    // mapped. An empty file maps to an empty view.
    explicit MappedFile(const std::string& path);
    ~MappedFile();
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    ByteView view() const noexcept { return {data_, size_}; }

private:
    std::byte* data_ = nullptr;
    std::size_t size_ = 0;
};

}  // namespace pgark::io
