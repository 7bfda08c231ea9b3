// lz4 filters: the LZ4 frame format as pgBackRest writes it (64 KiB linked blocks, content checksum,
// no content size), built on liblz4's block API. The decoder reads any valid frame (other block
// sizes, independent blocks, block checksums, content size, skippable frames) and concatenations.
//
// Why not liblz4's frame API (lz4frame.h)? Its bundled XXH32 is compiled by Debian into vector code
// that runs at about 1.6 GB/s, and the content checksum covers every byte, so it capped decoding
// near 1 GB/s. The framing is simple enough to write here with our own XXH32 (xxh32.h), and the
// tests check our frames against lz4frame.h and the lz4 tool in both directions.
//
// Frame layout (all integers little-endian):
//   magic 04 22 4D 18 | FLG | BD | [content size u64] | [dict id u32] | HC = (XXH32(FLG..) >> 8) & 0xFF
//   blocks: u32 size (high bit = stored uncompressed), data, [XXH32 of data]
//   end mark u32 0 | [XXH32 of the content]
// Skippable frames: magic 50..5F 2A 4D 18, u32 size, size bytes.
#include <algorithm>
#include <cstring>
#include <vector>

#include <lz4.h>
#include <lz4hc.h>

#include "common/compress/compress_filters.h"
#include "common/compress/xxh32.h"
#include "common/error.h"

namespace pgark::compress::detail {
namespace {

constexpr std::string_view kCodec = "lz4";
constexpr std::uint32_t kFrameMagic = 0x184D2204;
constexpr std::uint32_t kSkippableMagic = 0x184D2A50;  // low 4 bits are free
constexpr std::uint32_t kUncompressedBit = 0x80000000U;
constexpr std::size_t kHistory = 64 * 1024;    // bytes, LZ4's longest match distance
constexpr std::size_t kBlockSize = 64 * 1024;  // bytes per block we write (BD block size id 4)
constexpr std::size_t kHeaderSize = 7;         // magic, FLG, BD, HC
constexpr std::size_t kEndSize = 8;            // end mark and content checksum

// FLG: version 01, linked blocks (bit 5 clear), no block checksum, no content size, content
// checksum (bit 2), no dictionary id. BD: maximum block size id 4 = 64 KiB.
constexpr unsigned char kFlg = 0x44;
constexpr unsigned char kBd = 0x40;

std::uint32_t getLe32(const std::byte* p) noexcept {
    std::uint32_t v;
    std::memcpy(&v, p, 4);  // the build is little-endian (xxh32.h asserts it)
    return v;
}
void putLe32(std::byte* p, std::uint32_t v) noexcept { std::memcpy(p, &v, 4); }

const char* chars(const std::byte* p) noexcept { return reinterpret_cast<const char*>(p); }
char* chars(std::byte* p) noexcept { return reinterpret_cast<char*>(p); }

class Lz4Compress final : public io::Filter {
public:
    explicit Lz4Compress(int level) : level_(level), highCompression_(level >= LZ4HC_CLEVEL_MIN) {
        // The levels mean what they mean to lz4frame.h: below 3 the fast compressor, negative
        // values being its acceleration; 3 and up the high-compression one.
        if (highCompression_) {
            hc_ = LZ4_createStreamHC();
            if (hc_ != nullptr) LZ4_resetStreamHC_fast(hc_, level);
        } else {
            fast_ = LZ4_createStream();
            acceleration_ = level < 0 ? 1 - level : 1;
        }
        if (hc_ == nullptr && fast_ == nullptr) throwCompress(kCodec, "unable to allocate stream");
        pending_[0].resize(kBlockSize);
        pending_[1].resize(kBlockSize);
        dict_.resize(kHistory);
        stage_.resize(4 + static_cast<std::size_t>(LZ4_compressBound(static_cast<int>(kBlockSize))));
    }
    ~Lz4Compress() override {
        if (hc_ != nullptr) LZ4_freeStreamHC(hc_);
        if (fast_ != nullptr) LZ4_freeStream(fast_);
    }
    Lz4Compress(const Lz4Compress&) = delete;
    Lz4Compress& operator=(const Lz4Compress&) = delete;

    io::FilterType type() const noexcept override { return io::FilterType::Lz4Compress; }
    io::FilterSpec spec() const override { return levelSpec(type(), level_); }
    bool flushed() const noexcept override { return ended_ && stagePos_ == stageEnd_; }

