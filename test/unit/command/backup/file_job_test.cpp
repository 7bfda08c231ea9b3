// backupFile: what is stored and reported per file (spec §4.5, §4.6, §4.8), files that change
// while they are copied, page checksum errors, delta decisions and failures.
#include "command/backup/file_job.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <cstring>
#include <filesystem>

#include "common/crypto/cipher.h"
#include "common/crypto/hash.h"
#include "common/io/filter.h"
#include "fake/fault_storage.h"
#include "postgres/page_checksum.h"
#include "unit/command/backup/file_job_test_util.h"
#include "unit/common/io/test_streams.h"
#include "unit/postgres/fixtures.h"
#include "unit/thrown.h"

using namespace pgark;
using namespace pgark::command::backup;
using compress::CompressType;
using postgres::kPageSize;
using test::getFile;
using test::putFile;
using test::StoreKind;
using test::Stores;

namespace {

constexpr std::string_view kPass = "file-sub-passphrase-for-the-test";

// Decrypts and decompresses stored bytes the way a reader of the repository would.
std::string decode(const std::string& stored, CompressType type, std::string_view pass) {
    io::FilterChain chain;
    if (!pass.empty()) chain.add(crypto::makeCipherFilter(crypto::CipherMode::Decrypt, std::string(pass)));
    if (type != CompressType::None) chain.add(compress::makeDecompressFilter(type));
    test::StringReadStream source(stored);
    if (chain.empty()) return stored;
    auto reader = chain.reader(source);
    return io::readAll(*reader);
}

std::string relation() { return test::asString(test::readPostgresFixture("relation_16384_6pages")); }

void corruptPage(std::string& bytes, std::size_t index) { bytes[index * kPageSize + 5000] ^= 0x5a; }

using pgark::test::thrown;

}  // namespace

TEST_CASE("backupFile stores a file for every compress type, plain and encrypted", "[unit][filejob]") {
    for (const StoreKind kind : {StoreKind::Mem, StoreKind::Posix}) {
        for (const CompressType type :
             {CompressType::None, CompressType::Gz, CompressType::Bz2, CompressType::Lz4, CompressType::Zst}) {
            for (const bool encrypted : {false, true}) {
                INFO(test::storeKindName(kind) << " " << compress::compressTypeName(type) << (encrypted ? " encrypted" : ""));
                Stores stores(kind);
                // Bigger than one buffer, so the chain runs many steps.
                const std::string data = relation() + test::patternData(1024 * 1024 + 123, 7);
                putFile(*stores.pg, "base/1/2608", data);

                const std::string repoPath = backupFileRepoPath("main", "20240101-000000F", "pg_data/base/1/2608", type);
                const BackupFileRequest request{
                    .pgPath = "base/1/2608",
                    .repoPath = repoPath,
                    .sizeLimit = data.size(),
                    .compressType = type,
                    .compressLevel = 1,
                    .cipherPass = encrypted ? std::string(kPass) : std::string(),
                };
                const BackupFileResult result = backupFile(*stores.pg, *stores.repo, request);

                CHECK(result.result == BackupCopyResult::Copied);
                CHECK(result.size == data.size());
                CHECK(result.sha1 == crypto::sha1Hex(data));
                const std::string stored = getFile(*stores.repo, repoPath);
                CHECK(result.sizeRepo == stored.size());
                CHECK(decode(stored, type, encrypted ? kPass : "") == data);
                if (type == CompressType::None && !encrypted) {
                    CHECK_FALSE(result.rck.has_value());
                    CHECK(stored == data);
                } else {
                    CHECK(result.rck == crypto::sha1Hex(stored));
                }
                if (encrypted) CHECK(stored.substr(0, 8) == "Salted__");
                CHECK_FALSE(result.pageChecksum.has_value());
                CHECK_FALSE(result.bundleOffset.has_value());
                CHECK(stores.repo->info(repoPath + ".pgbackrest.tmp", storage::InfoLevel::Exists) == std::nullopt);
            }
        }
    }
}

