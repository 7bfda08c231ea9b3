#include "postgres/pg_control.h"

#include <fcntl.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstring>

#include "common/error.h"
#include "postgres/crc32c.h"
#include "postgres/version.h"
#include "storage/storage.h"

namespace pgark::postgres {

static_assert(std::endian::native == std::endian::little,
              "pg_control is read in the byte order of its writer; only little-endian hosts are handled");

namespace {

// ControlFileData offsets on 64-bit platforms, identical for PostgreSQL 12 to 17 (spec §8.1).
constexpr std::size_t kOffsetSystemId = 0;
constexpr std::size_t kOffsetControlVersion = 8;
constexpr std::size_t kOffsetCatalogVersion = 12;
constexpr std::size_t kOffsetState = 16;
constexpr std::size_t kOffsetTime = 24;
constexpr std::size_t kOffsetCheckpoint = 32;
constexpr std::size_t kOffsetRedo = 40;
constexpr std::size_t kOffsetTimeline = 48;
constexpr std::size_t kOffsetPrevTimeline = 52;
constexpr std::size_t kOffsetMinRecoveryPoint = 136;
constexpr std::size_t kOffsetPageSize = 216;
constexpr std::size_t kOffsetRelSegmentPages = 220;
constexpr std::size_t kOffsetWalPageSize = 224;
constexpr std::size_t kOffsetWalSegmentSize = 228;
constexpr std::size_t kOffsetDataChecksumVersion = 252;
constexpr std::size_t kOffsetCrc = 288;  // the CRC covers every byte before it

constexpr std::size_t kPgControlFileSize = 8192;  // PG_CONTROL_FILE_SIZE: the whole file PostgreSQL writes

template <class T>
T load(io::ByteView buffer, std::size_t offset) noexcept {
    T value;
    std::memcpy(&value, buffer.data() + offset, sizeof(T));
    return value;
}

template <class T>
void store(std::vector<std::byte>& buffer, std::size_t offset, T value) noexcept {
    std::memcpy(buffer.data() + offset, &value, sizeof(T));
}

}  // namespace

std::string_view pgControlStateName(PgControlState state) noexcept {
    switch (state) {
        case PgControlState::StartingUp: return "starting up";
        case PgControlState::ShutDown: return "shut down";
        case PgControlState::ShutDownInRecovery: return "shut down in recovery";
        case PgControlState::ShuttingDown: return "shutting down";
        case PgControlState::InCrashRecovery: return "in crash recovery";
        case PgControlState::InArchiveRecovery: return "in archive recovery";
        case PgControlState::InProduction: return "in production";
    }
    return "unrecognized status code";
}

PgControl pgControlFromBuffer(io::ByteView buffer, std::string_view path, const PgControlOptions& options) {
    if (buffer.size() < kPgControlDataSize) {
        throw Error(ErrorCode::FileInvalid,
                    fmt::format("pg_control file '{}' is too short: {} bytes, expected at least {}", path,
                                buffer.size(), kPgControlDataSize));
    }

    PgControl control;
    control.controlVersion = load<std::uint32_t>(buffer, kOffsetControlVersion);
    control.catalogVersion = load<std::uint32_t>(buffer, kOffsetCatalogVersion);

    // The version comes first: it decides the layout, including where the CRC lives (PostgreSQL 18
    // moves it), so the CRC can only be checked for a version we know.
    if (options.versionForce) {
        if (!pgVersionSupported(*options.versionForce)) {
            throw Error(ErrorCode::VersionNotSupported,
                        fmt::format("forced PostgreSQL version {} is not supported",
                                    pgVersionToString(*options.versionForce)))
                .withHint(std::string(kPgVersionSupportedHint));
        }
        control.version = pgVersionMajor(*options.versionForce);
    } else {
        const auto version = pgVersionFromControl(control.controlVersion, control.catalogVersion);
        if (!version) {
            throw Error(ErrorCode::VersionNotSupported,
                        fmt::format("unexpected control version {} and catalog version {} in pg_control file '{}'",
                                    control.controlVersion, control.catalogVersion, path))
                .withHint(fmt::format("is this version of PostgreSQL supported? {}", kPgVersionSupportedHint));
        }
        control.version = *version;
    }

    const std::uint32_t crcStored = load<std::uint32_t>(buffer, kOffsetCrc);
    const std::uint32_t crcComputed = crc32c(buffer.first(kOffsetCrc));
    if (crcStored != crcComputed) {
        throw Error(ErrorCode::Checksum,
                    fmt::format("pg_control file '{}' is corrupt: stored crc {:08x} does not match computed {:08x}",
                                path, crcStored, crcComputed))
            .withHint("check that the path is a PostgreSQL data directory and that its storage is healthy");
    }

    control.systemId = load<std::uint64_t>(buffer, kOffsetSystemId);
    control.state = static_cast<PgControlState>(load<std::uint32_t>(buffer, kOffsetState));
    control.time = load<std::int64_t>(buffer, kOffsetTime);
    control.checkpoint = load<std::uint64_t>(buffer, kOffsetCheckpoint);
    control.redo = load<std::uint64_t>(buffer, kOffsetRedo);
    control.timeline = load<std::uint32_t>(buffer, kOffsetTimeline);
    control.prevTimeline = load<std::uint32_t>(buffer, kOffsetPrevTimeline);
    control.minRecoveryPoint = load<std::uint64_t>(buffer, kOffsetMinRecoveryPoint);
    control.pageSize = load<std::uint32_t>(buffer, kOffsetPageSize);
    control.relSegmentPages = load<std::uint32_t>(buffer, kOffsetRelSegmentPages);
    control.walPageSize = load<std::uint32_t>(buffer, kOffsetWalPageSize);
    control.walSegmentSize = load<std::uint32_t>(buffer, kOffsetWalSegmentSize);
    control.dataChecksumVersion = load<std::uint32_t>(buffer, kOffsetDataChecksumVersion);

    // Page checksums, relation segment math and the backup file layout all assume 8 KiB pages,
    // as pgBackRest does.
    if (control.pageSize != kPageSize) {
        throw Error(ErrorCode::Format, fmt::format("page size is {} in pg_control file '{}' but must be {}",
                                                   control.pageSize, path, kPageSize))
            .withHint("PostgreSQL built with a non-default block size is not supported");
    }
    // WAL segment names are computed by dividing by this size: an impossible value must stop here.
    if (!walSegmentSizeValid(control.walSegmentSize)) {
        throw Error(ErrorCode::Format,
                    fmt::format("wal segment size is {} in pg_control file '{}' but must be a power of two "
                                "from {} to {}",
                                control.walSegmentSize, path, kWalSegmentSizeMin, kWalSegmentSizeMax));
    }

    return control;
}

PgControl pgControlLoad(storage::Storage& storage, std::string_view path, const PgControlOptions& options) {
    std::vector<std::byte> buffer(kPgControlFileSize);
    std::size_t filled = 0;
    {
        auto stream = storage.openRead(path, {.limit = kPgControlFileSize});
        // openRead without ignoreMissing throws for a missing file; a null stream breaks its contract.
        if (!stream) throwError(ErrorCode::FileMissing, "unable to open missing file '{}' for read", storage.describe(path));
        while (filled < buffer.size()) {
            const std::size_t got = stream->read(std::span(buffer).subspan(filled));
            if (got == 0) break;
            filled += got;
        }
    }
    return pgControlFromBuffer(std::span(buffer).first(filled), storage.describe(path), options);
}

PgControl pgControlLoadFile(const std::string& path, const PgControlOptions& options) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        const int errNo = errno;
        if (errNo == ENOENT) throwError(ErrorCode::FileMissing, "unable to open missing file '{}' for read", path);
        throwSys(ErrorCode::FileOpen, errNo, fmt::format("unable to open file '{}' for read", path));
    }

    std::vector<std::byte> buffer(kPgControlFileSize);
    std::size_t filled = 0;
    while (filled < buffer.size()) {
        const ssize_t got = ::read(fd, buffer.data() + filled, buffer.size() - filled);
        if (got < 0) {
            if (errno == EINTR) continue;
            const int errNo = errno;
            ::close(fd);
            throwSys(ErrorCode::FileRead, errNo, fmt::format("unable to read file '{}'", path));
        }
        if (got == 0) break;
        filled += static_cast<std::size_t>(got);
    }
    ::close(fd);
    return pgControlFromBuffer(std::span(buffer).first(filled), path, options);
}

