// gz filters over zlib: one gzip member (windowBits 15+16, memLevel 9, default strategy), as
// pgBackRest writes it. zlib keeps its own pending output, so both directions write straight into
// the caller's buffer however small it is: no staging copy is needed.
#include <climits>
#include <cstring>

#include <zlib.h>

#include "common/compress/compress_filters.h"
#include "common/error.h"

namespace pgark::compress::detail {
namespace {

constexpr std::string_view kCodec = "gz";
constexpr int kWindowBits = 15 + 16;  // 32 KiB window, gzip wrapper (no name, mtime 0, OS 3)
constexpr int kMemLevel = 9;

// zlib counts in uInt: feed at most this much per call so a huge span cannot overflow it.
constexpr std::size_t kMaxChunk = UINT_MAX;

uInt chunkSize(std::size_t size) noexcept { return static_cast<uInt>(size < kMaxChunk ? size : kMaxChunk); }

Bytef* inputPointer(io::ByteView in) noexcept {
    // zlib's next_in is not const-qualified but is never written through.
    return const_cast<Bytef*>(reinterpret_cast<const Bytef*>(in.data()));
}

class GzCompress final : public io::Filter {
public:
    explicit GzCompress(int level) : level_(level) {
        if (deflateInit2(&stream_, level, Z_DEFLATED, kWindowBits, kMemLevel, Z_DEFAULT_STRATEGY) != Z_OK)
            throwCompress(kCodec, "unable to initialize deflate");
    }
    ~GzCompress() override { deflateEnd(&stream_); }
    GzCompress(const GzCompress&) = delete;
    GzCompress& operator=(const GzCompress&) = delete;

    io::FilterType type() const noexcept override { return io::FilterType::GzCompress; }
    io::FilterSpec spec() const override { return levelSpec(type(), level_); }
    bool flushed() const noexcept override { return done_; }

    std::size_t process(io::ByteView in, io::Buffer& out) override {
        if (done_ || out.full()) return 0;
        const uInt inSize = chunkSize(in.size());
        stream_.next_in = inputPointer(in);
        stream_.avail_in = inSize;
        stream_.next_out = reinterpret_cast<Bytef*>(out.tail().data());
        stream_.avail_out = chunkSize(out.remaining());
        const uInt outRoom = stream_.avail_out;

        const int result = deflate(&stream_, in.empty() ? Z_FINISH : Z_NO_FLUSH);
        out.grow(outRoom - stream_.avail_out);
        if (result == Z_STREAM_END)
            done_ = true;
        else if (result != Z_OK && result != Z_BUF_ERROR)
            throwCompress(kCodec, stream_.msg != nullptr ? stream_.msg : "deflate failed");
        return inSize - stream_.avail_in;
    }

private:
    z_stream stream_{};
    int level_;
    bool done_ = false;
};

class GzDecompress final : public io::Filter {
public:
    GzDecompress() {
        if (inflateInit2(&stream_, kWindowBits) != Z_OK) throwCorrupt(kCodec, "unable to initialize inflate");
    }
    ~GzDecompress() override { inflateEnd(&stream_); }
    GzDecompress(const GzDecompress&) = delete;
    GzDecompress& operator=(const GzDecompress&) = delete;

    io::FilterType type() const noexcept override { return io::FilterType::GzDecompress; }
    io::FilterSpec spec() const override { return io::FilterSpec{type(), {}}; }
    bool flushed() const noexcept override { return done_; }

    std::size_t process(io::ByteView in, io::Buffer& out) override {
        // pgBackRest reads exactly one member: anything after it is not ours to accept.
        if (done_) {
            if (!in.empty()) throwTrailing(kCodec);
            return 0;
        }
        if (out.full()) return 0;

        static Bytef empty = 0;
        const uInt inSize = chunkSize(in.size());
        stream_.next_in = in.empty() ? &empty : inputPointer(in);
        stream_.avail_in = inSize;
        stream_.next_out = reinterpret_cast<Bytef*>(out.tail().data());
        stream_.avail_out = chunkSize(out.remaining());
        const uInt outRoom = stream_.avail_out;

        const int result = inflate(&stream_, Z_NO_FLUSH);
        const std::size_t produced = outRoom - stream_.avail_out;
        const std::size_t consumed = inSize - stream_.avail_in;
        out.grow(produced);

        switch (result) {
        case Z_STREAM_END:
            done_ = true;
            if (consumed < in.size()) throwTrailing(kCodec);
            break;
        case Z_OK:
        case Z_BUF_ERROR:  // no progress was possible
            // With no more input and room left, inflate wants bytes that will never come.
            if (in.empty() && produced == 0) throwTruncated(kCodec);
            break;
        case Z_MEM_ERROR:
            throwError(ErrorCode::Decompress, "unable to decompress gz data: out of memory");
        default:  // Z_DATA_ERROR, Z_NEED_DICT, Z_STREAM_ERROR
            throwCorrupt(kCodec, stream_.msg != nullptr ? stream_.msg : "inflate failed");
        }
        return consumed;
    }

private:
    z_stream stream_{};
    bool done_ = false;
};

}  // namespace

std::unique_ptr<io::Filter> makeGzCompress(int level) { return std::make_unique<GzCompress>(level); }
std::unique_ptr<io::Filter> makeGzDecompress() { return std::make_unique<GzDecompress>(); }

}  // namespace pgark::compress::detail