TEST_CASE("backupFile repository paths and segment numbers", "[unit][filejob]") {
    CHECK(backupFileRepoPath("main", "20240101-000000F", "pg_data/base/1/2608", CompressType::Gz) ==
          "backup/main/20240101-000000F/pg_data/base/1/2608.gz");
    CHECK(backupFileRepoPath("main", "L", "pg_data/PG_VERSION", CompressType::None) == "backup/main/L/pg_data/PG_VERSION");
    CHECK(backupBundleRepoPath("main", "20240101-000000F", 3) == "backup/main/20240101-000000F/bundle/3");
    CHECK(relationSegmentNo("base/1/16384") == 0);
    CHECK(relationSegmentNo("base/1/16384.7") == 7);
    CHECK(relationSegmentNo("pg_tblspc/16400/PG_15_202209061/5/16384.2") == 2);
    CHECK(relationSegmentNo("base/1/16384_fsm") == 0);
    CHECK(relationSegmentNo("global/pg_internal.init") == 0);
    CHECK(backupCopyResultName(BackupCopyResult::Unchanged) == "unchanged");
}

TEST_CASE("backupFile of empty files", "[unit][filejob]") {
    Stores stores(StoreKind::Mem);
    putFile(*stores.pg, "base/1/13394", "");
    const std::string emptySha1 = crypto::sha1Hex(std::string_view());

    SECTION("stored on its own: an empty compressed stream (gz: 20 bytes)") {
        const auto result = backupFile(*stores.pg, *stores.repo,
                                       {.pgPath = "base/1/13394", .repoPath = "r/13394.gz", .sizeLimit = 0,
                                        .compressType = CompressType::Gz, .compressLevel = 6, .checksumPage = true});
        CHECK(result.size == 0);
        CHECK(result.sha1 == emptySha1);
        CHECK(result.sizeRepo == 20);
        CHECK(getFile(*stores.repo, "r/13394.gz").size() == 20);
        REQUIRE(result.pageChecksum.has_value());
        CHECK(result.pageChecksum->valid);
    }
    SECTION("stored on its own, no compression: an empty file") {
        const auto result = backupFile(*stores.pg, *stores.repo, {.pgPath = "base/1/13394", .repoPath = "r/13394"});
        CHECK(result.sizeRepo == 0);
        CHECK(test::fileExists(*stores.repo, "r/13394"));
    }
    SECTION("in a bundle: nothing is added") {
        auto bundleFile = stores.repo->openWrite("bundle/1", {});
        BundleSink bundle{*bundleFile, 0};
        const auto result = backupFile(*stores.pg, *stores.repo,
                                       {.pgPath = "base/1/13394", .compressType = CompressType::Zst, .compressLevel = 3,
                                        .cipherPass = std::string(kPass), .checksumPage = true},
                                       &bundle);
        bundleFile->commit();
        CHECK(result.result == BackupCopyResult::Copied);
        CHECK(result.sha1 == emptySha1);
        CHECK(result.sizeRepo == 0);
        CHECK_FALSE(result.bundleOffset.has_value());
        CHECK_FALSE(result.rck.has_value());
        CHECK(result.pageChecksum.has_value());
        CHECK(bundle.offset == 0);
        CHECK(getFile(*stores.repo, "bundle/1").empty());
    }
}

