// FileSystemSync: makes everything written to the file systems holding some paths durable, with
// one syncfs(2) per file system. A restore writes thousands of files; an fsync of each (and the
// wait for its last pages to reach the disk before the next file can start) cost more than the
// copying of the small ones. Instead the files are written without a sync and the file systems
// are synced once before pg_control, the file that makes the directory startable, is moved into
// place. syncfs also flushes other programs' dirty data on those file systems, which only makes
// the call take longer.
//
// Why the descriptors are opened before the writes: syncfs (Linux 5.8 and later) reports a
// writeback error of the file system that happened after the descriptor was opened (or one that
// nobody has seen yet), so opening them first means no failed write can go unreported.
#pragma once

#include <string>
#include <vector>

namespace pgark::storage::posix {

class FileSystemSync {
public:
    // Opens each of `paths` (existing directories), keeping one per distinct file system.
    // Throws Error(PathOpen) naming a path that cannot be opened.
    explicit FileSystemSync(const std::vector<std::string>& paths);
    ~FileSystemSync();
    FileSystemSync(const FileSystemSync&) = delete;
    FileSystemSync& operator=(const FileSystemSync&) = delete;

    // syncfs of each file system; throws Error(PathSync) naming the path on failure.
    void sync() const;

private:
    struct Held {
        std::string path;
        int fd;
    };
    std::vector<Held> held_;
};

}  // namespace pgark::storage::posix
