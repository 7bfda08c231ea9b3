// restoreFile: see file_job.h.
//
// The data path mirrors backupFile's: the repository bytes are read into one buffer and pushed
// through a FilterChain writer (decrypt, decompress), whose sha1 and size observers see the
// decompressed bytes in the decompressor's own buffer before they go to the destination file. The
// chain's commit only flushes the filters: the destination is committed (renamed into place) after
// the manifest's size and sha1 were checked, so a corrupt repository file never leaves a file behind.
#include "command/restore/file_job.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <ctime>
#include <vector>

#include <fmt/format.h>

#include "common/crypto/cipher.h"
#include "common/crypto/hash.h"
#include "common/error.h"
#include "common/io/filter.h"

namespace pgark::command::restore {

namespace {

// Buffers sized to the file, as in backupFile: most files are small, and each chain step owns one.
std::size_t bufferSizeFor(std::uint64_t expected) {
    constexpr std::size_t kMin = 16 * 1024;
    if (expected >= io::kDefaultBufferSize) return io::kDefaultBufferSize;
    const auto wanted = static_cast<std::size_t>(expected) + 4096;
    return std::clamp(std::bit_ceil(wanted), kMin, io::kDefaultBufferSize);
}

// Passes the chain's output to the destination but keeps it open at the chain's commit, so the
// checksums can be checked before the destination is committed. An abort is passed on. It also
// stops at the manifest size: a damaged stream that decompresses to far more must not fill the disk
// before the size check at the end could catch it.
class DeferredSink final : public io::WriteStream {
public:
    DeferredSink(io::WriteStream& target, std::uint64_t limit) : target_(target), limit_(limit) {}
    void write(io::ByteView data) override {
        written_ += data.size();
        if (written_ > limit_)
            throwError(ErrorCode::Checksum, "restored data is longer than the expected {} bytes", limit_);
        target_.write(data);
    }
    void commit() override {}
    void abort() noexcept override { target_.abort(); }

private:
    io::WriteStream& target_;
    std::uint64_t limit_;       // bytes
    std::uint64_t written_ = 0; // bytes
};

// The local path behind `path` when `pg` is the POSIX driver. The Storage interface has no
// truncate, chmod or utime yet; a delta restore needs them to keep a file instead of rewriting it,
// and PGDATA is always local, so these fix-ups go to the file system directly. Other drivers (test
// doubles) get nullopt and the file is rewritten instead, which is slower but equally correct.
std::optional<std::string> localPath(storage::Storage& pg, std::string_view path) {
    if (pg.type() != "posix") return std::nullopt;
    return pg.describe(path);
}

struct FixUp {
    bool truncate = false;
    bool mode = false;
    bool mtime = false;
    bool any() const noexcept { return truncate || mode || mtime; }
};

void applyFixUp(const std::string& path, const RestoreFileRequest& request, const FixUp& fix) {
    if (fix.truncate && ::truncate(path.c_str(), static_cast<off_t>(request.size)) == -1)
        throwSys(ErrorCode::FileWrite, errno, fmt::format("unable to truncate file '{}'", path));
    if (fix.mode && ::chmod(path.c_str(), request.mode) == -1)
        throwSys(ErrorCode::FileMode, errno, fmt::format("unable to set mode of file '{}'", path));
    if (fix.mtime) {
        const timespec times[2] = {{static_cast<time_t>(request.mtime), 0}, {static_cast<time_t>(request.mtime), 0}};
        if (::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) == -1)
            throwSys(ErrorCode::FileWrite, errno, fmt::format("unable to set time of file '{}'", path));
    }
}

// sha1 of the first `size` bytes of the existing file, or nullopt if it has fewer (or vanished).
std::optional<std::string> hashPrefix(storage::Storage& pg, const RestoreFileRequest& request) {
    auto stream = pg.openRead(request.pgPath, {.ignoreMissing = true, .limit = request.size});
    if (!stream) return std::nullopt;
    crypto::Sha1Hasher hasher;
    std::vector<std::byte> buffer(bufferSizeFor(request.size));
    std::uint64_t total = 0;
    for (std::size_t n; (n = stream->read(buffer)) != 0;) {
        hasher.update({buffer.data(), n});
        total += n;
    }
    if (total != request.size) return std::nullopt;
    return hasher.finalHex();
}

// The delta decision (spec §9.4): the existing file is kept when it matches, after fixing its
// length, mode and mtime. nullopt = write it.
std::optional<RestoreFileResult> tryKeep(storage::Storage& pg, const RestoreFileRequest& request) {
    const auto info = pg.info(request.pgPath, storage::InfoLevel::Detail);
    if (!info || info->type != storage::FileType::File) return std::nullopt;

    if (request.delta == RestoreDelta::Timestamp) {
        // Trust size and mtime, but only for files last changed before the backup began copying:
        // a file modified within that second could differ with the same mtime.
        if (info->size != request.size || info->mtime != request.mtime || info->mtime >= request.copyStartTime)
            return std::nullopt;
    } else {
        // A longer file may be the backed-up file plus later growth: compare the prefix.
        if (info->size < request.size) return std::nullopt;
        if (request.size != 0) {
            const auto sha1 = hashPrefix(pg, request);
            if (!sha1 || *sha1 != request.sha1) return std::nullopt;
        }
    }

    const FixUp fix{.truncate = info->size > request.size,
                    .mode = (info->mode & 07777) != (request.mode & 07777),
                    // Truncating sets the mtime to now, so it must be reset afterwards.
                    .mtime = info->mtime != request.mtime || info->size > request.size};
    if (fix.any()) {
        const auto path = localPath(pg, request.pgPath);
        if (!path) return std::nullopt;
        applyFixUp(*path, request, fix);
    }
    return RestoreFileResult{.result = RestoreCopyResult::Kept, .truncated = fix.truncate};
}

storage::WriteOptions destinationOptions(const RestoreFileRequest& request) {
    return {.atomic = true,
            .syncFile = request.syncFile,
            .syncPath = request.syncPath,
            .mode = request.mode,
            .mtime = request.mtime};
}

void copyFromRepo(storage::Storage& repo, storage::Storage& pg, const RestoreFileRequest& request) {
    const std::size_t bufferSize = bufferSizeFor(std::max(request.size, request.repoSize.value_or(0)));
    auto source = repo.openRead(request.repoPath, {.offset = request.repoOffset, .limit = request.repoSize});

    io::FilterChain chain;
    if (!request.cipherPass.empty())
        chain.add(crypto::makeCipherFilter(crypto::CipherMode::Decrypt, request.cipherPass));
    if (request.compressType != compress::CompressType::None)
        chain.add(compress::makeDecompressFilter(request.compressType));
    chain.add(crypto::makeSha1Filter()).add(crypto::makeSizeFilter());

    auto destination = pg.openWrite(request.pgPath, destinationOptions(request));
    DeferredSink sink(*destination, request.size);
    {
        // The writer aborts the destination if anything throws before its commit.
        auto writer = chain.writer(sink, bufferSize);
        std::vector<std::byte> buffer(bufferSize);
        for (std::size_t n; (n = source->read(buffer)) != 0;) writer->write({buffer.data(), n});
        writer->commit();
    }

    const auto size = chain.result<std::uint64_t>(io::FilterType::Size);
    const auto sha1 = chain.result<std::string>(io::FilterType::Sha1);
    if (size != request.size || sha1 != request.sha1) {
        destination->abort();
        throwError(ErrorCode::Checksum, "restored {} bytes with checksum '{}', expected {} bytes with checksum '{}'",
                   size, sha1, request.size, request.sha1);
    }
    destination->commit();
}

}  // namespace

