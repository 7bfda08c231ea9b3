// FilterDriver, runFilter, PatternSource and PatternVerifier: see filter_driver.h.
#include "fake/filter_driver.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

namespace pgark::test {

FilterDriver::FilterDriver(io::Filter& filter, std::size_t outCapacity, Sink sink)
    : filter_(filter), out_(outCapacity), sink_(std::move(sink)) {
    if (outCapacity == 0) throw std::logic_error("FilterDriver needs an output capacity of at least 1");
}

void FilterDriver::drain() {
    if (out_.empty()) return;
    bytesOut_ += out_.size();
    sink_(out_.view());
    out_.clear();
}

std::size_t FilterDriver::step(io::ByteView in) {
    const std::size_t before = out_.size();
    ++calls_;
    const std::size_t consumed = filter_.process(in, out_);
    if (consumed > in.size())
        throw std::logic_error(fmt::format("filter consumed {} of {} bytes", consumed, in.size()));
    if (out_.size() > out_.capacity()) throw std::logic_error("filter wrote past the output capacity");
    // The contract: each call consumes or produces something unless `out` was full. At end of
    // input a call may instead finish the flush.
    const bool progress = consumed != 0 || out_.size() != before;
    if (!progress && before != out_.capacity() && !(in.empty() && filter_.flushed())) {
        throw std::logic_error(fmt::format("filter made no progress (input {} bytes, output room {})", in.size(),
                                           out_.capacity() - before));
    }
    return consumed;
}

void FilterDriver::write(io::ByteView data) {
    if (finished_) throw std::logic_error("FilterDriver::write after finish");
    bytesIn_ += data.size();
    if (filter_.observer()) {
        if (!data.empty()) {
            ++calls_;
            filter_.observe(data);
        }
        return;
    }
    // Drain only when full, so the filter also sees partly filled buffers with little room.
    while (!data.empty()) {
        if (out_.full()) drain();
        data = data.subspan(step(data));
    }
}

void FilterDriver::finish() {
    if (finished_) throw std::logic_error("FilterDriver::finish called twice");
    finished_ = true;
    if (filter_.observer()) {
        ++calls_;
        filter_.observe({});
        return;
    }
    while (!filter_.flushed()) {
        if (out_.full()) drain();
        step({});
    }
    drain();
}

std::string runFilter(io::Filter& filter, io::ByteView input, const RunOptions& options) {
    std::string result;
    FilterDriver driver(filter, options.outCapacity, [&result](io::ByteView data) { result += io::asText(data); });
    const std::size_t chunk = options.inChunk == 0 ? std::max<std::size_t>(input.size(), 1) : options.inChunk;
    for (std::size_t offset = 0; offset < input.size(); offset += chunk)
        driver.write(input.subspan(offset, std::min(chunk, input.size() - offset)));
    driver.finish();
    return result;
}

std::string runFilter(io::Filter& filter, std::string_view input, const RunOptions& options) {
    return runFilter(filter, io::asBytes(input), options);
}

namespace {
constexpr std::size_t kPatternBlock = 64 * 1024;
// Literals come from a 40-symbol alphabet, so they are compressible too.
constexpr std::string_view kAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789 ,.\n";
}  // namespace

PatternSource::PatternSource(std::uint64_t seed)
    : state_(seed * 0x9E3779B97F4A7C15ULL + 0x2545F4914F6CDD1DULL), block_(kPatternBlock), pos_(kPatternBlock) {}

std::uint64_t PatternSource::next() noexcept {
    // xorshift64*: fast, reproducible, good enough for test data.
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return state_ * 0x2545F4914F6CDD1DULL;
}

void PatternSource::refill() {
    // Each block stands alone: runs of literals alternate with copies of earlier bytes of the
    // block, so the stream has matches at many distances and lengths.
    std::byte* const data = block_.data();
    std::size_t fill = 0;
    while (fill < kPatternBlock) {
        const std::uint64_t r = next();
        std::size_t length;
        if (fill < 64 || (r & 3) == 0) {
            length = std::min<std::size_t>(1 + ((r >> 8) & 31), kPatternBlock - fill);
            std::uint64_t bits = next();
            for (std::size_t i = 0; i < length; ++i) {
                if (i % 10 == 9) bits = next();
                data[fill + i] = static_cast<std::byte>(kAlphabet[(bits & 63) % kAlphabet.size()]);
                bits >>= 6;
            }
        } else {
            length = std::min<std::size_t>(4 + ((r >> 8) & 63), kPatternBlock - fill);
            const std::size_t distance = 1 + static_cast<std::size_t>((r >> 16) % fill);
            for (std::size_t i = 0; i < length; ++i) data[fill + i] = data[fill + i - distance];
        }
        fill += length;
    }
    pos_ = 0;
}

void PatternSource::read(io::MutableByteView out) {
    std::size_t done = 0;
    while (done < out.size()) {
        if (pos_ == kPatternBlock) refill();
        const std::size_t n = std::min(out.size() - done, kPatternBlock - pos_);
        std::memcpy(out.data() + done, block_.data() + pos_, n);
        pos_ += n;
        done += n;
    }
}

std::string PatternSource::take(std::size_t size) {
    std::string result(size, '\0');
    read({reinterpret_cast<std::byte*>(result.data()), result.size()});
    return result;
}

bool PatternVerifier::check(io::ByteView data) {
    if (!ok_) return false;
    expected_.resize(data.size());
    source_.read(expected_);
    if (std::memcmp(expected_.data(), data.data(), data.size()) != 0) {
        const auto at = std::mismatch(data.begin(), data.end(), expected_.begin());
        mismatch_ = size_ + static_cast<std::uint64_t>(at.first - data.begin());
        ok_ = false;
    }
    size_ += data.size();
    return ok_;
}

}  // namespace pgark::test
