// pipeChunks: moves a stream of bytes through a ring of reusable, page-aligned chunk buffers so
// that three stages of one file run at once: the caller's thread produces chunk n+1 (decompresses,
// reads) while one thread takes the SHA-1 and size of chunk n and another writes it. Restore uses
// it for each file it writes (and, without a sink, to hash a file --delta may keep). The chunks are
// allocated once per thread and reused, so a file costs no allocation and no page faults; a file
// that fits in one chunk is handled on the caller's thread alone, without starting any thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "common/io/buffer.h"
#include "common/io/stream.h"

namespace pgark::io {

struct ChunkPipelineOptions {
    std::size_t chunkSize = 1024 * 1024;  // bytes per chunk, a multiple of 4096 (O_DIRECT writes whole chunks)
    std::size_t chunks = 4;               // chunks in the ring: how far decoding may run ahead
    // After each chunk is written, ask the sink to send what it holds on to the device
    // (WriteStream::startWriteback), so that a buffered file's dirty pages go out while the next
    // chunks are decoded instead of all at the commit's fsync.
    bool writeback = false;
};

struct ChunkPipelineResult {
    std::uint64_t size = 0;  // bytes produced
    std::string sha1;        // of those bytes, 40 lowercase hex
};

// `fill` appends to the buffer until it is full or the stream ended, and returns false once it
// has ended and appended nothing (DecodedSource::fill). `sink` (may be null: only hash) is
// written in order from one other thread, never concurrently, and is neither committed nor
// aborted here. The first failure of any stage (fill, hash, write) is rethrown here once every
// thread has stopped; no stage touches a chunk after this returns or throws.
ChunkPipelineResult pipeChunks(const std::function<bool(Buffer&)>& fill, WriteStream* sink,
                               const ChunkPipelineOptions& options = {});

// One of the two streams of pipeChunkPair: `fill` and `sink` (may be null) as for pipeChunks.
struct ChunkStream {
    std::function<bool(Buffer&)> fill;
    WriteStream* sink = nullptr;
};

// Two streams at once (two files restored side by side by one worker): both are filled in step,
// stream 1 on a thread of its own, and their chunks are hashed together on one thread
// (crypto::Sha1Pair: SHA-1 takes a third of a restore's CPU, and two interleaved streams hash
// about 1.7x the bytes per core of one) and written on a thread per stream. A stream that ends
// first leaves the other going alone. Errors
// as for pipeChunks.
std::array<ChunkPipelineResult, 2> pipeChunkPair(const ChunkStream& first, const ChunkStream& second,
                                                 const ChunkPipelineOptions& options = {});

}  // namespace pgark::io