TEST_CASE("backupFile appends independent segments to a bundle", "[unit][filejob]") {
    for (const bool encrypted : {false, true}) {
        INFO((encrypted ? "encrypted" : "plain"));
        Stores stores(StoreKind::Posix);
        const std::string first = test::patternData(10000, 1);
        const std::string second = relation();
        putFile(*stores.pg, "PG_VERSION", first);
        putFile(*stores.pg, "base/1/1259", second);

        auto bundleFile = stores.repo->openWrite("backup/main/L/bundle/1", {});
        BundleSink bundle{*bundleFile, 0};
        const std::string pass = encrypted ? std::string(kPass) : std::string();
        const BackupFileRequest base{.compressType = CompressType::Lz4, .compressLevel = 1, .cipherPass = pass};
        BackupFileRequest one = base;
        one.pgPath = "PG_VERSION";
        BackupFileRequest two = base;
        two.pgPath = "base/1/1259";
        two.sizeLimit = second.size();
        two.checksumPage = true;
        const auto a = backupFile(*stores.pg, *stores.repo, one, &bundle);
        const auto b = backupFile(*stores.pg, *stores.repo, two, &bundle);
        bundleFile->commit();

        CHECK(a.bundleOffset == 0U);
        CHECK(b.bundleOffset == a.sizeRepo);
        CHECK(bundle.offset == a.sizeRepo + b.sizeRepo);
        const std::string stored = getFile(*stores.repo, "backup/main/L/bundle/1");
        REQUIRE(stored.size() == bundle.offset);
        const std::string segmentA = stored.substr(0, a.sizeRepo);
        const std::string segmentB = stored.substr(*b.bundleOffset, b.sizeRepo);
        CHECK(a.rck == crypto::sha1Hex(segmentA));
        CHECK(b.rck == crypto::sha1Hex(segmentB));
        CHECK(decode(segmentA, CompressType::Lz4, pass) == first);
        CHECK(decode(segmentB, CompressType::Lz4, pass) == second);
        REQUIRE(b.pageChecksum.has_value());
        CHECK(b.pageChecksum->valid);
        CHECK(b.pageChecksum->pagesChecked == 6);
    }
}

TEST_CASE("backupFile of a file that changes while it is backed up", "[unit][filejob]") {
    Stores stores(StoreKind::Posix);
    const std::string data = test::patternData(3 * 1024 * 1024, 3);  // three 1 MiB reads
    putFile(*stores.pg, "base/1/16384", data);
    const std::string full = stores.scratch->sub("pg/base/1/16384");
    const BackupFileRequest request{.pgPath = "base/1/16384", .repoPath = "r/16384", .sizeLimit = data.size()};

    SECTION("grown since the manifest: only the manifest size is read") {
        putFile(*stores.pg, "base/1/16384", data + "grown");
        const auto result = backupFile(*stores.pg, *stores.repo, request);
        CHECK(result.size == data.size());
        CHECK(result.sha1 == crypto::sha1Hex(data));
        CHECK(getFile(*stores.repo, "r/16384") == data);
    }
    SECTION("grows during the copy: still only the manifest size") {
        test::HookedStorage pg(*stores.pg, "base/1/16384", [&] {
            std::FILE* file = std::fopen(full.c_str(), "ab");
            std::fputs("more rows", file);
            std::fclose(file);
        });
        const auto result = backupFile(pg, *stores.repo, request);
        CHECK(result.size == data.size());
        CHECK(getFile(*stores.repo, "r/16384") == data);
    }
    SECTION("grows during the copy of a file read to its end (no limit): the bytes read count") {
        test::HookedStorage pg(*stores.pg, "base/1/16384", [&] {
            std::FILE* file = std::fopen(full.c_str(), "ab");
            std::fputs("more rows", file);
            std::fclose(file);
        });
        BackupFileRequest unlimited = request;
        unlimited.sizeLimit.reset();
        const auto result = backupFile(pg, *stores.repo, unlimited);
        CHECK(result.size == data.size() + 9);
        CHECK(result.sha1 == crypto::sha1Hex(data + "more rows"));
    }
    SECTION("shrinks during the copy: the size and sha1 are of what was read") {
        test::HookedStorage pg(*stores.pg, "base/1/16384", [&] { REQUIRE(::truncate(full.c_str(), 1024 * 1024 + 10) == 0); });
        const auto result = backupFile(pg, *stores.repo, request);
        CHECK(result.result == BackupCopyResult::Copied);
        CHECK(result.size == 1024 * 1024 + 10);
        CHECK(result.sha1 == crypto::sha1Hex(data.substr(0, 1024 * 1024 + 10)));
        CHECK(getFile(*stores.repo, "r/16384") == data.substr(0, 1024 * 1024 + 10));
    }
    SECTION("removed during the copy: the open file is read to the end") {
        test::HookedStorage pg(*stores.pg, "base/1/16384", [&] { REQUIRE(::unlink(full.c_str()) == 0); });
        const auto result = backupFile(pg, *stores.repo, request);
        CHECK(result.size == data.size());
        CHECK(result.sha1 == crypto::sha1Hex(data));
    }
    SECTION("removed before the copy: skipped, nothing stored") {
        REQUIRE(::unlink(full.c_str()) == 0);
        const auto result = backupFile(*stores.pg, *stores.repo, request);
        CHECK(result.result == BackupCopyResult::Missing);
        CHECK(result.sha1.empty());
        CHECK_FALSE(test::fileExists(*stores.repo, "r/16384"));

        BackupFileRequest required = request;
        required.ignoreMissing = false;
        CHECK(thrown([&] { (void)backupFile(*stores.pg, *stores.repo, required); }).code() == ErrorCode::FileMissing);
        required.delta = PriorFile{crypto::sha1Hex(data), data.size()};
        CHECK(thrown([&] { (void)backupFile(*stores.pg, *stores.repo, required); }).code() == ErrorCode::FileMissing);
        CHECK_FALSE(test::fileExists(*stores.repo, "r/16384"));
    }
}

