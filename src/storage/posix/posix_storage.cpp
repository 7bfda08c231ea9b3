// POSIX storage driver. Write discipline from pgBackRest 2.45 (spec §1.2, §1.3): atomic writes
// go through "<name>.pgbackrest.tmp" + fsync + rename + directory fsync, so a reader or a crash
// never sees a partial file under the final name.
#include "storage/posix/posix_storage.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/error.h"
#include "storage/posix/page_cache.h"
#include "storage/posix/storage_path.h"

namespace pgark::storage {
namespace {

FileType fileTypeOf(mode_t mode) noexcept {
    if (S_ISREG(mode)) return FileType::File;
    if (S_ISDIR(mode)) return FileType::Path;
    if (S_ISLNK(mode)) return FileType::Link;
    return FileType::Special;
}

// "/a/b" -> "/a", "/a" -> "/", "a" -> "." (a relative root is relative to the working directory).
std::string absoluteParent(const std::string& path) {
    const std::size_t slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

// Closes a descriptor on scope exit unless released; close errors on this path are irrelevant
// because the data written through it is either already handled or being thrown away.
class FdGuard {
public:
    explicit FdGuard(int fd) noexcept : fd_(fd) {}
    ~FdGuard() {
        if (fd_ != -1) ::close(fd_);
    }
    FdGuard(const FdGuard&) = delete;
    FdGuard& operator=(const FdGuard&) = delete;
    int release() noexcept { return std::exchange(fd_, -1); }

private:
    int fd_;
};

// fsync of a directory makes the names in it (a rename, a new file) durable.
void syncDirectory(const std::string& path) {
    int fd;
    do fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    while (fd == -1 && errno == EINTR);
    if (fd == -1) {
        if (errno == ENOENT) throwError(ErrorCode::PathMissing, "unable to open missing path '{}' for sync", path);
        throwSys(ErrorCode::PathOpen, errno, fmt::format("unable to open path '{}' for sync", path));
    }
    FdGuard guard(fd);
    if (::fsync(fd) == -1) throwSys(ErrorCode::PathSync, errno, fmt::format("unable to sync path '{}'", path));
}

// Reads names in a directory (without "." and ".."), closing it before the caller acts on them
// so deep recursion holds one descriptor at a time. Returns false if the path is missing.
struct DirEntry {
    std::string name;
    unsigned char type;  // d_type: DT_DIR, DT_REG, ... or DT_UNKNOWN
};
bool readDirectory(const std::string& path, std::vector<DirEntry>& entries) {
    DIR* dir = ::opendir(path.c_str());
    if (dir == nullptr) {
        if (errno == ENOENT || errno == ENOTDIR) return false;
        throwSys(ErrorCode::PathOpen, errno, fmt::format("unable to open path '{}' for read", path));
    }
    for (;;) {
        errno = 0;
        const dirent* entry = ::readdir(dir);
        if (entry == nullptr) {
            const int err = errno;
            ::closedir(dir);
            if (err != 0) throwSys(ErrorCode::PathOpen, err, fmt::format("unable to read path '{}'", path));
            return true;
        }
        const std::string_view name = entry->d_name;
        if (name == "." || name == "..") continue;
        entries.push_back({std::string(name), entry->d_type});
    }
}

// O_DIRECT needs memory, length and file offset aligned to the device's block: a page covers any
// block size.
constexpr std::size_t kDirectBlock = 4096;

// Whole O_DIRECT blocks: `size` bytes of page-aligned memory at `address`.
bool directAligned(const void* address, std::size_t size) noexcept {
    return reinterpret_cast<std::uintptr_t>(address) % kDirectBlock == 0 && size % kDirectBlock == 0;
}

// Sets or clears O_DIRECT on an open file; false if the file system refuses (tmpfs refuses it).
bool setDirectFlag(int fd, bool on) noexcept {
    const int flags = ::fcntl(fd, F_GETFL);
    return flags != -1 && ::fcntl(fd, F_SETFL, on ? flags | O_DIRECT : flags & ~O_DIRECT) == 0;
}

class PosixReadStream final : public io::ReadStream {
public:
    PosixReadStream(int fd, std::string path, std::optional<std::uint64_t> limit, std::size_t bufferSize)
        : fd_(fd), path_(std::move(path)), remaining_(limit), bufferSize_(bufferSize) {}
    ~PosixReadStream() override { ::close(fd_); }
    PosixReadStream(const PosixReadStream&) = delete;
    PosixReadStream& operator=(const PosixReadStream&) = delete;

    std::size_t read(io::MutableByteView out) override {
        std::size_t want = out.size();
        if (remaining_) want = static_cast<std::size_t>(std::min<std::uint64_t>(want, *remaining_));
        if (want == 0) return 0;

        std::size_t n;
        if (direct_ && bufferPos_ == bufferEnd_ && directAligned(out.data(), out.size())) {
            n = readDirect(out, want);
        } else if (bufferPos_ < bufferEnd_) {
            n = std::min(want, bufferEnd_ - bufferPos_);
            std::memcpy(out.data(), buffer_.get() + bufferPos_, n);
            bufferPos_ += n;
        } else if (want >= bufferSize_) {
            // Large reads go straight into the caller's memory: the buffer would only add a copy.
            n = readSome(out.data(), want);
        } else {
            // Small reads are served from one large read, so a caller reading a line or a header
            // at a time does not cost a system call each.
            if (!buffer_) buffer_.reset(new std::byte[bufferSize_]);
            std::size_t fill = bufferSize_;
            if (remaining_) fill = static_cast<std::size_t>(std::min<std::uint64_t>(fill, *remaining_));
            bufferEnd_ = readSome(buffer_.get(), fill);
            n = std::min(want, bufferEnd_);
            std::memcpy(out.data(), buffer_.get(), n);
            bufferPos_ = n;
        }
        if (remaining_) *remaining_ -= n;
        return n;
    }

    void setDirect() noexcept { direct_ = true; }

private:
    // An O_DIRECT read of `want` bytes rounded up to whole blocks (out has room for them: it is
    // whole blocks), of which `want` count (more is read only at the limit, the last read).
    std::size_t readDirect(io::MutableByteView out, std::size_t want) {
        const std::size_t blocks = (want + kDirectBlock - 1) / kDirectBlock * kDirectBlock;
        return std::min(readSome(out.data(), blocks), want);
    }

    std::size_t readSome(std::byte* into, std::size_t size) {
        for (;;) {
            const ssize_t n = ::read(fd_, into, size);
            if (n >= 0) return static_cast<std::size_t>(n);
            if (errno == EINTR) continue;
            // O_DIRECT refused (unaligned memory, or a file system that wants other alignment):
            // the rest is read through the cache. The offset is where it was.
            if (errno == EINVAL && direct_ && setDirectFlag(fd_, false)) {
                direct_ = false;
                continue;
            }
            throwSys(ErrorCode::FileRead, errno, fmt::format("unable to read file '{}'", path_));
        }
    }

    int fd_;
    std::string path_;
    std::optional<std::uint64_t> remaining_;  // bytes still allowed by the limit; nullopt = no limit
    std::size_t bufferSize_;
    std::unique_ptr<std::byte[]> buffer_;     // allocated on the first small read
    std::size_t bufferPos_ = 0;
    std::size_t bufferEnd_ = 0;
    bool direct_ = false;  // O_DIRECT is set on fd_
};

class PosixWriteStream final : public io::WriteStream {
public:
    // `tempPath` is "" for a direct (non-atomic) write to `path`.
    // `reserved`: bytes preallocated beyond the file's size (WriteOptions::sizeHint), 0 if none.
    // `direct`: the descriptor has O_DIRECT set (WriteOptions::direct).
    PosixWriteStream(int fd, std::string path, std::string tempPath, const WriteOptions& options,
                     std::size_t bufferSize, std::uint64_t reserved, bool direct)
        : fd_(fd), path_(std::move(path)), tempPath_(std::move(tempPath)), syncFile_(options.syncFile),
          syncPath_(options.syncPath), mtime_(options.mtime), bufferSize_(bufferSize), reserved_(reserved),
          direct_(direct) {}
    ~PosixWriteStream() override { abort(); }
    PosixWriteStream(const PosixWriteStream&) = delete;
    PosixWriteStream& operator=(const PosixWriteStream&) = delete;

    void write(io::ByteView data) override {
        if (ended_) throwError(ErrorCode::Assert, "write to file '{}' after commit or abort", path_);
        // Once staging, always staging: a fallback from O_DIRECT must not reorder the bytes.
        if (direct_ || staging_) {
            writeDirect(data);
            return;
        }
        if (data.size() > bufferSize_ - bufferUsed_) {
            flush();
            if (data.size() >= bufferSize_) {
                writeAll(data);
                return;
            }
        }
        if (!buffer_) buffer_.reset(new std::byte[bufferSize_]);
        std::memcpy(buffer_.get() + bufferUsed_, data.data(), data.size());
        bufferUsed_ += data.size();
    }

    void startWriteback() override {
        if (ended_) throwError(ErrorCode::Assert, "write to file '{}' after commit or abort", path_);
        flush();
        // Asynchronous: starts writing the dirty pages without waiting (a hint; its result does
        // not matter, the fsync in commit() decides).
        ::sync_file_range(fd_, 0, 0, SYNC_FILE_RANGE_WRITE);
    }

    void commit() override {
        if (ended_) throwError(ErrorCode::Assert, "commit of file '{}' after commit or abort", path_);
        if (failed_) {
            // Part of the data may be missing: committing it would make a corrupt file visible.
            discard(false);
            throwError(ErrorCode::FileWrite, "unable to commit file '{}' after a failed write", path_);
        }
        bool renamed = false;
        try {
            flush();
            // The last block of a direct write is padded to a whole block: cut the padding off.
            const bool padded = flushDirectTail();
            // A hint larger than what was written leaves blocks past the end: give them back
            // (truncating to the same size frees blocks reserved beyond it).
            if ((padded || reserved_ > written_) && ::ftruncate(fd_, static_cast<off_t>(written_)) == -1)
                throwSys(ErrorCode::FileWrite, errno, fmt::format("unable to truncate file '{}'", writePath()));
            if (mtime_) {
                const timespec times[2] = {{static_cast<time_t>(*mtime_), 0}, {static_cast<time_t>(*mtime_), 0}};
                if (::futimens(fd_, times) == -1)
                    throwSys(ErrorCode::FileWrite, errno, fmt::format("unable to set time of file '{}'", writePath()));
            }
            if (syncFile_ && ::fsync(fd_) == -1)
                throwSys(ErrorCode::FileSync, errno, fmt::format("unable to sync file '{}'", writePath()));
            // close() can report a deferred write error (NFS, quotas): it must not be ignored.
            if (::close(std::exchange(fd_, -1)) == -1)
                throwSys(ErrorCode::FileClose, errno, fmt::format("unable to close file '{}'", writePath()));
            if (!tempPath_.empty()) {
                if (::rename(tempPath_.c_str(), path_.c_str()) == -1)
                    throwSys(ErrorCode::FileMove, errno, fmt::format("unable to move '{}' to '{}'", tempPath_, path_));
                renamed = true;
            }
            if (syncPath_) syncDirectory(absoluteParent(path_));
        } catch (...) {
            // A failed commit leaves nothing visible. If only the directory sync failed the new
            // file is already in place but not durable: the caller is told the write failed, so
            // it must not find the file there either.
            discard(renamed);
            throw;
        }
        ended_ = true;
    }

    void abort() noexcept override {
        if (!ended_) discard(false);
    }

private:
    const std::string& writePath() const noexcept { return tempPath_.empty() ? path_ : tempPath_; }

    void flush() {
        if (bufferUsed_ == 0) return;
        writeAll({buffer_.get(), bufferUsed_});
        bufferUsed_ = 0;
    }

    // O_DIRECT needs the memory, the length and the file offset aligned to the device's block:
    // whole pages of page-aligned memory go straight out, anything else is staged in an aligned
    // buffer that goes out whenever it is full.
    void writeDirect(io::ByteView data) {
        if ((!staging_ || staging_->empty()) && direct_ && directAligned(data.data(), data.size())) {
            writeAll(data);
            return;
        }
        if (!staging_) staging_.emplace((bufferSize_ + kDirectBlock - 1) / kDirectBlock * kDirectBlock, kDirectBlock);
        while (!data.empty()) {
            data = data.subspan(staging_->append(data));
            if (staging_->full()) {
                writeAll(staging_->view());
                staging_->clear();
            }
        }
    }

    // Writes what is staged, zero-padded to a whole block; true if padding was written, so the
    // file must be truncated to written_.
    bool flushDirectTail() {
        if (!staging_ || staging_->empty()) return false;
        const std::size_t real = staging_->size();
        const std::size_t padding = direct_ ? (kDirectBlock - real % kDirectBlock) % kDirectBlock : 0;
        std::memset(staging_->tail().data(), 0, padding);
        staging_->grow(padding);
        writeAll(staging_->view());
        written_ -= padding;
        staging_->clear();
        return padding != 0;
    }

    void writeAll(io::ByteView data) {
        while (!data.empty()) {
            const ssize_t n = ::write(fd_, data.data(), data.size());
            if (n == -1) {
                if (errno == EINTR) continue;
                // A file system that took O_DIRECT but wants other alignment (or a short write
                // that left the offset unaligned): go on through the page cache.
                if (errno == EINVAL && direct_ && setDirectFlag(fd_, false)) {
                    direct_ = false;
                    continue;
                }
                failed_ = true;
                // ENOSPC / EDQUOT become Error(DiskFull) in throwSys.
                throwSys(ErrorCode::FileWrite, errno, fmt::format("unable to write file '{}'", writePath()));
            }
            data = data.subspan(static_cast<std::size_t>(n));
            written_ += static_cast<std::uint64_t>(n);
        }
    }

    void discard(bool renamed) noexcept {
        if (fd_ != -1) ::close(std::exchange(fd_, -1));
        const std::string& leftover = renamed ? path_ : writePath();
        ::unlink(leftover.c_str());
        ended_ = true;
    }

    int fd_;
    std::string path_;      // the final name
    std::string tempPath_;  // "<path>.pgbackrest.tmp" for atomic writes, "" otherwise
    bool syncFile_;
    bool syncPath_;
    std::optional<std::int64_t> mtime_;
    std::size_t bufferSize_;
    std::unique_ptr<std::byte[]> buffer_;  // allocated on the first small write
    std::size_t bufferUsed_ = 0;
    std::uint64_t reserved_;    // preallocated bytes (see constructor)
    std::uint64_t written_ = 0; // bytes written to the file so far
    bool direct_;                  // O_DIRECT is set on fd_
    std::optional<io::Buffer> staging_;  // direct writes: what is not yet a whole block
    bool ended_ = false;
    bool failed_ = false;  // a write failed: commit() must refuse
};

class PosixStorage final : public Storage {
public:
    PosixStorage(std::string root, PosixOptions options) : root_(std::move(root)), options_(options) {
        if (root_.empty()) throwError(ErrorCode::Assert, "posix storage root must not be empty");
        while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
        if (options_.bufferSize == 0) throwError(ErrorCode::Assert, "posix storage buffer size must not be zero");
    }

    std::string_view type() const noexcept override { return "posix"; }
    bool has(Feature) const noexcept override { return true; }

    std::string describe(std::string_view path) const override {
        const std::string relative = normalizePath(path);
        if (relative.empty()) return root_;
        return root_ == "/" ? "/" + relative : root_ + "/" + relative;
    }

    std::optional<FileInfo> info(std::string_view path, InfoLevel level) override {
        const std::string full = describe(path);
        struct stat st;
        if (::lstat(full.c_str(), &st) == -1) {
            if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
            throwSys(ErrorCode::FileInfo, errno, fmt::format("unable to get info for '{}'", full));
        }
        return fileInfo(std::string(path), st, level, full);
    }

    void list(std::string_view path, const ListOptions& options,
              const std::function<void(const FileInfo&)>& onEntry) override {
        const std::string full = describe(path);
        if (!listDirectory(full, "", options, onEntry) && options.errorOnMissing)
            throwError(ErrorCode::PathMissing, "unable to list missing path '{}'", full);
    }

    std::unique_ptr<io::ReadStream> openRead(std::string_view path, const ReadOptions& options) override {
        const std::string full = describe(path);
        int fd;
        do fd = ::open(full.c_str(), O_RDONLY | O_CLOEXEC);
        while (fd == -1 && errno == EINTR);
        if (fd == -1) {
            if (errno == ENOENT || errno == ENOTDIR) {
                if (options.ignoreMissing) return nullptr;
                throwError(ErrorCode::FileMissing, "unable to open missing file '{}' for read", full);
            }
            throwSys(ErrorCode::FileOpen, errno, fmt::format("unable to open file '{}' for read", full));
        }
        FdGuard guard(fd);
        if (options.offset != 0 && ::lseek(fd, static_cast<off_t>(options.offset), SEEK_SET) == -1)
            throwSys(ErrorCode::FileOpen, errno, fmt::format("unable to seek to {} in file '{}'", options.offset, full));
        // Backup and restore read files front to back once: let the kernel read ahead harder.
        // Advisory only, so its result does not matter.
        ::posix_fadvise(fd, static_cast<off_t>(options.offset), static_cast<off_t>(options.limit.value_or(0)),
                        POSIX_FADV_SEQUENTIAL);
        auto stream = std::make_unique<PosixReadStream>(guard.release(), full, options.limit, options_.bufferSize);
        if (options.direct && options.offset % 4096 == 0) {
            struct stat st;
            const std::uint64_t length =
                options.limit ? *options.limit : (::fstat(fd, &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0);
            if (length != 0 && !mostlyCached(fd, options.offset, length) && setDirectFlag(fd, true)) stream->setDirect();
        }
        return stream;
    }

    std::unique_ptr<io::WriteStream> openWrite(std::string_view path, const WriteOptions& options) override {
        const std::string full = describe(path);
        const std::string target = options.atomic ? full + std::string(kTempFileSuffix) : full;
        const mode_t mode = options.mode.value_or(options_.fileMode);

        int fd = openForWrite(target, mode);
        if (fd == -1 && errno == ENOENT && options.createPath) {
            makePath(absoluteParent(full), options_.pathMode);
            fd = openForWrite(target, mode);
        }
        if (fd == -1) {
            if (errno == ENOENT)
                throwSys(ErrorCode::PathMissing, errno, fmt::format("unable to open file '{}' for write", target));
            throwSys(ErrorCode::FileOpen, errno, fmt::format("unable to open file '{}' for write", target));
        }
        FdGuard guard(fd);
        // O_TRUNC on an existing file (an overwrite, or a temp file left by a crash) keeps its
        // old mode, and umask trims a new one: set the mode explicitly when asked to be exact.
        if (options_.neutralUmask && ::fchmod(fd, mode) == -1) {
            const int err = errno;
            ::unlink(target.c_str());
            throwSys(ErrorCode::FileMode, err, fmt::format("unable to set mode of file '{}'", target));
        }
        // Reserving the blocks of a file whose size is known lets ext4 skip its per-page delayed
        // allocation, which made writing a 16 MiB WAL segment several times slower. KEEP_SIZE: the
        // file's size stays what was written. Advisory: a filesystem without fallocate, or one
        // short of space (the writes will say so), just goes on without it.
        std::uint64_t reserved = 0;
        if (options.sizeHint && *options.sizeHint != 0 &&
            ::fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, static_cast<off_t>(*options.sizeHint)) == 0)
            reserved = *options.sizeHint;
        // Advisory as well: tmpfs, for one, refuses O_DIRECT, and the file is then written as usual.
        const bool direct = options.direct && setDirectFlag(fd, true);
        return std::make_unique<PosixWriteStream>(guard.release(), full, options.atomic ? target : std::string(),
                                                  options, options_.bufferSize, reserved, direct);
    }

    void remove(std::string_view path, const RemoveOptions& options) override {
        const std::string full = describe(path);
        if (::unlink(full.c_str()) == 0) return;
        if (errno == ENOENT || errno == ENOTDIR) {
            if (options.errorOnMissing) throwError(ErrorCode::FileMissing, "unable to remove missing file '{}'", full);
            return;
        }
        throwSys(ErrorCode::FileRemove, errno, fmt::format("unable to remove file '{}'", full));
    }

    void removePath(std::string_view path, const RemoveOptions& options) override {
        const std::string full = describe(path);
        if (options.recurse) {
            // lstat first: opendir() would follow a symlink and empty the directory it points to.
            struct stat st;
            if (::lstat(full.c_str(), &st) == 0) {
                if (!S_ISDIR(st.st_mode))
                    throwSys(ErrorCode::PathRemove, ENOTDIR, fmt::format("unable to remove path '{}'", full));
                std::vector<DirEntry> entries;
                if (readDirectory(full, entries)) {
                    for (const DirEntry& entry : entries) removeTree(full + "/" + entry.name, entry.type);
                }
            }
        }
        if (::rmdir(full.c_str()) == 0) return;
        if (errno == ENOENT || (errno == ENOTDIR && !pathExists(full))) {
            if (options.errorOnMissing) throwError(ErrorCode::PathMissing, "unable to remove missing path '{}'", full);
            return;
        }
        throwSys(ErrorCode::PathRemove, errno, fmt::format("unable to remove path '{}'", full));
    }

    void pathCreate(std::string_view path, std::optional<mode_t> mode) override {
        makePath(describe(path), mode.value_or(options_.pathMode));
    }

    void pathSync(std::string_view path) override { syncDirectory(describe(path)); }

    void linkCreate(std::string_view target, std::string_view linkPath, bool hard) override {
        const std::string full = describe(linkPath);
        if (hard) {
            const std::string targetFull = describe(target);
            if (::link(targetFull.c_str(), full.c_str()) == -1)
                throwSys(ErrorCode::FileOpen, errno,
                         fmt::format("unable to create hard link '{}' to '{}'", full, targetFull));
            return;
        }
        // A symlink stores `target` verbatim (e.g. "latest" -> "<label>"), resolved by the
        // reader relative to the link's directory: it is not a storage path, so it is not normalized.
        const std::string destination(target);
        if (destination.empty() || destination.find('\0') != std::string::npos)
            throwError(ErrorCode::Assert, "invalid destination for link '{}'", full);
        if (::symlink(destination.c_str(), full.c_str()) == -1)
            throwSys(ErrorCode::FileOpen, errno, fmt::format("unable to create symlink '{}' to '{}'", full, destination));
    }

    void move(std::string_view from, std::string_view to) override {
        const std::string source = describe(from);
        const std::string destination = describe(to);
        if (::rename(source.c_str(), destination.c_str()) == -1) {
            if (errno != ENOENT) throwSys(ErrorCode::FileMove, errno, fmt::format("unable to move '{}' to '{}'", source, destination));
            struct stat st;
            if (::lstat(source.c_str(), &st) == -1)
                throwError(ErrorCode::FileMissing, "unable to move missing file '{}'", source);
            // The source exists, so the destination's directory is what is missing.
            makePath(absoluteParent(destination), options_.pathMode);
            if (::rename(source.c_str(), destination.c_str()) == -1)
                throwSys(ErrorCode::FileMove, errno, fmt::format("unable to move '{}' to '{}'", source, destination));
        }
        // A rename is durable only once both directories are synced.
        const std::string destinationParent = absoluteParent(destination);
        syncDirectory(destinationParent);
        const std::string sourceParent = absoluteParent(source);
        if (sourceParent != destinationParent) syncDirectory(sourceParent);
    }

private:
    static bool pathExists(const std::string& path) {
        struct stat st;
        return ::lstat(path.c_str(), &st) == 0;
    }

    int openForWrite(const std::string& path, mode_t mode) const {
        int fd;
        do fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        while (fd == -1 && errno == EINTR);
        return fd;
    }

    // mkdir -p: parents get the driver's path mode, `path` itself `mode`. An existing directory
    // keeps its mode (spec §1.2: a pre-existing repository root keeps its own).
    void makePath(const std::string& path, mode_t mode) {
        if (::mkdir(path.c_str(), mode) == -1) {
            if (errno == ENOENT) {
                const std::string parent = absoluteParent(path);
                if (parent == path) throwSys(ErrorCode::PathCreate, ENOENT, fmt::format("unable to create path '{}'", path));
                makePath(parent, options_.pathMode);
                if (::mkdir(path.c_str(), mode) == 0) return setPathMode(path, mode);
            }
            if (errno != EEXIST) throwSys(ErrorCode::PathCreate, errno, fmt::format("unable to create path '{}'", path));
            struct stat st;
            if (::stat(path.c_str(), &st) == -1 || !S_ISDIR(st.st_mode))
                throwSys(ErrorCode::PathCreate, EEXIST, fmt::format("unable to create path '{}'", path));
            return;
        }
        setPathMode(path, mode);
    }

    void setPathMode(const std::string& path, mode_t mode) const {
        if (options_.neutralUmask && ::chmod(path.c_str(), mode) == -1)
            throwSys(ErrorCode::PathCreate, errno, fmt::format("unable to set mode of path '{}'", path));
    }

    // Deletes `path` and everything below it without following symlinks.
    void removeTree(const std::string& path, unsigned char direntType) {
        bool isDirectory = direntType == DT_DIR;
        if (direntType == DT_UNKNOWN) {
            struct stat st;
            if (::lstat(path.c_str(), &st) == -1) {
                if (errno == ENOENT) return;
                throwSys(ErrorCode::PathRemove, errno, fmt::format("unable to get info for '{}'", path));
            }
            isDirectory = S_ISDIR(st.st_mode);
        }
        if (!isDirectory) {
            if (::unlink(path.c_str()) == -1 && errno != ENOENT)
                throwSys(ErrorCode::FileRemove, errno, fmt::format("unable to remove file '{}'", path));
            return;
        }
        std::vector<DirEntry> entries;
        if (!readDirectory(path, entries)) return;
        for (const DirEntry& entry : entries) removeTree(path + "/" + entry.name, entry.type);
        if (::rmdir(path.c_str()) == -1 && errno != ENOENT)
            throwSys(ErrorCode::PathRemove, errno, fmt::format("unable to remove path '{}'", path));
    }

    // Returns false if `full` is missing (or not a directory) at the top of the listing.
    bool listDirectory(const std::string& full, const std::string& relative, const ListOptions& options,
                       const std::function<void(const FileInfo&)>& onEntry) {
        std::vector<DirEntry> entries;
        if (!readDirectory(full, entries)) return false;
        for (const DirEntry& entry : entries) {
            std::string name = relative.empty() ? entry.name : relative + "/" + entry.name;
            const bool matches = name.starts_with(options.prefix);
            // Descend into a directory whose own name does not match when names below it can:
            // prefix "pg_data/base/" must find "pg_data/base/1".
            const bool mayDescend =
                options.recurse && (matches || std::string_view(options.prefix).starts_with(name + "/"));
            if (!matches && !mayDescend) continue;

            const std::string childFull = full + "/" + entry.name;
            FileInfo childInfo;
            if (options.level == InfoLevel::Exists && entry.type != DT_UNKNOWN) {
                childInfo.name = std::move(name);
                childInfo.type = entry.type == DT_DIR   ? FileType::Path
                                 : entry.type == DT_REG ? FileType::File
                                 : entry.type == DT_LNK ? FileType::Link
                                                        : FileType::Special;
            } else {
                struct stat st;
                if (::lstat(childFull.c_str(), &st) == -1) {
                    // Removed between readdir and lstat (PostgreSQL drops files during a backup).
                    if (errno == ENOENT) continue;
                    throwSys(ErrorCode::FileInfo, errno, fmt::format("unable to get info for '{}'", childFull));
                }
                childInfo = fileInfo(std::move(name), st, options.level, childFull);
            }
            if (matches) onEntry(childInfo);
            if (mayDescend && childInfo.type == FileType::Path)
                listDirectory(childFull, childInfo.name, options, onEntry);
        }
        return true;
    }

    FileInfo fileInfo(std::string name, const struct stat& st, InfoLevel level, const std::string& full) {
        FileInfo result;
        result.name = std::move(name);
        result.type = fileTypeOf(st.st_mode);
        if (level == InfoLevel::Exists) return result;
        if (result.type == FileType::File) result.size = static_cast<std::uint64_t>(st.st_size);
        result.mtime = st.st_mtim.tv_sec;
        if (level != InfoLevel::Detail) return result;
        result.mode = st.st_mode & 07777;
        result.userId = st.st_uid;
        result.groupId = st.st_gid;
        result.user = userName(st.st_uid);
        result.group = groupName(st.st_gid);
        if (result.type == FileType::Link) result.linkDestination = readLink(full, st);
        return result;
    }

    static std::string readLink(const std::string& full, const struct stat& st) {
        std::string destination(static_cast<std::size_t>(st.st_size) + 1, '\0');
        for (;;) {
            const ssize_t n = ::readlink(full.c_str(), destination.data(), destination.size());
            if (n == -1) throwSys(ErrorCode::FileInfo, errno, fmt::format("unable to get destination of link '{}'", full));
            // A full buffer may mean the link changed size since lstat: grow and read again.
            if (static_cast<std::size_t>(n) < destination.size()) {
                destination.resize(static_cast<std::size_t>(n));
                return destination;
            }
            destination.resize(destination.size() * 2);
        }
    }

    // Names are cached: a listing of PGDATA asks for the same two ids thousands of times.
    const std::string& userName(uid_t id) {
        if (auto found = users_.find(id); found != users_.end()) return found->second;
        std::string name;
        std::vector<char> scratch(1024);
        passwd entry;
        passwd* result = nullptr;
        while (::getpwuid_r(id, &entry, scratch.data(), scratch.size(), &result) == ERANGE)
            scratch.resize(scratch.size() * 2);
        if (result != nullptr) name = result->pw_name;
        return users_.emplace(id, std::move(name)).first->second;
    }

    const std::string& groupName(gid_t id) {
        if (auto found = groups_.find(id); found != groups_.end()) return found->second;
        std::string name;
        std::vector<char> scratch(1024);
        group entry;
        group* result = nullptr;
        while (::getgrgid_r(id, &entry, scratch.data(), scratch.size(), &result) == ERANGE)
            scratch.resize(scratch.size() * 2);
        if (result != nullptr) name = result->gr_name;
        return groups_.emplace(id, std::move(name)).first->second;
    }

    std::string root_;
    PosixOptions options_;
    std::unordered_map<uid_t, std::string> users_;
    std::unordered_map<gid_t, std::string> groups_;
};

}  // namespace

std::unique_ptr<Storage> makePosixStorage(std::string root, PosixOptions options) {
    return std::make_unique<PosixStorage>(std::move(root), options);
}

}  // namespace pgark::storage
