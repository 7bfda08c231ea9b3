// restoreFile: see file_job.h.
//
// The data path: the repository file is decrypted and decompressed straight into chunk buffers
// (io::DecodedSource), which are hashed and written on two other threads while the next chunk is
// decoded (io::pipeChunks). Files are written through the page cache and left there: PostgreSQL
// reads them right after the restore, and a --delta restore can hash them without reading the
// disk. Writeback of each chunk starts as soon as it is written; the restore command syncs the
// file systems once at the end (request.syncFile is false then). The destination is committed
// (renamed into place) only after the manifest's size and sha1 were checked, so a corrupt
// repository file never leaves a file behind.
#include "command/restore/file_job.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <vector>

#include <fmt/format.h>

#include "common/crypto/hash.h"
#include "common/error.h"
#include "common/io/chunk_pipeline.h"
#include "common/io/decoded_source.h"
#include "storage/posix/page_cache.h"

namespace pgark::command::restore {

namespace {

// Bytes per chunk of a file's pipeline (see io::pipeChunks). A restore worker lives for the whole
// restore, so its chunks are faulted in once; 1 MiB is also what the repository file is read by.
constexpr std::size_t kChunkSize = 1024 * 1024;

// Bytes of a mapped file made present and hashed at a time (see hashMapped).
constexpr std::uint64_t kMapWindow = 8 * 1024 * 1024;

// --delta reads an uncached file at least this large with O_DIRECT (ReadOptions::direct): below,
// a file is a single read and O_DIRECT's alignment is not worth it.
constexpr std::uint64_t kDirectMin = 256 * 1024;

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

// The sha1 of a mapped file's bytes, made present a window at a time; nullopt if the file turned
// out shorter than mapped.
std::optional<std::string> hashMapped(const storage::MappedFile& file) {
    crypto::Sha1Hasher hasher;
    for (std::uint64_t at = 0; at < file.size();) {
        const std::uint64_t n = std::min<std::uint64_t>(kMapWindow, file.size() - at);
        if (!file.populate(at, n)) return std::nullopt;
        hasher.update({file.data() + at, static_cast<std::size_t>(n)});
        at += n;
    }
    return hasher.finalHex();
}

// sha1 of the first `size` bytes of the existing file, or nullopt if it has fewer (or vanished).
// A cached local file is hashed from a mapping (hashMapped); otherwise the next chunk is read
// (O_DIRECT when uncached) while the last one is hashed.
std::optional<std::string> hashPrefix(storage::Storage& pg, const RestoreFileRequest& request) {
    if (const auto path = localPath(pg, request.pgPath); path && request.size >= kDirectMin)
        if (const auto mapped = storage::MappedFile::openCached(*path, request.size)) return hashMapped(*mapped);
    // Direct when the file is not cached (as after a restore): the chunks are page-aligned.
    auto stream = pg.openRead(request.pgPath, {.ignoreMissing = true, .limit = request.size,
                                               .direct = request.size >= kDirectMin});
    if (!stream) return std::nullopt;
    const io::ChunkPipelineResult hashed = io::pipeChunks(
        [&stream](io::Buffer& chunk) {
            const std::size_t start = chunk.size();
            for (std::size_t n; !chunk.full() && (n = stream->read(chunk.tail())) != 0;) chunk.grow(n);
            return chunk.size() != start;
        },
        nullptr, {.chunkSize = kChunkSize});
    if (hashed.size != request.size) return std::nullopt;
    return hashed.sha1;
}

}  // namespace

std::optional<storage::FileInfo> keepCandidate(storage::Storage& pg, const RestoreFileRequest& request) {
    if (request.delta == RestoreDelta::Off || request.zero) return std::nullopt;
    auto info = pg.info(request.pgPath, storage::InfoLevel::Detail);
    if (!info || info->type != storage::FileType::File) return std::nullopt;
    if (request.delta == RestoreDelta::Timestamp) {
        // Trust size and mtime, but only for files last changed before the backup began copying:
        // a file modified within that second could differ with the same mtime.
        if (info->size != request.size || info->mtime != request.mtime || info->mtime >= request.copyStartTime)
            return std::nullopt;
    } else if (info->size < request.size) {
        // A longer file may be the backed-up file plus later growth (its prefix is compared).
        return std::nullopt;
    }
    return info;
}

std::optional<RestoreFileResult> keepFile(storage::Storage& pg, const RestoreFileRequest& request,
                                          const storage::FileInfo& existing) {
    const FixUp fix{.truncate = existing.size > request.size,
                    .mode = (existing.mode & 07777) != (request.mode & 07777),
                    // Truncating sets the mtime to now, so it must be reset afterwards.
                    .mtime = existing.mtime != request.mtime || existing.size > request.size};
    if (fix.any()) {
        const auto path = localPath(pg, request.pgPath);
        if (!path) return std::nullopt;
        applyFixUp(*path, request, fix);
    }
    return RestoreFileResult{.result = RestoreCopyResult::Kept, .truncated = fix.truncate};
}

std::optional<RestoreFileResult> keepExisting(storage::Storage& pg, const RestoreFileRequest& request) {
    const auto existing = keepCandidate(pg, request);
    if (!existing) return std::nullopt;
    if (keepNeedsHash(request)) {
        const auto sha1 = hashPrefix(pg, request);
        if (!sha1 || *sha1 != request.sha1) return std::nullopt;
    }
    return keepFile(pg, request, *existing);
}

namespace {

storage::WriteOptions destinationOptions(const RestoreFileRequest& request) {
    return {.atomic = true,
            .syncFile = request.syncFile,
            .syncPath = request.syncPath,
            .mode = request.mode,
            .mtime = request.mtime};
}

// A restore failure with the files it concerns: the user must learn which repository file and
// which destination, whatever failed (a missing, truncated, corrupt or wrongly keyed repository
// file, or a checksum mismatch).
Error fileError(const Error& error, storage::Storage& repo, storage::Storage& pg, const RestoreFileRequest& request) {
    Error wrapped(error.code(),
                  fmt::format("unable to restore file '{}' from '{}': {}", pg.describe(request.pgPath),
                              repo.describe(request.repoPath), error.message()),
                  error.retryable() ? Retry::Yes : Retry::No);
    if (!error.hint().empty())
        wrapped.withHint(error.hint());
    else if (error.code() == ErrorCode::Checksum)
        wrapped.withHint("the repository file may be damaged: run verify, or restore an older backup set");
    return wrapped;
}

void checkRestored(const io::ChunkPipelineResult& restored, const RestoreFileRequest& request) {
    if (restored.size != request.size || restored.sha1 != request.sha1)
        throwError(ErrorCode::Checksum, "restored {} bytes with checksum '{}', expected {} bytes with checksum '{}'",
                   restored.size, restored.sha1, request.size, request.sha1);
}

// A file being restored from the repository: its decoded content, counted against the manifest
// size, and its destination, aborted by its destructor unless committed. Whatever fails, from
// opening the repository file to committing the destination, names the file (fileError).
class FileCopy final : private io::WriteStream {
public:
    FileCopy(storage::Storage& repo, storage::Storage& pg, const RestoreFileRequest& request) try
        : repo_(repo),
          pg_(pg),
          request_(request),
          content_(repo.openRead(request.repoPath, {.offset = request.repoOffset, .limit = request.repoSize}),
                   request.cipherPass, request.compressType, kChunkSize) {
        storage::WriteOptions options = destinationOptions(request);
        // Reserving the blocks up front spares ext4 its allocation page by page.
        options.sizeHint = request.size;
        destination_ = pg.openWrite(request.pgPath, options);
    } catch (const Error& error) {
        throw fileError(error, repo, pg, request);
    }
    FileCopy(const FileCopy&) = delete;
    FileCopy& operator=(const FileCopy&) = delete;