TEST_CASE("backupFile reports page checksum errors with relation-absolute blocks", "[unit][filejob]") {
    Stores stores(StoreKind::Posix);
    std::string bytes = relation();
    const auto request = [](std::string path) {
        return BackupFileRequest{.pgPath = path, .repoPath = "r/" + path + ".gz", .compressType = CompressType::Gz,
                                 .compressLevel = 1, .checksumPage = true};
    };

    SECTION("a clean relation with trailing all-zero pages has no error") {
        bytes.append(2 * kPageSize, '\0');
        putFile(*stores.pg, "base/5/16384", bytes);
        const auto result = backupFile(*stores.pg, *stores.repo, request("base/5/16384"));
        REQUIRE(result.pageChecksum.has_value());
        CHECK(result.pageChecksum->valid);
        CHECK(result.pageChecksum->errors.empty());
        CHECK(result.pageChecksum->pagesChecked == 6);
    }
    SECTION("a corrupted byte is reported at its block, and the file is still stored as read") {
        corruptPage(bytes, 3);
        putFile(*stores.pg, "base/5/16384", bytes);
        const auto result = backupFile(*stores.pg, *stores.repo, request("base/5/16384"));
        REQUIRE(result.pageChecksum.has_value());
        CHECK_FALSE(result.pageChecksum->valid);
        CHECK(result.pageChecksum->errors == std::vector<std::uint32_t>{3});
        CHECK(result.pageChecksum->errorJson() == "[3]");
        CHECK(decode(getFile(*stores.repo, "r/base/5/16384.gz"), CompressType::Gz, "") == bytes);
    }
    SECTION("in a later segment file the block numbers include the segment") {
        // Stamp the pages as blocks of segment 1, then damage pages 0, 1 and 4.
        for (std::uint32_t index = 0; index < 6; ++index) {
            const io::ByteView page(reinterpret_cast<const std::byte*>(bytes.data()) + index * kPageSize, kPageSize);
            const auto checksum = postgres::pageChecksum(page, postgres::kRelSegmentPages + index);
            std::memcpy(bytes.data() + index * kPageSize + 8, &checksum, 2);
        }
        for (const std::size_t index : {0, 1, 4}) corruptPage(bytes, index);
        putFile(*stores.pg, "base/5/16384.1", bytes);
        const auto result = backupFile(*stores.pg, *stores.repo, request("base/5/16384.1"));
        REQUIRE(result.pageChecksum.has_value());
        CHECK(result.pageChecksum->errorJson() == "[[131072,131073],131076]");
    }
    SECTION("a page rewritten between the copy and the re-read is not an error") {
        corruptPage(bytes, 2);
        putFile(*stores.pg, "base/5/16384", bytes);
        const std::string full = stores.scratch->sub("pg/base/5/16384");
        // After the first read, PostgreSQL "finishes writing" page 2: it is clean on disk now.
        test::HookedStorage pg(*stores.pg, "base/5/16384", [&] {
            const std::string clean = relation();
            std::FILE* file = std::fopen(full.c_str(), "r+b");
            std::fseek(file, 2 * kPageSize, SEEK_SET);
            std::fwrite(clean.data() + 2 * kPageSize, 1, kPageSize, file);
            std::fclose(file);
        });
        const auto result = backupFile(pg, *stores.repo, request("base/5/16384"));
        REQUIRE(result.pageChecksum.has_value());
        CHECK(result.pageChecksum->valid);
        CHECK(result.pageChecksum->tolerated == std::vector<std::uint32_t>{2});
    }
    SECTION("without re-read, a page newer than the backup start is tolerated") {
        corruptPage(bytes, 2);
        putFile(*stores.pg, "base/5/16384", bytes);
        const postgres::Lsn lsn =
            postgres::pageLsn({reinterpret_cast<const std::byte*>(bytes.data()) + 2 * kPageSize, kPageSize});
        BackupFileRequest noReRead = request("base/5/16384");
        noReRead.pageReRead = false;
        noReRead.lsnLimit = lsn;
        CHECK(backupFile(*stores.pg, *stores.repo, noReRead).pageChecksum->valid);
        noReRead.lsnLimit = lsn + 1;
        CHECK(backupFile(*stores.pg, *stores.repo, noReRead).pageChecksum->errors == std::vector<std::uint32_t>{2});
    }
}

