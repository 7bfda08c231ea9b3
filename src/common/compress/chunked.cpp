// Chunked compression on a thread pool. See chunked.h.
//
// The caller's thread copies input into the chunk being filled; a full chunk is queued for the
// pool (or, without one, compressed right there) and kept in `flight_` (submission order) until
// its frame has been handed out; the digests, if asked for, are taken then, in order. At most
// threads + 1 chunks are in flight, so memory is bounded by about (threads + 2) x 2 x chunkSize
// whatever the stream's length. Chunks and their buffers are recycled: fresh multi-MiB buffers
// for every chunk would cost page faults comparable to the compression itself.
#include "common/compress/chunked.h"

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "common/crypto/sha1_pair.h"
#include "common/error.h"

namespace pgark::compress {
namespace {

struct Chunk {
    explicit Chunk(std::size_t chunkSize) : in(chunkSize), out(chunkSize + chunkSize / 64 + 4096) {}
    io::Buffer in;
    io::Buffer out;                 // the frame, unless it outgrew `out` (incompressible input)
    std::vector<std::byte> spill;   // then the whole frame is here
    std::size_t handed = 0;         // bytes of the frame already given to the caller
    bool done = false;              // compressed (or failed); guarded by the filter's mutex
    std::exception_ptr error;

    io::ByteView frame() const noexcept { return spill.empty() ? out.view() : io::ByteView(spill); }
    void reset() {
        in.clear();
        out.clear();
        spill.clear();
        handed = 0;
        done = false;
        error = nullptr;
    }
};

class ChunkedCompress final : public io::Filter {
public:
    ChunkedCompress(ChunkedCompressOptions options, std::unique_ptr<io::Filter> sample)
        : options_(std::move(options)), type_(sample->type()), spec_(sample->spec()) {
        if (options_.digests) sha1_.emplace();
        threads_.reserve(options_.threads);
        for (unsigned i = 0; i < options_.threads; ++i) threads_.emplace_back([this] { work(); });
    }

    ~ChunkedCompress() override {
        {
            std::lock_guard lock(mutex_);
            stop_ = true;
        }
        wake_.notify_all();
        for (std::thread& thread : threads_) thread.join();
    }
    ChunkedCompress(const ChunkedCompress&) = delete;
    ChunkedCompress& operator=(const ChunkedCompress&) = delete;

    io::FilterType type() const noexcept override { return type_; }
    io::FilterSpec spec() const override { return spec_; }
    bool flushed() const noexcept override { return finished_; }

    std::size_t process(io::ByteView in, io::Buffer& out) override {
        if (finished_ || out.full()) return 0;
        handOut(out, false);
        if (in.empty()) {
            if (!ended_) {
                // An empty stream is still one (empty) frame, as the single-frame filter writes.
                if ((filling_ && !filling_->in.empty()) || submitted_ == 0) submit(filling_ ? std::move(filling_) : spare());
                ended_ = true;
            }
            if (!out.full() && !flight_.empty()) handOut(out, true);
            finished_ = flight_.empty();
            if (finished_ && sha1_) {
                options_.digests->inSha1 = sha1_->finalHex(0);
                options_.digests->outSha1 = sha1_->finalHex(1);
                sha1_.reset();
            }
            return 0;
        }
        // Back-pressure: wait for the oldest frame before taking more input.
        if (flight_.size() > options_.threads) {
            handOut(out, true);
            if (flight_.size() > options_.threads) return 0;  // out filled up first: progress was made
        }
        if (!filling_) filling_ = spare();
        const std::size_t taken = filling_->in.append(in);
        if (filling_->in.full()) submit(std::move(filling_));
        return taken;
    }

private:
    std::unique_ptr<Chunk> spare() {
        if (spares_.empty()) return std::make_unique<Chunk>(options_.chunkSize);
        std::unique_ptr<Chunk> chunk = std::move(spares_.back());
        spares_.pop_back();
        chunk->reset();
        return chunk;
    }

    void submit(std::unique_ptr<Chunk> chunk) {
        if (threads_.empty()) {
            compressChunk(*chunk, callerWhole_);
            chunk->done = true;
            flight_.push_back(std::move(chunk));
            ++submitted_;
            return;
        }
        {
            std::lock_guard lock(mutex_);
            queue_.push_back(chunk.get());
        }
        wake_.notify_one();
        flight_.push_back(std::move(chunk));
        ++submitted_;
    }

    // Copies finished frames into `out` in order. With `wait`, first waits for the oldest one.
    void handOut(io::Buffer& out, bool wait) {
        while (!flight_.empty() && !out.full()) {
            Chunk& head = *flight_.front();
            {
                std::unique_lock lock(mutex_);
                if (!head.done) {
                    if (!wait) return;
                    chunkDone_.wait(lock, [&] { return head.done; });
                }
            }
            wait = false;
            if (head.error) std::rethrow_exception(head.error);
            const io::ByteView frame = head.frame();
            head.handed += out.append(frame.subspan(head.handed));
            if (head.handed < frame.size()) return;
            if (sha1_) sha1_->update(head.in.view(), frame);
            spares_.push_back(std::move(flight_.front()));
            flight_.pop_front();
        }
    }

