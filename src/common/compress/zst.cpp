// zst filters over the zstd streaming API: frames without checksum or content size, as pgBackRest
// writes them (a content checksum on request, which pgBackRest reads as well). The decoder accepts
// concatenated frames. zstd buffers internally, so both directions write straight into the
// caller's buffer however small it is. The whole compressor may also record each frame's content
// size (CompressOptions::contentSize), for archive-get's whole-frame decode (zst_frames.h).
#include <zstd.h>
#include <zstd_errors.h>

#include <algorithm>
#include <cstring>

#include "common/compress/compress_filters.h"
#include "common/error.h"

namespace pgark::compress::detail {
namespace {

constexpr std::string_view kCodec = "zst";

class ZstCompress final : public io::Filter {
public:
    ZstCompress(int level, const CompressOptions& options) : level_(level) {
        ctx_ = ZSTD_createCCtx();
        if (ctx_ == nullptr) throwCompress(kCodec, "unable to create context");
        check(ZSTD_CCtx_setParameter(ctx_, ZSTD_c_compressionLevel, level));
        check(ZSTD_CCtx_setParameter(ctx_, ZSTD_c_checksumFlag, options.contentChecksum ? 1 : 0));
        // A stream that ends on its first call would otherwise record its size in the header.
        check(ZSTD_CCtx_setParameter(ctx_, ZSTD_c_contentSizeFlag, 0));
    }
    ~ZstCompress() override { ZSTD_freeCCtx(ctx_); }
    ZstCompress(const ZstCompress&) = delete;
    ZstCompress& operator=(const ZstCompress&) = delete;

    io::FilterType type() const noexcept override { return io::FilterType::ZstCompress; }
    io::FilterSpec spec() const override { return levelSpec(type(), level_); }
    bool flushed() const noexcept override { return done_; }

    std::size_t process(io::ByteView in, io::Buffer& out) override {
        if (done_ || out.full()) return 0;
        ZSTD_inBuffer input{in.data(), in.size(), 0};
        ZSTD_outBuffer output{out.tail().data(), out.remaining(), 0};
        const std::size_t left =
            check(ZSTD_compressStream2(ctx_, &output, &input, in.empty() ? ZSTD_e_end : ZSTD_e_continue));
        out.grow(output.pos);
        if (in.empty() && left == 0) done_ = true;
        return input.pos;
    }

private:
    std::size_t check(std::size_t result) const {
        if (ZSTD_isError(result)) throwCompress(kCodec, ZSTD_getErrorName(result));
        return result;
    }

    ZSTD_CCtx* ctx_ = nullptr;
    int level_;
    bool done_ = false;
};

class ZstDecompress final : public io::Filter {
public:
    ZstDecompress() {
        ctx_ = ZSTD_createDCtx();
        if (ctx_ == nullptr) throwCorrupt(kCodec, "unable to create context");
    }
    ~ZstDecompress() override { ZSTD_freeDCtx(ctx_); }
    ZstDecompress(const ZstDecompress&) = delete;
    ZstDecompress& operator=(const ZstDecompress&) = delete;

    io::FilterType type() const noexcept override { return io::FilterType::ZstDecompress; }
    io::FilterSpec spec() const override { return io::FilterSpec{type(), {}}; }
    bool flushed() const noexcept override { return ended_; }

    std::size_t process(io::ByteView in, io::Buffer& out) override {
        if (ended_ || out.full()) return 0;
        // End of input between frames is a clean end, provided there was at least one frame.
        if (in.empty() && !inFrame_) {
            if (frames_ == 0) throwTruncated(kCodec);
            ended_ = true;
            return 0;
        }

        ZSTD_inBuffer input{in.data(), in.size(), 0};
        ZSTD_outBuffer output{out.tail().data(), out.remaining(), 0};
        const std::size_t hint = ZSTD_decompressStream(ctx_, &output, &input);
        if (ZSTD_isError(hint)) throwCorrupt(kCodec, ZSTD_getErrorName(hint));
        out.grow(output.pos);
        // One call never reads past the end of a frame, so what it consumed belongs to one frame.
        noteFrameStart(in.first(input.pos));

        if (hint == 0) {  // a frame ended and all its output was handed out
            inFrame_ = false;
            ++frames_;
            headerSeen_ = 0;
            if (in.empty()) ended_ = true;
        } else {
            inFrame_ = true;
            if (in.empty() && output.pos == 0) throwTruncated(kCodec);
        }
        return input.pos;
    }

