// archive-push of one file: see archive_push.h.
#include "command/archive/archive_push.h"

#include <fmt/format.h>

#include <array>
#include <filesystem>

#include "command/archive/archive_files.h"
#include "common/crypto/cipher.h"
#include "common/crypto/hash.h"
#include "common/error.h"
#include "common/io/filter.h"
#include "common/log.h"
#include "info/archive_info.h"
#include "postgres/version.h"
#include "postgres/wal.h"
#include "storage/posix/posix_storage.h"

namespace pgark::command::archive {
namespace {

// The WAL file being pushed, read through a storage rooted at its directory.
struct Source {
    std::unique_ptr<storage::Storage> dir;
    std::string name;
    std::string path;  // absolute, for messages
};

Source openSource(const std::string& walPath) {
    const std::filesystem::path path(walPath);
    return {storage::makePosixStorage(path.parent_path().string(), {}), path.filename().string(), walPath};
}

std::string sha1OfFile(Source& source) {
    auto stream = source.dir->openRead(source.name, {});
    crypto::Sha1Hasher hasher;
    std::vector<std::byte> buffer(io::kDefaultBufferSize);
    for (std::size_t n; (n = stream->read(buffer)) != 0;) hasher.update({buffer.data(), n});
    return hasher.finalHex();
}

// The segment's long page header must name the stanza's PostgreSQL version and system id
// (spec §5.2 step 2): a segment from another cluster must never enter this archive.
void checkHeader(Source& source, const info::InfoPgData& stanza) {
    auto stream = source.dir->openRead(source.name, {.limit = 512});
    std::array<std::byte, 512> header{};
    std::size_t size = 0;
    for (std::size_t n; size < header.size() && (n = stream->read({header.data() + size, header.size() - size})) != 0;)
        size += n;
    const postgres::WalHeader wal = postgres::walHeaderFromBuffer({header.data(), size}, source.path);
    const std::string walVersion = postgres::pgVersionToString(wal.version);
    if (walVersion != stanza.version || wal.systemId != stanza.systemId) {
        throw Error(ErrorCode::ArchiveMismatch,
                    fmt::format("WAL file '{}' version {}, system-id {} do not match stanza version {}, system-id {}",
                                source.path, walVersion, wal.systemId, stanza.version, stanza.systemId))
            .withHint("is archive_command pushing to the right stanza, and is this WAL from this cluster?");
    }
}

// The local cluster must be the one the stanza was created for.
void checkCluster(const postgres::PgControl& control, const info::InfoPgData& stanza, const Repo& repo) {
    const std::string version = postgres::pgVersionToString(control.version);
    if (version != stanza.version || control.systemId != stanza.systemId) {
        throw Error(ErrorCode::ArchiveMismatch,
                    fmt::format("PostgreSQL version {}, system-id {} do not match {} stanza version {}, system-id {}",
                                version, control.systemId, repo.name(), stanza.version, stanza.systemId))
            .withHint("is this the correct stanza? After a major upgrade run stanza-upgrade");
    }
}

void pushToRepo(Source& source, const std::string& sha1, Repo& repo, const PushOptions& options) {
    const info::ArchiveInfo archiveInfo =
        info::ArchiveInfo::load(*repo.storage, info::archiveInfoPath(options.stanza), repo.cipherPass);
    if (options.pgControl) checkCluster(*options.pgControl, archiveInfo.current(), repo);

    const bool segment = postgres::isWalSegmentName(source.name);
    const std::string archiveId = archiveInfo.archiveId();
    const std::string dir = archiveFileDir(options.stanza, archiveId, source.name);
    std::string target;

    if (segment) {
        if (options.headerCheck) checkHeader(source, archiveInfo.current());
        const auto stored = findStoredSegment(*repo.storage, options.stanza, archiveId, source.name);
        if (stored.size() > 1) {
            std::vector<std::string> paths;
            for (const StoredSegment& copy : stored) paths.push_back(copy.path);
            throw Error(ErrorCode::ArchiveDuplicate, fmt::format("duplicates found in the {} archive for WAL segment {}: {}",
                                                                 repo.name(), source.name, fmt::join(paths, ", ")))
                .withHint("remove the extra copies by hand once you know which one is right");
        }
        if (stored.size() == 1) {
            if (stored[0].sha1 == sha1) {
                if (options.modeCheck)
                    log::warn("WAL file '{}' already exists in the {} archive with the same checksum\n"
                              "HINT: this is valid in some recovery scenarios but may also indicate a problem.",
                              source.name, repo.name());
                return;
            }
            throw Error(ErrorCode::ArchiveDuplicate,
                        fmt::format("WAL file '{}' already exists in the {} archive with a different checksum",
                                    source.name, repo.name()))
                .withHint("two clusters may be archiving to the same stanza; the stored segment was left as it is");
        }
        target = fmt::format("{}/{}", dir, storedSegmentName(source.name, sha1, options.compressType));
    } else {
        target = fmt::format("{}/{}", dir, source.name);
    }

    // Segments are compressed; every file is encrypted with the archive sub-passphrase (§7.2).
    io::FilterChain chain;
    if (segment && options.compressType != compress::CompressType::None)
        chain.add(compress::makeCompressFilter(options.compressType, options.compressLevel));
    if (!archiveInfo.cipherPass().empty())
        chain.add(crypto::makeCipherFilter(crypto::CipherMode::Encrypt, archiveInfo.cipherPass()));

    auto input = source.dir->openRead(source.name, {});
    auto output = repo.storage->openWrite(target, {});
    if (chain.empty()) {
        io::copyStream(*input, *output);
    } else {
        auto filtered = chain.reader(*input);
        io::copyStream(*filtered, *output);
    }
    output->commit();
    log::detail("pushed WAL file '{}' to the {} archive as '{}'", source.name, repo.name(), target);
}

}  // namespace

void archivePushFile(const std::string& walPath, std::span<Repo> repos, const PushOptions& options) {
    Source source = openSource(walPath);
    const std::string sha1 = postgres::isWalSegmentName(source.name) ? sha1OfFile(source) : std::string();

    std::optional<Error> firstError;
    std::vector<std::string> failed;
    for (Repo& repo : repos) {
        try {
            pushToRepo(source, sha1, repo, options);
        } catch (const Error& error) {
            failed.push_back(fmt::format("{}: {}", repo.name(), error.message()));
            if (!firstError) firstError = error;
        }
    }
    if (!firstError) return;
    if (failed.size() == 1 && repos.size() == 1) throw *firstError;
    Error all(firstError->code(), fmt::format("archive-push of '{}' failed for {} of {} repositories:\n{}", walPath,
                                              failed.size(), repos.size(), fmt::join(failed, "\n")));
    if (!firstError->hint().empty()) all.withHint(firstError->hint());
    throw all;
}

}  // namespace pgark::command::archive
