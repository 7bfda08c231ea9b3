// archive-push of one file: see archive_push.h.
#include "command/archive/archive_push.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <filesystem>
#include <functional>
#include <future>
#include <optional>

#include <unistd.h>

#include "command/archive/archive_files.h"
#include "command/stanza/stanza.h"
#include "common/crypto/cipher.h"
#include "common/crypto/content_digests.h"
#include "common/crypto/hash.h"
#include "common/error.h"
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

// The WAL file being pushed, read through a storage rooted at its directory.
struct Source {
    std::unique_ptr<storage::Storage> dir;
    std::string name;
    std::string path;  // absolute, for messages
};

Source openSource(const std::string& walPath) {
    const std::filesystem::path path(walPath);
    return {storage::makePosixStorage(path.parent_path().string(), {}), path.filename().string(), walPath};
}

std::string sha1OfFile(Source& source) {
    auto stream = source.dir->openRead(source.name, {});
    crypto::Sha1Hasher hasher;
    std::vector<std::byte> buffer(io::kDefaultBufferSize);
    for (std::size_t n; (n = stream->read(buffer)) != 0;) hasher.update({buffer.data(), n});
    return hasher.finalHex();
}

// A segment hashed and compressed in memory before its stored name is known (see archivePushFile).
struct Spool {
    std::string sha1;
    std::string compressed;  // as segmentBytes() compresses it, before any encryption (per repository)
    // Of `compressed`, for an object store that stores it as it is (not encrypted): computed
    // while the pieces are made (spoolSegment()) instead of by the upload, which waits for them.
    std::optional<crypto::ContentDigests> digests;
};

// Segments up to this size may be spooled: the default 16 MiB, and up to 64 MiB ones.
constexpr std::uintmax_t kSpoolMax = 64 * 1024 * 1024;

// The segment's long page header must name the stanza's PostgreSQL version and system id
// (spec §5.2 step 2): a segment from another cluster must never enter this archive.
void checkHeader(Source& source, const info::InfoPgData& stanza) {
    auto stream = source.dir->openRead(source.name, {.limit = 512});
    std::array<std::byte, 512> header{};
    std::size_t size = 0;
    for (std::size_t n; size < header.size() && (n = stream->read({header.data() + size, header.size() - size})) != 0;)
        size += n;
    const postgres::WalHeader wal = postgres::walHeaderFromBuffer({header.data(), size}, source.path);
    const std::string walVersion = postgres::pgVersionToString(wal.version);
    if (walVersion != stanza.version || wal.systemId != stanza.systemId) {
        throw Error(ErrorCode::ArchiveMismatch,
                    fmt::format("WAL file '{}' version {}, system-id {} do not match stanza version {}, system-id {}",
                                source.path, walVersion, wal.systemId, stanza.version, stanza.systemId))
            .withHint("is archive_command pushing to the right stanza, and is this WAL from this cluster?");
    }
}

// One repository's part of a push, prepared before any byte is written.
struct Target {
    Repo* repo = nullptr;
    std::string cipherPass;                 // archive sub-passphrase, "" if not encrypted
    std::string dir;                        // repository directory of the file
    std::optional<StoredSegment> existing;  // the segment is already stored under some checksum
    std::unique_ptr<io::FilterChain> chain; // compress + encrypt, while writing
    std::unique_ptr<io::WriteStream> sink;  // the repository stream under `chain`
    std::unique_ptr<io::WriteStream> writer;
    std::string tempPath;
};

