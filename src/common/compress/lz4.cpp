// lz4 filters over the LZ4 frame API: 64 KiB linked blocks, content checksum on, no content size,
// as pgBackRest writes them. The decoder accepts concatenated frames.
//
// LZ4F_compressUpdate() only writes into a destination of at least LZ4F_compressBound() bytes
// (about 64 KiB more than the input), so the compressor compresses straight into the caller's
// buffer while it has that much room, and otherwise into a private stage that later calls drain.
// LZ4F_decompress() copes with any destination size itself.
#include <algorithm>
#include <vector>

#include <lz4frame.h>

#include "common/compress/compress_filters.h"
#include "common/error.h"

namespace pgark::compress::detail {
namespace {

constexpr std::string_view kCodec = "lz4";
constexpr std::size_t kBlockSize = 64 * 1024;  // bytes, matches LZ4F_max64KB

class Lz4Compress final : public io::Filter {
public:
    explicit Lz4Compress(int level) : level_(level) {
        prefs_.frameInfo.blockSizeID = LZ4F_max64KB;
        prefs_.frameInfo.blockMode = LZ4F_blockLinked;
        prefs_.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
        prefs_.frameInfo.frameType = LZ4F_frame;
        prefs_.compressionLevel = level;  // negative levels select fast acceleration
        if (LZ4F_isError(LZ4F_createCompressionContext(&ctx_, LZ4F_VERSION)))
            throwCompress(kCodec, "unable to create context");
        // The stage holds the output of one block-sized update, or of the frame header or end.
        stage_.resize(std::max<std::size_t>(LZ4F_compressBound(kBlockSize, &prefs_), LZ4F_HEADER_SIZE_MAX));
    }
    ~Lz4Compress() override { LZ4F_freeCompressionContext(ctx_); }
    Lz4Compress(const Lz4Compress&) = delete;
    Lz4Compress& operator=(const Lz4Compress&) = delete;

    io::FilterType type() const noexcept override { return io::FilterType::Lz4Compress; }
    io::FilterSpec spec() const override { return levelSpec(type(), level_); }
    bool flushed() const noexcept override { return ended_ && stagePos_ == stageEnd_; }

    std::size_t process(io::ByteView in, io::Buffer& out) override {
        if (!drainStage(out) || ended_ || out.full()) return 0;

        if (!begun_) {
            begun_ = true;
            run(out, LZ4F_HEADER_SIZE_MAX, [this](void* dst, std::size_t capacity) {
                return LZ4F_compressBegin(ctx_, dst, capacity, &prefs_);
            });
            if (stagePos_ != stageEnd_) return 0;  // the header is waiting for room
        }

        if (in.empty()) {
            ended_ = true;
            run(out, LZ4F_compressBound(0, &prefs_), [this](void* dst, std::size_t capacity) {
                return LZ4F_compressEnd(ctx_, dst, capacity, nullptr);
            });
            return 0;
        }

        // Largest whole-block input whose worst-case output fits the room left in `out`.
        const std::size_t room = out.remaining();
        std::size_t size = std::min(in.size(), room / kBlockSize * kBlockSize);
        while (size != 0 && LZ4F_compressBound(size, &prefs_) > room)
            size -= std::min(size, kBlockSize);
        if (size == 0) size = std::min(in.size(), kBlockSize);  // staged: one block at a time

        run(out, LZ4F_compressBound(size, &prefs_), [this, in, size](void* dst, std::size_t capacity) {
            return LZ4F_compressUpdate(ctx_, dst, capacity, in.data(), size, nullptr);
        });
        return size;
    }

private:
    // Copies staged bytes into `out`; true when the stage is empty afterwards.
    bool drainStage(io::Buffer& out) {
        if (stagePos_ != stageEnd_) {
            stagePos_ += out.append(io::ByteView(stage_).subspan(stagePos_, stageEnd_ - stagePos_));
            if (stagePos_ != stageEnd_) return false;
            stagePos_ = stageEnd_ = 0;
        }
        return true;
    }

    // Runs one LZ4F call that needs `bound` bytes of destination: into `out` when it has that much
    // room, else into the stage, which is then drained as far as `out` allows.
    template <class Call>
    void run(io::Buffer& out, std::size_t bound, Call call) {
        const bool direct = out.remaining() >= bound;
        const std::size_t result =
            direct ? call(out.tail().data(), out.remaining()) : call(stage_.data(), stage_.size());
        if (LZ4F_isError(result)) throwCompress(kCodec, LZ4F_getErrorName(result));
        if (direct) {
            out.grow(result);
        } else {
            stageEnd_ = result;
            drainStage(out);
        }
    }

    LZ4F_cctx* ctx_ = nullptr;
    LZ4F_preferences_t prefs_{};
    int level_;
    std::vector<std::byte> stage_;
    std::size_t stagePos_ = 0;  // next staged byte to hand out
    std::size_t stageEnd_ = 0;  // end of the staged bytes
    bool begun_ = false;        // frame header written
    bool ended_ = false;        // frame end and checksum written
};

class Lz4Decompress final : public io::Filter {
public:
    Lz4Decompress() {
        if (LZ4F_isError(LZ4F_createDecompressionContext(&ctx_, LZ4F_VERSION)))
            throwCorrupt(kCodec, "unable to create context");
    }
    ~Lz4Decompress() override { LZ4F_freeDecompressionContext(ctx_); }
    Lz4Decompress(const Lz4Decompress&) = delete;
    Lz4Decompress& operator=(const Lz4Decompress&) = delete;

    io::FilterType type() const noexcept override { return io::FilterType::Lz4Decompress; }
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

        static const std::byte empty{};
        std::size_t produced = out.remaining();
        std::size_t consumed = in.size();
        const std::size_t hint = LZ4F_decompress(ctx_, out.tail().data(), &produced,
                                                 in.empty() ? &empty : in.data(), &consumed, nullptr);
        if (LZ4F_isError(hint)) throwCorrupt(kCodec, LZ4F_getErrorName(hint));
        out.grow(produced);

        if (hint == 0) {  // a frame ended, checksum verified and all its output handed out
            inFrame_ = false;
            ++frames_;
            if (in.empty()) ended_ = true;
        } else {
            inFrame_ = true;
            // With no more input and room left, the frame wants bytes that will never come.
            if (in.empty() && produced == 0) throwTruncated(kCodec);
        }
        return consumed;
    }

private:
    LZ4F_dctx* ctx_ = nullptr;
    bool inFrame_ = false;       // part of a frame has been read
    std::uint64_t frames_ = 0;   // frames decoded completely
    bool ended_ = false;         // end of input reached between frames
};

}  // namespace

std::unique_ptr<io::Filter> makeLz4Compress(int level) { return std::make_unique<Lz4Compress>(level); }
std::unique_ptr<io::Filter> makeLz4Decompress() { return std::make_unique<Lz4Decompress>(); }

}  // namespace pgark::compress::detail