    std::size_t process(io::ByteView in, io::Buffer& out) override {
        if (!drainStage(out) || ended_ || out.full()) return 0;

        if (!begun_) {
            begun_ = true;
            std::byte header[kHeaderSize];
            putLe32(header, kFrameMagic);
            header[4] = std::byte{kFlg};
            header[5] = std::byte{kBd};
            header[6] = static_cast<std::byte>((Xxh32::of(header + 4, 2) >> 8) & 0xFF);
            emit(out, header, sizeof(header));
            if (!stageEmpty()) return 0;
        }

        if (in.empty()) {
            if (pendingSize_ != 0) {  // the last, partial block
                compressBlock(pending_[pendingIndex_].data(), pendingSize_, out);
                pendingSize_ = 0;
                if (!stageEmpty()) return 0;
            }
            std::byte end[kEndSize];
            putLe32(end, 0);
            putLe32(end + 4, checksum_.digest());
            emit(out, end, sizeof(end));
            ended_ = true;
            return 0;
        }

        std::size_t consumed = 0;
        // Less than a block at hand, or a partial block waiting: collect it in a pending buffer.
        // The two pending buffers alternate so the block just compressed stays in place as the
        // dictionary of the next one, as the block API requires, without copying it.
        if (pendingSize_ != 0 || in.size() < kBlockSize) {
            std::vector<std::byte>& pending = pending_[pendingIndex_];
            consumed = std::min(in.size(), kBlockSize - pendingSize_);
            std::memcpy(pending.data() + pendingSize_, in.data(), consumed);
            checksum_.update(in.data(), consumed);
            pendingSize_ += consumed;
            if (pendingSize_ < kBlockSize) return consumed;
            compressBlock(pending.data(), kBlockSize, out);
            pendingSize_ = 0;
            pendingIndex_ ^= 1;
            dictInInput_ = false;
        }

        // Whole blocks straight from the caller's input while `out` has room for the worst case.
        const std::size_t before = consumed;
        while (stageEmpty() && in.size() - consumed >= kBlockSize && out.remaining() >= stage_.size()) {
            compressBlock(in.data() + consumed, kBlockSize, out);
            checksum_.update(in.data() + consumed, kBlockSize);
            consumed += kBlockSize;
        }
        // No room for even one: compress one block into the stage.
        if (consumed == 0) {
            compressBlock(in.data(), kBlockSize, out);
            checksum_.update(in.data(), kBlockSize);
            consumed = kBlockSize;
        }
        // The caller may reuse its input after we return: keep the dictionary in our own memory.
        if (consumed != before) saveDict();
        return consumed;
    }

private:
    bool stageEmpty() const noexcept { return stagePos_ == stageEnd_; }

    // Copies staged bytes into `out`; true when the stage is empty afterwards.
    bool drainStage(io::Buffer& out) {
        if (!stageEmpty()) {
            stagePos_ += out.append(io::ByteView(stage_).subspan(stagePos_, stageEnd_ - stagePos_));
            if (!stageEmpty()) return false;
            stagePos_ = stageEnd_ = 0;
        }
        return true;
    }

    // Appends a few framing bytes to `out`, staging what does not fit.
    void emit(io::Buffer& out, const std::byte* data, std::size_t size) {
        const std::size_t direct = out.append({data, size});
        std::memcpy(stage_.data(), data + direct, size - direct);
        stagePos_ = 0;
        stageEnd_ = size - direct;
    }

    // Compresses one block (size prefix and data) into `out` when it has room for the worst case,
    // else into the stage, which is then drained as far as `out` allows.
    void compressBlock(const std::byte* src, std::size_t size, io::Buffer& out) {
        const bool direct = out.remaining() >= stage_.size();
        std::byte* const dst = direct ? out.tail().data() : stage_.data();
        const int capacity = static_cast<int>(stage_.size() - 4);
        const int srcSize = static_cast<int>(size);
        const int packed = highCompression_
                               ? LZ4_compress_HC_continue(hc_, chars(src), chars(dst + 4), srcSize, capacity)
                               : LZ4_compress_fast_continue(fast_, chars(src), chars(dst + 4), srcSize, capacity,
                                                            acceleration_);
        if (packed <= 0) throwCompress(kCodec, "block compression failed");

        std::size_t written = static_cast<std::size_t>(packed);
        if (written >= size) {  // incompressible: store it (the dictionary state is the same)
            std::memcpy(dst + 4, src, size);
            putLe32(dst, static_cast<std::uint32_t>(size) | kUncompressedBit);
            written = size;
        } else {
            putLe32(dst, static_cast<std::uint32_t>(written));
        }
        if (direct) {
            out.grow(4 + written);
        } else {
            stagePos_ = 0;
            stageEnd_ = 4 + written;
            drainStage(out);
        }
        dictInInput_ = true;
    }