// Loads archive.info and checks everything that can refuse the file, without writing.
Target prepare(Source& source, Repo& repo, const PushOptions& options) {
    const info::ArchiveInfo archiveInfo =
        info::ArchiveInfo::load(*repo.storage, info::archiveInfoPath(options.stanza), repo.cipherPass);
    if (options.pgControl) stanza::checkCluster(archiveInfo.current(), *options.pgControl, repo);
    Target target{.repo = &repo, .cipherPass = archiveInfo.cipherPass()};
    target.dir = archiveFileDir(options.stanza, archiveInfo.archiveId(), source.name);
    if (postgres::isWalSegmentName(source.name)) {
        if (options.headerCheck) checkHeader(source, archiveInfo.current());
        const auto stored = findStoredSegment(*repo.storage, options.stanza, archiveInfo.archiveId(), source.name);
        if (stored.size() > 1) {
            std::vector<std::string> paths;
            for (const StoredSegment& copy : stored) paths.push_back(copy.path);
            throw Error(ErrorCode::ArchiveDuplicate, fmt::format("duplicates found in the {} archive for WAL segment {}: {}",
                                                                 repo.name(), source.name, fmt::join(paths, ", ")))
                .withHint("remove the extra copies by hand once you know which one is right");
        }
        if (stored.size() == 1) target.existing = stored[0];
    }
    return target;
}

// An identical segment already stored is success; a different one is refused (never overwritten).
// Returns true when nothing needs to be written.
bool alreadyStored(const Target& target, const Source& source, const std::string& sha1, const PushOptions& options) {
    if (!target.existing) return false;
    if (target.existing->sha1 == sha1) {
        if (options.modeCheck)
            log::warn("WAL file '{}' already exists in the {} archive with the same checksum\n"
                      "HINT: this is valid in some recovery scenarios but may also indicate a problem.",
                      source.name, target.repo->name());
        return true;
    }
    throw Error(ErrorCode::ArchiveDuplicate,
                fmt::format("WAL file '{}' already exists in the {} archive with a different checksum", source.name,
                            target.repo->name()))
        .withHint("two clusters may be archiving to the same stanza; the stored segment was left as it is");
}

// zst frames get a content checksum, as lz4 frames always have, so that archive-get can verify
// the content while decompressing instead of hashing it again (see archive_get.cpp). A segment's
// zst pieces also record their content size, so that archive-get can decode each one in a single
// call straight into its own buffer, two at once (see zst_frames.h).
constexpr compress::CompressOptions kFrameOptions{.contentChecksum = true, .contentSize = true};

// Every file is encrypted with the archive sub-passphrase (spec §7.2). `compress`: segments
// written through the chain are compressed by it; segmentBytes() compresses on its own.
void openWriter(Target& target, bool compress, const std::string& path, const storage::WriteOptions& writeOptions,
                const PushOptions& options) {
    target.chain = std::make_unique<io::FilterChain>();
    if (compress && options.compressType != compress::CompressType::None)
        target.chain->add(compress::makeCompressFilter(options.compressType, options.compressLevel, kFrameOptions));
    if (!target.cipherPass.empty())
        target.chain->add(crypto::makeCipherFilter(crypto::CipherMode::Encrypt, target.cipherPass));
    target.sink = target.repo->storage->openWrite(path, writeOptions);
    target.writer = target.chain->writer(*target.sink);
}

// The stored bytes of a segment held in memory, handed to `write` in order, and its SHA-1. Two
// threads share the work: the worker hashes the whole segment (the SHA-1 names the stored file, so
// it cannot wait) while this thread compresses pieces from the start and writes them;
// once hashed, the worker compresses pieces from the same queue. Taking pieces as they come keeps
// both threads busy however the scheduler treats them. Each lz4 or zst piece is a frame of its own:
// a stream of several frames is one content to every decoder, pgBackRest 2.45's included. gz, bz2
// and none stay one piece. (zstd's own worker threads were tried here before: they copy the input
// into their jobs and cost 10 ms of CPU more per segment than they saved.)
constexpr std::size_t kPieceSize = 2 * 1024 * 1024;
// zst pieces are smaller: archive-get decodes each one whole into a buffer of its size, two at
// once, and every page of those buffers is a page fault in that short process (1 MiB instead of
// 2 MiB: 1 ms less CPU per get, for a stored segment 0.2-1.3% larger).
constexpr std::size_t kZstPieceSize = 1024 * 1024;

