// FilterChain streams (pull reader, push writer), filter names and makeFilter().
//
// Both streams see the chain as edges joined by transformers: edge 0 is the raw stream, edge k+1
// is the output of the k-th transformer. Observers hang off the edge at their position and are
// shown the bytes of that edge in place, in the buffer that already holds them, exactly once and
// in order. Every transformer output edge owns one bounded Buffer, so memory is
// (transformers + 1) * bufferSize whatever the stream length.
#include "common/io/filter.h"

#include <charconv>
#include <cstring>
#include <exception>
#include <initializer_list>
#include <utility>

#include "common/compress/compress.h"
#include "common/crypto/cipher.h"
#include "common/crypto/hash.h"
#include "common/error.h"
#include "common/io/page_checksum_filter.h"

namespace pgark::io {

std::string_view filterTypeName(FilterType type) noexcept {
    switch (type) {
    case FilterType::Size:
        return "size";
    case FilterType::Sha1:
        return "sha1";
    case FilterType::GzCompress:
        return "gzCompress";
    case FilterType::GzDecompress:
        return "gzDecompress";
    case FilterType::Bz2Compress:
        return "bz2Compress";
    case FilterType::Bz2Decompress:
        return "bz2Decompress";
    case FilterType::Lz4Compress:
        return "lz4Compress";
    case FilterType::Lz4Decompress:
        return "lz4Decompress";
    case FilterType::ZstCompress:
        return "zstCompress";
    case FilterType::ZstDecompress:
        return "zstDecompress";
    case FilterType::CipherEncrypt:
        return "cipherEncrypt";
    case FilterType::CipherDecrypt:
        return "cipherDecrypt";
    case FilterType::PageChecksum:
        return "pageChecksum";
    }
    return "unknown";
}

// An observer used where a transformer is expected passes its input through unchanged, so any
// filter can sit in code that only knows process(). Transformers must override this.
std::size_t Filter::process(ByteView in, Buffer& out) {
    if (!observer())
        throwError(ErrorCode::Assert, "filter '{}' does not implement process()", filterTypeName(type()));
    if (in.empty()) {
        observe({});
        return 0;
    }
    const std::size_t taken = out.append(in);
    if (taken != 0) observe(in.first(taken));
    return taken;
}

FilterChain& FilterChain::add(std::unique_ptr<Filter> filter) {
    if (!filter) throwError(ErrorCode::Assert, "cannot add a null filter to a filter chain");
    filters_.push_back(std::move(filter));
    return *this;
}

std::vector<FilterSpec> FilterChain::specs() const {
    std::vector<FilterSpec> result;
    result.reserve(filters_.size());
    for (const auto& filter : filters_) result.push_back(filter->spec());
    return result;
}

FilterResult FilterChain::findResult(FilterType type, unsigned nth) const {
    unsigned seen = 0;
    for (const auto& filter : filters_) {
        if (filter->type() != type) continue;
        if (seen++ != nth) continue;
        FilterResult result = filter->result();
        if (std::holds_alternative<std::monostate>(result))
            throwError(ErrorCode::Assert, "filter '{}' #{} has no result (has the stream ended?)", filterTypeName(type),
                       nth);
        return result;
    }
    throwError(ErrorCode::Assert, "filter chain has no filter '{}' #{}", filterTypeName(type), nth);
}

namespace {

// Runs one filter call and turns anything that is not already an Error (a std::logic_error from a
// Buffer misuse, bad_alloc) into one, so callers only ever catch pgark::Error.
template <class Fn>
auto guarded(const Filter& filter, Fn&& fn) -> decltype(fn()) {
    try {
        return fn();
    } catch (const Error&) {
        throw;
    } catch (const std::exception& e) {
        throwError(ErrorCode::Assert, "filter '{}' failed: {}", filterTypeName(filter.type()), e.what());
    }
}

// The chain's filters arranged as edges and transformers; shared by reader and writer.
struct Layout {
    std::vector<Filter*> transformers;          // in chain order
    std::vector<std::vector<Filter*>> watchers; // watchers[k]: observers of edge k (size = transformers + 1)

