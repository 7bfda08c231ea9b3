// PageChecksumFilter: an observer io::Filter (FilterType::PageChecksum) that verifies the PostgreSQL
// data page checksum (spec §8.3) of every 8 KiB page of one relation segment file as the file streams
// by during a backup, and reports the bad blocks in the manifest's `checksum-page-error` form
// (spec §3.9, §4.8). It never changes or copies the stream, except to join a page split across two
// observe() calls. It is not a repair tool and does not read the file itself: a page that fails is
// re-read only through the optional callback the caller provides. Single-threaded; owned by its chain.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/io/filter.h"
#include "postgres/types.h"

namespace pgark::io {

// What the filter found in one file.
struct PageChecksumResult {
    bool valid = true;    // false: a page failed, or the file ends in a fragment too short to be a torn page
    bool aligned = true;  // false: the file length is not a multiple of the page size
    std::vector<std::uint32_t> errors;     // absolute block numbers of bad pages, ascending
    std::vector<std::uint32_t> tolerated;  // failed but forgiven: changed on re-read, gone, or newer than lsnLimit
    std::uint64_t pagesChecked = 0;        // pages whose checksum was computed (all-zero new pages are not)

    // The manifest's `checksum-page-error` value: runs of consecutive blocks become [first,last],
    // e.g. blocks 1,3,4,5 -> "[1,[3,5]]"; "[]" when there is no error.
    std::string errorJson() const;
    // The whole result as compact JSON with sorted keys, the form FilterResult carries:
    // {"align":true,"error":[1,[3,5]],"valid":false} ("error" only when there are errors).
    // `tolerated` and `pagesChecked` are local diagnostics and are not part of it.
    std::string toJson() const;
    // Parses toJson() output (errors expanded back to single blocks); throws Error(Format) on
    // anything else.
    static PageChecksumResult fromJson(std::string_view json);

    friend bool operator==(const PageChecksumResult&, const PageChecksumResult&) = default;
};

// Reads `out.size()` bytes of the file again at byte `offset` (relative to the start of this
// segment file) into `out`; returns the bytes read, fewer (0 included) when the file is now shorter
// or gone. May throw Error, which then fails the stream.
using PageReRead = std::function<std::size_t(std::uint64_t offset, MutableByteView out)>;

struct PageChecksumOptions {
    std::uint32_t segmentNo = 0;  // the file name's numeric suffix ("16384.3" -> 3): page 0 is block 3 * 131072
    // A page failing with pd_lsn >= lsnLimit (the backup start LSN) was written after the backup
    // began: WAL replay rewrites it from a full-page image, so it is tolerated. Used only when
    // there is no reRead, which then decides for every failing page instead (pgBackRest 2.45 does
    // the re-read: a page that changed between the two reads is being written, not corrupt).
    std::optional<postgres::Lsn> lsnLimit;
    PageReRead reRead;  // empty: no re-read
};

class PageChecksumFilter final : public Filter {
public:
    // Throws Error(Assert) when segmentNo puts block numbers beyond 32 bits.
    explicit PageChecksumFilter(PageChecksumOptions options);

    FilterType type() const noexcept override { return FilterType::PageChecksum; }
    bool observer() const noexcept override { return true; }
    void observe(ByteView data) override;
    // The JSON of toJson() once the input ended; empty (monostate) before.
    FilterResult result() const override;
    // {"segmentNo": "3", "lsnLimit": "<decimal>"}: the re-read callback cannot travel in a spec.
    FilterSpec spec() const override;

    // The typed result; meaningful once the input ended (ended() is true).
    const PageChecksumResult& pageResult() const noexcept { return result_; }
    bool ended() const noexcept { return ended_; }

private:
    void checkPage(ByteView page);
    void finish();

    PageChecksumOptions options_;
    std::uint64_t blockBase_;        // absolute block number of the segment's page 0
    std::uint64_t pageIndex_ = 0;    // index in this file of the next whole page to check
    std::array<std::byte, postgres::kPageSize> partial_{};  // a page split across observe() calls
    std::size_t partialSize_ = 0;    // bytes of partial_ filled
    PageChecksumResult result_;
    bool ended_ = false;
};

// Builds the filter; `options.reRead` may be empty.
std::unique_ptr<PageChecksumFilter> makePageChecksumFilter(PageChecksumOptions options);
// Rebuilds the filter from spec() output (no re-read callback); throws Error(Assert) for another
// type, an unknown param or a malformed number.
std::unique_ptr<Filter> makePageChecksumFilter(const FilterSpec& spec);

}  // namespace pgark::io
