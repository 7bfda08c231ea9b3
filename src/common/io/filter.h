// Filter and FilterChain: IO as a stack of filters over bounded buffers (pgBackRest's model).
// A filter either transforms bytes (compress, decompress, encrypt, decrypt) or only observes them
// (size, SHA-1, page checksums); observers never copy. Results are fetched by filter type after
// the stream ended. A FilterSpec describes a filter as data so a worker process can rebuild it.
// Filters and chains are single-threaded and owned by their creator.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "common/io/buffer.h"
#include "common/io/stream.h"

namespace pgark::io {

enum class FilterType : std::uint8_t {
    Size,           // result: std::uint64_t bytes seen
    Sha1,           // result: std::string, 40 lowercase hex
    GzCompress,
    GzDecompress,
    Bz2Compress,
    Bz2Decompress,
    Lz4Compress,
    Lz4Decompress,
    ZstCompress,
    ZstDecompress,
    CipherEncrypt,  // aes-256-cbc, OpenSSL "Salted__" format
    CipherDecrypt,
    PageChecksum,   // later: PostgreSQL data page verification while copying
};

std::string_view filterTypeName(FilterType type) noexcept;

// What a filter reports after end of input: nothing, a count or a text (hex digest, JSON).
using FilterResult = std::variant<std::monostate, std::uint64_t, std::string>;

// A filter described as data, to rebuild it elsewhere (a worker process). Params are filter
// specific ("level", "pass"); a spec may hold a secret and must never be logged.
struct FilterSpec {
    FilterType type;
    std::map<std::string, std::string> params;
};

class Filter {
public:
    virtual ~Filter() = default;
    virtual FilterType type() const noexcept = 0;

    // Transformers: consume a prefix of `in` and append output to `out` without growing `out`
    // past its capacity; return the number of bytes consumed. Each call must make progress
    // (consume or produce something) unless `out` is full. An empty `in` means end of input:
    // the caller keeps calling with an empty `in` (draining `out` between calls) until flushed().
    // Throws Error on corrupt, truncated or wrongly keyed input.
    virtual std::size_t process(ByteView in, Buffer& out);
    virtual bool flushed() const noexcept { return true; }

    // Observers see the bytes without changing them; the chain calls observe() instead of
    // process() and never copies for them. observe({}) once signals end of input.
    virtual bool observer() const noexcept { return false; }
    virtual void observe(ByteView /*data*/) {}

    // Decompressors: true when every byte produced so far belongs to a frame carrying a checksum
    // of its content that the filter checks at the frame's end (throwing if it does not match), so
    // a stream that ended without error was verified byte for byte. archive-get relies on it.
    virtual bool contentChecksummed() const noexcept { return false; }

    virtual FilterResult result() const { return {}; }
    virtual FilterSpec spec() const = 0;
};

// Builds any filter from its spec; throws Error(Assert) for an unknown type or bad params.
std::unique_ptr<Filter> makeFilter(const FilterSpec& spec);

// An ordered stack of filters applied to a stream. Filters run in the order added: for a
// backup, sha1+size of the original, then compress, encrypt, then sha1+size of the stored bytes.
class FilterChain {
public:
    FilterChain() = default;
    FilterChain(FilterChain&&) noexcept = default;
    FilterChain& operator=(FilterChain&&) noexcept = default;

    FilterChain& add(std::unique_ptr<Filter> filter);
    bool empty() const noexcept { return filters_.empty(); }

    // A stream that runs the filters as bytes are pulled from `source`. `source` and *this
    // must outlive the returned stream.
    std::unique_ptr<ReadStream> reader(ReadStream& source, std::size_t bufferSize = kDefaultBufferSize);
    // A stream that runs the filters as bytes are pushed, then writes to `sink`; its commit()
    // flushes the filters and commits `sink`, its abort() aborts `sink`. `sink` and *this must
    // outlive the returned stream.
    std::unique_ptr<WriteStream> writer(WriteStream& sink, std::size_t bufferSize = kDefaultBufferSize);

    // The result of the nth filter of `type` (0 = first); throws Error(Assert) if there is none
    // or it holds another alternative.
    template <class T>
    T result(FilterType type, unsigned nth = 0) const {
        const FilterResult found = findResult(type, nth);
        if (const T* value = std::get_if<T>(&found)) return *value;
        throwWrongResultType(type);
    }
    std::vector<FilterSpec> specs() const;
    std::vector<std::unique_ptr<Filter>>& filters() noexcept { return filters_; }

private:
    FilterResult findResult(FilterType type, unsigned nth) const;
    [[noreturn]] static void throwWrongResultType(FilterType type);
    std::vector<std::unique_ptr<Filter>> filters_;
};

}  // namespace pgark::io