TEST_CASE("backupFile delta decisions", "[unit][filejob]") {
    auto faults = std::make_unique<test::FaultStorage>(std::make_unique<test::MemStorage>());
    test::FaultStorage& pg = *faults;
    test::MemStorage repo;
    const std::string data = test::patternData(50000, 9);
    putFile(pg, "base/1/100", data);
    BackupFileRequest request{.pgPath = "base/1/100", .repoPath = "r/100", .sizeLimit = data.size()};

    SECTION("same size and sha1 as the prior copy: unchanged, nothing stored") {
        request.delta = PriorFile{crypto::sha1Hex(data), data.size()};
        const auto result = backupFile(pg, repo, request);
        CHECK(result.result == BackupCopyResult::Unchanged);
        CHECK(result.size == data.size());
        CHECK(result.sha1 == crypto::sha1Hex(data));
        CHECK(result.sizeRepo == 0);
        CHECK_FALSE(test::fileExists(repo, "r/100"));
    }
    SECTION("same size, other content: copied") {
        request.delta = PriorFile{crypto::sha1Hex(std::string(data.size(), 'x')), data.size()};
        const auto result = backupFile(pg, repo, request);
        CHECK(result.result == BackupCopyResult::Copied);
        CHECK(getFile(repo, "r/100") == data);
        CHECK(pg.calls(test::FaultOp::OpenRead) == 2);  // hashed, then copied
    }
    SECTION("another size: copied without hashing first") {
        request.delta = PriorFile{crypto::sha1Hex(data), data.size() - 1};
        const auto result = backupFile(pg, repo, request);
        CHECK(result.result == BackupCopyResult::Copied);
        CHECK(pg.calls(test::FaultOp::OpenRead) == 1);
    }
    SECTION("grown past the manifest size: the limited prefix is compared") {
        putFile(pg, "base/1/100", data + "appended");
        request.delta = PriorFile{crypto::sha1Hex(data), data.size()};
        CHECK(backupFile(pg, repo, request).result == BackupCopyResult::Unchanged);
    }
    SECTION("removed: missing") {
        pg.remove("base/1/100", {});
        request.delta = PriorFile{crypto::sha1Hex(data), data.size()};
        CHECK(backupFile(pg, repo, request).result == BackupCopyResult::Missing);
    }
}