    // zstd checks a frame's XXH64 at its end when the frame has one: then every byte is verified.
    bool contentChecksummed() const noexcept override {
        return anyFrame_ && !uncheckedFrame_ && (!inFrame_ || headerSeen_ == kHeaderBytes);
    }

private:
    static constexpr std::size_t kHeaderBytes = 5;  // magic and frame header descriptor

    // Collects the first bytes of each frame to learn whether it carries a content checksum.
    void noteFrameStart(io::ByteView consumed) {
        if (headerSeen_ == kHeaderBytes) return;
        const std::size_t n = std::min(consumed.size(), kHeaderBytes - headerSeen_);
        if (n != 0) std::memcpy(header_ + headerSeen_, consumed.data(), n);  // data() may be null when empty
        headerSeen_ += n;
        if (headerSeen_ < kHeaderBytes) return;
        std::uint32_t magic;
        std::memcpy(&magic, header_, 4);  // little-endian, as the format
        if (magic == ZSTD_MAGICNUMBER) {
            anyFrame_ = true;
            if ((static_cast<unsigned>(header_[4]) & 0x04) == 0) uncheckedFrame_ = true;  // Content_Checksum_flag
        } else if ((magic & ZSTD_MAGIC_SKIPPABLE_MASK) != ZSTD_MAGIC_SKIPPABLE_START) {
            uncheckedFrame_ = true;  // a legacy frame: no checksum we know of
        }
    }

    ZSTD_DCtx* ctx_ = nullptr;
    std::byte header_[kHeaderBytes] = {};
    std::size_t headerSeen_ = 0;  // bytes of the current frame's start collected in header_
    bool anyFrame_ = false;       // a zstd frame (not a skippable one) has begun
    bool uncheckedFrame_ = false; // some frame has no content checksum
    bool inFrame_ = false;       // part of a frame has been read
    std::uint64_t frames_ = 0;   // frames decoded completely
    bool ended_ = false;         // end of input reached between frames
};

// The same frames as ZstCompress, each made by one call with the whole input and room for the
// worst case: zstd then compresses straight from the input into the result.
class ZstWholeCompressor final : public WholeCompressor {
public:
    ZstWholeCompressor(int level, const CompressOptions& options) : ctx_(ZSTD_createCCtx(), &ZSTD_freeCCtx) {
        if (!ctx_) throwCompress(kCodec, "unable to create context");
        check(ZSTD_CCtx_setParameter(ctx_.get(), ZSTD_c_compressionLevel, level));
        check(ZSTD_CCtx_setParameter(ctx_.get(), ZSTD_c_checksumFlag, options.contentChecksum ? 1 : 0));
        check(ZSTD_CCtx_setParameter(ctx_.get(), ZSTD_c_contentSizeFlag, options.contentSize ? 1 : 0));
    }

    CompressedBytes compress(io::ByteView in) override {
        CompressedBytes result;
        const std::size_t bound = ZSTD_compressBound(in.size());
        result.data = std::make_unique_for_overwrite<std::byte[]>(bound);
        // ZSTD_compress2 keeps the parameters set above and starts a new frame.
        result.size = check(ZSTD_compress2(ctx_.get(), result.data.get(), bound, in.data(), in.size()));
        return result;
    }

    std::optional<std::size_t> compressInto(io::ByteView in, io::MutableByteView out) override {
        const std::size_t written = ZSTD_compress2(ctx_.get(), out.data(), out.size(), in.data(), in.size());
        if (ZSTD_isError(written) && ZSTD_getErrorCode(written) == ZSTD_error_dstSize_tooSmall) return std::nullopt;
        return check(written);
    }

private:
    static std::size_t check(std::size_t result) {
        if (ZSTD_isError(result)) throwCompress(kCodec, ZSTD_getErrorName(result));
        return result;
    }

    std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)> ctx_;
};

}  // namespace

std::unique_ptr<io::Filter> makeZstCompress(int level, const CompressOptions& options) {
    return std::make_unique<ZstCompress>(level, options);
}
std::unique_ptr<io::Filter> makeZstDecompress() { return std::make_unique<ZstDecompress>(); }

std::unique_ptr<WholeCompressor> makeZstWholeCompressor(int level, const CompressOptions& options) {
    return std::make_unique<ZstWholeCompressor>(level, options);
}

}  // namespace pgark::compress::detail
