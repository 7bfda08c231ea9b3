// archive-get of one file: see archive_get.h.
#include "command/archive/archive_get.h"

#include <fmt/format.h>

#include <filesystem>

#include "command/archive/archive_files.h"
#include "common/crypto/background_sha1.h"
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

struct Found {
    Repo* repo = nullptr;
    std::string path;                 // repository path of the stored file
    std::string sha1;                 // expected SHA-1 of the content ("" = not known: history files)
    compress::CompressType compressType = compress::CompressType::None;
    std::string cipherPass;           // archive sub-passphrase of that repository
};

// The archive ids to search, newest first: every history entry of the local cluster's version and
// system id (all entries when the cluster is unknown). Older ids matter after a stanza-upgrade.
std::vector<std::string> candidateArchiveIds(const info::ArchiveInfo& archiveInfo, const GetOptions& options) {
    std::vector<std::string> ids;
    const auto& history = archiveInfo.history();
    for (auto entry = history.rbegin(); entry != history.rend(); ++entry) {
        if (options.pgControl && (entry->systemId != options.pgControl->systemId ||
                                  entry->version != postgres::pgVersionToString(options.pgControl->version)))
            continue;
        ids.push_back(info::archiveId(*entry));
    }
    return ids;
}

std::optional<Found> findInRepo(std::string_view walName, Repo& repo, const GetOptions& options) {
    const info::ArchiveInfo archiveInfo =
        info::ArchiveInfo::load(*repo.storage, info::archiveInfoPath(options.stanza), repo.cipherPass);
    const bool segment = postgres::isWalSegmentName(walName);
    for (const std::string& archiveId : candidateArchiveIds(archiveInfo, options)) {
        if (segment) {
            const auto stored = findStoredSegment(*repo.storage, options.stanza, archiveId, walName);
            if (stored.size() > 1) {
                throw Error(ErrorCode::ArchiveDuplicate,
                            fmt::format("duplicates found in the {} archive for WAL segment {}", repo.name(), walName))
                    .withHint("remove the extra copies by hand once you know which one is right");
            }
            if (stored.size() == 1) {
                if (stored[0].path.ends_with(".xz"))
                    throwError(ErrorCode::FeatureNotSupported, "WAL file '{}' in the {} archive is xz compressed, "
                               "which pgark cannot read", stored[0].path, repo.name());
                return Found{&repo, stored[0].path, stored[0].sha1, stored[0].compressType, archiveInfo.cipherPass()};
            }
        } else {
            const std::string path = fmt::format("{}/{}", archiveFileDir(options.stanza, archiveId, walName), walName);
            if (repo.storage->info(path, storage::InfoLevel::Exists))
                return Found{&repo, path, "", compress::CompressType::None, archiveInfo.cipherPass()};
        }
    }
    return std::nullopt;
}

// Decrypts and decompresses the stored file into `destPath`, which appears only if the content's
// SHA-1 matches the checksum in the stored name.
void fetch(const Found& found, const std::string& destPath) {
    io::FilterChain chain;
    if (!found.cipherPass.empty()) chain.add(crypto::makeCipherFilter(crypto::CipherMode::Decrypt, found.cipherPass));
    if (found.compressType != compress::CompressType::None) chain.add(compress::makeDecompressFilter(found.compressType));

    const std::filesystem::path dest(destPath);
    auto destDir = storage::makePosixStorage(dest.parent_path().string(), {});
    auto input = found.repo->storage->openRead(found.path, {});
    auto filtered = chain.empty() ? std::move(input) : chain.reader(*input);
    // PostgreSQL fsyncs what it restores itself, and a crash only means fetching it again.
    auto output = destDir->openWrite(dest.filename().string(),
                                     {.syncFile = false, .syncPath = false, .createPath = false});
    // The SHA-1 runs on a second thread while the next chunk is decompressed and written.
    crypto::BackgroundSha1 hasher;
    std::vector<std::byte> buffers[2] = {std::vector<std::byte>(io::kDefaultBufferSize),
                                         std::vector<std::byte>(io::kDefaultBufferSize)};
    for (unsigned turn = 0;; turn ^= 1) {
        const std::size_t size = filtered->read(buffers[turn]);
        if (size == 0) break;
        const io::ByteView chunk(buffers[turn].data(), size);
        hasher.update(chunk);
        output->write(chunk);
    }
    const std::string sha1 = hasher.finalHex();
    if (!found.sha1.empty() && sha1 != found.sha1) {
        output->abort();
        throw Error(ErrorCode::Checksum,
                    fmt::format("WAL file '{}' in the {} archive is corrupt: its content has checksum {}",
                                found.repo->storage->describe(found.path), found.repo->name(), sha1))
            .withHint("the file's name records the checksum it was stored with; restore it from another repository");
    }
    output->commit();
}

}  // namespace

bool archiveGetFile(std::string_view walName, const std::string& destPath, std::span<Repo> repos,
                    const GetOptions& options) {
    std::optional<Error> firstError;
    for (Repo& repo : repos) {
        try {
            const std::optional<Found> found = findInRepo(walName, repo, options);
            if (!found) continue;
            fetch(*found, destPath);
            log::info("found {} in the {} archive", walName, repo.name());
            return true;
        } catch (const Error& error) {
            // Another repository may still have it: warn and go on, as PostgreSQL only needs one copy.
            if (repos.size() > 1) log::warn("{}: {} [{}]", repo.name(), error.message(), static_cast<int>(error.code()));
            if (!firstError) firstError = error;
        }
    }
    // "Not found" must be certain: PostgreSQL takes it as the end of the archive.
    if (firstError) throw *firstError;
    return false;
}

}  // namespace pgark::command::archive