    // The content and the destination for io::pipeChunks or io::pipeChunkPair. A stream that
    // decodes to more than the manifest size stops there, before the excess is written.
    io::ChunkStream stream() {
        return {.fill = [this](io::Buffer& chunk) {
                    try {
                        const bool any = content_.fill(chunk);
                        filled_ += chunk.size();
                        if (filled_ > request_.size)
                            throwError(ErrorCode::Checksum, "restored data is longer than the expected {} bytes",
                                       request_.size);
                        return any;
                    } catch (const Error& error) {
                        throw fileError(error, repo_, pg_, request_);
                    }
                },
                .sink = this};
    }

    // Commits the file if it came out as the manifest says; the failure otherwise.
    std::optional<Error> finish(const io::ChunkPipelineResult& restored) {
        try {
            checkRestored(restored, request_);
            destination_->commit();
            return std::nullopt;
        } catch (const Error& error) {
            destination_->abort();
            return fileError(error, repo_, pg_, request_);
        }
    }

private:
    // The destination as the pipeline's sink, its errors naming the file.
    void write(io::ByteView data) override {
        try {
            destination_->write(data);
        } catch (const Error& error) {
            throw fileError(error, repo_, pg_, request_);
        }
    }
    void startWriteback() override {
        try {
            destination_->startWriteback();
        } catch (const Error& error) {
            throw fileError(error, repo_, pg_, request_);
        }
    }
    void commit() override { destination_->commit(); }
    void abort() noexcept override { destination_->abort(); }

