#include "command/backup/backup_store.h"

#include <fmt/format.h>

#include "command/archive/archive_files.h"
#include "command/backup/file_job.h"
#include "common/compress/compress.h"
#include "common/crypto/cipher.h"
#include "common/crypto/hash.h"
#include "common/error.h"
#include "common/io/memory_stream.h"
#include "common/log.h"

namespace pgark::command::backup {

info::ManifestFileResult storeStream(storage::Storage& repo, const std::string& repoPath, io::ReadStream& source,
                                     const info::ManifestData& data, int compressLevel,
                                     std::vector<std::unique_ptr<io::Filter>> decode) {
    io::FilterChain chain;
    for (auto& filter : decode) chain.add(std::move(filter));
    chain.add(crypto::makeSha1Filter()).add(crypto::makeSizeFilter());
    const bool compressed = data.compressType != compress::CompressType::None;
    if (compressed) chain.add(compress::makeCompressFilter(data.compressType, compressLevel));
    if (!data.cipherPass.empty()) chain.add(crypto::makeCipherFilter(crypto::CipherMode::Encrypt, data.cipherPass));
    chain.add(crypto::makeSha1Filter()).add(crypto::makeSizeFilter());
    auto reader = chain.reader(source);
    auto output = repo.openWrite(repoPath, {});
    io::copyStream(*reader, *output);
    output->commit();
    info::ManifestFileResult result;
    result.size = chain.result<std::uint64_t>(io::FilterType::Size, 0);
    result.checksum = chain.result<std::string>(io::FilterType::Sha1, 0);
    result.sizeRepo = chain.result<std::uint64_t>(io::FilterType::Size, 1);
    if (compressed || !data.cipherPass.empty()) result.repoChecksum = chain.result<std::string>(io::FilterType::Sha1, 1);
    return result;
}

void storeText(storage::Storage& repo, const std::string& stanza, info::Manifest& manifest, std::string_view name,
               std::string_view text, std::int64_t timestamp, int compressLevel) {
    const info::ManifestFile file = manifest.pgDataFile(name, text.size(), timestamp);
    manifest.fileAdd(file);
    io::MemoryReadStream source(io::asBytes(text));
    const std::string repoPath = backupFileRepoPath(stanza, manifest.data().label, file.name, manifest.data().compressType);
    manifest.fileCopied(file.name, storeStream(repo, repoPath, source, manifest.data(), compressLevel));
}

void archiveCopy(Repo& repo, const ArchiveCopyOptions& options, info::Manifest& manifest,
                 std::span<const std::string> segments) {
    for (const std::string& segment : segments) {
        const auto stored = archive::findStoredSegment(*repo.storage, options.stanza, options.archiveId, segment);
        if (stored.empty())
            throw Error(ErrorCode::FileMissing,
                        fmt::format("WAL segment {} vanished from the archive of {} before it was copied into the backup",
                                    segment, repo.name()))
                .withHint("something removed archived WAL while the backup ran (expire from another host?); run the "
                          "backup again");
        // Several copies (only under another checksum, a duplicate pgBackRest also rejects) are
        // not ours to choose between: the first is as good as any, its name is checked below.
        const archive::StoredSegment& found = stored.front();
        std::vector<std::unique_ptr<io::Filter>> decode;
        if (!options.archivePass.empty())
            decode.push_back(crypto::makeCipherFilter(crypto::CipherMode::Decrypt, options.archivePass));
        if (found.compressType != compress::CompressType::None)
            decode.push_back(compress::makeDecompressFilter(found.compressType));

        info::ManifestFile file =
            manifest.pgDataFile(fmt::format("{}/{}", options.walPath, segment), options.walSegmentSize, options.timestamp);
        const std::string repoPath =
            backupFileRepoPath(options.stanza, manifest.data().label, file.name, manifest.data().compressType);
        auto input = repo.storage->openRead(found.path, {});
        info::ManifestFileResult result =
            storeStream(*repo.storage, repoPath, *input, manifest.data(), options.compressLevel, std::move(decode));
        if (result.checksum != found.sha1 || result.size != options.walSegmentSize) {
            repo.storage->remove(repoPath, {});
            throwError(ErrorCode::Checksum, "archived WAL segment '{}' holds {} bytes with checksum {}, expected {} bytes "
                       "with checksum {}", repo.storage->describe(found.path), result.size, result.checksum,
                       options.walSegmentSize, found.sha1);
        }
        result.repoChecksum.clear();  // pgBackRest 2.45 records no rck for copied WAL
        const std::string name = file.name;
        manifest.fileAdd(std::move(file));
        manifest.fileCopied(name, result);
        log::detail("archive-copy: {} copied into the backup", segment);
    }
}

}  // namespace pgark::command::backup
