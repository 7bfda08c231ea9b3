// Repository paths and lookup of archived WAL files.
#include "command/archive/archive_files.h"

#include <fmt/format.h>

#include <cctype>

#include "postgres/wal.h"

namespace pgark::command::archive {
namespace {

bool startsWith24Hex(std::string_view name) {
    if (name.size() < 24) return false;
    for (std::size_t i = 0; i < 24; i++) {
        const char c = name[i];
        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'))) return false;
    }
    return true;
}

bool isLowerHex(std::string_view text) {
    for (const char c : text)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

// The extensions a stored segment may carry. ".xz" is recognised (pgBackRest lists it) so that
// such a file counts as present, but it cannot be read.
constexpr std::string_view kKnownExtensions[] = {"", ".gz", ".bz2", ".lz4", ".zst", ".xz"};

}  // namespace

std::string archiveStanzaPath(std::string_view stanza) { return fmt::format("archive/{}", stanza); }

std::string archiveFileDir(std::string_view stanza, std::string_view archiveId, std::string_view walName) {
    if (startsWith24Hex(walName)) return fmt::format("archive/{}/{}/{}", stanza, archiveId, walName.substr(0, 16));
    return fmt::format("archive/{}/{}", stanza, archiveId);
}

std::string storedSegmentName(std::string_view segment, std::string_view sha1, compress::CompressType type) {
    return fmt::format("{}-{}{}", segment, sha1, compress::compressExtension(type));
}

std::vector<StoredSegment> findStoredSegment(storage::Storage& repo, std::string_view stanza,
                                             std::string_view archiveId, std::string_view segment) {
    const std::string dir = archiveFileDir(stanza, archiveId, segment);
    const std::string prefix = fmt::format("{}-", segment);
    std::vector<StoredSegment> found;
    repo.list(dir, {.level = storage::InfoLevel::Exists, .prefix = prefix}, [&](const storage::FileInfo& entry) {
        // <prefix><40 hex><ext>: anything else with the same prefix is not ours to match.
        const std::string_view rest = std::string_view(entry.name).substr(prefix.size());
        if (rest.size() < 40 || !isLowerHex(rest.substr(0, 40))) return;
        const std::string_view ext = rest.substr(40);
        for (const std::string_view known : kKnownExtensions) {
            if (ext == known) {
                found.push_back({fmt::format("{}/{}", dir, entry.name), std::string(rest.substr(0, 40)),
                                 compress::compressTypeFromFileName(entry.name)});
                return;
            }
        }
    });
    return found;
}

}  // namespace pgark::command::archive
