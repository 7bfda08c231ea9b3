// PostgreSQL data page checksums (spec §8.3): the 16-bit checksum PostgreSQL stores in pd_checksum
// of every 8 KiB page when the cluster has data checksums, and the helpers a backup uses to verify
// pages as it copies them. Pure functions: thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "common/io/buffer.h"
#include "postgres/types.h"

namespace pgark::postgres {

// The checksum PostgreSQL computes for `page` (exactly kPageSize bytes) at absolute block number
// `blockNo` of its relation. The stored pd_checksum is ignored (treated as 0). Never returns 0.
// Throws Error(Assert) if the page is not kPageSize bytes.
std::uint16_t pageChecksum(io::ByteView page, std::uint32_t blockNo);

// pd_checksum as stored in the page header.
std::uint16_t pageChecksumStored(io::ByteView page) noexcept;
// pd_lsn of the page: the LSN of the last WAL record that changed it.
Lsn pageLsn(io::ByteView page) noexcept;

// PostgreSQL's PageIsNew: pd_upper == 0, i.e. the page was never initialised.
bool pageIsNew(io::ByteView page) noexcept;
// True when every byte of the page is zero.
bool pageIsZero(io::ByteView page) noexcept;

enum class PageVerify {
    Valid,    // stored checksum matches
    Zero,     // an all-zero new page: has no checksum, nothing to verify
    Invalid,  // checksum mismatch, or a "new" page (pd_upper == 0) that is not all zeros
};

// Verifies one page at absolute block number `blockNo`, the way PostgreSQL does when it reads a
// page. Throws Error(Assert) if the page is not kPageSize bytes.
PageVerify pageVerify(io::ByteView page, std::uint32_t blockNo);

// The absolute block number of page `pageIndex` of a relation file: "16384.3" is segment 3 of
// relation 16384, so its page 0 is block 3 * 131072. Uses the file name's numeric suffix (none =
// segment 0); returns nullopt if the suffix is not a number or the block number overflows.
std::optional<std::uint32_t> pageBlockNo(std::string_view fileName, std::uint32_t pageIndex) noexcept;

}  // namespace pgark::postgres
