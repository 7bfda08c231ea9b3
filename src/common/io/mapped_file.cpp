// See mapped_file.h.
#include "common/io/mapped_file.h"

#include <fmt/format.h>

#include <cerrno>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"

namespace pgark::io {

MappedFile::MappedFile(const std::string& path) {
    int fd;
    do fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    while (fd == -1 && errno == EINTR);
    if (fd == -1) {
        if (errno == ENOENT || errno == ENOTDIR)
            throwError(ErrorCode::FileMissing, "unable to open missing file '{}' for read", path);
        throwSys(ErrorCode::FileOpen, errno, fmt::format("unable to open file '{}' for read", path));
    }
    struct stat st{};
    if (::fstat(fd, &st) == -1) {
        const int err = errno;
        ::close(fd);
        throwSys(ErrorCode::FileOpen, err, fmt::format("unable to stat file '{}'", path));
    }
    size_ = static_cast<std::size_t>(st.st_size);
    if (size_ != 0) {
        // MAP_POPULATE maps every cached page in one go instead of one fault per 16 pages.
        void* data = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
        if (data == MAP_FAILED) {
            const int err = errno;
            ::close(fd);
            throwSys(ErrorCode::FileOpen, err, fmt::format("unable to map file '{}' for read", path));
        }
        data_ = static_cast<std::byte*>(data);
    }
    ::close(fd);  // the mapping keeps the file
}

MappedFile::~MappedFile() {
    if (data_ != nullptr) ::munmap(data_, size_);
}

}  // namespace pgark::io