TEST_CASE("backupFile leaves nothing in the repository when it fails", "[unit][filejob]") {
    test::MemStorage pg;
    test::FaultStorage repo(std::make_unique<test::MemStorage>());
    const std::string data = test::patternData(3 * 1024 * 1024, 5);
    putFile(pg, "base/1/200", data);
    const BackupFileRequest request{.pgPath = "base/1/200", .repoPath = "r/200.zst", .compressType = CompressType::Zst,
                                    .compressLevel = 3};

    SECTION("a failed write") {
        repo.failCall(test::FaultOp::Write, Error(ErrorCode::FileWrite, "unable to write file 'r/200.zst'"));
        CHECK(thrown([&] { (void)backupFile(pg, repo, request); }).code() == ErrorCode::FileWrite);
    }
    SECTION("a failed commit") {
        repo.failCall(test::FaultOp::Commit, Error(ErrorCode::FileSync, "unable to sync file 'r/200.zst'"));
        CHECK(thrown([&] { (void)backupFile(pg, repo, request); }).code() == ErrorCode::FileSync);
    }
    SECTION("a failed read of the PostgreSQL file") {
        test::FaultStorage faultyPg(std::make_unique<test::MemStorage>());
        putFile(faultyPg, "base/1/200", data);
        faultyPg.failCall(test::FaultOp::Read, Error(ErrorCode::FileRead, "unable to read file 'base/1/200'"), {.nth = 2});
        CHECK(thrown([&] { (void)backupFile(faultyPg, repo, request); }).code() == ErrorCode::FileRead);
    }
    CHECK(dynamic_cast<test::MemStorage&>(repo.inner()).names() == std::vector<std::string>{"r"});
}

TEST_CASE("backupFile compresses a large file in chunks, on a pool or on its own thread, with exact results", "[unit][filejob]") {
    // Over 8 MiB: three 4 MiB frames. A damaged page, then patterned bytes and zero pages.
    std::string bytes = relation();
    corruptPage(bytes, 3);
    bytes += test::patternData(5 * 1024 * 1024, 11);
    bytes.append(4 * 1024 * 1024 - bytes.size() % kPageSize + 3 * kPageSize, '\0');
    for (const CompressType type : {CompressType::Lz4, CompressType::Zst}) {
        for (const bool encrypted : {false, true}) {
            INFO(compress::compressTypeName(type) << (encrypted ? " encrypted" : ""));
            Stores stores(StoreKind::Posix);
            putFile(*stores.pg, "base/5/16384", bytes);
            const auto request = [&](unsigned threads) {
                return BackupFileRequest{.pgPath = "base/5/16384",
                                         .repoPath = "r" + std::to_string(threads),
                                         .sizeLimit = bytes.size(),
                                         .compressType = type,
                                         .compressLevel = 1,
                                         .compressThreads = threads,
                                         .cipherPass = encrypted ? std::string(kPass) : std::string(),
                                         .checksumPage = true};
            };
            const BackupFileResult one = backupFile(*stores.pg, *stores.repo, request(1));
            const BackupFileResult two = backupFile(*stores.pg, *stores.repo, request(2));
            const std::string stored = getFile(*stores.repo, "r2");
            CHECK(two.size == bytes.size());
            CHECK(two.sha1 == crypto::sha1Hex(bytes));
            CHECK(two.sha1 == one.sha1);
            CHECK(two.sizeRepo == stored.size());
            CHECK(two.rck == crypto::sha1Hex(stored));
            CHECK(decode(stored, type, encrypted ? kPass : "") == bytes);
            REQUIRE(two.pageChecksum.has_value());
            // The same pages judged as on one thread: the damaged one, and the patterned bytes,
            // which are no valid pages either.
            REQUIRE_FALSE(two.pageChecksum->errors.empty());
            CHECK(two.pageChecksum->errors.front() == 3);
            CHECK(two.pageChecksum->errors == one.pageChecksum->errors);
            CHECK(two.pageChecksum->pagesChecked == one.pageChecksum->pagesChecked);
            // One thread compresses the same frames itself (no pool), with exact results too.
            const std::string storedOne = getFile(*stores.repo, "r1");
            CHECK(one.sizeRepo == storedOne.size());
            CHECK(one.rck == crypto::sha1Hex(storedOne));
            if (!encrypted) {
                CHECK(stored == storedOne);
                // Really chunked: a frame per 4 MiB chunk, each starting with the codec's magic.
                const std::string_view magic = type == CompressType::Zst ? "\x28\xb5\x2f\xfd" : "\x04\x22\x4d\x18";
                std::size_t frames = 0;
                for (std::size_t at = stored.find(magic); at != std::string::npos; at = stored.find(magic, at + 1)) ++frames;
                CHECK(frames >= (bytes.size() + (4 << 20) - 1) / (4 << 20));
            }
        }
    }
}
