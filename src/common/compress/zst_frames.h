// zst frames decoded whole: a stream held in memory whose every frame records its content size
// and a content checksum (archive-push writes a segment's pieces so) is decoded frame by frame,
// each frame in one call straight into a buffer of its size, on two threads at once. zstd then
// needs no window buffer of its own and copies nothing out of it, and the frames, which do not
// refer to each other, take half the time. Other streams (pgBackRest's frames have neither
// field) go through the streaming filter, makeDecompressFilter(CompressType::Zst).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "common/io/buffer.h"

namespace pgark::compress {

struct ZstFrame {
    std::size_t inOffset = 0;   // where the frame starts in the stream
    std::size_t inSize = 0;     // its compressed size
    std::size_t outSize = 0;    // its content size, from its header
};

// The frames of `stream` when every one is a zstd frame whose header records its content size
// (at most `maxFrameSize` bytes) and a content checksum, and together they are exactly the
// stream; nullopt otherwise, including for an empty, truncated or damaged stream: the streaming
// filter then decodes it and reports what is wrong. Reads the headers only (block headers too).
std::optional<std::vector<ZstFrame>> zstWholeFrames(io::ByteView stream, std::size_t maxFrameSize);

// Decodes `frames` of `stream` (as zstWholeFrames() found them) on the caller's thread and one
// other, and hands each frame's content to `sink` in stream order, one call at a time and never
// two at once. zstd checks every frame's checksum and size: a damaged frame throws
// Error(Decompress) "invalid zst compressed data: ..." before its content reaches the sink. The
// first failure of either thread (decoding or sink) stops both and is rethrown here. Returns the
// total content size.
std::uint64_t zstDecodeFrames(io::ByteView stream, std::span<const ZstFrame> frames,
                              const std::function<void(io::ByteView)>& sink);

}  // namespace pgark::compress
