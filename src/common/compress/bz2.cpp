// bz2 filters over libbz2: one bzip2 stream ("BZh<level>"), as pgBackRest writes and reads it.
// libbz2 keeps its own pending output, so both directions write straight into the caller's buffer.
#include <climits>

#include <bzlib.h>

#include "common/compress/compress_filters.h"
#include "common/error.h"

namespace pgark::compress::detail {
namespace {

constexpr std::string_view kCodec = "bz2";

// libbz2 counts in unsigned int: feed at most this much per call.
unsigned int chunkSize(std::size_t size) noexcept {
    return static_cast<unsigned int>(size < UINT_MAX ? size : UINT_MAX);
}

char* inputPointer(io::ByteView in) noexcept {
    // next_in is not const-qualified but libbz2 never writes through it. A zero-length read still
    // needs a valid pointer.
    static char empty = 0;
    return in.empty() ? &empty : const_cast<char*>(reinterpret_cast<const char*>(in.data()));
}

class Bz2Compress final : public io::Filter {
public:
    explicit Bz2Compress(int level) : level_(level) {
        // verbosity 0, workFactor 0 = the library default (30).
        if (BZ2_bzCompressInit(&stream_, level, 0, 0) != BZ_OK) throwCompress(kCodec, "unable to initialize");
    }
    ~Bz2Compress() override { BZ2_bzCompressEnd(&stream_); }
    Bz2Compress(const Bz2Compress&) = delete;
    Bz2Compress& operator=(const Bz2Compress&) = delete;

    io::FilterType type() const noexcept override { return io::FilterType::Bz2Compress; }
    io::FilterSpec spec() const override { return levelSpec(type(), level_); }
    bool flushed() const noexcept override { return done_; }

    std::size_t process(io::ByteView in, io::Buffer& out) override {
        if (done_ || out.full()) return 0;
        const unsigned int inSize = chunkSize(in.size());
        stream_.next_in = inputPointer(in);
        stream_.avail_in = inSize;
        stream_.next_out = reinterpret_cast<char*>(out.tail().data());
        stream_.avail_out = chunkSize(out.remaining());
        const unsigned int outRoom = stream_.avail_out;

        const int result = BZ2_bzCompress(&stream_, in.empty() ? BZ_FINISH : BZ_RUN);
        out.grow(outRoom - stream_.avail_out);
        if (result == BZ_STREAM_END)
            done_ = true;
        else if (result != BZ_RUN_OK && result != BZ_FINISH_OK)
            throwCompress(kCodec, fmt::format("error {}", result));
        return inSize - stream_.avail_in;
    }

private:
    bz_stream stream_{};
    int level_;
    bool done_ = false;
};

class Bz2Decompress final : public io::Filter {
public:
    Bz2Decompress() {
        // verbosity 0, small 0: the fast algorithm (up to ~3.7 MB at level 9).
        if (BZ2_bzDecompressInit(&stream_, 0, 0) != BZ_OK) throwCorrupt(kCodec, "unable to initialize");
    }
    ~Bz2Decompress() override { BZ2_bzDecompressEnd(&stream_); }
    Bz2Decompress(const Bz2Decompress&) = delete;
    Bz2Decompress& operator=(const Bz2Decompress&) = delete;

    io::FilterType type() const noexcept override { return io::FilterType::Bz2Decompress; }
    io::FilterSpec spec() const override { return io::FilterSpec{type(), {}}; }
    bool flushed() const noexcept override { return done_; }

    std::size_t process(io::ByteView in, io::Buffer& out) override {
        if (done_) {
            if (!in.empty()) throwTrailing(kCodec);
            return 0;
        }
        if (out.full()) return 0;

        const unsigned int inSize = chunkSize(in.size());
        stream_.next_in = inputPointer(in);
        stream_.avail_in = inSize;
        stream_.next_out = reinterpret_cast<char*>(out.tail().data());
        stream_.avail_out = chunkSize(out.remaining());
        const unsigned int outRoom = stream_.avail_out;

        const int result = BZ2_bzDecompress(&stream_);
        const std::size_t produced = outRoom - stream_.avail_out;
        const std::size_t consumed = inSize - stream_.avail_in;
        out.grow(produced);

        switch (result) {
        case BZ_STREAM_END:
            done_ = true;
            if (consumed < in.size()) throwTrailing(kCodec);
            break;
        case BZ_OK:
            if (in.empty() && produced == 0) throwTruncated(kCodec);
            break;
        case BZ_DATA_ERROR:
            throwCorrupt(kCodec, "data integrity error");
        case BZ_DATA_ERROR_MAGIC:
            throwCorrupt(kCodec, "bad magic (not a bzip2 stream)");
        case BZ_MEM_ERROR:
            throwError(ErrorCode::Decompress, "unable to decompress bz2 data: out of memory");
        default:
            throwCorrupt(kCodec, fmt::format("error {}", result));
        }
        return consumed;
    }

private:
    bz_stream stream_{};
    bool done_ = false;
};

}  // namespace

std::unique_ptr<io::Filter> makeBz2Compress(int level) { return std::make_unique<Bz2Compress>(level); }
std::unique_ptr<io::Filter> makeBz2Decompress() { return std::make_unique<Bz2Decompress>(); }

}  // namespace pgark::compress::detail
