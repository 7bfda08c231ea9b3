// archive-get of one file: see archive_get.h.
#include "command/archive/archive_get.h"

#include <fmt/format.h>

#include <filesystem>

#include "command/archive/archive_files.h"
#include "common/compress/zst_frames.h"
#include "common/crypto/cipher.h"
#include "common/crypto/hash.h"
#include "common/error.h"
#include "common/io/decoded_source.h"
#include "common/io/filter.h"
#include "common/io/mapped_file.h"
#include "common/log.h"
#include "common/serial_worker.h"
#include "info/archive_info.h"
#include "postgres/version.h"
#include "postgres/wal.h"
#include "storage/posix/posix_storage.h"

namespace pgark::command::archive {
namespace {

struct Found {
    Repo* repo = nullptr;
    std::string path;                 // repository path of the stored file
    std::string sha1;                 // expected SHA-1 of the content ("" = not known: history files)
    compress::CompressType compressType = compress::CompressType::None;
    std::string cipherPass;           // archive sub-passphrase of that repository
};

// The archive ids to search, newest first: every history entry of the local cluster's version and
// system id (all entries when the cluster is unknown). Older ids matter after a stanza-upgrade.
std::vector<std::string> candidateArchiveIds(const info::ArchiveInfo& archiveInfo, const GetOptions& options) {
    std::vector<std::string> ids;
    const auto& history = archiveInfo.history();
    for (auto entry = history.rbegin(); entry != history.rend(); ++entry) {
        if (options.pgControl && (entry->systemId != options.pgControl->systemId ||
                                  entry->version != postgres::pgVersionToString(options.pgControl->version)))
            continue;
        ids.push_back(info::archiveId(*entry));
    }
    return ids;
}

std::optional<Found> findInRepo(std::string_view walName, Repo& repo, const GetOptions& options) {
    const info::ArchiveInfo archiveInfo =
        info::ArchiveInfo::load(*repo.storage, info::archiveInfoPath(options.stanza), repo.cipherPass);
    const bool segment = postgres::isWalSegmentName(walName);
    for (const std::string& archiveId : candidateArchiveIds(archiveInfo, options)) {
        if (segment) {
            const auto stored = findStoredSegment(*repo.storage, options.stanza, archiveId, walName);
            if (stored.size() > 1) {
                throw Error(ErrorCode::ArchiveDuplicate,
                            fmt::format("duplicates found in the {} archive for WAL segment {}", repo.name(), walName))
                    .withHint("remove the extra copies by hand once you know which one is right");
            }
            if (stored.size() == 1) {
                if (stored[0].path.ends_with(".xz"))
                    throwError(ErrorCode::FeatureNotSupported, "WAL file '{}' in the {} archive is xz compressed, "
                               "which pgark cannot read", stored[0].path, repo.name());
                return Found{&repo, stored[0].path, stored[0].sha1, stored[0].compressType, archiveInfo.cipherPass()};
            }
        } else {
            const std::string path = fmt::format("{}/{}", archiveFileDir(options.stanza, archiveId, walName), walName);
            if (repo.storage->info(path, storage::InfoLevel::Exists))
                return Found{&repo, path, "", compress::CompressType::None, archiveInfo.cipherPass()};
        }
    }
    return std::nullopt;
}

constexpr std::size_t kChunkSize = 256 * 1024;  // bytes per buffer of a get (see fetch())

// The stored file's content, decrypted and decompressed straight into the caller's buffers.
std::unique_ptr<io::DecodedSource> openStored(const Found& found) {
    return std::make_unique<io::DecodedSource>(found.repo->storage->openRead(found.path, {}), found.cipherPass,
                                               found.compressType, kChunkSize);
}

std::string sha1OfStored(const Found& found) {
    const auto content = openStored(found);
    crypto::Sha1Hasher hasher;
    io::Buffer chunk(kChunkSize);
    while (content->fill(chunk)) {
        hasher.update(chunk.view());
        chunk.clear();
    }
    return hasher.finalHex();
}

// Whether `head` (the first bytes) and `size` describe a whole segment `walName` of this cluster:
// the long page header names the segment's own start address and timeline (and the cluster's
// system id, when known) and the content is exactly one segment long.
bool wholeSegmentOf(io::ByteView head, std::uint64_t size, std::string_view walName, const GetOptions& options) {
    const std::optional<postgres::WalSegment> segment = postgres::walSegmentParse(walName);
    if (!segment) return false;
    try {
        const postgres::WalHeader header = postgres::walHeaderFromBuffer(head, walName);
        if (options.pgControl && (header.systemId != options.pgControl->systemId ||
                                  header.segmentSize != options.pgControl->walSegmentSize))
            return false;
        return size == header.segmentSize && header.timeline == segment->timeline &&
               header.pageAddress == postgres::walSegmentStartLsn(*segment, header.segmentSize);
    } catch (const Error&) {
        return false;  // not a header we can vouch for: the SHA-1 decides
    }
}

// The size of a WAL segment of this cluster (the default when its pg_control is not known).
std::uint64_t segmentSize(const GetOptions& options) {
    return options.pgControl && options.pgControl->walSegmentSize != 0 ? options.pgControl->walSegmentSize
                                                                       : postgres::kWalSegmentSizeDefault;
}

// The destination, written to a temp file beside it that only commit() renames into place.
// `size`: the content's size when known, else a segment's is assumed (see WriteOptions::sizeHint).
std::unique_ptr<io::WriteStream> openDestination(const std::string& destPath, std::string_view walName,
                                                 const GetOptions& options, std::optional<std::uint64_t> size) {
    const std::filesystem::path dest(destPath);
    // Chunks go to write() as they are: a buffer the size of a chunk makes the stream pass them
    // (and larger writes) through instead of copying them into its own 1 MiB buffer first.
    auto destDir = storage::makePosixStorage(dest.parent_path().string(), {.bufferSize = kChunkSize});
    // A segment is as long as the cluster's segment size: reserving it up front makes the write
    // several times cheaper on ext4 (see WriteOptions::sizeHint).
    if (!size && postgres::isWalSegmentName(walName)) size = segmentSize(options);
    // PostgreSQL fsyncs what it restores itself, and a crash only means fetching it again.
    return destDir->openWrite(dest.filename().string(), {.syncFile = false,
                                                         .syncPath = false,
                                                         .createPath = false,
                                                         .sizeHint = size});
}

// Checks what was written to `output` and commits it, or aborts it and throws Error(Checksum).
// `sha1`: of the content when it was hashed on the way, else "". `checksummed`: every byte was
// verified by the decompressor (see fetch()); `head` and `size` are the content's first bytes
// and size.
void checkAndCommit(const Found& found, std::string_view walName, const GetOptions& options, io::WriteStream& output,
                    std::string sha1, bool checksummed, io::ByteView head, std::uint64_t size) {
    if (!found.sha1.empty() && sha1.empty() && (!checksummed || !wholeSegmentOf(head, size, walName, options)))
        sha1 = sha1OfStored(found);  // a frame had no checksum, or the header is not this segment's
    if (!found.sha1.empty() && !sha1.empty() && sha1 != found.sha1) {
        output.abort();
        throw Error(ErrorCode::Checksum,
                    fmt::format("WAL file '{}' in the {} archive is corrupt: its content has checksum {}",
                                found.repo->storage->describe(found.path), found.repo->name(), sha1))
            .withHint("the file's name records the checksum it was stored with; restore it from another repository");
    }
    output.commit();
}

// Largest zst frame fetchFrames() decodes whole: two buffers of it are allocated. archive-push
// writes pieces of 1 MiB (2 MiB before); a segment stored as one frame goes through the streaming
// path.
constexpr std::size_t kWholeFrameMax = 4 * 1024 * 1024;

// The fast path for a zst segment in a local, unencrypted repository whose every frame records
// its content size and checksum (as archive-push writes segments): the file is mapped, and its
// frames are decoded whole on two threads, each straight into a buffer of its own that is then
// written (zst_frames.h). Returns false, having done nothing, for any other file, and for frames
// whose sizes do not add up to one segment: the destination's space is reserved for that total
// up front, which a damaged header must not be able to make huge (the streaming path then finds
// out what is wrong).
bool fetchFrames(const Found& found, std::string_view walName, const std::string& destPath,
                 const GetOptions& options) {
    if (found.compressType != compress::CompressType::Zst || !found.cipherPass.empty() ||
        found.repo->storage->type() != "posix" || !postgres::isWalSegmentName(walName))
        return false;
    const std::string local = found.repo->storage->describe(found.path);
    if (!local.starts_with('/')) return false;
    const io::MappedFile stored(local);
    const auto frames = compress::zstWholeFrames(stored.view(), kWholeFrameMax);
    if (!frames) return false;

    std::uint64_t size = 0;
    for (const compress::ZstFrame& frame : *frames) size += frame.outSize;
    if (size != segmentSize(options)) return false;
    const auto output = openDestination(destPath, walName, options, size);
    std::vector<std::byte> head;  // the first bytes, for wholeSegmentOf()
    compress::zstDecodeFrames(stored.view(), *frames, [&](io::ByteView bytes) {
        if (head.empty())
            head.assign(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(
                                                           std::min(bytes.size(), postgres::kWalHeaderReadSize)));
        output->write(bytes);
    });
    checkAndCommit(found, walName, options, *output, "", true, head, size);
    return true;
}

// Decrypts and decompresses the stored file into `destPath`, which appears only once its content
// is known to be the one stored:
// - in general, its SHA-1 matches the checksum in the stored name;
// - a segment whose every frame carries a content checksum (lz4 always, zst as pgark pushes it)
//   was verified byte for byte by the decompressor, which would have thrown otherwise. The SHA-1
//   would only add the file's identity: that it is this segment, whole. Its first page header and
//   its size say that, so such a segment skips the SHA-1, the most expensive step of a get. Any
//   doubt (a frame without checksum, a header that does not match) falls back to the SHA-1.
// Threads share the work: this one decodes chunk n+1 while workers hash and write chunk n.
void fetchStreaming(const Found& found, std::string_view walName, const std::string& destPath,
                    const GetOptions& options) {
    const auto content = openStored(found);
    const bool segment = postgres::isWalSegmentName(walName);
    const auto output = openDestination(destPath, walName, options, std::nullopt);

    // Chunks cycle through decode -> (hash, write); a chunk is refilled once both are done with it.
    // 256 KiB chunks: every page of a buffer is a page fault in a process this short-lived, and
    // four 1 MiB chunks measured slower than four of 256 KiB.
    constexpr std::size_t kChunks = 4;
    std::vector<io::Buffer> chunks;
    for (std::size_t i = 0; i < kChunks; i++) chunks.emplace_back(kChunkSize);
    std::uint64_t hashed[kChunks] = {};   // SerialWorker tickets of each chunk's last use
    std::uint64_t written[kChunks] = {};
    crypto::Sha1Hasher hasher;
    bool hashing = !found.sha1.empty();
    std::vector<std::byte> head;          // the first bytes, for wholeSegmentOf()
    std::uint64_t size = 0;
    {
        // Declared after what their tasks use, so they stop before those are destroyed.
        SerialWorker hashWorker;
        SerialWorker writeWorker;
        for (std::size_t n = 0;; n = (n + 1) % kChunks) {
            io::Buffer& chunk = chunks[n];
            hashWorker.waitFor(hashed[n]);
            writeWorker.waitFor(written[n]);
            chunk.clear();
            if (!content->fill(chunk)) break;
            const io::ByteView bytes = chunk.view();
            if (size == 0) {
                // The first chunk holds the first frame's header: decide whether to hash at all.
                head.assign(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(
                                                               std::min(bytes.size(), postgres::kWalHeaderReadSize)));
                if (segment && content->contentChecksummed()) hashing = false;
            }
            size += bytes.size();
            if (hashing) hashed[n] = hashWorker.submit([&hasher, bytes] { hasher.update(bytes); });
            written[n] = writeWorker.submit([&output, bytes] { output->write(bytes); });
        }
        hashWorker.finish();
        writeWorker.finish();
    }
    checkAndCommit(found, walName, options, *output, hashing ? hasher.finalHex() : std::string(),
                   content->contentChecksummed(), head, size);
}

// fetchFrames() or fetchStreaming(). A stored file that cannot be decrypted or decompressed is
// named in the error: the codec and the cipher only know the bytes they were given.
void fetch(const Found& found, std::string_view walName, const std::string& destPath, const GetOptions& options) {
    try {
        if (!fetchFrames(found, walName, destPath, options)) fetchStreaming(found, walName, destPath, options);
    } catch (const Error& error) {
        if (error.code() != ErrorCode::Decompress && error.code() != ErrorCode::Crypto) throw;
        Error named(error.code(), fmt::format("WAL file '{}' in the {} archive cannot be read: {}",
                                              found.repo->storage->describe(found.path), found.repo->name(),
                                              error.message()));
        named.withHint(error.hint().empty()
                           ? "the stored file is damaged or was written with another passphrase; restore it from another repository"
                           : error.hint());
        throw named;
    }
}

}  // namespace

bool archiveGetFile(std::string_view walName, const std::string& destPath, std::span<Repo> repos,
                    const GetOptions& options) {
    std::optional<Error> firstError;
    for (Repo& repo : repos) {
        try {
            const std::optional<Found> found = findInRepo(walName, repo, options);
            if (!found) continue;
            fetch(*found, walName, destPath, options);
            log::info("found {} in the {} archive", walName, repo.name());
            return true;
        } catch (const Error& error) {
            // Another repository may still have it: warn and go on, as PostgreSQL only needs one copy.
            if (repos.size() > 1) log::warn("{}: {} [{}]", repo.name(), error.message(), static_cast<int>(error.code()));
            if (!firstError) firstError = error;
        }
    }
    // "Not found" must be certain: PostgreSQL takes it as the end of the archive.
    if (firstError) throw *firstError;
    return false;
}

}  // namespace pgark::command::archive