    explicit Layout(std::vector<std::unique_ptr<Filter>>& filters) {
        watchers.emplace_back();
        for (auto& filter : filters) {
            if (filter->observer()) {
                watchers.back().push_back(filter.get());
            } else {
                transformers.push_back(filter.get());
                watchers.emplace_back();
            }
        }
    }

    void observe(std::size_t edge, ByteView data) {
        if (data.empty()) return;  // an empty view would mean end of input
        for (Filter* filter : watchers[edge]) guarded(*filter, [&] { filter->observe(data); });
    }
    void observeEnd(std::size_t edge) {
        for (Filter* filter : watchers[edge]) guarded(*filter, [&] { filter->observe({}); });
    }

    // One process() call of transformer `index`; shows the new output to that edge's observers and
    // enforces the progress rule so a broken filter fails instead of spinning forever.
    std::size_t step(std::size_t index, ByteView in, Buffer& out) {
        Filter& filter = *transformers[index];
        const std::size_t before = out.size();
        const bool wasFull = out.full();
        const std::size_t consumed = guarded(filter, [&] { return filter.process(in, out); });
        if (consumed > in.size() || out.size() < before)
            throwError(ErrorCode::Assert, "filter '{}' broke the process() contract", filterTypeName(filter.type()));
        const std::size_t produced = out.size() - before;
        if (consumed == 0 && produced == 0 && !wasFull && !(in.empty() && filter.flushed()))
            throwError(ErrorCode::Assert, "filter '{}' made no progress", filterTypeName(filter.type()));
        observe(index + 1, {out.data() + before, produced});
        return consumed;
    }
};

// Pull: read() asks the last edge for bytes; an empty edge is refilled by running its transformer,
// which in turn refills its own input edge, down to the source. A transformer's input is consumed
// through an offset rather than Buffer::consume() so a filter that takes a little at a time does
// not cost a memmove of the whole buffer per call.
class ChainReader final : public ReadStream {
public:
    ChainReader(FilterChain& chain, ReadStream& source, std::size_t bufferSize)
        : layout_(chain.filters()), source_(source) {
        if (bufferSize == 0) throwError(ErrorCode::Assert, "filter chain buffer size must be positive");
        if (!layout_.transformers.empty()) {
            edges_.reserve(layout_.transformers.size() + 1);
            for (std::size_t k = 0; k <= layout_.transformers.size(); ++k) edges_.emplace_back(bufferSize);
        }
    }

    std::size_t read(MutableByteView out) override {
        if (failure_) std::rethrow_exception(failure_);
        if (out.empty()) return 0;
        try {
            return layout_.transformers.empty() ? readDirect(out) : readFiltered(out);
        } catch (...) {
            failure_ = std::current_exception();
            throw;
        }
    }

private:
    struct Edge {
        explicit Edge(std::size_t capacity) : buffer(capacity) {}
        Buffer buffer;
        std::size_t pos = 0;  // bytes of buffer already handed on
        bool ended = false;   // no more bytes will arrive on this edge

        ByteView unread() const noexcept { return buffer.view().subspan(pos); }
        void advance(std::size_t n) noexcept {
            pos += n;
            if (pos == buffer.size()) {
                buffer.clear();
                pos = 0;
            }
        }
        // Makes room at the tail when the consumed front has grown large.
        void compact() {
            if (pos != 0 && (buffer.full() || pos >= buffer.capacity() / 2)) {
                buffer.consume(pos);
                pos = 0;
            }
        }
    };

    // No transformer: observers look at the caller's own buffer.
    std::size_t readDirect(MutableByteView out) {
        if (sourceEnded_) return 0;
        const std::size_t n = source_.read(out);
        if (n == 0) {
            sourceEnded_ = true;
            layout_.observeEnd(0);
            return 0;
        }
        layout_.observe(0, {out.data(), n});
        return n;
    }

    std::size_t readFiltered(MutableByteView out) {
        Edge& last = edges_.back();
        if (last.unread().empty() && !last.ended) fill(edges_.size() - 1);
        const ByteView available = last.unread();
        const std::size_t n = available.size() < out.size() ? available.size() : out.size();
        if (n != 0) std::memcpy(out.data(), available.data(), n);
        last.advance(n);
        return n;
    }

