// PageChecksumFilter: see page_checksum_filter.h.
#include "common/io/page_checksum_filter.h"

#include <charconv>
#include <cstring>
#include <limits>

#include <fmt/format.h>

#include "common/error.h"
#include "postgres/page_checksum.h"

namespace pgark::io {

namespace {

using postgres::kPageSize;

// A trailing fragment at least this long is taken for a page PostgreSQL was extending the file with
// when we read it (a torn write: file systems write at least 512-byte sectors). A shorter one cannot
// come from a partial page write, so the file itself looks damaged.
constexpr std::size_t kTornPageMin = 512;

void appendUInt(std::string& out, std::uint64_t value) { fmt::format_to(std::back_inserter(out), "{}", value); }

std::uint64_t parseUInt(std::string_view text, std::string_view what) {
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size())
        throwError(ErrorCode::Assert, "page checksum filter spec has invalid {} '{}'", what, text);
    return value;
}

// A cursor over the small JSON shape toJson() writes; not a general parser.
class JsonCursor {
public:
    explicit JsonCursor(std::string_view text) : text_(text) {}

    bool peek(char c) const noexcept { return pos_ < text_.size() && text_[pos_] == c; }
    bool take(char c) noexcept {
        if (!peek(c)) return false;
        ++pos_;
        return true;
    }
    void expect(char c) {
        if (!take(c)) fail(fmt::format("expected '{}'", c));
    }
    void expectWord(std::string_view word) {
        if (text_.substr(pos_, word.size()) != word) fail(fmt::format("expected '{}'", word));
        pos_ += word.size();
    }
    std::string_view key() {
        expect('"');
        const std::size_t start = pos_;
        while (pos_ < text_.size() && text_[pos_] != '"') ++pos_;
        const std::string_view name = text_.substr(start, pos_ - start);
        expect('"');
        expect(':');
        return name;
    }
    bool boolean() {
        if (peek('t')) {
            expectWord("true");
            return true;
        }
        expectWord("false");
        return false;
    }
    std::uint32_t block() {
        std::uint32_t value = 0;
        const char* begin = text_.data() + pos_;
        const auto [end, ec] = std::from_chars(begin, text_.data() + text_.size(), value);
        if (ec != std::errc() || end == begin) fail("expected a block number");
        pos_ += static_cast<std::size_t>(end - begin);
        return value;
    }
    bool atEnd() const noexcept { return pos_ == text_.size(); }
    [[noreturn]] void fail(std::string_view what) const {
        throwError(ErrorCode::Format, "invalid page checksum result '{}' at offset {}: {}", text_, pos_, what);
    }

private:
    std::string_view text_;
    std::size_t pos_ = 0;
};

}  // namespace

std::string PageChecksumResult::errorJson() const {
    std::string out = "[";
    for (std::size_t i = 0; i < errors.size();) {
        // Extend the run while the next block follows on directly.
        std::size_t last = i;
        while (last + 1 < errors.size() && errors[last + 1] == errors[last] + 1) ++last;
        if (i != 0) out += ',';
        if (last == i) {
            appendUInt(out, errors[i]);
        } else {
            out += '[';
            appendUInt(out, errors[i]);
            out += ',';
            appendUInt(out, errors[last]);
            out += ']';
        }
        i = last + 1;
    }
    out += ']';
    return out;
}

std::string PageChecksumResult::toJson() const {
    std::string out = "{\"align\":";
    out += aligned ? "true" : "false";
    if (!errors.empty()) {
        out += ",\"error\":";
        out += errorJson();
    }
    out += ",\"valid\":";
    out += valid ? "true" : "false";
    out += '}';
    return out;
}

PageChecksumResult PageChecksumResult::fromJson(std::string_view json) {
    PageChecksumResult result;
    JsonCursor cursor(json);
    bool sawAlign = false;
    bool sawValid = false;
    cursor.expect('{');
    do {
        const std::string_view name = cursor.key();
        if (name == "align") {
            result.aligned = cursor.boolean();
            sawAlign = true;
        } else if (name == "valid") {
            result.valid = cursor.boolean();
            sawValid = true;
        } else if (name == "error") {
            cursor.expect('[');
            if (!cursor.take(']')) {
                do {
                    if (cursor.take('[')) {
                        const std::uint32_t first = cursor.block();
                        cursor.expect(',');
                        const std::uint32_t last = cursor.block();
                        cursor.expect(']');
                        if (last < first) cursor.fail("range ends before it starts");
                        for (std::uint64_t block = first; block <= last; ++block)
                            result.errors.push_back(static_cast<std::uint32_t>(block));
                    } else {
                        result.errors.push_back(cursor.block());
                    }
                } while (cursor.take(','));
                cursor.expect(']');
            }
        } else {
            cursor.fail(fmt::format("unknown key '{}'", name));
        }
    } while (cursor.take(','));
    cursor.expect('}');
    if (!cursor.atEnd()) cursor.fail("trailing text");
    if (!sawAlign || !sawValid) cursor.fail("missing 'align' or 'valid'");
    return result;
}