// `worker` is the second thread (the caller's, so that it can be started early: see
// archivePushFile()); it is idle again when this returns or throws.
std::string segmentBytes(io::ByteView segment, const PushOptions& options,
                         const std::function<void(io::ByteView)>& write, SerialWorker& worker) {
    const compress::CompressType type = options.compressType;
    if (type == compress::CompressType::None) {
        crypto::Sha1Hasher hasher;
        std::string sha1;
        SerialWorker::TaskScope task(worker);
        const std::uint64_t ticket = task.ticket = worker.submit([&] {
            hasher.update(segment);
            sha1 = hasher.finalHex();
        });
        write(segment);
        worker.waitFor(ticket);
        return sha1;
    }

    const bool pieces = type == compress::CompressType::Lz4 || type == compress::CompressType::Zst;
    const std::size_t pieceSize = !pieces                           ? std::max<std::size_t>(segment.size(), 1)
                                  : type == compress::CompressType::Zst ? kZstPieceSize
                                                                        : kPieceSize;
    const std::size_t count = std::max<std::size_t>((segment.size() + pieceSize - 1) / pieceSize, 1);
    const auto piece = [&](std::size_t index) {
        return segment.subspan(index * pieceSize, std::min(pieceSize, segment.size() - index * pieceSize));
    };
    std::vector<compress::CompressedBytes> compressed(count);
    const auto done = std::make_unique<std::atomic<bool>[]>(count);  // compressed[i] is complete
    std::atomic<std::size_t> next{0};                                  // the next piece to take

    std::string sha1;
    SerialWorker::TaskScope task(worker);
    const std::uint64_t ticket = task.ticket = worker.submit([&] {
        crypto::Sha1Hasher hasher;
        hasher.update(segment);
        sha1 = hasher.finalHex();
        const auto compressor = compress::makeWholeCompressor(type, options.compressLevel, kFrameOptions);
        for (std::size_t index; (index = next.fetch_add(1)) < count;) {
            compressed[index] = compressor->compress(piece(index));
            done[index].store(true, std::memory_order_release);
        }
    });

    const auto compressor = compress::makeWholeCompressor(type, options.compressLevel, kFrameOptions);
    std::size_t written = 0;
    const auto writeDone = [&] {
        for (; written < count && done[written].load(std::memory_order_acquire); ++written) {
            write(compressed[written].view());
            compressed[written] = {};
        }
    };
    for (std::size_t index; (index = next.fetch_add(1)) < count;) {
        compressed[index] = compressor->compress(piece(index));
        done[index].store(true, std::memory_order_release);
        writeDone();
    }
    worker.waitFor(ticket);
    writeDone();
    return sha1;
}

// Hashes and compresses the segment into memory (segmentBytes()) with `worker` as the second
// thread. With a `digester`, the pieces are also handed in order to its thread for the
// digests an object store's upload needs, so that the upload does not wait for them after the
// last piece (on an lz4 segment of 7 MB that was about 18 ms, MD5 most of it). Maps the file
// itself: it runs beside prepare(), which reads the header.
Spool spoolSegment(const std::string& walPath, const PushOptions& options, SerialWorker& worker,
                   crypto::BackgroundContentDigester* digester) {
    const io::MappedFile file(walPath);
    Spool spool;
    // Room for the worst case up front (a segment that does not compress, plus the frames'
    // overhead): only the pages written cost anything, where doubling the string on the way
    // copied it three times and faulted in every size it grew through.
    spool.compressed.reserve(file.view().size() + file.view().size() / 64 + 64 * 1024);
    try {
        spool.sha1 = segmentBytes(file.view(), options, [&](io::ByteView bytes) {
            // The digester reads the pieces where they are in `compressed`: should it have to grow
            // after all, it may move only once the digester is done with them.
            if (digester && spool.compressed.size() + bytes.size() > spool.compressed.capacity()) digester->wait();
            const std::size_t at = spool.compressed.size();
            spool.compressed.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
            if (digester) digester->update(io::asBytes(std::string_view(spool.compressed).substr(at)));
        }, worker);
    } catch (...) {
        // The digester outlives this function: it must be done with `compressed` before it goes.
        if (digester) {
            try {
                digester->wait();
            } catch (...) {
                // The failure that brought us here is the one to report.
            }
        }
        throw;
    }
    if (digester) spool.digests = digester->finish();
    return spool;
}

