// PostgreSQL major versions: the per-version constants of pg_control and WAL (§8.1/§8.2 of the
// format spec), version detection from those constants, and the version text used in info files
// ("15", or "9.6" before PostgreSQL 10). Versions are numbers in server_version_num style with the
// minor part zeroed (150000 = 15, 90600 = 9.6). Constant data only: thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace pgark::postgres {

inline constexpr unsigned kPgVersion12 = 120000;
inline constexpr unsigned kPgVersion13 = 130000;
inline constexpr unsigned kPgVersion14 = 140000;
inline constexpr unsigned kPgVersion15 = 150000;
inline constexpr unsigned kPgVersion16 = 160000;
inline constexpr unsigned kPgVersion17 = 170000;

inline constexpr unsigned kPgVersionMin = kPgVersion12;  // oldest version pgark reads
inline constexpr unsigned kPgVersionMax = kPgVersion17;  // newest version pgark reads

// pgBackRest 2.45 knows PostgreSQL 9.3 to 15: a repository written for 16 or 17 is ours alone.
inline constexpr unsigned kPgBackRestVersionMin = 90300;
inline constexpr unsigned kPgBackRestVersionMax = kPgVersion15;

struct PgVersionFacts {
    unsigned version;               // 150000
    std::uint32_t controlVersion;   // pg_control_version
    std::uint32_t catalogVersion;   // catalog_version_no
    std::uint16_t walMagic;         // xlp_magic of the WAL page header
};

// Every version pgark supports, oldest first.
std::span<const PgVersionFacts> pgVersionTable() noexcept;
// The facts for a supported major version (minor part ignored); nullptr if unsupported.
const PgVersionFacts* pgVersionFacts(unsigned version) noexcept;

// The version whose pg_control has both these numbers; nullopt if none. Control version alone is
// not enough: 13 to 16 share 1300 and only the catalog version tells them apart.
std::optional<unsigned> pgVersionFromControl(std::uint32_t controlVersion, std::uint32_t catalogVersion) noexcept;
// The version that writes WAL with this page magic; nullopt if none.
std::optional<unsigned> pgVersionFromWalMagic(std::uint16_t magic) noexcept;

// server_version_num -> major version: 150004 -> 150000, 90624 -> 90600.
constexpr unsigned pgVersionMajor(unsigned serverVersionNum) noexcept {
    return serverVersionNum >= 100000 ? serverVersionNum / 10000 * 10000 : serverVersionNum / 100 * 100;
}

// True when pgark reads this major version (12 to 17).
bool pgVersionSupported(unsigned version) noexcept;
// True when pgBackRest 2.45 knows this major version (9.3 to 15).
bool pgBackRestKnows(unsigned version) noexcept;

// 150000 -> "15", 90600 -> "9.6" (the form archive.info and backup.info store).
std::string pgVersionToString(unsigned version);
// "15" -> 150000, "9.6" -> 90600; nullopt for anything else ("15.2", "9", "x").
std::optional<unsigned> pgVersionFromString(std::string_view text) noexcept;

// The hint given with VersionNotSupported errors.
inline constexpr std::string_view kPgVersionSupportedHint = "pgark supports PostgreSQL 12 to 17";

}  // namespace pgark::postgres
