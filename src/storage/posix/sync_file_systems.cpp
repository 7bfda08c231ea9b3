// FileSystemSync: see sync_file_systems.h.
#include "storage/posix/sync_file_systems.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <set>

#include <fmt/format.h>

#include "common/error.h"

namespace pgark::storage::posix {

FileSystemSync::FileSystemSync(const std::vector<std::string>& paths) {
    std::set<dev_t> seen;
    try {
        for (const std::string& path : paths) {
            const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (fd == -1) throwSys(ErrorCode::PathOpen, errno, fmt::format("unable to open path '{}' for sync", path));
            struct stat info {};
            if (::fstat(fd, &info) == -1) {
                const int error = errno;
                ::close(fd);
                throwSys(ErrorCode::PathOpen, error, fmt::format("unable to stat path '{}'", path));
            }
            if (seen.insert(info.st_dev).second)
                held_.push_back({path, fd});
            else
                ::close(fd);
        }
    } catch (...) {
        for (const Held& held : held_) ::close(held.fd);
        throw;
    }
}

FileSystemSync::~FileSystemSync() {
    for (const Held& held : held_) ::close(held.fd);
}

void FileSystemSync::sync() const {
    for (const Held& held : held_)
        if (::syncfs(held.fd) == -1)
            throwSys(ErrorCode::PathSync, errno, fmt::format("unable to sync the file system holding '{}'", held.path));
}

}  // namespace pgark::storage::posix
