// backupFile: see file_job.h.
//
// The data path: the PostgreSQL file is read into one buffer and pushed through a FilterChain
// writer. The observers of the original bytes (sha1, size, page checksums) look at that buffer in
// place; compression and encryption each own one output buffer; the observers of the stored bytes
// look at the last one, which goes straight to the repository stream. So every byte is read once and
// memory is bounded by (transformers + 2) buffers whatever the file size.
#include "command/backup/file_job.h"

#include <algorithm>
#include <bit>
#include <vector>

#include <fmt/format.h>

#include "common/compress/chunked.h"
#include "common/crypto/cipher.h"
#include "common/crypto/hash.h"
#include "common/error.h"
#include "common/io/filter.h"
#include "postgres/page_checksum.h"

namespace pgark::command::backup {

namespace {

// sha1 of no bytes: what the manifest implies for an empty file.
constexpr std::string_view kEmptySha1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709";

// Buffers for a file of `expected` bytes: most relation files are small (8-64 KiB), and a chain
// allocates a buffer per transformer per file, so sizing them to the file instead of always 1 MiB
// saves allocating and zeroing megabytes for every small file. A file that turns out bigger (read
// without a limit) still streams correctly, only in more steps.
std::size_t bufferSizeFor(std::optional<std::uint64_t> expected) {
    constexpr std::size_t kMin = 16 * 1024;
    if (!expected || *expected >= io::kDefaultBufferSize) return io::kDefaultBufferSize;
    // Room for the whole file plus compression/encryption framing, in one step.
    const auto wanted = static_cast<std::size_t>(*expected) + 4096;
    return std::clamp(std::bit_ceil(wanted), kMin, io::kDefaultBufferSize);
}

// Hands the chain's output to an open bundle without ending it: the bundle outlives this file.
class BundleSegmentSink final : public io::WriteStream {
public:
    explicit BundleSegmentSink(io::WriteStream& bundle) : bundle_(bundle) {}
    void write(io::ByteView data) override { bundle_.write(data); }
    void commit() override {}
    void abort() noexcept override {}

private:
    io::WriteStream& bundle_;
};

// Reads until `out` is full or the stream ends; returns the bytes read.
std::size_t readFull(io::ReadStream& stream, io::MutableByteView out) {
    std::size_t got = 0;
    while (got < out.size()) {
        const std::size_t n = stream.read(out.subspan(got));
        if (n == 0) break;
        got += n;
    }
    return got;
}

struct Hashed {
    std::uint64_t size = 0;
    std::string sha1;
};

// sha1 and size of the first `limit` bytes of a PostgreSQL file; nullopt if it is missing.
std::optional<Hashed> hashPgFile(storage::Storage& pg, const BackupFileRequest& request) {
    auto stream = pg.openRead(request.pgPath, {.ignoreMissing = request.ignoreMissing, .limit = request.sizeLimit});
    if (!stream) return std::nullopt;
    crypto::Sha1Hasher hasher;
    std::vector<std::byte> buffer(bufferSizeFor(request.sizeLimit));
    Hashed result;
    for (std::size_t n; (n = stream->read(buffer)) != 0;) {
        hasher.update({buffer.data(), n});
        result.size += n;
    }
    result.sha1 = hasher.finalHex();
    return result;
}

// Delta: is the file still what the prior backup holds? A stat first, so a file whose size moved
// is not read twice.
std::optional<BackupFileResult> checkUnchanged(storage::Storage& pg, const BackupFileRequest& request) {
    const PriorFile& prior = *request.delta;
    const auto info = pg.info(request.pgPath, storage::InfoLevel::Basic);
    // Missing and not allowed to be: the copy below opens it and throws the driver's error.
    if (!info) {
        if (!request.ignoreMissing) return std::nullopt;
        return BackupFileResult{.result = BackupCopyResult::Missing};
    }
    const std::uint64_t readable = std::min(info->size, request.sizeLimit.value_or(info->size));
    if (readable != prior.size) return std::nullopt;

    const auto hashed = hashPgFile(pg, request);
    if (!hashed) return BackupFileResult{.result = BackupCopyResult::Missing};
    if (hashed->size != prior.size || hashed->sha1 != prior.sha1) return std::nullopt;
    return BackupFileResult{.result = BackupCopyResult::Unchanged, .size = hashed->size, .sha1 = hashed->sha1};
}

// Resume: is the repository file an interrupted run left still exactly what its manifest said?
// The stored bytes are hashed as they are (no decryption or decompression needed: `rck`, or the
// checksum itself for a plain file, is the sha1 of the stored bytes).
bool repoFileIntact(storage::Storage& repo, const BackupFileRequest& request) {
    const PriorFile& expected = *request.resume;
    auto stream = repo.openRead(request.repoPath, {.ignoreMissing = true});
    if (!stream) return false;
    crypto::Sha1Hasher hasher;
    std::vector<std::byte> buffer(bufferSizeFor(expected.size));
    std::uint64_t size = 0;
    for (std::size_t n; (n = stream->read(buffer)) != 0;) {
        hasher.update({buffer.data(), n});
        size += n;
        if (size > expected.size) return false;
    }
    return size == expected.size && hasher.finalHex() == expected.sha1;
}

// The page re-read for the checksum filter: the same file, opened again at the page.
io::PageReRead pageReReader(storage::Storage& pg, const std::string& pgPath) {
    return [&pg, &pgPath](std::uint64_t offset, io::MutableByteView out) -> std::size_t {
        auto stream = pg.openRead(pgPath, {.ignoreMissing = true, .offset = offset, .limit = out.size()});
        if (!stream) return 0;
        return readFull(*stream, out);
    };
}

}  // namespace

std::string backupFileRepoPath(std::string_view stanza, std::string_view label, std::string_view manifestName,
                               compress::CompressType compressType) {
    return fmt::format("backup/{}/{}/{}{}", stanza, label, manifestName, compress::compressExtension(compressType));
}

std::string backupBundleRepoPath(std::string_view stanza, std::string_view label, std::uint64_t bundleId) {
    return fmt::format("backup/{}/{}/bundle/{}", stanza, label, bundleId);
}

std::uint32_t relationSegmentNo(std::string_view pgPath) noexcept {
    const auto block = postgres::pageBlockNo(pgPath, 0);
    return block ? *block / postgres::kRelSegmentPages : 0;
}

std::string_view backupCopyResultName(BackupCopyResult result) noexcept {
    switch (result) {
    case BackupCopyResult::Copied:
        return "copied";
    case BackupCopyResult::Unchanged:
        return "unchanged";
    case BackupCopyResult::Missing:
        return "missing";
    case BackupCopyResult::Resumed:
        return "resumed";
    }
    return "unknown";
}

BackupFileResult backupFile(storage::Storage& pg, storage::Storage& repo, const BackupFileRequest& request,
                            BundleSink* bundle) {
    if (request.resume && bundle == nullptr && repoFileIntact(repo, request))
        return {.result = BackupCopyResult::Resumed};
    if (request.delta) {
        if (auto unchanged = checkUnchanged(pg, request)) return *unchanged;
    }

    auto source = pg.openRead(request.pgPath, {.ignoreMissing = request.ignoreMissing, .limit = request.sizeLimit});
    if (!source) return {.result = BackupCopyResult::Missing};

    const std::size_t bufferSize = bufferSizeFor(request.sizeLimit);
    std::vector<std::byte> buffer(bufferSize);
    std::size_t n = source->read(buffer);

    // An empty file has no segment in a bundle (spec §4.6): the manifest alone describes it.
    if (bundle != nullptr && n == 0) {
        BackupFileResult result{.result = BackupCopyResult::Copied, .sha1 = std::string(kEmptySha1)};
        if (request.checksumPage) result.pageChecksum = io::PageChecksumResult{};
        return result;
    }

    // Order matters: what precedes compression sees the original bytes, what follows encryption
    // sees the stored bytes (filter.h).
    const bool compressed = request.compressType != compress::CompressType::None;
    const bool encrypted = !request.cipherPass.empty();
    // A large file is compressed in frames (compress/chunked.h): on a pool of threads while this
    // one goes on reading, hashing and checking pages, or on this thread when its share of the
    // cores is one. Unencrypted, the frames are the stored bytes, and the chunked filter takes
    // both SHA-1s (of the file and of the stored bytes) together, which costs less CPU than two
    // separate hashes.
    const bool chunked = compressed && request.sizeLimit && compress::chunkedCompressPays(request.compressType, *request.sizeLimit);
    const auto digests = chunked && !encrypted ? std::make_shared<compress::ChunkedDigests>() : nullptr;

    io::FilterChain chain;
    if (!digests) chain.add(crypto::makeSha1Filter());
    chain.add(crypto::makeSizeFilter());
    io::PageChecksumFilter* pageFilter = nullptr;
    if (request.checksumPage) {
        io::PageChecksumOptions options{.segmentNo = relationSegmentNo(request.pgPath), .lsnLimit = request.lsnLimit};
        if (request.pageReRead) options.reRead = pageReReader(pg, request.pgPath);
        auto filter = io::makePageChecksumFilter(std::move(options));
        pageFilter = filter.get();
        chain.add(std::move(filter));
    }
    if (chunked) {
        // compressThreads 1: compressed on this thread (no pool).
        const unsigned threads = request.compressThreads > 1 ? request.compressThreads : 0;
        chain.add(compress::makeChunkedCompressFilter(request.compressType, request.compressLevel,
                                                      {.threads = threads, .digests = digests}));
    } else if (compressed) {
        chain.add(compress::makeCompressFilter(request.compressType, request.compressLevel));
    }
    if (encrypted) chain.add(crypto::makeCipherFilter(crypto::CipherMode::Encrypt, request.cipherPass));
    if ((compressed || encrypted) && !digests) chain.add(crypto::makeSha1Filter());
    if (compressed || encrypted) chain.add(crypto::makeSizeFilter());

    std::unique_ptr<io::WriteStream> sink;
    if (bundle != nullptr)
        sink = std::make_unique<BundleSegmentSink>(bundle->stream);
    else
        sink = repo.openWrite(request.repoPath, {.syncPath = request.repoSyncPath});

    // The chain writer aborts the repository file if anything below throws (its destructor), so a
    // failed copy leaves nothing at repoPath.
    auto writer = chain.writer(*sink, bufferSize);
    while (n != 0) {
        writer->write({buffer.data(), n});
        n = source->read(buffer);
    }
    writer->commit();

    BackupFileResult result;
    result.result = BackupCopyResult::Copied;
    result.sha1 = digests ? digests->inSha1 : chain.result<std::string>(io::FilterType::Sha1, 0);
    result.size = chain.result<std::uint64_t>(io::FilterType::Size, 0);
    if (compressed || encrypted) {
        result.rck = digests ? digests->outSha1 : chain.result<std::string>(io::FilterType::Sha1, 1);
        result.sizeRepo = chain.result<std::uint64_t>(io::FilterType::Size, 1);
    } else {
        result.sizeRepo = result.size;
    }
    if (pageFilter != nullptr) result.pageChecksum = pageFilter->pageResult();
    if (bundle != nullptr) {
        result.bundleOffset = bundle->offset;
        bundle->offset += result.sizeRepo;
    }
    return result;
}

}  // namespace pgark::command::backup