    // Copies the last 64 KiB compressed into dict_ and points the stream at it.
    void saveDict() {
        if (!dictInInput_) return;
        if (highCompression_)
            LZ4_saveDictHC(hc_, chars(dict_.data()), static_cast<int>(kHistory));
        else
            LZ4_saveDict(fast_, chars(dict_.data()), static_cast<int>(kHistory));
        dictInInput_ = false;
    }

    int level_;
    bool highCompression_;
    LZ4_stream_t* fast_ = nullptr;
    LZ4_streamHC_t* hc_ = nullptr;
    int acceleration_ = 1;
    Xxh32 checksum_;                      // of every input byte
    std::vector<std::byte> pending_[2];   // partial block being collected (alternating)
    unsigned pendingIndex_ = 0;           // which pending buffer collects now
    std::size_t pendingSize_ = 0;         // bytes in it
    std::vector<std::byte> dict_;         // saved dictionary when the input was the caller's
    bool dictInInput_ = false;            // the last block compressed came from the caller's input
    std::vector<std::byte> stage_;        // output that did not fit in `out`
    std::size_t stagePos_ = 0;            // next staged byte to hand out
    std::size_t stageEnd_ = 0;            // end of the staged bytes
    bool begun_ = false;                  // frame header written
    bool ended_ = false;                  // end mark and checksum written
};

class Lz4Decompress final : public io::Filter {
public:
    Lz4Decompress() = default;

    io::FilterType type() const noexcept override { return io::FilterType::Lz4Decompress; }
    io::FilterSpec spec() const override { return io::FilterSpec{type(), {}}; }
    bool flushed() const noexcept override { return ended_; }
    // Skippable frames hold no content; every frame with content must have its checksum flag.
    bool contentChecksummed() const noexcept override { return anyFrame_ && !uncheckedFrame_; }

    std::size_t process(io::ByteView in, io::Buffer& out) override {
        if (ended_) return 0;
        std::size_t pos = 0;
        for (;;) {
            if (!drainPending(out) || out.full() || pos == in.size()) break;
            pos += step(in.subspan(pos), out);
        }
        keepHistory();

        if (in.empty() && pendingEmpty()) {
            // Input ended between frames: a clean end, provided there was at least one frame.
            if (state_ != State::Magic || !gathered_.empty() || frames_ == 0) throwTruncated(kCodec);
            ended_ = true;
        }
        return pos;
    }

private:
    enum class State { Magic, Descriptor, BlockSize, BlockData, ContentChecksum, SkipSize, Skip };

    // Consumes some of `in` (never none) for the current state; returns the bytes consumed.
    std::size_t step(io::ByteView in, io::Buffer& out) {
        if (state_ == State::Skip) {
            const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(in.size(), skipLeft_));
            skipLeft_ -= n;
            if (skipLeft_ == 0) endFrame();
            return n;
        }
        if (state_ == State::Descriptor) {
            // The descriptor's length depends on its first byte, FLG.
            const auto flg = static_cast<unsigned>(gathered_.empty() ? in[0] : gathered_[0]);
            need_ = 2 + ((flg & 0x08) != 0 ? 8 : 0) + ((flg & 0x01) != 0 ? 4 : 0) + 1;
        }

        const std::byte* data;
        const std::size_t consumed = gather(in, data);
        if (data == nullptr) return consumed;

        switch (state_) {
        case State::Magic: {
            const std::uint32_t magic = getLe32(data);
            if (magic == kFrameMagic) {
                state_ = State::Descriptor;  // its size is worked out from its first byte
            } else if ((magic & 0xFFFFFFF0U) == kSkippableMagic) {
                state_ = State::SkipSize;
                need_ = 4;
            } else {
                throwCorrupt(kCodec, frames_ == 0 ? "not an lz4 frame (bad magic number)"
                                                  : "unexpected data after the last frame (bad magic number)");
            }
            break;
        }
        case State::Descriptor:
            startFrame(data, need_);
            break;
        case State::BlockSize: {
            const std::uint32_t word = getLe32(data);
            if (word == 0) {
                if (contentChecksum_) {
                    state_ = State::ContentChecksum;
                    need_ = 4;
                } else {
                    endFrame();
                }
                break;
            }
            blockStored_ = (word & kUncompressedBit) != 0;
            blockSize_ = word & ~kUncompressedBit;
            if (blockSize_ > blockMax_) throwCorrupt(kCodec, "block larger than the frame's maximum block size");
            state_ = State::BlockData;
            need_ = blockSize_ + (blockChecksum_ ? 4 : 0);
            break;
        }
        case State::BlockData:
            if (blockChecksum_ && Xxh32::of(data, blockSize_) != getLe32(data + blockSize_))
                throwCorrupt(kCodec, "block checksum mismatch");
            decodeBlock(data, out);
            state_ = State::BlockSize;
            need_ = 4;
            break;
        case State::ContentChecksum:
            if (checksum_.digest() != getLe32(data)) throwCorrupt(kCodec, "content checksum mismatch");
            endFrame();
            break;
        case State::SkipSize:
            skipLeft_ = getLe32(data);
            state_ = State::Skip;
            if (skipLeft_ == 0) endFrame();
            break;
        case State::Skip:
            break;
        }
        return consumed;
    }