    storage::Storage& repo_;
    storage::Storage& pg_;
    const RestoreFileRequest& request_;
    io::DecodedSource content_;
    std::unique_ptr<io::WriteStream> destination_;
    std::uint64_t filled_ = 0;
};

// Decoding, hashing and writing run at once, each on its own thread, chunk by chunk.
void copyFromRepo(storage::Storage& repo, storage::Storage& pg, const RestoreFileRequest& request) {
    FileCopy file(repo, pg, request);
    const io::ChunkStream stream = file.stream();
    if (auto failure = file.finish(io::pipeChunks(stream.fill, stream.sink, {.chunkSize = kChunkSize, .writeback = true})))
        throw *failure;
}

// Two files side by side, their SHA-1s taken together (io::pipeChunkPair). A file that came out
// intact is kept even when the other failed.
void copyPairFromRepo(storage::Storage& repo, storage::Storage& pg, const RestoreFileRequest& first,
                      const RestoreFileRequest& second) {
    FileCopy files[2] = {FileCopy(repo, pg, first), FileCopy(repo, pg, second)};
    const auto restored =
        io::pipeChunkPair(files[0].stream(), files[1].stream(), {.chunkSize = kChunkSize, .writeback = true});
    const std::optional<Error> failure[2] = {files[0].finish(restored[0]), files[1].finish(restored[1])};
    for (const auto& error : failure)
        if (error) throw *error;
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
        if (auto kept = keepExisting(pg, request)) return *kept;
    }

    // An empty file needs no repository read: bundled backups do not even store it (spec §4.6).
    if (request.size == 0) {
        auto destination = pg.openWrite(request.pgPath, destinationOptions(request));
        destination->commit();
        return {.result = RestoreCopyResult::Created};
    }

    copyFromRepo(repo, pg, request);  // its errors name the file (FileCopy)
    return {.result = RestoreCopyResult::Copied};
}

bool restoredInPairs(const RestoreFileRequest& request) noexcept {
    return !request.zero && request.delta == RestoreDelta::Off && request.size > kChunkSize;
}

std::vector<RestoreFileResult> restoreFiles(storage::Storage& repo, storage::Storage& pg,
                                            const std::vector<RestoreFileRequest>& requests) {
    std::vector<RestoreFileResult> results;
    results.reserve(requests.size());
    for (std::size_t i = 0; i < requests.size(); i++) {
        if (i + 1 < requests.size() && restoredInPairs(requests[i]) && restoredInPairs(requests[i + 1])) {
            copyPairFromRepo(repo, pg, requests[i], requests[i + 1]);
            results.push_back({.result = RestoreCopyResult::Copied});
            results.push_back({.result = RestoreCopyResult::Copied});
            i++;
            continue;
        }
        results.push_back(restoreFile(repo, pg, requests[i]));
    }
    return results;
}

}  // namespace pgark::command::restore
