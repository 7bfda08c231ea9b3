// pg_control: the facts pgark needs from a cluster's global/pg_control (system id, version,
// checkpoint, timeline, page and WAL segment sizes, data checksums), parsed from the first 512
// bytes with the layout of §8.1 and checked with its CRC-32C. Pure parsing plus two loaders;
// the returned PgControl is a plain value. Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/io/buffer.h"
#include "postgres/types.h"

namespace pgark::storage {
class Storage;
}

namespace pgark::postgres {

inline constexpr std::string_view kPgControlPath = "global/pg_control";  // relative to PGDATA
inline constexpr std::size_t kPgControlDataSize = 512;  // bytes that hold the struct; the file is 8192

// DBState of PostgreSQL (the value stored in pg_control's state field).
enum class PgControlState : std::uint32_t {
    StartingUp = 0,
    ShutDown = 1,
    ShutDownInRecovery = 2,
    ShuttingDown = 3,
    InCrashRecovery = 4,
    InArchiveRecovery = 5,
    InProduction = 6,
};

// The words pg_controldata prints for a state ("in production"); "unrecognized status code" otherwise.
std::string_view pgControlStateName(PgControlState state) noexcept;

struct PgControl {
    std::uint64_t systemId = 0;            // database system identifier
    std::uint32_t controlVersion = 0;      // pg_control_version (1300, ...)
    std::uint32_t catalogVersion = 0;      // catalog_version_no (202209061, ...)
    unsigned version = 0;                  // detected (or forced) major version, 150000 style
    PgControlState state = PgControlState::StartingUp;
    std::int64_t time = 0;                 // last update of pg_control, seconds since the epoch
    Lsn checkpoint = 0;                    // LSN of the latest checkpoint record
    Lsn redo = 0;                          // redo LSN of the latest checkpoint
    TimeLineId timeline = 0;               // timeline of the latest checkpoint
    TimeLineId prevTimeline = 0;           // previous timeline of the latest checkpoint
    Lsn minRecoveryPoint = 0;              // 0 unless recovering / restored from a backup
    std::uint32_t pageSize = 0;            // bytes, always kPageSize after a successful parse
    std::uint32_t relSegmentPages = 0;     // pages per relation segment file (131072 = 1 GiB)
    std::uint32_t walPageSize = 0;         // bytes per WAL page (8192)
    std::uint32_t walSegmentSize = 0;      // bytes per WAL segment file
    std::uint32_t dataChecksumVersion = 0; // 0 = data checksums off

    bool pageChecksums() const noexcept { return dataChecksumVersion != 0; }
};

struct PgControlOptions {
    // Skips detection and reads the file as this major version (pgBackRest's --pg-version-force,
    // for builds with patched catalog versions). Must be a supported version.
    std::optional<unsigned> versionForce;
};

// Parses pg_control from `buffer` (at least 512 bytes). `path` only names the file in messages.
// Throws Error(FileInvalid) if the buffer is too short, Error(VersionNotSupported) if control and
// catalog version match no supported PostgreSQL, Error(Checksum) if the CRC does not match
// (torn or corrupt file), Error(Format) for a page size other than 8192 or an impossible WAL
// segment size.
PgControl pgControlFromBuffer(io::ByteView buffer, std::string_view path = kPgControlPath,
                              const PgControlOptions& options = {});

// Reads and parses `path` (e.g. "global/pg_control") from `storage` (a PGDATA storage).
// Throws Error(FileMissing) if it does not exist, plus the errors of pgControlFromBuffer; messages
// name storage.describe(path).
PgControl pgControlLoad(storage::Storage& storage, std::string_view path = kPgControlPath,
                        const PgControlOptions& options = {});

// Reads and parses a pg_control file by absolute path, without a Storage.
// Throws Error(FileMissing) if absent, Error(FileOpen)/Error(FileRead) on I/O errors.
PgControl pgControlLoadFile(const std::string& path, const PgControlOptions& options = {});

// Builds a valid 8192-byte pg_control image (tests and fixtures): fields at their §8.1 offsets and
// the CRC set. Control and catalog versions are taken from `control` when either is non-zero,
// otherwise from `control.version` (then throws Error(VersionNotSupported) for an unknown version).
std::vector<std::byte> pgControlToBuffer(const PgControl& control);

}  // namespace pgark::postgres