    // Leaves edge k with unread bytes, or marks it ended.
    void fill(std::size_t k) {
        Edge& edge = edges_[k];
        if (k == 0) {
            edge.compact();
            const MutableByteView tail = edge.buffer.tail();
            const std::size_t n = source_.read(tail);
            if (n == 0) {
                edge.ended = true;
                layout_.observeEnd(0);
                return;
            }
            if (n > tail.size()) throwError(ErrorCode::Assert, "read stream returned more bytes than asked for");
            edge.buffer.grow(n);
            layout_.observe(0, {tail.data(), n});
            return;
        }
        Edge& input = edges_[k - 1];
        Filter& filter = *layout_.transformers[k - 1];
        while (edge.unread().empty() && !edge.ended) {
            edge.compact();
            if (input.unread().empty() && !input.ended) fill(k - 1);
            const ByteView in = input.unread();
            if (in.empty() && input.ended && filter.flushed()) {
                edge.ended = true;
                layout_.observeEnd(k);
                break;
            }
            input.advance(layout_.step(k - 1, in, edge.buffer));
        }
    }

    Layout layout_;
    ReadStream& source_;
    std::vector<Edge> edges_;  // empty when there is no transformer
    bool sourceEnded_ = false;
    std::exception_ptr failure_;
};

// Push: write() runs the bytes through transformer 0; whenever a transformer's output buffer is
// full it is pushed on to the next transformer (or the sink) whole. The caller's bytes are never
// copied before the first transformer.
class ChainWriter final : public WriteStream {
public:
    ChainWriter(FilterChain& chain, WriteStream& sink, std::size_t bufferSize) : layout_(chain.filters()), sink_(sink) {
        if (bufferSize == 0) throwError(ErrorCode::Assert, "filter chain buffer size must be positive");
        outputs_.reserve(layout_.transformers.size());
        for (std::size_t k = 0; k < layout_.transformers.size(); ++k) outputs_.emplace_back(bufferSize);
    }

    ~ChainWriter() override {
        if (state_ != State::Done) abort();
    }

    void write(ByteView data) override {
        checkOpen("write to");
        if (data.empty()) return;
        try {
            layout_.observe(0, data);
            push(0, data);
        } catch (...) {
            state_ = State::Failed;
            throw;
        }
    }

    void commit() override {
        checkOpen("commit");
        try {
            layout_.observeEnd(0);
            for (std::size_t k = 0; k < layout_.transformers.size(); ++k) {
                Filter& filter = *layout_.transformers[k];
                Buffer& out = outputs_[k];
                while (!filter.flushed()) {
                    if (out.full()) drain(k);
                    layout_.step(k, {}, out);
                }
                drain(k);
                layout_.observeEnd(k + 1);
            }
            state_ = State::Done;
            sink_.commit();
        } catch (...) {
            state_ = State::Done;
            sink_.abort();
            throw;
        }
    }

    void abort() noexcept override {
        if (state_ == State::Done) return;
        state_ = State::Done;
        sink_.abort();
    }

private:
    enum class State { Open, Failed, Done };

    void checkOpen(std::string_view what) const {
        if (state_ == State::Done) throwError(ErrorCode::Assert, "cannot {} a filter chain writer that has ended", what);
        if (state_ == State::Failed)
            throwError(ErrorCode::Assert, "cannot {} a filter chain writer after a failed write", what);
    }

    // Delivers bytes arriving on edge k (already observed) to transformer k, or to the sink.
    void push(std::size_t k, ByteView in) {
        if (k == layout_.transformers.size()) {
            sink_.write(in);
            return;
        }
        Buffer& out = outputs_[k];
        while (!in.empty()) {
            if (out.full()) drain(k);
            in = in.subspan(layout_.step(k, in, out));
        }
    }

    // Hands all of transformer k's pending output to the next stage.
    void drain(std::size_t k) {
        Buffer& out = outputs_[k];
        if (out.empty()) return;
        push(k + 1, out.view());
        out.clear();
    }