    void work() {
        std::unique_ptr<WholeCompressor> whole;  // this thread's, for every chunk it takes
        for (;;) {
            Chunk* chunk = nullptr;
            {
                std::unique_lock lock(mutex_);
                wake_.wait(lock, [&] { return stop_ || !queue_.empty(); });
                if (stop_) return;
                chunk = queue_.front();
                queue_.pop_front();
            }
            compressChunk(*chunk, whole);
            {
                std::lock_guard lock(mutex_);
                chunk->done = true;
            }
            chunkDone_.notify_all();
        }
    }

    // The chunk's frame, or the failure to make it in chunk.error (rethrown in order by handOut).
    // `whole`: the calling thread's whole compressor, made on first use.
    void compressChunk(Chunk& chunk, std::unique_ptr<WholeCompressor>& whole) const {
        try {
            if (options_.makeWhole) {
                if (!whole) whole = options_.makeWhole();
                compressWhole(chunk, *whole);
            } else {
                compress(chunk);
            }
        } catch (...) {
            chunk.error = std::current_exception();
        }
    }

    // One complete frame of the chunk's bytes, in one call; into `out` when it fits there.
    static void compressWhole(Chunk& chunk, WholeCompressor& whole) {
        if (const auto written = whole.compressInto(chunk.in.view(), chunk.out.tail())) {
            chunk.out.grow(*written);
            return;
        }
        const CompressedBytes frame = whole.compress(chunk.in.view());
        const io::ByteView bytes = frame.view();
        chunk.spill.assign(bytes.begin(), bytes.end());
    }

    // One complete frame of the chunk's bytes.
    void compress(Chunk& chunk) const {
        std::unique_ptr<io::Filter> frame = options_.makeFrame();
        io::ByteView rest = chunk.in.view();
        const auto room = [&chunk] {
            if (!chunk.out.full()) return;
            chunk.spill.insert(chunk.spill.end(), chunk.out.view().begin(), chunk.out.view().end());
            chunk.out.clear();
        };
        while (!rest.empty()) {
            room();
            rest = rest.subspan(frame->process(rest, chunk.out));
        }
        while (!frame->flushed()) {
            room();
            frame->process({}, chunk.out);
        }
        if (!chunk.spill.empty()) {
            chunk.spill.insert(chunk.spill.end(), chunk.out.view().begin(), chunk.out.view().end());
            chunk.out.clear();
        }
    }

    const ChunkedCompressOptions options_;
    const io::FilterType type_;
    const io::FilterSpec spec_;

    // The caller's thread only.
    std::unique_ptr<Chunk> filling_;
    std::deque<std::unique_ptr<Chunk>> flight_;  // submitted, frame not yet all handed out
    std::vector<std::unique_ptr<Chunk>> spares_;
    std::uint64_t submitted_ = 0;
    bool ended_ = false;     // end of input seen, last chunk submitted
    bool finished_ = false;  // every frame handed out
    std::optional<crypto::Sha1Pair> sha1_;         // input and frames, while digests are asked for
    std::unique_ptr<WholeCompressor> callerWhole_;  // without a pool: the caller's compressor

    // Shared with the pool.
    std::mutex mutex_;
    std::condition_variable wake_;      // the pool: a chunk was queued or stop_ was set
    std::condition_variable chunkDone_; // the caller: a chunk is done
    std::deque<Chunk*> queue_;
    bool stop_ = false;
    std::vector<std::thread> threads_;  // last: started once everything above exists
};

}  // namespace

std::unique_ptr<io::Filter> makeChunkedCompressFilter(CompressType type, int level, ChunkedCompressOptions options) {
    if (type != CompressType::Lz4 && type != CompressType::Zst)
        throwError(ErrorCode::Assert, "compress type '{}' cannot be compressed in chunks", compressTypeName(type));
    if (options.chunkSize == 0) throwError(ErrorCode::Assert, "chunked compression needs a chunk size");
    if (!options.makeFrame && !options.makeWhole) {
        const CompressOptions codec = options.codec;
        if (type == CompressType::Zst)
            options.makeWhole = [level, codec] { return makeWholeCompressor(CompressType::Zst, level, codec); };
        else
            options.makeFrame = [type, level, codec] { return makeCompressFilter(type, level, codec); };
    }
    // Also validates the level here, before any thread exists.
    std::unique_ptr<io::Filter> sample = makeCompressFilter(type, level, options.codec);
    return std::make_unique<ChunkedCompress>(std::move(options), std::move(sample));
}

bool chunkedCompressPays(CompressType type, std::uint64_t size, std::size_t chunkSize) noexcept {
    return (type == CompressType::Lz4 || type == CompressType::Zst) && size >= 2 * chunkSize;
}

}  // namespace pgark::compress
