#include "postgres/wal.h"

#include <bit>
#include <cstring>

#include "common/error.h"
#include "postgres/version.h"

namespace pgark::postgres {

namespace {

// XLogLongPageHeaderData offsets (spec §8.2).
constexpr std::size_t kOffsetMagic = 0;
constexpr std::size_t kOffsetInfo = 2;
constexpr std::size_t kOffsetTimeline = 4;
constexpr std::size_t kOffsetPageAddress = 8;
constexpr std::size_t kOffsetRemainingLength = 16;
constexpr std::size_t kOffsetSystemId = 24;
constexpr std::size_t kOffsetSegmentSize = 32;
constexpr std::size_t kOffsetBlockSize = 36;

constexpr unsigned kPgVersion10 = 100000;

template <class T>
T load(io::ByteView buffer, std::size_t offset) noexcept {
    static_assert(std::endian::native == std::endian::little, "WAL is read in its writer's (little-endian) order");
    T value;
    std::memcpy(&value, buffer.data() + offset, sizeof(T));
    return value;
}

bool isUpperHex(char c) noexcept {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

bool allUpperHex(std::string_view text) noexcept {
    for (const char c : text)
        if (!isUpperHex(c)) return false;
    return true;
}

// Parses 1..8 hex digits of either case.
std::optional<std::uint32_t> parseHex32(std::string_view text) noexcept {
    if (text.empty() || text.size() > 8) return std::nullopt;
    std::uint32_t value = 0;
    for (const char c : text) {
        std::uint32_t digit = 0;
        if (c >= '0' && c <= '9') digit = static_cast<std::uint32_t>(c - '0');
        else if (c >= 'A' && c <= 'F') digit = static_cast<std::uint32_t>(c - 'A' + 10);
        else if (c >= 'a' && c <= 'f') digit = static_cast<std::uint32_t>(c - 'a' + 10);
        else return std::nullopt;
        value = value << 4 | digit;
    }
    return value;
}

void checkSegmentSize(std::uint32_t segmentSize) {
    if (!walSegmentSizeValid(segmentSize)) {
        throwError(ErrorCode::Format, "invalid wal segment size {}: must be a power of two from {} to {}",
                   segmentSize, kWalSegmentSizeMin, kWalSegmentSizeMax);
    }
}

WalSegment parseOrThrow(std::string_view name) {
    const auto segment = walSegmentParse(name);
    if (!segment) throwError(ErrorCode::Format, "invalid wal segment name '{}'", name);
    return *segment;
}

}  // namespace

WalHeader walHeaderFromBuffer(io::ByteView buffer, std::string_view name) {
    if (buffer.size() < kWalHeaderSize) {
        throwError(ErrorCode::Format, "wal file '{}' is too short: {} bytes, expected at least {}", name,
                   buffer.size(), kWalHeaderSize);
    }

    WalHeader header;
    header.magic = load<std::uint16_t>(buffer, kOffsetMagic);
    header.info = load<std::uint16_t>(buffer, kOffsetInfo);

    // Only the first page of a segment carries the long header with system id and segment size;
    // without the flag those bytes are WAL records, so nothing below could be trusted.
    if ((header.info & kWalLongHeaderFlag) == 0) {
        throwError(ErrorCode::Format, "first page header in wal file '{}' is expected to be in long format", name);
    }

    const auto version = pgVersionFromWalMagic(header.magic);
    if (!version) {
        throw Error(ErrorCode::VersionNotSupported,
                    fmt::format("unexpected wal magic {:#06x} in wal file '{}'", header.magic, name))
            .withHint(fmt::format("is this version of PostgreSQL supported? {}", kPgVersionSupportedHint));
    }
    header.version = *version;
    header.timeline = load<std::uint32_t>(buffer, kOffsetTimeline);
    header.pageAddress = load<std::uint64_t>(buffer, kOffsetPageAddress);
    header.remainingLength = load<std::uint32_t>(buffer, kOffsetRemainingLength);
    header.systemId = load<std::uint64_t>(buffer, kOffsetSystemId);
    header.segmentSize = load<std::uint32_t>(buffer, kOffsetSegmentSize);
    header.blockSize = load<std::uint32_t>(buffer, kOffsetBlockSize);
    return header;
}

std::string WalSegment::name() const {
    std::string result = walSegmentName(timeline, log, segment);
    if (partial) result += kWalPartialSuffix;
    return result;
}

bool isWalSegmentName(std::string_view name) noexcept {
    if (name.size() == kWalSegmentNameSize + kWalPartialSuffix.size()) {
        if (name.substr(kWalSegmentNameSize) != kWalPartialSuffix) return false;
    } else if (name.size() != kWalSegmentNameSize) {
        return false;
    }
    return allUpperHex(name.substr(0, kWalSegmentNameSize));
}

std::optional<WalSegment> walSegmentParse(std::string_view name) noexcept {
    if (!isWalSegmentName(name)) return std::nullopt;
    WalSegment segment;
    segment.timeline = *parseHex32(name.substr(0, 8));
    segment.log = *parseHex32(name.substr(8, 8));
    segment.segment = *parseHex32(name.substr(16, 8));
    segment.partial = name.size() > kWalSegmentNameSize;
    return segment;
}

std::string walSegmentName(TimeLineId timeline, std::uint32_t log, std::uint32_t segment) {
    return fmt::format("{:08X}{:08X}{:08X}", timeline, log, segment);
}

std::uint32_t walSegmentsPerLog(std::uint32_t segmentSize) {
    checkSegmentSize(segmentSize);
    // One "log" spans 4 GiB of LSN space (the low 32 bits). PostgreSQL's XLogSegmentsPerXLogId.
    return static_cast<std::uint32_t>((std::uint64_t{1} << 32) / segmentSize);
}

std::string walSegmentForLsn(TimeLineId timeline, Lsn lsn, std::uint32_t segmentSize) {
    checkSegmentSize(segmentSize);
    return walSegmentName(timeline, static_cast<std::uint32_t>(lsn >> 32),
                          static_cast<std::uint32_t>((lsn & 0xFFFFFFFF) / segmentSize));
}

Lsn walSegmentStartLsn(const WalSegment& segment, std::uint32_t segmentSize) {
    checkSegmentSize(segmentSize);
    return (Lsn{segment.log} << 32) + Lsn{segment.segment} * segmentSize;
}

std::string walSegmentNext(std::string_view name, std::uint32_t segmentSize) {
    WalSegment segment = parseOrThrow(name);
    const std::uint32_t perLog = walSegmentsPerLog(segmentSize);
    if (++segment.segment >= perLog) {
        segment.segment = 0;
        ++segment.log;
    }
    return walSegmentName(segment.timeline, segment.log, segment.segment);
}

std::vector<std::string> walSegmentRange(std::string_view start, std::string_view stop, std::uint32_t segmentSize) {
    const WalSegment first = parseOrThrow(start);
    const WalSegment last = parseOrThrow(stop);
    if (first.timeline != last.timeline) {
        throwError(ErrorCode::Format, "wal segments '{}' and '{}' are on different timelines", start, stop);
    }
    const Lsn firstLsn = walSegmentStartLsn(first, segmentSize);
    const Lsn lastLsn = walSegmentStartLsn(last, segmentSize);
    if (lastLsn < firstLsn) throwError(ErrorCode::Format, "wal segment '{}' comes before '{}'", stop, start);

    std::vector<std::string> result;
    result.reserve(static_cast<std::size_t>((lastLsn - firstLsn) / segmentSize + 1));
    for (Lsn lsn = firstLsn; lsn <= lastLsn; lsn += segmentSize)
        result.push_back(walSegmentForLsn(first.timeline, lsn, segmentSize));
    return result;
}

std::optional<Lsn> lsnParse(std::string_view text) noexcept {
    const auto slash = text.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    const auto high = parseHex32(text.substr(0, slash));
    const auto low = parseHex32(text.substr(slash + 1));
    if (!high || !low) return std::nullopt;
    return Lsn{*high} << 32 | *low;
}

Lsn lsnFromString(std::string_view text) {
    const auto lsn = lsnParse(text);
    if (!lsn) throwError(ErrorCode::Format, "invalid lsn '{}'", text);
    return *lsn;
}

std::string lsnToString(Lsn lsn) {
    return fmt::format("{:X}/{:X}", static_cast<std::uint32_t>(lsn >> 32), static_cast<std::uint32_t>(lsn));
}

bool isTimelineHistoryName(std::string_view name) noexcept {
    constexpr std::string_view kSuffix = ".history";
    return name.size() == 8 + kSuffix.size() && name.substr(8) == kSuffix && allUpperHex(name.substr(0, 8));
}

bool isBackupHistoryName(std::string_view name) noexcept {
    constexpr std::string_view kSuffix = ".backup";
    constexpr std::size_t kSize = kWalSegmentNameSize + 1 + 8 + kSuffix.size();
    return name.size() == kSize && allUpperHex(name.substr(0, kWalSegmentNameSize)) &&
           name[kWalSegmentNameSize] == '.' && allUpperHex(name.substr(kWalSegmentNameSize + 1, 8)) &&
           name.substr(kWalSegmentNameSize + 9) == kSuffix;
}

std::optional<std::string> walArchiveSubdir(std::string_view name) {
    if (name.size() < kWalSegmentNameSize || !allUpperHex(name.substr(0, kWalSegmentNameSize))) return std::nullopt;
    return std::string(name.substr(0, 16));
}

std::string_view pgWalName(unsigned version) noexcept {
    return version >= kPgVersion10 ? "wal" : "xlog";
}

std::string_view pgLsnName(unsigned version) noexcept {
    return version >= kPgVersion10 ? "lsn" : "location";
}

std::string_view pgWalPath(unsigned version) noexcept {
    return version >= kPgVersion10 ? "pg_wal" : "pg_xlog";
}

}  // namespace pgark::postgres