    Layout layout_;
    WriteStream& sink_;
    std::vector<Buffer> outputs_;  // outputs_[k]: output of transformer k (edge k + 1)
    State state_ = State::Open;
};

}  // namespace

std::unique_ptr<ReadStream> FilterChain::reader(ReadStream& source, std::size_t bufferSize) {
    return std::make_unique<ChainReader>(*this, source, bufferSize);
}

std::unique_ptr<WriteStream> FilterChain::writer(WriteStream& sink, std::size_t bufferSize) {
    return std::make_unique<ChainWriter>(*this, sink, bufferSize);
}

namespace {

// Rejects any param the filter does not take: a typo in a spec would otherwise be silently ignored.
void expectParams(const FilterSpec& spec, std::initializer_list<std::string_view> allowed) {
    for (const auto& [key, value] : spec.params) {
        bool known = false;
        for (std::string_view name : allowed) known = known || key == name;
        if (!known) throwError(ErrorCode::Assert, "filter spec '{}' has unknown param '{}'", filterTypeName(spec.type), key);
    }
}

const std::string& requireParam(const FilterSpec& spec, const std::string& key) {
    const auto found = spec.params.find(key);
    if (found == spec.params.end())
        throwError(ErrorCode::Assert, "filter spec '{}' lacks param '{}'", filterTypeName(spec.type), key);
    return found->second;
}

int levelParam(const FilterSpec& spec) {
    const std::string& text = requireParam(spec, "level");
    int level = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), level);
    if (ec != std::errc{} || end != text.data() + text.size() || text.empty())
        throwError(ErrorCode::Assert, "filter spec '{}' has invalid level '{}'", filterTypeName(spec.type), text);
    return level;
}

std::unique_ptr<Filter> makeCompress(const FilterSpec& spec, compress::CompressType type) {
    expectParams(spec, {"level"});
    const int level = levelParam(spec);
    try {
        return compress::makeCompressFilter(type, level);
    } catch (const Error& e) {
        // A spec is built by our own code, so an out-of-range level here is a bug, not user input.
        if (e.code() != ErrorCode::OptionInvalidRange) throw;
        throwError(ErrorCode::Assert, "filter spec '{}': {}", filterTypeName(spec.type), e.message());
    }
}

std::unique_ptr<Filter> makeDecompress(const FilterSpec& spec, compress::CompressType type) {
    expectParams(spec, {});
    return compress::makeDecompressFilter(type);
}

std::unique_ptr<Filter> makeCipher(const FilterSpec& spec, crypto::CipherMode mode) {
    expectParams(spec, {"pass"});
    return crypto::makeCipherFilter(mode, requireParam(spec, "pass"));
}

}  // namespace

std::unique_ptr<Filter> makeFilter(const FilterSpec& spec) {
    using compress::CompressType;
    switch (spec.type) {
    case FilterType::Size:
        expectParams(spec, {});
        return crypto::makeSizeFilter();
    case FilterType::Sha1:
        expectParams(spec, {});
        return crypto::makeSha1Filter();
    case FilterType::GzCompress:
        return makeCompress(spec, CompressType::Gz);
    case FilterType::GzDecompress:
        return makeDecompress(spec, CompressType::Gz);
    case FilterType::Bz2Compress:
        return makeCompress(spec, CompressType::Bz2);
    case FilterType::Bz2Decompress:
        return makeDecompress(spec, CompressType::Bz2);
    case FilterType::Lz4Compress:
        return makeCompress(spec, CompressType::Lz4);
    case FilterType::Lz4Decompress:
        return makeDecompress(spec, CompressType::Lz4);
    case FilterType::ZstCompress:
        return makeCompress(spec, CompressType::Zst);
    case FilterType::ZstDecompress:
        return makeDecompress(spec, CompressType::Zst);
    case FilterType::CipherEncrypt:
        return makeCipher(spec, crypto::CipherMode::Encrypt);
    case FilterType::CipherDecrypt:
        return makeCipher(spec, crypto::CipherMode::Decrypt);
    case FilterType::PageChecksum:
        return makePageChecksumFilter(spec);
    }
    throwError(ErrorCode::Assert, "makeFilter cannot build filter '{}'", filterTypeName(spec.type));
}

void FilterChain::throwWrongResultType(FilterType type) {
    throwError(ErrorCode::Assert, "filter '{}' has a result of another type", filterTypeName(type));
}

}  // namespace pgark::io