void closeTarget(Target& target) {
    target.writer.reset();
    target.sink.reset();
    target.chain.reset();
}

}  // namespace

void archivePushFile(const std::string& walPath, std::span<Repo> repos, const PushOptions& options) {
    Source source = openSource(walPath);
    const bool segment = postgres::isWalSegmentName(source.name);

    std::optional<Error> firstError;
    std::vector<std::string> failed;
    const auto recordFailure = [&](const Target* target, Repo& repo, const Error& error) {
        if (target && target->writer) target->writer->abort();
        failed.push_back(fmt::format("{}: {}", repo.name(), error.message()));
        if (!firstError) firstError = error;
    };

    // A repository that cannot rename (an object store) needs the SHA-1 before the first byte is
    // written: it is part of the stored name. Instead of hashing the whole file first and then
    // compressing it, a segment of bounded size is hashed and compressed into memory on a second
    // thread while the repositories are asked about it (archive.info, an existing copy), so the
    // network round trips, the hash and the compression overlap. Nothing is written before every
    // check in prepare() has passed.
    bool spooling = false;
    bool digests = false;  // some object store takes the spooled bytes as they are (no encryption)
    if (segment) {
        for (const Repo& repo : repos) {
            const bool objectStore = !repo.storage->has(storage::Feature::Path);
            spooling = spooling || objectStore;
            digests = digests || (objectStore && repo.cipherPass.empty());
        }
    }
    if (spooling) {
        std::error_code sizeError;
        const std::uintmax_t size = std::filesystem::file_size(walPath, sizeError);
        spooling = !sizeError && size <= kSpoolMax;
    }
    // Every spool thread starts here, the digester's too, before prepare() opens the
    // repositories: the first S3 request loads libcurl (dlopen, several ms), and creating a
    // thread meanwhile waits for the loader's TLS lock. When the digester's thread was made by
    // the spool thread, the segment's hash (submitted after it) started about 8 ms late.
    // Declared before the future, so that they outlive its task; the digester is then used by the
    // spool thread alone.
    std::optional<SerialWorker> spoolWorker;
    std::optional<crypto::BackgroundContentDigester> digester;
    std::future<Spool> spoolFuture;
    if (spooling) {
        spoolWorker.emplace();
        if (digests) digester.emplace();
        spoolFuture = std::async(std::launch::async, spoolSegment, walPath, std::cref(options), std::ref(*spoolWorker),
                                 digester ? &*digester : nullptr);
    }

    std::vector<Target> targets;
    for (Repo& repo : repos) {
        try {
            targets.push_back(prepare(source, repo, options));
        } catch (const Error& error) {
            recordFailure(nullptr, repo, error);
        }
    }

    // The stored name holds the segment's SHA-1, known only after reading it all. Where a copy
    // exists already, or a repository cannot rename, hash first; otherwise hash, compress and write
    // in one pass (the hash on a second thread) into a temporary name, then rename.
    bool hashFirst = spooling;
    for (const Target& target : targets)
        hashFirst = hashFirst || target.existing || !target.repo->storage->has(storage::Feature::Path);
    std::optional<Spool> spool;
    if (spooling) spool = spoolFuture.get();  // a read failure is thrown here, as sha1OfFile's would be
    std::string sha1 = spool ? spool->sha1 : segment && hashFirst ? sha1OfFile(source) : std::string();
    // Otherwise the segment is mapped, hashed and compressed in memory (segmentBytes()).
    const bool mapped = segment && !hashFirst;

    std::vector<Target*> writing;
    for (Target& target : targets) {
        try {
            if (segment && hashFirst && alreadyStored(target, source, sha1, options)) continue;
            std::string path;
            storage::WriteOptions writeOptions;
            if (!segment) {
                path = fmt::format("{}/{}", target.dir, source.name);
            } else if (hashFirst) {
                path = fmt::format("{}/{}", target.dir, storedSegmentName(source.name, sha1, options.compressType));
                // The size is known: an object store sends it in one request (before encryption,
                // which adds a few bytes the driver allows for).
                if (spool) writeOptions.sizeHint = spool->compressed.size();
                // Written as spooled when not encrypted: the spool's digests are those of the body.
                if (spool && target.cipherPass.empty()) {
                    writeOptions.digests = spool->digests;
                    writeOptions.writesStayValid = true;  // the spool outlives the commit below
                }
            } else {
                // Unique per process so that two pushes of one segment never share a temporary file.
                target.tempPath = fmt::format("{}/{}.{}{}", target.dir, source.name, getpid(), storage::kTempFileSuffix);
                writeOptions = {.atomic = false, .syncPath = false};
                path = target.tempPath;
            }
            openWriter(target, segment && !spool && !mapped, path, writeOptions, options);
            writing.push_back(&target);
        } catch (const Error& error) {
            recordFailure(&target, *target.repo, error);
        }
    }

    if (!writing.empty()) {
        const auto writeAll = [&](io::ByteView bytes) {
            for (Target* target : writing) {
                if (!target->writer) continue;
                try {
                    target->writer->write(bytes);
                    // While the next pieces are compressed, the device can take these bytes:
                    // commit()'s fsync then waits less (about 2.4 -> 0.7 ms for 1 MiB here).
                    if (mapped) target->sink->startWriteback();
                } catch (const Error& error) {
                    recordFailure(target, *target->repo, error);
                    closeTarget(*target);
                }
            }
        };
        if (spool) {
            writeAll({reinterpret_cast<const std::byte*>(spool->compressed.data()), spool->compressed.size()});
        } else if (mapped) {
            const io::MappedFile file(source.path);
            SerialWorker worker;
            sha1 = segmentBytes(file.view(), options, writeAll, worker);
        } else {
            std::vector<std::byte> buffer(io::kDefaultBufferSize);
            auto input = source.dir->openRead(source.name, {});
            for (std::size_t size; (size = input->read(buffer)) != 0;) writeAll({buffer.data(), size});
        }
        // Flush and fsync every file; a temporary file is durable but has no final name yet.
        std::vector<Target*> committed;
        for (Target* target : writing) {
            if (!target->writer) continue;
            try {
                target->writer->commit();
                committed.push_back(target);
            } catch (const Error& error) {
                recordFailure(nullptr, *target->repo, error);
                closeTarget(*target);
            }
        }

        for (Target* target : committed) {
            try {
                if (!target->tempPath.empty()) {
                    const std::string final = fmt::format(
                        "{}/{}", target->dir, storedSegmentName(source.name, sha1, options.compressType));
                    try {
                        target->repo->storage->move(target->tempPath, final);
                    } catch (...) {
                        target->repo->storage->remove(target->tempPath, {});
                        throw;
                    }
                    // move() made the rename durable (the directory fsync PostgreSQL's
                    // archive_command contract needs) where the storage has directories.
                }
                log::detail("pushed WAL file '{}' to the {} archive", source.name, target->repo->name());
            } catch (const Error& error) {
                recordFailure(nullptr, *target->repo, error);
            }
            closeTarget(*target);
        }
    }
    if (!firstError) return;
    if (failed.size() == 1 && repos.size() == 1) throw *firstError;
    Error all(firstError->code(), fmt::format("archive-push of '{}' failed for {} of {} repositories:\n{}", walPath,
                                              failed.size(), repos.size(), fmt::join(failed, "\n")));
    if (!firstError->hint().empty()) all.withHint(firstError->hint());
    throw all;
}

}  // namespace pgark::command::archive
