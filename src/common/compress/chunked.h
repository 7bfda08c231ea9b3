// Chunked compression: one stream cut into chunks of a fixed size, each compressed as an
// independent frame on a small pool of threads, the frames written out in order. A backup worker
// uses it for large files so that one 1 GiB relation segment is not bound to one core: the
// caller's thread keeps reading, hashing and checking pages while the pool compresses.
//
// The output is a plain concatenation of complete frames, which every lz4 and zstd reader
// (pgBackRest 2.45's, the command-line tools, ours) decodes as one stream. Only codecs whose
// readers accept concatenated frames may be used this way: lz4 and zst, not gz or bz2.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "common/compress/compress.h"
#include "common/io/filter.h"

namespace pgark::compress {

// The SHA-1 of what went into the filter and of the frames that came out, when asked for
// (ChunkedCompressOptions::digests); set once the filter has flushed.
struct ChunkedDigests {
    std::string inSha1;
    std::string outSha1;
};

struct ChunkedCompressOptions {
    // Compressing threads. 0: no pool, each chunk is compressed on the caller's thread as soon as
    // it is full (a worker whose share of the cores is one: the frames, and their speed-ups
    // below, without threads that would only take turns on the cores).
    unsigned threads = 2;
    std::size_t chunkSize = 4 * 1024 * 1024;  // uncompressed bytes per frame (> 0)
    // Makes the single-frame compressor for one chunk; called on the pool's threads and once on
    // the caller's (for type() and spec()). Default: makeCompressFilter(type, level, codec). Tests
    // replace it to inject failures.
    std::function<std::unique_ptr<io::Filter>()> makeFrame;
    // Instead of makeFrame: one whole compressor per pool thread, kept for all its chunks, which
    // compresses a chunk in one call (compress.h). Default for zst when makeFrame is not given:
    // zstd then reads the chunk where it is, without copying it into its window buffer and
    // without the slower path it takes when that buffer wraps.
    std::function<std::unique_ptr<WholeCompressor>()> makeWhole;
    CompressOptions codec;
    // When set, the filter also takes the SHA-1 of its input and of its output, both streams
    // hashed together (crypto::Sha1Pair: about 1.7x the bytes per core of two separate hashes)
    // as each frame is handed out: a backup needs both (the file's checksum and, of the stored
    // bytes, its repository checksum).
    std::shared_ptr<ChunkedDigests> digests;
};

// Throws Error(OptionInvalidRange) for a bad level (on the caller's thread, before any thread
// starts) and Error(Assert) for a type other than Lz4 or Zst. The filter reports the type and
// spec of the codec's own compressor, so a worker that rebuilds it from its spec gets the
// single-threaded filter, whose output decodes the same. Not thread-safe itself: one owner.
// A failure on a pool thread is rethrown by process() when its chunk's turn comes; destroying
// the filter at any moment stops the pool after the chunks already being compressed.
std::unique_ptr<io::Filter> makeChunkedCompressFilter(CompressType type, int level, ChunkedCompressOptions options);

// Is a file of `size` bytes worth compressing in chunks (lz4 or zst, at least two chunks)? With a
// pool the chunks are compressed side by side; without one (threads 0) the hashes are still
// paired and zst still compresses each chunk in one call.
bool chunkedCompressPays(CompressType type, std::uint64_t size,
                         std::size_t chunkSize = ChunkedCompressOptions{}.chunkSize) noexcept;

}  // namespace pgark::compress
