// info_pg: one PostgreSQL cluster identity in the history of archive.info and backup.info (spec
// §2.5, §2.6), and the archive id derived from it ("15-1"). Shared by both models so they can be
// compared (§2.7). Plain data.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace pgark::info {

struct InfoPgData {
    unsigned id = 0;                     // history id: 1, 2, ... (stanza-upgrade adds current + 1)
    std::uint64_t systemId = 0;          // pg_control system identifier (full 64 bits)
    std::string version;                 // "9.6" style below 10, major only from 10: "15"
    std::uint32_t catalogVersion = 0;    // pg_control catalog version; backup.info only (0 in archive.info)
    std::uint32_t controlVersion = 0;    // pg_control version, e.g. 1300; backup.info only (0 in archive.info)

    friend bool operator==(const InfoPgData&, const InfoPgData&) = default;
};

// "<version>-<id>", the directory of this history entry's WAL under archive/<stanza>/.
std::string archiveId(const InfoPgData& pg);

// A [db:history] key as a history id. Throws Error(Format) unless it is a decimal number in 1..2^32-1.
unsigned parseHistoryId(std::string_view key);

}  // namespace pgark::info
