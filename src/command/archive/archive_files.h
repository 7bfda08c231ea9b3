// Where WAL lives in a repository (spec §5.1) and how a stored WAL file is found: the archive id
// directory, the 16-character segment directory, the stored name `<segment>-<sha1><ext>`, and the
// lookup that lists a segment directory for one segment. Shared by archive-push, archive-get, check
// and (later) backup and expire. Stateless; Storage is borrowed for the call.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/compress/compress.h"
#include "storage/storage.h"

namespace pgark::command::archive {

// "archive/<stanza>"
std::string archiveStanzaPath(std::string_view stanza);
// The repository path of a file PostgreSQL archives, without the checksum suffix:
// "archive/<stanza>/<archiveId>/<first 16>/<name>" for names that start with 24 hex digits
// (segments, .partial, .backup), "archive/<stanza>/<archiveId>/<name>" for the rest (.history).
std::string archiveFileDir(std::string_view stanza, std::string_view archiveId, std::string_view walName);

// A segment stored in a repository.
struct StoredSegment {
    std::string path;                   // repository path of the stored file
    std::string sha1;                   // checksum of the uncompressed segment, from the name
    compress::CompressType compressType = compress::CompressType::None;  // from the extension
};

// The stored name of a segment: "<segment>-<sha1><ext>" ("<24 hex>.partial-<sha1><ext>").
std::string storedSegmentName(std::string_view segment, std::string_view sha1, compress::CompressType type);

// Lists the segment's directory for `segment` (24 hex, optionally ".partial") stored under any
// checksum and known compression extension. Returns every match (normally zero or one).
std::vector<StoredSegment> findStoredSegment(storage::Storage& repo, std::string_view stanza,
                                             std::string_view archiveId, std::string_view segment);

}  // namespace pgark::command::archive
