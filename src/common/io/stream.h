// ReadStream / WriteStream: the byte-stream seams every storage driver and filter chain speaks.
// A ReadStream is pulled until read() returns 0. A WriteStream is pushed and ended by exactly one
// of commit() (durable and visible) or abort() (discarded, nothing visible); a WriteStream
// destroyed without either aborts. Streams are single-threaded and owned by the caller.
#pragma once

#include <cstddef>
#include <string>

#include "common/io/buffer.h"

namespace pgark::io {

class ReadStream {
public:
    virtual ~ReadStream() = default;
    // Fills a prefix of `out`; returns the number of bytes read, 0 only at end of stream.
    // Throws Error on failure (including truncated or corrupt input detected by a filter).
    virtual std::size_t read(MutableByteView out) = 0;
};

class WriteStream {
public:
    virtual ~WriteStream() = default;
    // Writes all of `data` or throws Error.
    virtual void write(ByteView data) = 0;
    // Makes what was written durable and visible (flush filters, fsync, rename); throws on failure,
    // in which case nothing is visible. Called at most once.
    virtual void commit() = 0;
    // Discards what was written; never throws. Safe to call after a failed commit().
    virtual void abort() noexcept = 0;
    // A hint that more writes will take a while: the bytes written so far may be sent on to the
    // device now, so that commit()'s sync has less left to wait for. Durability still comes only
    // from commit(). Throws as write() does. Default: nothing.
    virtual void startWriteback() {}
};

// Reads `source` to its end into a string. For small payloads only (info files, manifests).
std::string readAll(ReadStream& source);
// Copies `source` to `sink` through a bounded buffer of `bufferSize` bytes; returns bytes copied.
// Does not commit `sink`.
std::size_t copyStream(ReadStream& source, WriteStream& sink, std::size_t bufferSize = kDefaultBufferSize);

}  // namespace pgark::io
