// archiveCopy (spec §4.7 step 7): an archived segment is decoded with the archive's passphrase and
// codec and stored with the backup's, and recorded as pgBackRest 2.45 records it; a segment gone
// from the archive or not matching its name is an error and leaves no copy behind.
#include "command/backup/backup_store.h"

#include <catch2/catch.hpp>

#include "command/archive/archive_files.h"
#include "command/backup/file_job.h"
#include "common/compress/compress.h"
#include "common/crypto/cipher.h"
#include "common/crypto/hash.h"
#include "common/io/filter.h"
#include "fake/mem_storage.h"
#include "unit/command/backup/file_job_test_util.h"
#include "unit/common/io/test_streams.h"

using namespace pgark;
using namespace pgark::command;
using compress::CompressType;

namespace {

constexpr std::string_view kSegment = "000000010000000000000003";
constexpr std::uint64_t kSegmentSize = 256 * 1024;  // small, but still many buffers through the chain
const std::string kLabel = "20240101-000000F";

std::string encode(const std::string& plain, CompressType type, const std::string& pass) {
    io::FilterChain chain;
    if (type != CompressType::None) chain.add(compress::makeCompressFilter(type, 1));
    if (!pass.empty()) chain.add(crypto::makeCipherFilter(crypto::CipherMode::Encrypt, pass));
    test::StringReadStream source(plain);
    auto reader = chain.reader(source);
    return io::readAll(*reader);
}

std::string decode(const std::string& stored, CompressType type, const std::string& pass) {
    io::FilterChain chain;
    if (!pass.empty()) chain.add(crypto::makeCipherFilter(crypto::CipherMode::Decrypt, pass));
    if (type != CompressType::None) chain.add(compress::makeDecompressFilter(type));
    test::StringReadStream source(stored);
    auto reader = chain.reader(source);
    return io::readAll(*reader);
}

info::Manifest backupManifest(CompressType type, std::string pass) {
    info::Manifest manifest;
    manifest.pathAdd({.name = "pg_data", .mode = 0700, .user = "postgres", .group = "postgres"});
    manifest.pathAdd({.name = "pg_data/pg_wal", .mode = 0700, .user = "postgres", .group = "postgres"});
    manifest.data().compressType = type;
    manifest.data().cipherPass = std::move(pass);
    manifest.setLabel(kLabel);
    return manifest;
}

// Stores `plain` in the archive as `<segment>-<sha1 of named>.gz`, encrypted with `pass`.
void putArchived(Repo& repo, const std::string& plain, const std::string& named, const std::string& pass) {
    const std::string dir = archive::archiveFileDir("main", "15-1", kSegment);
    test::putFile(*repo.storage, dir + "/" + archive::storedSegmentName(kSegment, crypto::sha1Hex(named), CompressType::Gz),
                  encode(plain, CompressType::Gz, pass));
}

backup::ArchiveCopyOptions copyOptions(const std::string& archivePass) {
    return {.stanza = "main", .archiveId = "15-1", .archivePass = archivePass, .walPath = "pg_wal",
            .walSegmentSize = kSegmentSize, .timestamp = 1700000000, .compressLevel = 1};
}

}  // namespace

TEST_CASE("archiveCopy re-encodes an archived segment for the backup and records it as pgBackRest does",
          "[unit][backup]") {
    for (const bool encrypted : {false, true}) {
        INFO((encrypted ? "encrypted" : "plain"));
        const std::string archivePass = encrypted ? "archive-sub-pass" : "";
        const std::string filePass = encrypted ? "backup-file-pass" : "";
        Repo repo{1, std::make_unique<test::MemStorage>(), ""};
        const std::string plain = test::patternData(kSegmentSize, 3);
        putArchived(repo, plain, plain, archivePass);
        info::Manifest manifest = backupManifest(CompressType::Lz4, filePass);
        const std::string segments[] = {std::string(kSegment)};

        backup::archiveCopy(repo, copyOptions(archivePass), manifest, segments);

        const info::ManifestFile* file = manifest.file("pg_data/pg_wal/000000010000000000000003");
        REQUIRE(file != nullptr);
        CHECK(file->size == kSegmentSize);
        CHECK(file->checksum == crypto::sha1Hex(plain));
        CHECK(file->repoChecksum.empty());  // no rck, as 2.45 writes it
        CHECK(file->timestamp == 1700000000);
        CHECK(file->mode == 0600);  // the data directory's mode & 0644, like backup_label
        CHECK(!file->reference);
        const std::string stored = test::getFile(
            *repo.storage, backup::backupFileRepoPath("main", kLabel, file->name, CompressType::Lz4));
        CHECK(file->sizeRepo == stored.size());
        CHECK(decode(stored, CompressType::Lz4, filePass) == plain);
    }
}

TEST_CASE("archiveCopy refuses a segment gone from the archive or not matching its name", "[unit][backup]") {
    Repo repo{1, std::make_unique<test::MemStorage>(), ""};
    info::Manifest manifest = backupManifest(CompressType::Gz, "");
    const std::string segments[] = {std::string(kSegment)};
    const std::string copyPath = backup::backupFileRepoPath("main", kLabel, "pg_data/pg_wal/000000010000000000000003",
                                                            CompressType::Gz);

    try {
        backup::archiveCopy(repo, copyOptions(""), manifest, segments);
        FAIL("no error for a missing segment");
    } catch (const Error& error) {
        CHECK(error.code() == ErrorCode::FileMissing);
        CHECK_THAT(error.what(), Catch::Contains("000000010000000000000003"));
    }

    const std::string plain = test::patternData(kSegmentSize, 3);
    putArchived(repo, plain, plain + "x", "");  // stored under another checksum than its content's
    try {
        backup::archiveCopy(repo, copyOptions(""), manifest, segments);
        FAIL("no error for a segment that does not match its name");
    } catch (const Error& error) {
        CHECK(error.code() == ErrorCode::Checksum);
    }
    CHECK(!test::fileExists(*repo.storage, copyPath));
    CHECK(manifest.file("pg_data/pg_wal/000000010000000000000003") == nullptr);
}
