// pipeChunks: see chunk_pipeline.h.
#include "common/io/chunk_pipeline.h"

#include <optional>
#include <vector>

#include "common/crypto/hash.h"
#include "common/crypto/sha1_pair.h"
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
            // Only chunks of the size asked for: a larger one would change how the stream is cut
            // (fill() fills a chunk to its capacity).
            if (spare.back().capacity() == chunkSize) chunks_.push_back(std::move(spare.back()));
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

void checkOptions(const ChunkPipelineOptions& options) {
    if (options.chunks < 2 || options.chunkSize == 0 || options.chunkSize % kAlignment != 0)
        throwError(ErrorCode::Assert, "chunk pipeline needs 2 or more chunks of a multiple of {} bytes", kAlignment);
}

}  // namespace

ChunkPipelineResult pipeChunks(const std::function<bool(Buffer&)>& fill, WriteStream* sink,
                               const ChunkPipelineOptions& options) {
    checkOptions(options);
    ChunkRing chunks(options.chunkSize, options.chunks);
    crypto::Sha1Hasher hasher;
    ChunkPipelineResult result;

    // A stream that fits in one chunk: no thread is worth starting.
    const bool any = fill(chunks[0]);
    if (!any || !fill(chunks[1])) {
        result.size = chunks[0].size();
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

std::array<ChunkPipelineResult, 2> pipeChunkPair(const ChunkStream& first, const ChunkStream& second,
                                                 const ChunkPipelineOptions& options) {
    checkOptions(options);
    const ChunkStream* streams[2] = {&first, &second};
    ChunkRing rings[2] = {ChunkRing(options.chunkSize, options.chunks), ChunkRing(options.chunkSize, options.chunks)};
    crypto::Sha1Pair hasher;
    std::array<ChunkPipelineResult, 2> result;

    std::vector<std::uint64_t> hashed(options.chunks, 0);  // SerialWorker tickets of each chunk's last use
    std::vector<std::uint64_t> written[2] = {std::vector<std::uint64_t>(options.chunks, 0),
                                             std::vector<std::uint64_t>(options.chunks, 0)};
    bool live[2] = {true, true};  // false once a stream's fill said it has ended
    bool filled[2] = {false, false};
    {
        // Declared after what their tasks use, so they stop before those are destroyed.
        SerialWorker secondFiller, hashWorker;
        SerialWorker writers[2];
        for (std::size_t n = 0;; n = (n + 1) % options.chunks) {
            hashWorker.waitFor(hashed[n]);
            for (int s = 0; s < 2; s++) {
                writers[s].waitFor(written[s][n]);
                rings[s][n].clear();
            }
            std::uint64_t secondFilled = 0;
            filled[1] = false;
            if (live[1]) secondFilled = secondFiller.submit([&, n] { filled[1] = second.fill(rings[1][n]); });
            filled[0] = live[0] && first.fill(rings[0][n]);
            secondFiller.waitFor(secondFilled);
            live[0] = filled[0];
            live[1] = filled[1];
            if (!live[0] && !live[1]) break;

            ByteView bytes[2];
            for (int s = 0; s < 2; s++) {
                if (!live[s]) continue;
                bytes[s] = rings[s][n].view();
                result[s].size += bytes[s].size();
                if (streams[s]->sink != nullptr)
                    written[s][n] = writers[s].submit([sink = streams[s]->sink, view = bytes[s],
                                                       writeback = options.writeback] {
                        sink->write(view);
                        if (writeback) sink->startWriteback();
                    });
            }
            hashed[n] = hashWorker.submit([&hasher, a = bytes[0], b = bytes[1]] { hasher.update(a, b); });
        }
        secondFiller.finish();
        hashWorker.finish();
        for (SerialWorker& writer : writers) writer.finish();
    }
    for (int s = 0; s < 2; s++) result[s].sha1 = hasher.finalHex(s);
    return result;
}

}  // namespace pgark::io
