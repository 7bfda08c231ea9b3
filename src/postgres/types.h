// Scalar types and fixed sizes shared by the PostgreSQL binary-format modules (pg_control, WAL,
// data pages). Plain values only: no I/O, no state, safe from any thread.
#pragma once

#include <cstdint>

namespace pgark::postgres {

using Lsn = std::uint64_t;         // a WAL position ("log sequence number"), bytes from the start of WAL
using TimeLineId = std::uint32_t;  // a WAL timeline, 1 for a fresh cluster

inline constexpr std::uint32_t kPageSize = 8192;                         // bytes; the only data page size supported
inline constexpr std::uint32_t kRelSegmentPages = 131072;                // pages per 1 GiB relation segment file
inline constexpr std::uint32_t kWalSegmentSizeDefault = 16 * 1024 * 1024;  // bytes
inline constexpr std::uint32_t kWalSegmentSizeMin = 1024 * 1024;         // bytes, PostgreSQL's initdb lower bound
inline constexpr std::uint32_t kWalSegmentSizeMax = 1024 * 1024 * 1024;  // bytes, PostgreSQL's initdb upper bound

// True for a WAL segment size PostgreSQL can produce: a power of two from 1 MiB to 1 GiB.
constexpr bool walSegmentSizeValid(std::uint32_t size) noexcept {
    return size >= kWalSegmentSizeMin && size <= kWalSegmentSizeMax && (size & (size - 1)) == 0;
}

}  // namespace pgark::postgres
