// pipeChunks: see chunk_pipeline.h.
#include "common/io/chunk_pipeline.h"

#include <optional>
#include <vector>

#include "common/crypto/hash.h"
#include "common/error.h"
#include "common/serial_worker.h"

namespace pgark::io {
namespace {

constexpr std::size_t kAlignment = 4096;  // O_DIRECT writes need page-aligned memory

// The chunks of this thread, kept between calls: restore workers pipe thousands of files, and
// fresh buffers would cost a page fault per page of every file.
class ChunkRing {
public:
    ChunkRing(std::size_t chunkSize, std::size_t count) {
        std::vector<Buffer>& spare = cache();
        while (!spare.empty() && chunks_.size() < count) {
            if (spare.back().capacity() >= chunkSize) chunks_.push_back(std::move(spare.back()));
            spare.pop_back();
        }
        while (chunks_.size() < count) chunks_.emplace_back(chunkSize, kAlignment);
        for (Buffer& chunk : chunks_) chunk.clear();
    }
    ~ChunkRing() {
        std::vector<Buffer>& spare = cache();
        for (Buffer& chunk : chunks_) spare.push_back(std::move(chunk));
    }
    ChunkRing(const ChunkRing&) = delete;
    ChunkRing& operator=(const ChunkRing&) = delete;
    Buffer& operator[](std::size_t i) noexcept { return chunks_[i]; }

private:
    static std::vector<Buffer>& cache() {
        thread_local std::vector<Buffer> spare;
        return spare;
    }
    std::vector<Buffer> chunks_;
};

void checkLimit(std::uint64_t size, const ChunkPipelineOptions& options) {
    if (options.limit && size > *options.limit)
        throwError(ErrorCode::Checksum, "restored data is longer than the expected {} bytes", *options.limit);
}

}  // namespace

ChunkPipelineResult pipeChunks(const std::function<bool(Buffer&)>& fill, WriteStream* sink,
                               const ChunkPipelineOptions& options) {
    if (options.chunks < 2 || options.chunkSize == 0 || options.chunkSize % kAlignment != 0)
        throwError(ErrorCode::Assert, "chunk pipeline needs 2 or more chunks of a multiple of {} bytes", kAlignment);
    ChunkRing chunks(options.chunkSize, options.chunks);
    crypto::Sha1Hasher hasher;
    ChunkPipelineResult result;

    // A stream that fits in one chunk: no thread is worth starting.
    const bool any = fill(chunks[0]);
    if (!any || !fill(chunks[1])) {
        result.size = chunks[0].size();
        checkLimit(result.size, options);
        hasher.update(chunks[0].view());
        if (sink != nullptr && !chunks[0].empty()) sink->write(chunks[0].view());
        result.sha1 = hasher.finalHex();
        return result;
    }

    std::vector<std::uint64_t> hashed(options.chunks, 0);   // SerialWorker tickets of each chunk's last use
    std::vector<std::uint64_t> written(options.chunks, 0);
    {
        // Declared after what their tasks use, so they stop before those are destroyed.
        SerialWorker hashWorker;
        std::optional<SerialWorker> writeWorker;
        if (sink != nullptr) writeWorker.emplace();
        for (std::size_t n = 0, round = 0;; n = (n + 1) % options.chunks, round++) {
            Buffer& chunk = chunks[n];
            if (round >= 2) {  // chunks 0 and 1 were filled above
                hashWorker.waitFor(hashed[n]);
                if (writeWorker) writeWorker->waitFor(written[n]);
                chunk.clear();
                if (!fill(chunk)) break;
            }
            const ByteView bytes = chunk.view();
            result.size += bytes.size();
            checkLimit(result.size, options);
            hashed[n] = hashWorker.submit([&hasher, bytes] { hasher.update(bytes); });
            if (writeWorker)
                written[n] = writeWorker->submit([sink, bytes, writeback = options.writeback] {
                    sink->write(bytes);
                    if (writeback) sink->startWriteback();
                });
        }
        hashWorker.finish();
        if (writeWorker) writeWorker->finish();
    }
    result.sha1 = hasher.finalHex();
    return result;
}

}  // namespace pgark::io
