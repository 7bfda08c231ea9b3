// Test helpers for io::Filter: FilterDriver runs one filter over bytes exactly as the contract in
// common/io/filter.h allows (bounded output buffer of a chosen, possibly tiny, capacity; empty
// input = end) and throws std::logic_error when the filter breaks that contract. PatternSource
// makes reproducible, moderately compressible bytes of any length without holding them whole.
// Test-only; single-threaded; the driver borrows the filter, which must outlive it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/io/filter.h"

namespace pgark::test {

class FilterDriver {
public:
    using Sink = std::function<void(io::ByteView)>;

    // Output is handed to `sink` whenever the `outCapacity`-byte buffer fills, and at finish().
    FilterDriver(io::Filter& filter, std::size_t outCapacity, Sink sink);

    // Feeds `data` (observe() for observers, process() for transformers) until all is consumed.
    void write(io::ByteView data);
    // Signals end of input and calls process({}) until flushed(); then hands out the rest.
    void finish();

    std::uint64_t bytesIn() const noexcept { return bytesIn_; }
    std::uint64_t bytesOut() const noexcept { return bytesOut_; }
    std::uint64_t calls() const noexcept { return calls_; }  // process()/observe() calls so far

private:
    // One process() call with the contract checks; returns bytes consumed.
    std::size_t step(io::ByteView in);
    void drain();

    io::Filter& filter_;
    io::Buffer out_;
    Sink sink_;
    std::uint64_t bytesIn_ = 0;
    std::uint64_t bytesOut_ = 0;
    std::uint64_t calls_ = 0;
    bool finished_ = false;
};

struct RunOptions {
    std::size_t outCapacity = 64 * 1024;  // bytes of output room per process() call
    std::size_t inChunk = 0;              // feed the input in pieces of this many bytes; 0 = at once
};

// Runs `filter` over all of `input` and returns its whole output (small payloads only).
std::string runFilter(io::Filter& filter, io::ByteView input, const RunOptions& options = {});
std::string runFilter(io::Filter& filter, std::string_view input, const RunOptions& options = {});

// Reproducible pseudo-random bytes that compress about 2-4x (text-like literals mixed with
// back-references), generated 64 KiB at a time: the same seed gives the same stream however
// it is read.
class PatternSource {
public:
    explicit PatternSource(std::uint64_t seed);

    // Fills `out` with the next bytes of the stream.
    void read(io::MutableByteView out);
    std::string take(std::size_t size);  // the next `size` bytes as a string

private:
    void refill();
    std::uint64_t next() noexcept;

    std::uint64_t state_;
    std::vector<std::byte> block_;
    std::size_t pos_;
};

// Checks incoming bytes against a PatternSource with the same seed, chunk by chunk.
class PatternVerifier {
public:
    explicit PatternVerifier(std::uint64_t seed) : source_(seed) {}
    // Returns false (and remembers the offset) at the first byte that differs.
    bool check(io::ByteView data);
    bool ok() const noexcept { return ok_; }
    std::uint64_t size() const noexcept { return size_; }
    std::uint64_t firstMismatch() const noexcept { return mismatch_; }

private:
    PatternSource source_;
    std::vector<std::byte> expected_;
    std::uint64_t size_ = 0;
    std::uint64_t mismatch_ = 0;
    bool ok_ = true;
};

}  // namespace pgark::test
