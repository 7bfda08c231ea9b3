// WAL facts: the long page header at the start of every segment (§8.2), segment file names
// (TTTTTTTTLLLLLLLLSSSSSSSS: timeline, "log" = high 32 bits of the LSN, segment within it), LSN
// text, and recognition of the other files PostgreSQL archives (timeline and backup history).
// Pure functions on values: thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/io/buffer.h"
#include "postgres/types.h"

namespace pgark::postgres {

inline constexpr std::size_t kWalHeaderSize = 40;             // bytes of the long page header
inline constexpr std::size_t kWalHeaderReadSize = 512;        // bytes archive-push reads to check a segment
inline constexpr std::uint16_t kWalLongHeaderFlag = 0x0002;   // XLP_LONG_HEADER in xlp_info
inline constexpr std::size_t kWalSegmentNameSize = 24;        // hex characters in a segment name
inline constexpr std::string_view kWalPartialSuffix = ".partial";

struct WalHeader {
    std::uint16_t magic = 0;          // xlp_magic
    unsigned version = 0;             // major version that writes `magic`, 150000 style
    std::uint16_t info = 0;           // xlp_info flags
    TimeLineId timeline = 0;          // xlp_tli
    Lsn pageAddress = 0;              // xlp_pageaddr: LSN of this page (= start of the segment)
    std::uint32_t remainingLength = 0;// xlp_rem_len: bytes of a record continued from the previous page
    std::uint64_t systemId = 0;       // xlp_sysid: must match the cluster's pg_control
    std::uint32_t segmentSize = 0;    // xlp_seg_size, bytes
    std::uint32_t blockSize = 0;      // xlp_xlog_blcksz, bytes
};

// Parses the long page header at the start of `buffer` (the first bytes of a segment); `name`
// only names the file in messages. Throws Error(Format) if the buffer is shorter than the header
// or the long-header flag is missing, Error(VersionNotSupported) if the magic is unknown.
WalHeader walHeaderFromBuffer(io::ByteView buffer, std::string_view name);

struct WalSegment {
    TimeLineId timeline = 0;
    std::uint32_t log = 0;       // high 32 bits of the LSN
    std::uint32_t segment = 0;   // segment number within `log`
    bool partial = false;        // name ended in ".partial"

    std::string name() const;    // "000000010000000000000001" (+ ".partial")
    bool operator==(const WalSegment&) const = default;
};

// True for names matching ^[0-9A-F]{24}(\.partial)?$ (PostgreSQL writes upper-case hex only).
bool isWalSegmentName(std::string_view name) noexcept;
// The parts of a segment name; nullopt if `name` is not one.
std::optional<WalSegment> walSegmentParse(std::string_view name) noexcept;
// "TTTTTTTTLLLLLLLLSSSSSSSS" from its parts.
std::string walSegmentName(TimeLineId timeline, std::uint32_t log, std::uint32_t segment);

// Segments per "log" for a segment size: 256 for 16 MiB, 4 for 1 GiB.
std::uint32_t walSegmentsPerLog(std::uint32_t segmentSize);
// The name of the segment that holds `lsn` on `timeline`.
// Throws Error(Format) for an impossible segment size (all functions taking one do).
std::string walSegmentForLsn(TimeLineId timeline, Lsn lsn, std::uint32_t segmentSize);
// The first LSN inside a segment.
Lsn walSegmentStartLsn(const WalSegment& segment, std::uint32_t segmentSize);
// The segment after `name` on the same timeline (never ".partial"). Throws Error(Format) if
// `name` is not a segment name.
std::string walSegmentNext(std::string_view name, std::uint32_t segmentSize);
// Every segment from `start` to `stop` inclusive, in order. Throws Error(Format) if either is not
// a segment name, they are on different timelines, or stop comes before start.
std::vector<std::string> walSegmentRange(std::string_view start, std::string_view stop, std::uint32_t segmentSize);

// "0/16000028" -> 0x16000028: two hex numbers of 1 to 8 digits (either case); nullopt otherwise.
std::optional<Lsn> lsnParse(std::string_view text) noexcept;
// As lsnParse, but throws Error(Format) "invalid lsn '<text>'".
Lsn lsnFromString(std::string_view text);
// 0x16000028 -> "0/16000028" (upper case, no padding), as PostgreSQL prints it.
std::string lsnToString(Lsn lsn);

// "00000002.history": a timeline history file.
bool isTimelineHistoryName(std::string_view name) noexcept;
// "000000010000000000000002.00000028.backup": a backup history file.
bool isBackupHistoryName(std::string_view name) noexcept;
// The archive subdirectory of a name whose first 24 characters are hex ("0000000100000000" for
// segments, partials and backup history files); nullopt for others (timeline history files live
// directly in the archive id directory).
std::optional<std::string> walArchiveSubdir(std::string_view name);

// Names that changed in PostgreSQL 10 ("xlog" -> "wal", "location" -> "lsn"), for SQL and paths.
std::string_view pgWalName(unsigned version) noexcept;   // "wal" / "xlog"
std::string_view pgLsnName(unsigned version) noexcept;   // "lsn" / "location"
std::string_view pgWalPath(unsigned version) noexcept;   // "pg_wal" / "pg_xlog"

}  // namespace pgark::postgres
