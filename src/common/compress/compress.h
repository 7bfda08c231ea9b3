// Compression types as pgBackRest 2.45 names them, and factories for their filters.
// gz = one gzip member (zlib), bz2 = one bzip2 stream, lz4 = LZ4 frame with content checksum,
// zst = zstd frame. Decompressors reject truncated input and trailing garbage.
#pragma once

#include <memory>
#include <optional>
#include <string_view>

#include "common/io/filter.h"

namespace pgark::compress {

enum class CompressType { None, Gz, Bz2, Lz4, Zst };

struct LevelRange {
    int min;
    int max;
    int defaultLevel;
};

// "none", "gz", "bz2", "lz4", "zst" <-> type; nullopt for an unknown name.
std::optional<CompressType> compressTypeFromName(std::string_view name) noexcept;
std::string_view compressTypeName(CompressType type) noexcept;
// Repository file extension with the dot (".gz"), "" for None.
std::string_view compressExtension(CompressType type) noexcept;
// The type whose extension ends `fileName` (".lz4" -> Lz4), None when no known extension does.
CompressType compressTypeFromFileName(std::string_view fileName) noexcept;
// Level range and default per type (gz -1..9 default 6, bz2 1..9/9, lz4 -5..12/1, zst -7..22/3).
LevelRange compressLevelRange(CompressType type) noexcept;

// Extras for zst; the other types ignore them (lz4 frames always carry a content checksum).
struct CompressOptions {
    // Record an XXH64 of the content in each frame, which every zstd decoder checks. Off by
    // default: pgBackRest writes frames without it (and reads both).
    bool contentChecksum = false;
    // Record each frame's content size in its header (the zst whole compressor only: a stream
    // does not know its size). A reader can then decode the frame in one call straight into a
    // buffer of that size (see zst_frames.h). Off by default, as pgBackRest writes frames.
    bool contentSize = false;
};

// Throws Error(OptionInvalidRange) when `level` is out of range. Type None is an Assert error.
std::unique_ptr<io::Filter> makeCompressFilter(CompressType type, int level, const CompressOptions& options = {});
std::unique_ptr<io::Filter> makeDecompressFilter(CompressType type);

// Compressed bytes held in memory. The storage is not zeroed first: a zst bound of several MiB
// costs page faults only for the part that is written.
struct CompressedBytes {
    std::unique_ptr<std::byte[]> data;
    std::size_t size = 0;
    io::ByteView view() const noexcept { return {data.get(), size}; }
};

// Compresses inputs held in memory, each one as a complete stream (one frame, member or stream)
// as the filter of the type writes it (zst, which then knows the input's size, may choose a
// smaller window for an input smaller than the filter's window; the frame options are the same).
// zst compresses in one pass from the input to the
// result, without the copies through zstd's stream buffers, and reuses its context (and so its
// tables' memory) from one call to the next. One thread per compressor.
class WholeCompressor {
public:
    virtual ~WholeCompressor() = default;
    virtual CompressedBytes compress(io::ByteView in) = 0;
    // The same stream written into `out`: its size, or nullopt when it does not fit (then `out`
    // holds nothing useful). zst compresses straight into `out`; the others go through compress().
    virtual std::optional<std::size_t> compressInto(io::ByteView in, io::MutableByteView out);
};

// Same types and errors as makeCompressFilter.
std::unique_ptr<WholeCompressor> makeWholeCompressor(CompressType type, int level, const CompressOptions& options = {});

}  // namespace pgark::compress
