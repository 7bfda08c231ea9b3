// MemStorage: an in-memory Storage with the POSIX driver's semantics, for fast unit tests of
// commands. It mirrors what PosixStorage does on disk, including the "<name>.pgbackrest.tmp"
// file an atomic write holds until commit, directories, symlinks and hard links (shared data).
// Not a durability model: nothing is ever lost, so pair it with FaultStorage to test crashes.
// Not thread-safe. Streams it returns borrow the storage: they must not outlive it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "storage/storage.h"

namespace pgark::test {

struct MemOptions {
    mode_t fileMode = 0640;  // default mode of new files
    mode_t pathMode = 0750;  // mode of created directories
    // Feature::* bits has() reports; an optional operation whose feature is off throws
    // Error(FeatureNotSupported) like a driver without it.
    std::uint32_t features = 0x1f;
    std::function<std::int64_t()> now;  // clock for mtimes (seconds); empty = the system clock
};

class MemStorage final : public storage::Storage {
public:
    explicit MemStorage(MemOptions options = {});
    ~MemStorage() override;

    std::string_view type() const noexcept override { return "mem"; }
    bool has(storage::Feature feature) const noexcept override;
    std::string describe(std::string_view path) const override;  // "mem:/a/b"

    std::optional<storage::FileInfo> info(std::string_view path, storage::InfoLevel level) override;
    void list(std::string_view path, const storage::ListOptions& options,
              const std::function<void(const storage::FileInfo&)>& onEntry) override;
    std::unique_ptr<io::ReadStream> openRead(std::string_view path, const storage::ReadOptions& options) override;
    std::unique_ptr<io::WriteStream> openWrite(std::string_view path, const storage::WriteOptions& options) override;
    void remove(std::string_view path, const storage::RemoveOptions& options) override;
    void removePath(std::string_view path, const storage::RemoveOptions& options) override;
    void pathCreate(std::string_view path, std::optional<mode_t> mode) override;
    void pathSync(std::string_view path) override;
    void linkCreate(std::string_view target, std::string_view linkPath, bool hard) override;
    void move(std::string_view from, std::string_view to) override;

    // Every name held, sorted, directories included ("a", "a/b"): for assertions in tests.
    std::vector<std::string> names() const;

private:
    // What a hard link shares with its original, as an inode does.
    struct Inode {
        std::string data;          // file contents
        mode_t mode = 0;           // permission bits
        std::int64_t mtime = 0;    // seconds since the epoch
    };
    struct Node {
        storage::FileType type = storage::FileType::File;
        std::shared_ptr<Inode> inode;
        std::string linkDestination;  // symlinks only, verbatim
    };
    class ReadStream;
    class WriteStream;

    std::int64_t now() const;
    // Substitutes symlinks met on the way (all components, or all but the last); throws after
    // 40 hops like ELOOP. Absolute link destinations are taken from the storage root.
    std::string resolve(const std::string& normalized, bool followLast, unsigned hops = 0) const;
    const Node* find(const std::string& key) const;
    bool hasChildren(const std::string& key) const;
    void makePath(const std::string& key, mode_t mode);
    storage::FileInfo fileInfo(std::string name, const Node& node, storage::InfoLevel level) const;
    std::shared_ptr<Inode> newInode(mode_t mode) const;

    MemOptions options_;
    uid_t userId_;
    gid_t groupId_;
    std::string user_;
    std::string group_;
    std::map<std::string, Node> nodes_;  // key: normalized path; "" is the root, always a directory
};

}  // namespace pgark::test
