#include "postgres/version.h"

#include <array>
#include <charconv>

#include <fmt/format.h>

namespace pgark::postgres {

namespace {

// From the format spec §8.1 (control and catalog versions) and §8.2 (WAL page magic).
constexpr std::array<PgVersionFacts, 6> kVersions{{
    {kPgVersion12, 1201, 201909212, 0xD101},
    {kPgVersion13, 1300, 202007201, 0xD106},
    {kPgVersion14, 1300, 202107181, 0xD10D},
    {kPgVersion15, 1300, 202209061, 0xD110},
    {kPgVersion16, 1300, 202307071, 0xD113},
    {kPgVersion17, 1700, 202406281, 0xD116},
}};

std::optional<unsigned> parseUnsigned(std::string_view text) noexcept {
    unsigned value = 0;
    if (text.empty() || text.size() > 4) return std::nullopt;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

}  // namespace

std::span<const PgVersionFacts> pgVersionTable() noexcept {
    return kVersions;
}

const PgVersionFacts* pgVersionFacts(unsigned version) noexcept {
    const unsigned major = pgVersionMajor(version);
    for (const auto& facts : kVersions)
        if (facts.version == major) return &facts;
    return nullptr;
}

std::optional<unsigned> pgVersionFromControl(std::uint32_t controlVersion, std::uint32_t catalogVersion) noexcept {
    for (const auto& facts : kVersions)
        if (facts.controlVersion == controlVersion && facts.catalogVersion == catalogVersion) return facts.version;
    return std::nullopt;
}

std::optional<unsigned> pgVersionFromWalMagic(std::uint16_t magic) noexcept {
    for (const auto& facts : kVersions)
        if (facts.walMagic == magic) return facts.version;
    return std::nullopt;
}

bool pgVersionSupported(unsigned version) noexcept {
    return pgVersionFacts(version) != nullptr;
}

bool pgBackRestKnows(unsigned version) noexcept {
    const unsigned major = pgVersionMajor(version);
    return major >= kPgBackRestVersionMin && major <= kPgBackRestVersionMax;
}

std::string pgVersionToString(unsigned version) {
    if (version >= 100000) return fmt::format("{}", version / 10000);
    return fmt::format("{}.{}", version / 10000, version / 100 % 100);
}

std::optional<unsigned> pgVersionFromString(std::string_view text) noexcept {
    const auto dot = text.find('.');
    if (dot == std::string_view::npos) {
        // Single-number versions exist from 10 on.
        const auto major = parseUnsigned(text);
        if (!major || *major < 10) return std::nullopt;
        return *major * 10000;
    }
    // Two-part versions end with 9.6.
    const auto major = parseUnsigned(text.substr(0, dot));
    const auto minor = parseUnsigned(text.substr(dot + 1));
    if (!major || !minor || *major == 0 || *major > 9 || *minor > 99) return std::nullopt;
    return *major * 10000 + *minor * 100;
}

}  // namespace pgark::postgres
