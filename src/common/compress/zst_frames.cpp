// zst frames decoded whole: see zst_frames.h.
#include "common/compress/zst_frames.h"

#include <zstd.h>

#include <condition_variable>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>

#include "common/compress/compress_filters.h"

namespace pgark::compress {
namespace {

using detail::throwCorrupt;

constexpr std::string_view kCodec = "zst";
constexpr std::size_t kDescriptorAt = 4;            // the frame header descriptor follows the magic
constexpr unsigned kChecksumFlag = 0x04;            // Content_Checksum_flag in the descriptor

}  // namespace

std::optional<std::vector<ZstFrame>> zstWholeFrames(io::ByteView stream, std::size_t maxFrameSize) {
    std::vector<ZstFrame> frames;
    for (std::size_t at = 0; at < stream.size();) {
        const io::ByteView rest = stream.subspan(at);
        if (rest.size() <= kDescriptorAt) return std::nullopt;
        std::uint32_t magic;
        std::memcpy(&magic, rest.data(), sizeof magic);  // little-endian, as the format
        // Skippable and legacy frames, and frames without a checksum, are the streaming filter's.
        if (magic != ZSTD_MAGICNUMBER || (static_cast<unsigned>(rest[kDescriptorAt]) & kChecksumFlag) == 0)
            return std::nullopt;
        const unsigned long long contentSize = ZSTD_getFrameContentSize(rest.data(), rest.size());
        if (contentSize == ZSTD_CONTENTSIZE_UNKNOWN || contentSize == ZSTD_CONTENTSIZE_ERROR || contentSize > maxFrameSize)
            return std::nullopt;
        // Walks the block headers to the end of the frame: an error for a truncated frame.
        const std::size_t frameSize = ZSTD_findFrameCompressedSize(rest.data(), rest.size());
        if (ZSTD_isError(frameSize)) return std::nullopt;
        frames.push_back({at, frameSize, static_cast<std::size_t>(contentSize)});
        at += frameSize;
    }
    if (frames.empty()) return std::nullopt;
    return frames;
}

std::uint64_t zstDecodeFrames(io::ByteView stream, std::span<const ZstFrame> frames,
                              const std::function<void(io::ByteView)>& sink) {
    std::size_t bufferSize = 0;
    std::uint64_t total = 0;
    for (const ZstFrame& frame : frames) {
        bufferSize = std::max(bufferSize, frame.outSize);
        total += frame.outSize;
    }

    // Each thread takes the next frame not taken, decodes it into its own buffer, waits until the
    // frames before it went to the sink and hands it over. A thread takes a frame only once its
    // previous one is handed over, so the thread holding the earliest frame can always go on.
    std::mutex mutex;
    std::condition_variable turn;  // a frame went to the sink, or a thread failed
    std::size_t taken = 0;         // frames taken
    std::size_t handed = 0;        // frames handed to the sink
    std::exception_ptr failure;

    const auto work = [&] {
        try {
            std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> ctx(ZSTD_createDCtx(), &ZSTD_freeDCtx);
            if (!ctx) throwCorrupt(kCodec, "unable to create context");
            // Allocated by the thread that uses it: the page faults of the two buffers overlap.
            const auto buffer = std::make_unique_for_overwrite<std::byte[]>(std::max<std::size_t>(bufferSize, 1));
            for (;;) {
                std::size_t index;
                {
                    const std::lock_guard lock(mutex);
                    if (failure || taken == frames.size()) return;
                    index = taken++;
                }
                const ZstFrame& frame = frames[index];
                // One frame exactly: zstd checks its content size and checksum at its end.
                const std::size_t size = ZSTD_decompressDCtx(ctx.get(), buffer.get(), frame.outSize,
                                                             stream.data() + frame.inOffset, frame.inSize);
                if (ZSTD_isError(size)) throwCorrupt(kCodec, ZSTD_getErrorName(size));
                if (size != frame.outSize) throwCorrupt(kCodec, "frame content size mismatch");
                {
                    std::unique_lock lock(mutex);
                    turn.wait(lock, [&] { return failure || handed == index; });
                    if (failure) return;
                }
                sink(io::ByteView(buffer.get(), size));  // alone: the other thread waits for handed
                {
                    const std::lock_guard lock(mutex);
                    ++handed;
                }
                turn.notify_all();
            }
        } catch (...) {
            {
                const std::lock_guard lock(mutex);
                if (!failure) failure = std::current_exception();
            }
            turn.notify_all();
        }
    };

    if (frames.size() > 1) {
        std::thread other(work);
        work();
        other.join();
    } else {
        work();
    }
    if (failure) std::rethrow_exception(failure);
    return total;
}

}  // namespace pgark::compress