    // Points `data` at the next need_ bytes: straight into `in` when they are all there, else
    // collects them in gathered_ across calls (data = nullptr until complete). Returns the bytes
    // of `in` consumed.
    std::size_t gather(io::ByteView in, const std::byte*& data) {
        if (gathered_.empty() && in.size() >= need_) {
            data = in.data();
            return need_;
        }
        const std::size_t n = std::min(in.size(), need_ - gathered_.size());
        gathered_.insert(gathered_.end(), in.begin(), in.begin() + static_cast<std::ptrdiff_t>(n));
        data = nullptr;
        if (gathered_.size() == need_) {
            // Keep the bytes until the state handled them; the next gather starts afresh.
            gatheredDone_.swap(gathered_);
            gathered_.clear();
            data = gatheredDone_.data();
        }
        return n;
    }

    void startFrame(const std::byte* descriptor, std::size_t size) {
        const auto flg = static_cast<unsigned>(descriptor[0]);
        const auto bd = static_cast<unsigned>(descriptor[1]);
        if ((flg >> 6) != 1) throwCorrupt(kCodec, "unsupported frame version");
        if ((flg & 0x02) != 0 || (bd & 0x8F) != 0) throwCorrupt(kCodec, "reserved frame descriptor bits are set");
        const unsigned blockId = (bd >> 4) & 0x07;
        if (blockId < 4) throwCorrupt(kCodec, "invalid maximum block size");
        const auto headerCheck = static_cast<unsigned>(descriptor[size - 1]);
        if (((Xxh32::of(descriptor, size - 1) >> 8) & 0xFF) != headerCheck)
            throwCorrupt(kCodec, "frame header checksum mismatch");

        linked_ = (flg & 0x20) == 0;
        blockChecksum_ = (flg & 0x10) != 0;
        contentChecksum_ = (flg & 0x04) != 0;
        anyFrame_ = true;
        if (!contentChecksum_) uncheckedFrame_ = true;
        hasContentSize_ = (flg & 0x08) != 0;
        if (hasContentSize_) std::memcpy(&contentSize_, descriptor + 2, 8);
        blockMax_ = std::size_t{1} << (8 + 2 * blockId);  // 64 KiB, 256 KiB, 1 MiB, 4 MiB
        checksum_.reset();
        frameBytes_ = 0;
        historySize_ = 0;
        historyInOut_ = false;
        // Room for a block decoded behind its history. Resized only here, where no history or
        // pending output points into the window.
        if (window_.size() < kHistory + blockMax_) window_.resize(kHistory + blockMax_);
        state_ = State::BlockSize;
        need_ = 4;
    }

    void endFrame() {
        if (hasContentSize_ && frameBytes_ != contentSize_) throwCorrupt(kCodec, "frame content size mismatch");
        ++frames_;
        state_ = State::Magic;
        need_ = 4;
        hasContentSize_ = false;
    }