std::vector<std::byte> pgControlToBuffer(const PgControl& control) {
    std::uint32_t controlVersion = control.controlVersion;
    std::uint32_t catalogVersion = control.catalogVersion;
    if (controlVersion == 0 && catalogVersion == 0) {
        const PgVersionFacts* facts = pgVersionFacts(control.version);
        if (facts == nullptr) {
            throwError(ErrorCode::VersionNotSupported, "unable to build pg_control for unsupported version {}",
                       pgVersionToString(control.version));
        }
        controlVersion = facts->controlVersion;
        catalogVersion = facts->catalogVersion;
    }

    std::vector<std::byte> buffer(kPgControlFileSize);
    store(buffer, kOffsetSystemId, control.systemId);
    store(buffer, kOffsetControlVersion, controlVersion);
    store(buffer, kOffsetCatalogVersion, catalogVersion);
    store(buffer, kOffsetState, static_cast<std::uint32_t>(control.state));
    store(buffer, kOffsetTime, control.time);
    store(buffer, kOffsetCheckpoint, control.checkpoint);
    store(buffer, kOffsetRedo, control.redo);
    store(buffer, kOffsetTimeline, control.timeline);
    store(buffer, kOffsetPrevTimeline, control.prevTimeline);
    store(buffer, kOffsetMinRecoveryPoint, control.minRecoveryPoint);
    store(buffer, kOffsetPageSize, control.pageSize);
    store(buffer, kOffsetRelSegmentPages, control.relSegmentPages);
    store(buffer, kOffsetWalPageSize, control.walPageSize);
    store(buffer, kOffsetWalSegmentSize, control.walSegmentSize);
    store(buffer, kOffsetDataChecksumVersion, control.dataChecksumVersion);
    store(buffer, kOffsetCrc, crc32c(std::span(buffer).first(kOffsetCrc)));
    return buffer;
}

}  // namespace pgark::postgres
