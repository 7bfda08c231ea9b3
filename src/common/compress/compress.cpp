// Compression type names, extensions, level ranges and the filter factories.
#include "common/compress/compress.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <string>

#include "common/compress/compress_filters.h"
#include "common/error.h"

namespace pgark::compress {
namespace {

struct TypeInfo {
    CompressType type;
    std::string_view name;
    std::string_view extension;
    LevelRange levels;
};

// One row per type, in the order pgBackRest lists them. None has no levels: {0, 0, 0}.
constexpr std::array<TypeInfo, 5> kTypes{{
    {CompressType::None, "none", "", {0, 0, 0}},
    {CompressType::Gz, "gz", ".gz", {-1, 9, 6}},
    {CompressType::Bz2, "bz2", ".bz2", {1, 9, 9}},
    {CompressType::Lz4, "lz4", ".lz4", {-5, 12, 1}},
    {CompressType::Zst, "zst", ".zst", {-7, 22, 3}},
}};

const TypeInfo& info(CompressType type) noexcept {
    for (const TypeInfo& row : kTypes)
        if (row.type == type) return row;
    return kTypes[0];
}

}  // namespace

std::optional<CompressType> compressTypeFromName(std::string_view name) noexcept {
    for (const TypeInfo& row : kTypes)
        if (row.name == name) return row.type;
    return std::nullopt;
}

std::string_view compressTypeName(CompressType type) noexcept { return info(type).name; }

std::string_view compressExtension(CompressType type) noexcept { return info(type).extension; }

CompressType compressTypeFromFileName(std::string_view fileName) noexcept {
    for (const TypeInfo& row : kTypes)
        if (!row.extension.empty() && fileName.ends_with(row.extension)) return row.type;
    return CompressType::None;
}

LevelRange compressLevelRange(CompressType type) noexcept { return info(type).levels; }

std::unique_ptr<io::Filter> makeCompressFilter(CompressType type, int level, const CompressOptions& options) {
    if (type == CompressType::None) throwError(ErrorCode::Assert, "no compress filter for compress type 'none'");
    const LevelRange range = compressLevelRange(type);
    if (level < range.min || level > range.max) {
        throw Error(ErrorCode::OptionInvalidRange,
                    fmt::format("compress level {} is out of range for compress type '{}'", level,
                                compressTypeName(type)))
            .withHint(fmt::format("use a level from {} to {}", range.min, range.max));
    }
    switch (type) {
    case CompressType::Gz:
        return detail::makeGzCompress(level);
    case CompressType::Bz2:
        return detail::makeBz2Compress(level);
    case CompressType::Lz4:
        return detail::makeLz4Compress(level);
    case CompressType::Zst:
        return detail::makeZstCompress(level, options);
    case CompressType::None:
        break;
    }
    throwError(ErrorCode::Assert, "unknown compress type {}", static_cast<int>(type));
}

namespace {

// The codecs other than zst through a fresh filter per input, collected into one allocation.
class FilterWholeCompressor final : public WholeCompressor {
public:
    FilterWholeCompressor(CompressType type, int level, const CompressOptions& options)
        : type_(type), level_(level), options_(options) {}

    CompressedBytes compress(io::ByteView in) override {
        const std::unique_ptr<io::Filter> filter = makeCompressFilter(type_, level_, options_);
        CompressedBytes result;
        std::size_t capacity = 0;
        for (bool ended = false; !ended;) {
            const std::size_t consumed = filter->process(in, out_);
            in = in.subspan(consumed);
            ended = in.empty() && filter->flushed();
            if (!out_.full() && !ended) continue;
            if (result.size + out_.size() > capacity) {
                capacity = std::max(capacity * 2, result.size + out_.size());
                auto grown = std::make_unique_for_overwrite<std::byte[]>(capacity);
                if (result.size != 0) std::memcpy(grown.get(), result.data.get(), result.size);
                result.data = std::move(grown);
            }
            if (!out_.empty()) std::memcpy(result.data.get() + result.size, out_.view().data(), out_.size());
            result.size += out_.size();
            out_.clear();
        }
        return result;
    }

private:
    CompressType type_;
    int level_;
    CompressOptions options_;
    io::Buffer out_;  // reused between inputs
};

}  // namespace

std::optional<std::size_t> WholeCompressor::compressInto(io::ByteView in, io::MutableByteView out) {
    const CompressedBytes compressed = compress(in);
    if (compressed.size > out.size()) return std::nullopt;
    if (compressed.size != 0) std::memcpy(out.data(), compressed.data.get(), compressed.size);
    return compressed.size;
}

std::unique_ptr<WholeCompressor> makeWholeCompressor(CompressType type, int level, const CompressOptions& options) {
    makeCompressFilter(type, level, options);  // validates type and level, with its errors
    if (type == CompressType::Zst) return detail::makeZstWholeCompressor(level, options);
    return std::make_unique<FilterWholeCompressor>(type, level, options);
}

std::unique_ptr<io::Filter> makeDecompressFilter(CompressType type) {
    switch (type) {
    case CompressType::Gz:
        return detail::makeGzDecompress();
    case CompressType::Bz2:
        return detail::makeBz2Decompress();
    case CompressType::Lz4:
        return detail::makeLz4Decompress();
    case CompressType::Zst:
        return detail::makeZstDecompress();
    case CompressType::None:
        throwError(ErrorCode::Assert, "no decompress filter for compress type 'none'");
    }
    throwError(ErrorCode::Assert, "unknown compress type {}", static_cast<int>(type));
}

namespace detail {

void throwTruncated(std::string_view codec) {
    throwError(ErrorCode::Decompress, "unexpected end of compressed data ({})", codec);
}

void throwCorrupt(std::string_view codec, std::string_view detail) {
    throwError(ErrorCode::Decompress, "invalid {} compressed data: {}", codec, detail);
}

void throwTrailing(std::string_view codec) {
    throwError(ErrorCode::Decompress, "unexpected data after end of {} compressed stream", codec);
}

void throwCompress(std::string_view codec, std::string_view detail) {
    throwError(ErrorCode::Compress, "unable to compress with {}: {}", codec, detail);
}

io::FilterSpec levelSpec(io::FilterType type, int level) {
    return io::FilterSpec{type, {{"level", std::to_string(level)}}};
}

}  // namespace detail
}  // namespace pgark::compress