    // Decodes one block: straight into `out` when it has room for the largest block, else into
    // the window, from which drainPending() hands it out.
    void decodeBlock(const std::byte* data, io::Buffer& out) {
        const bool direct = out.remaining() >= blockMax_;
        std::byte* dst;
        if (direct) {
            dst = out.tail().data();
        } else {
            // The window is [history right-aligned in the first 64 KiB | decoded block]. Moving the
            // history next to the block lets LZ4 decode with a contiguous prefix.
            std::byte* const front = window_.data() + kHistory - historySize_;
            if (history_ != front && historySize_ != 0) std::memmove(front, history_, historySize_);
            history_ = front;
            dst = window_.data() + kHistory;
        }

        std::size_t size;
        if (blockStored_) {
            std::memcpy(dst, data, blockSize_);
            size = blockSize_;
        } else {
            const int srcSize = static_cast<int>(blockSize_);
            const int capacity = static_cast<int>(blockMax_);
            const int result =
                linked_ && historySize_ != 0
                    ? LZ4_decompress_safe_usingDict(chars(data), chars(dst), srcSize, capacity, chars(history_),
                                                    static_cast<int>(historySize_))
                    : LZ4_decompress_safe(chars(data), chars(dst), srcSize, capacity);
            if (result < 0) throwCorrupt(kCodec, "corrupt block");
            size = static_cast<std::size_t>(result);
        }
        if (contentChecksum_) checksum_.update(dst, size);
        frameBytes_ += size;

        if (direct) {
            out.grow(size);
            historyInOut_ = true;
        } else {
            pendingPos_ = kHistory;
            pendingEnd_ = kHistory + size;
            historyInOut_ = false;
        }
        if (linked_) addHistory(dst, size);
    }

    // Makes the last 64 KiB of output, ending with dst[0, size), the history for the next block.
    void addHistory(std::byte* dst, std::size_t size) {
        if (size >= kHistory) {  // the block alone is enough: just point at its tail
            history_ = dst + size - kHistory;
            historySize_ = kHistory;
            return;
        }
        // A short block (a frame's last, or a flushed one): join it to the older history in the
        // first 64 KiB of the window, newest bytes last.
        const std::size_t keep = std::min(historySize_, kHistory - size);
        std::byte* const front = window_.data() + kHistory - size - keep;
        if (keep != 0) std::memmove(front, history_ + historySize_ - keep, keep);
        std::memcpy(window_.data() + kHistory - size, dst, size);
        history_ = front;
        historySize_ = keep + size;
        historyInOut_ = false;
    }

    // The caller drains `out` after we return: copy a history that lives there into the window.
    void keepHistory() {
        if (!historyInOut_) return;
        std::byte* const front = window_.data() + kHistory - historySize_;
        if (historySize_ != 0) std::memcpy(front, history_, historySize_);  // history_ may be null then
        history_ = front;
        historyInOut_ = false;
    }

    bool pendingEmpty() const noexcept { return pendingPos_ == pendingEnd_; }

    // Hands out a block decoded into the window; true when nothing is left.
    bool drainPending(io::Buffer& out) {
        if (!pendingEmpty()) {
            pendingPos_ += out.append(io::ByteView(window_).subspan(pendingPos_, pendingEnd_ - pendingPos_));
            if (!pendingEmpty()) return false;
            pendingPos_ = pendingEnd_ = 0;
        }
        return true;
    }

    State state_ = State::Magic;
    std::size_t need_ = 4;                  // bytes the current state reads
    std::vector<std::byte> gathered_;       // a structure split across calls, being collected
    std::vector<std::byte> gatheredDone_;   // the last one completed
    std::uint64_t frames_ = 0;              // frames (and skippable frames) read completely
    bool ended_ = false;                    // input ended cleanly
    bool anyFrame_ = false;                 // a frame (not a skippable one) has begun
    bool uncheckedFrame_ = false;           // some frame has no content checksum

    // The current frame.
    bool linked_ = true;
    bool blockChecksum_ = false;
    bool contentChecksum_ = false;
    bool hasContentSize_ = false;
    std::uint64_t contentSize_ = 0;  // bytes, when hasContentSize_
    std::uint64_t frameBytes_ = 0;   // bytes decoded so far
    std::size_t blockMax_ = kBlockSize;
    bool blockStored_ = false;
    std::size_t blockSize_ = 0;      // bytes of block data, excluding its checksum
    std::uint64_t skipLeft_ = 0;     // bytes of a skippable frame still to skip
    Xxh32 checksum_;                 // of the frame's content so far

    // Output history for linked blocks: the last historySize_ (<= 64 KiB) bytes decoded, at
    // history_, which is either in `out` (during a call), in the window's first 64 KiB, or at the
    // tail of a block decoded into the window.
    std::vector<std::byte> window_;
    std::byte* history_ = nullptr;
    std::size_t historySize_ = 0;
    bool historyInOut_ = false;
    std::size_t pendingPos_ = 0;  // decoded bytes in the window not yet handed out
    std::size_t pendingEnd_ = 0;
};

}  // namespace

std::unique_ptr<io::Filter> makeLz4Compress(int level) { return std::make_unique<Lz4Compress>(level); }
std::unique_ptr<io::Filter> makeLz4Decompress() { return std::make_unique<Lz4Decompress>(); }

}  // namespace pgark::compress::detail