std::string_view restoreCopyResultName(RestoreCopyResult result) noexcept {
    switch (result) {
    case RestoreCopyResult::Copied:
        return "copied";
    case RestoreCopyResult::Created:
        return "created";
    case RestoreCopyResult::Kept:
        return "kept";
    }
    return "unknown";
}

namespace {

// A file of `size` zero bytes without writing them (a hole) when PGDATA is local; other storages
// (test doubles) get the zeros written.
void createZeroed(storage::Storage& pg, const RestoreFileRequest& request) {
    const auto path = localPath(pg, request.pgPath);
    if (!path) {
        auto destination = pg.openWrite(request.pgPath, destinationOptions(request));
        const std::vector<std::byte> zeros(64 * 1024);
        for (std::uint64_t left = request.size; left > 0;) {
            const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(left, zeros.size()));
            destination->write({zeros.data(), n});
            left -= n;
        }
        destination->commit();
        return;
    }
    const int fd = ::open(path->c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, request.mode);
    if (fd == -1) throwSys(ErrorCode::FileOpen, errno, fmt::format("unable to open file '{}' for write", *path));
    const bool ok = ::ftruncate(fd, static_cast<off_t>(request.size)) == 0 && ::fchmod(fd, request.mode) == 0;
    const int error = errno;
    ::close(fd);
    if (!ok) throwSys(ErrorCode::FileWrite, error, fmt::format("unable to create zeroed file '{}'", *path));
    applyFixUp(*path, request, {.mtime = true});
}

}  // namespace

RestoreFileResult restoreFile(storage::Storage& repo, storage::Storage& pg, const RestoreFileRequest& request) {
    if (request.zero) {
        createZeroed(pg, request);
        return {.result = RestoreCopyResult::Created};
    }
    if (request.delta != RestoreDelta::Off) {
        if (auto kept = tryKeep(pg, request)) return *kept;
    }

    // An empty file needs no repository read: bundled backups do not even store it (spec §4.6).
    if (request.size == 0) {
        auto destination = pg.openWrite(request.pgPath, destinationOptions(request));
        destination->commit();
        return {.result = RestoreCopyResult::Created};
    }

    try {
        copyFromRepo(repo, pg, request);
    } catch (const Error& error) {
        // Whatever failed (a missing, truncated, corrupt or wrongly keyed repository file, or a
        // checksum mismatch), the user must learn which repository file and which destination.
        Error wrapped(error.code(),
                      fmt::format("unable to restore file '{}' from '{}': {}", pg.describe(request.pgPath),
                                  repo.describe(request.repoPath), error.message()),
                      error.retryable() ? Retry::Yes : Retry::No);
        if (!error.hint().empty())
            wrapped.withHint(error.hint());
        else if (error.code() == ErrorCode::Checksum)
            wrapped.withHint("the repository file may be damaged: run verify, or restore an older backup set");
        throw wrapped;
    }
    return {.result = RestoreCopyResult::Copied};
}

}  // namespace pgark::command::restore
