// Storage: the one interface behind which every repository and PGDATA access goes (POSIX, S3,
// and the test doubles). A Storage has one root; every path is relative to it (a leading '/' is
// allowed and means the root too). Drivers never read the configuration: storage/factory.cpp
// builds them from options structs. Not thread-safe: each process or worker opens its own.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/crypto/content_digests.h"
#include "common/io/stream.h"

namespace pgark::storage {

enum class Feature : std::uint32_t {
    Path = 1,        // real directories exist (POSIX); S3 has only key prefixes
    PathSync = 2,    // directories can be fsynced
    SymLink = 4,
    HardLink = 8,
    InfoDetail = 16  // mode, owner and link destination are reported
};

enum class FileType { File, Path, Link, Special };
enum class InfoLevel { Exists, Basic, Detail };  // Basic: type, size, mtime; Detail: + mode, owner, link

struct FileInfo {
    std::string name;              // relative to the listed path (list) or the path asked (info)
    FileType type = FileType::File;
    std::uint64_t size = 0;        // bytes, files only
    std::int64_t mtime = 0;        // seconds since the epoch
    mode_t mode = 0;               // permission bits, Detail only
    uid_t userId = 0;              // Detail only
    gid_t groupId = 0;             // Detail only
    std::string user;              // owner name, "" if the id has no name; Detail only
    std::string group;             // group name, "" if the id has no name; Detail only
    std::string linkDestination;   // links only, Detail only
};

struct ReadOptions {
    bool ignoreMissing = false;            // true: openRead returns nullptr for a missing file
    std::uint64_t offset = 0;              // bytes to skip
    std::optional<std::uint64_t> limit;    // bytes to read at most
    // Read a file that is mostly not in the page cache around it (POSIX: O_DIRECT), as restore
    // --delta reads the files it may keep: filling the cache costs more than the read itself on
    // this kind of machine, and the bytes are read once. A cached file is read from the cache.
    // Reads of page-aligned memory in whole pages are direct; other reads go through the cache.
    // Advisory: a driver or file system without it reads as usual.
    bool direct = false;
};

struct WriteOptions {
    bool atomic = true;       // write a temp file and rename it on commit, so nothing partial is visible
    bool syncFile = true;     // fsync the file on commit
    bool syncPath = true;     // fsync the directory after the rename
    bool createPath = true;   // create missing parent directories
    std::optional<mode_t> mode;          // default: the driver's file mode (0640)
    std::optional<std::int64_t> mtime;   // set the modification time on commit (seconds)
    // Expected final size in bytes, when known. A driver may reserve the space up front (POSIX:
    // fallocate), which makes writing a large file much cheaper than block-by-block allocation;
    // S3 sends an object of up to 64 MiB so announced with one PUT instead of a multipart upload.
    // Advisory: a wrong hint costs nothing but time; the file ends up exactly as written.
    std::optional<std::uint64_t> sizeHint;
    // Bypass the page cache (POSIX: O_DIRECT) for a large file written once and not read back
    // soon (restore used it until --delta needed its files cached). Copying into the page cache
    // can cost more than the disk write itself on this kind of machine (see bench/README.md).
    // Writes of page-aligned memory in whole pages go straight to the device; anything else is
    // staged in an aligned buffer. Advisory: a driver or file system without it writes as usual.
    bool direct = false;
    // The size, MD5 and SHA-256 of exactly the bytes about to be written, when the caller
    // computed them while it produced the bytes: S3 sends them with a one-request upload
    // (Content-MD5, x-amz-content-sha256) instead of hashing the body again while the request
    // waits. Ignored by other drivers, by multipart uploads, and when the bytes written are not
    // `size` long. Wrong digests of the right size make the server refuse the upload.
    std::optional<crypto::ContentDigests> digests;
    // The bytes of every write() stay valid and unchanged until commit() or abort() returns (a
    // file the caller holds whole in memory): S3 then sends a file written in one write() from
    // the caller's memory instead of copying it into a buffer of its own first. Ignored by other
    // drivers; a second write() makes S3 copy as usual.
    bool writesStayValid = false;
};

struct ListOptions {
    InfoLevel level = InfoLevel::Basic;
    bool recurse = false;     // names below subdirectories come as "sub/dir/file"
    std::string prefix;       // only names starting with this (matched on the name relative to path)
    bool errorOnMissing = false;  // false: a missing path lists nothing
};

struct RemoveOptions {
    bool errorOnMissing = false;
    bool recurse = false;     // removePath only: remove everything below
};

class Storage {
public:
    virtual ~Storage() = default;

    virtual std::string_view type() const noexcept = 0;   // "posix", "s3", "mem"
    virtual bool has(Feature feature) const noexcept = 0;
    // For messages: the absolute or URL form of `path` ("/repo/archive/x", "s3://bucket/x").
    virtual std::string describe(std::string_view path) const = 0;

    // Missing -> nullopt. Links are not followed.
    virtual std::optional<FileInfo> info(std::string_view path, InfoLevel level) = 0;
    // Calls onEntry for each entry below `path` (not `path` itself), in no particular order.
    virtual void list(std::string_view path, const ListOptions& options,
                      const std::function<void(const FileInfo&)>& onEntry) = 0;

    // Throws Error(FileMissing) for a missing file unless options.ignoreMissing, then nullptr.
    virtual std::unique_ptr<io::ReadStream> openRead(std::string_view path, const ReadOptions& options) = 0;
    // The returned stream must be committed for anything to become visible.
    virtual std::unique_ptr<io::WriteStream> openWrite(std::string_view path, const WriteOptions& options) = 0;

    virtual void remove(std::string_view path, const RemoveOptions& options) = 0;
    virtual void removePath(std::string_view path, const RemoveOptions& options) = 0;

    // Optional operations: default implementations throw Error(FeatureNotSupported).
    virtual void pathCreate(std::string_view path, std::optional<mode_t> mode);
    virtual void pathSync(std::string_view path);
    virtual void linkCreate(std::string_view target, std::string_view linkPath, bool hard);
    // Rename within this storage; durable on return (a driver with directories syncs the ones
    // involved), so callers need no pathSync() after it.
    virtual void move(std::string_view from, std::string_view to);
};

// Convenience for small files (info files, manifests).
std::string readText(Storage& storage, std::string_view path);
std::optional<std::string> readTextIfExists(Storage& storage, std::string_view path);
void writeText(Storage& storage, std::string_view path, std::string_view text, const WriteOptions& options);

}  // namespace pgark::storage
