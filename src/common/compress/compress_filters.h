// Private to src/common/compress: constructors of the per-codec filters behind makeCompressFilter()
// and makeDecompressFilter(), plus the error helpers they share. Callers outside this folder use
// compress.h. Levels are validated by the factories before these run. Filters are single-threaded.
#pragma once

#include <memory>
#include <string_view>

#include "common/compress/compress.h"
#include "common/io/filter.h"

namespace pgark::compress::detail {

std::unique_ptr<io::Filter> makeGzCompress(int level);
std::unique_ptr<io::Filter> makeGzDecompress();
std::unique_ptr<io::Filter> makeBz2Compress(int level);
std::unique_ptr<io::Filter> makeBz2Decompress();
std::unique_ptr<io::Filter> makeLz4Compress(int level);
std::unique_ptr<io::Filter> makeLz4Decompress();
std::unique_ptr<io::Filter> makeZstCompress(int level, const CompressOptions& options = {});
std::unique_ptr<io::Filter> makeZstDecompress();
std::unique_ptr<WholeCompressor> makeZstWholeCompressor(int level, const CompressOptions& options);

// Error(Decompress) "unexpected end of compressed data (<codec>)": the stream stopped mid-way.
[[noreturn]] void throwTruncated(std::string_view codec);
// Error(Decompress) "invalid <codec> compressed data: <detail>": the library rejected the bytes.
[[noreturn]] void throwCorrupt(std::string_view codec, std::string_view detail);
// Error(Decompress) "unexpected data after end of <codec> compressed stream".
[[noreturn]] void throwTrailing(std::string_view codec);
// Error(Compress) "unable to compress with <codec>: <detail>" (out of memory, library misuse).
[[noreturn]] void throwCompress(std::string_view codec, std::string_view detail);

// The "level" param every compressor reports in spec().
io::FilterSpec levelSpec(io::FilterType type, int level);

}  // namespace pgark::compress::detail