PageChecksumFilter::PageChecksumFilter(PageChecksumOptions options)
    : options_(std::move(options)), blockBase_(std::uint64_t{options_.segmentNo} * postgres::kRelSegmentPages) {
    // A relation has at most 2^32 - 1 blocks (32 TiB at 8 KiB), so a larger segment number means
    // the caller parsed a name that is not a relation segment.
    if (blockBase_ + postgres::kRelSegmentPages - 1 > std::numeric_limits<std::uint32_t>::max())
        throwError(ErrorCode::Assert, "page checksum segment number {} is beyond the largest relation",
                   options_.segmentNo);
}

void PageChecksumFilter::observe(ByteView data) {
    if (ended_) {
        // Nothing may follow the end-of-input signal; a repeated end signal is harmless.
        if (!data.empty()) throwError(ErrorCode::Assert, "page checksum filter saw data after end of input");
        return;
    }
    if (data.empty()) {
        finish();
        return;
    }
    // Complete a page begun in an earlier call. Callers reading in page multiples never get here,
    // so the copy costs nothing on the normal path.
    if (partialSize_ != 0) {
        const std::size_t take = std::min(data.size(), kPageSize - partialSize_);
        std::memcpy(partial_.data() + partialSize_, data.data(), take);
        partialSize_ += take;
        data = data.subspan(take);
        if (partialSize_ < kPageSize) return;
        checkPage({partial_.data(), kPageSize});
        partialSize_ = 0;
    }
    // Whole pages are checked where they lie.
    while (data.size() >= kPageSize) {
        checkPage(data.first(kPageSize));
        data = data.subspan(kPageSize);
    }
    if (!data.empty()) {
        std::memcpy(partial_.data(), data.data(), data.size());
        partialSize_ = data.size();
    }
}

void PageChecksumFilter::checkPage(ByteView page) {
    const std::uint64_t index = pageIndex_++;
    const std::uint64_t block = blockBase_ + index;
    if (block > std::numeric_limits<std::uint32_t>::max())
        throwError(ErrorCode::Assert, "page checksum block number {} is beyond the largest relation", block);
    const auto blockNo = static_cast<std::uint32_t>(block);

    const postgres::PageVerify verdict = postgres::pageVerify(page, blockNo);
    if (verdict == postgres::PageVerify::Zero) return;
    ++result_.pagesChecked;
    if (verdict == postgres::PageVerify::Valid) return;

    bool tolerated = false;
    if (options_.reRead) {
        // A page PostgreSQL is writing while we read it can be torn (its two halves from different
        // versions). If a second read differs, the page is in flux and WAL replay will restore it
        // from a full-page image; if the file no longer reaches it, it was truncated away. Only a
        // page that reads back the same is really damaged.
        std::array<std::byte, kPageSize> again;
        const std::size_t n = options_.reRead(index * kPageSize, again);
        tolerated = n < kPageSize || std::memcmp(again.data(), page.data(), kPageSize) != 0;
    } else if (options_.lsnLimit) {
        tolerated = postgres::pageLsn(page) >= *options_.lsnLimit;
    }
    if (tolerated) {
        result_.tolerated.push_back(blockNo);
    } else {
        result_.errors.push_back(blockNo);
        result_.valid = false;
    }
}

void PageChecksumFilter::finish() {
    ended_ = true;
    if (partialSize_ == 0) return;
    // pgBackRest's rule for a trailing fragment: 512 bytes or more is a page being appended (not
    // checked), anything shorter means the file is damaged. Either way the file is misaligned.
    result_.aligned = false;
    if (partialSize_ < kTornPageMin) result_.valid = false;
    partialSize_ = 0;
}

FilterResult PageChecksumFilter::result() const {
    if (!ended_) return {};
    return result_.toJson();
}

FilterSpec PageChecksumFilter::spec() const {
    FilterSpec spec{FilterType::PageChecksum, {{"segmentNo", std::to_string(options_.segmentNo)}}};
    if (options_.lsnLimit) spec.params["lsnLimit"] = std::to_string(*options_.lsnLimit);
    return spec;
}

std::unique_ptr<PageChecksumFilter> makePageChecksumFilter(PageChecksumOptions options) {
    return std::make_unique<PageChecksumFilter>(std::move(options));
}

std::unique_ptr<Filter> makePageChecksumFilter(const FilterSpec& spec) {
    if (spec.type != FilterType::PageChecksum)
        throwError(ErrorCode::Assert, "filter spec '{}' is not a page checksum spec", filterTypeName(spec.type));
    PageChecksumOptions options;
    bool sawSegment = false;
    for (const auto& [key, value] : spec.params) {
        if (key == "segmentNo") {
            const std::uint64_t segment = parseUInt(value, key);
            if (segment > std::numeric_limits<std::uint32_t>::max())
                throwError(ErrorCode::Assert, "page checksum filter spec has invalid segmentNo '{}'", value);
            options.segmentNo = static_cast<std::uint32_t>(segment);
            sawSegment = true;
        } else if (key == "lsnLimit") {
            options.lsnLimit = parseUInt(value, key);
        } else {
            throwError(ErrorCode::Assert, "filter spec '{}' has unknown param '{}'", filterTypeName(spec.type), key);
        }
    }
    if (!sawSegment)
        throwError(ErrorCode::Assert, "filter spec '{}' lacks param 'segmentNo'", filterTypeName(spec.type));
    return makePageChecksumFilter(std::move(options));
}

}  // namespace pgark::io
