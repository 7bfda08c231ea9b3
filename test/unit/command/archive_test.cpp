// archive-push / archive-get cores on in-memory repositories: naming, duplicates, mismatches,
// encryption, several repositories and corrupt stored files.
#include <catch2/catch.hpp>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "command/archive/archive_files.h"
#include "command/archive/archive_get.h"
#include "command/archive/archive_push.h"
#include "command/stanza/stanza.h"
#include "common/crypto/hash.h"
#include "common/error.h"
#include "fake/fault_storage.h"
#include "fake/filter_driver.h"
#include "fake/mem_storage.h"

using namespace pgark;
using namespace pgark::command;

namespace {

constexpr std::uint64_t kSystemId = 7710577003564541732ULL;

postgres::PgControl cluster(std::uint64_t systemId = kSystemId) {
    postgres::PgControl control;
    control.systemId = systemId;
    control.version = 150000;
    control.controlVersion = 1300;
    control.catalogVersion = 202209061;
    control.walSegmentSize = 16 * 1024 * 1024;
    return control;
}

// A WAL segment image: a PG15 long page header for `systemId`, then seeded pseudo-random bytes.
std::string segmentBytes(std::uint64_t systemId, unsigned seed, std::size_t size = 256 * 1024) {
    std::string bytes(size, '\0');
    std::mt19937 random(seed);
    for (std::size_t i = 64; i < size; i++) bytes[i] = static_cast<char>(random() % 16);  // compressible
    const std::uint16_t magic = 0xD110, info = 0x0002;
    const std::uint32_t timeline = 1, segmentSize = 16 * 1024 * 1024, blockSize = 8192;
    std::memcpy(bytes.data(), &magic, 2);
    std::memcpy(bytes.data() + 2, &info, 2);
    std::memcpy(bytes.data() + 4, &timeline, 4);
    std::memcpy(bytes.data() + 24, &systemId, 8);
    std::memcpy(bytes.data() + 32, &segmentSize, 4);
    std::memcpy(bytes.data() + 36, &blockSize, 4);
    return bytes;
}

struct TempDir {
    std::filesystem::path path;
    TempDir() {
        char name[] = "/tmp/pgark-archive-test.XXXXXX";
        path = mkdtemp(name);
    }
    ~TempDir() { std::filesystem::remove_all(path); }
    std::string write(const std::string& name, const std::string& bytes) const {
        std::ofstream(path / name, std::ios::binary) << bytes;
        return (path / name).string();
    }
    std::string read(const std::string& name) const {
        std::ifstream in(path / name, std::ios::binary);
        return {std::istreambuf_iterator<char>(in), {}};
    }
};

Repo memRepo(unsigned index, std::string cipherPass = "") {
    return Repo{index, std::make_unique<test::MemStorage>(), std::move(cipherPass)};
}

std::vector<std::string> listAll(storage::Storage& storage) {
    std::vector<std::string> names;
    storage.list("", {.recurse = true}, [&](const storage::FileInfo& entry) {
        if (entry.type == storage::FileType::File) names.push_back(entry.name);
    });
    std::sort(names.begin(), names.end());
    return names;
}

archive::PushOptions pushOptions(compress::CompressType type = compress::CompressType::Lz4) {
    return {.stanza = "main", .compressType = type, .compressLevel = 1, .pgControl = cluster()};
}

}  // namespace

TEST_CASE("archive-push stores a segment as <segment>-<sha1><ext> and archive-get returns it", "[unit][command][archive]") {
    TempDir dir;
    const auto type = GENERATE(compress::CompressType::None, compress::CompressType::Gz, compress::CompressType::Bz2,
                               compress::CompressType::Lz4, compress::CompressType::Zst);
    const std::string cipher = GENERATE(std::string(), std::string("repo-secret"));
    std::vector<Repo> repos;
    repos.push_back(memRepo(1, cipher));
    stanza::stanzaCreate(repos, "main", cluster());

    const std::string segment = "000000010000000000000003";
    const std::string bytes = segmentBytes(kSystemId, 1);
    archive::archivePushFile(dir.write(segment, bytes), repos, pushOptions(type));

    const auto stored = archive::findStoredSegment(*repos[0].storage, "main", "15-1", segment);
    REQUIRE(stored.size() == 1);
    CHECK(stored[0].path == "archive/main/15-1/0000000100000000/" +
                                archive::storedSegmentName(segment, crypto::sha1Hex(bytes), type));
    CHECK(stored[0].compressType == type);

    REQUIRE(archive::archiveGetFile(segment, (dir.path / "restored").string(), repos, {.stanza = "main", .pgControl = cluster()}));
    CHECK(dir.read("restored") == bytes);
    CHECK_FALSE(archive::archiveGetFile("000000010000000000000009", (dir.path / "none").string(), repos,
                                        {.stanza = "main", .pgControl = cluster()}));
    CHECK_FALSE(std::filesystem::exists(dir.path / "none"));
}

TEST_CASE("archive-push of a segment already stored", "[unit][command][archive]") {
    TempDir dir;
    std::vector<Repo> repos;
    repos.push_back(memRepo(1));
    stanza::stanzaCreate(repos, "main", cluster());
    const std::string segment = "000000010000000000000004";
    archive::archivePushFile(dir.write(segment, segmentBytes(kSystemId, 2)), repos, pushOptions());
    const auto before = listAll(*repos[0].storage);

    SECTION("with the same content succeeds without writing") {
        archive::archivePushFile(dir.write(segment, segmentBytes(kSystemId, 2)), repos, pushOptions());
        CHECK(listAll(*repos[0].storage) == before);
    }
    SECTION("with other content is refused and the stored one is kept") {
        try {
            archive::archivePushFile(dir.write(segment, segmentBytes(kSystemId, 3)), repos, pushOptions());
            FAIL("a different segment under the same name was accepted");
        } catch (const Error& error) {
            CHECK(error.code() == ErrorCode::ArchiveDuplicate);
            CHECK_THAT(error.what(), Catch::Contains("different checksum"));
        }
        CHECK(listAll(*repos[0].storage) == before);
    }
}

TEST_CASE("archive-push refuses WAL of another cluster and a stanza of another cluster", "[unit][command][archive]") {
    TempDir dir;
    std::vector<Repo> repos;
    repos.push_back(memRepo(1));
    stanza::stanzaCreate(repos, "main", cluster());
    const auto before = listAll(*repos[0].storage);

    SECTION("segment header with another system id") {
        const std::string path = dir.write("000000010000000000000005", segmentBytes(12345, 4));
        try {
            archive::archivePushFile(path, repos, pushOptions());
            FAIL("foreign WAL accepted");
        } catch (const Error& error) {
            CHECK(error.code() == ErrorCode::ArchiveMismatch);
            CHECK_THAT(error.what(), Catch::Contains("system-id 12345"));
        }
    }
    SECTION("local pg_control of another cluster") {
        auto options = pushOptions();
        options.pgControl = cluster(999);
        const std::string path = dir.write("000000010000000000000005", segmentBytes(kSystemId, 4));
        CHECK_THROWS_MATCHES(archive::archivePushFile(path, repos, options), Error,
                             Catch::Predicate<Error>([](const Error& e) { return e.code() == ErrorCode::ArchiveMismatch; }));
    }
    CHECK(listAll(*repos[0].storage) == before);
}

TEST_CASE("archive-push to several repositories reports the one that failed", "[unit][command][archive]") {
    TempDir dir;
    std::vector<Repo> repos;
    repos.push_back(memRepo(1));
    repos.push_back(memRepo(2));
    stanza::stanzaCreate(repos, "main", cluster());
    // repo2 loses its archive.info: the push must still land in repo1 and the error name repo2.
    repos[1].storage->removePath("archive", {.recurse = true});
    const std::string segment = "000000010000000000000006";
    try {
        archive::archivePushFile(dir.write(segment, segmentBytes(kSystemId, 5)), repos, pushOptions());
        FAIL("push reported success with a broken repo2");
    } catch (const Error& error) {
        CHECK_THAT(error.what(), Catch::Contains("repo2"));
        CHECK_THAT(error.what(), !Catch::Contains("repo1:"));
    }
    CHECK(archive::findStoredSegment(*repos[0].storage, "main", "15-1", segment).size() == 1);
    // archive-get falls back to the repository that has it.
    std::swap(repos[0], repos[1]);
    REQUIRE(archive::archiveGetFile(segment, (dir.path / "got").string(), repos, {.stanza = "main", .pgControl = cluster()}));
    CHECK(dir.read("got") == segmentBytes(kSystemId, 5));
}

TEST_CASE("archive-get of a corrupt stored segment fails and writes nothing", "[unit][command][archive]") {
    TempDir dir;
    std::vector<Repo> repos;
    repos.push_back(memRepo(1));
    stanza::stanzaCreate(repos, "main", cluster());
    const std::string segment = "000000010000000000000007";
    archive::archivePushFile(dir.write(segment, segmentBytes(kSystemId, 6)), repos,
                             pushOptions(compress::CompressType::None));
    const auto stored = archive::findStoredSegment(*repos[0].storage, "main", "15-1", segment);
    REQUIRE(stored.size() == 1);
    std::string bytes = storage::readText(*repos[0].storage, stored[0].path);
    bytes[1000] = static_cast<char>(bytes[1000] ^ 0x55);
    storage::writeText(*repos[0].storage, stored[0].path, bytes, {});

    try {
        archive::archiveGetFile(segment, (dir.path / "got").string(), repos, {.stanza = "main", .pgControl = cluster()});
        FAIL("a corrupt segment was returned");
    } catch (const Error& error) {
        CHECK(error.code() == ErrorCode::Checksum);
        CHECK_THAT(error.what(), Catch::Contains(segment));
    }
    CHECK_FALSE(std::filesystem::exists(dir.path / "got"));
}

TEST_CASE("archive-push and archive-get of history and backup history files", "[unit][command][archive]") {
    TempDir dir;
    std::vector<Repo> repos;
    repos.push_back(memRepo(1, "secret"));
    stanza::stanzaCreate(repos, "main", cluster());
    const std::string history = "1\t0/3000000\tno recovery target specified\n";
    archive::archivePushFile(dir.write("00000002.history", history), repos, pushOptions());
    archive::archivePushFile(dir.write("000000010000000000000002.00000028.backup", "START WAL LOCATION: 0/2000028\n"),
                             repos, pushOptions());
    CHECK(repos[0].storage->info("archive/main/15-1/00000002.history", storage::InfoLevel::Exists));
    CHECK(repos[0].storage->info("archive/main/15-1/0000000100000000/000000010000000000000002.00000028.backup",
                                 storage::InfoLevel::Exists));
    REQUIRE(archive::archiveGetFile("00000002.history", (dir.path / "h").string(), repos,
                                    {.stanza = "main", .pgControl = cluster()}));
    CHECK(dir.read("h") == history);
}

TEST_CASE("archive-get with a wrong repository passphrase is an error, not 'not found'", "[unit][command][archive]") {
    TempDir dir;
    std::vector<Repo> repos;
    repos.push_back(memRepo(1, "right"));
    stanza::stanzaCreate(repos, "main", cluster());
    repos[0].cipherPass = "wrong";
    CHECK_THROWS_AS(archive::archiveGetFile("000000010000000000000001", (dir.path / "x").string(), repos,
                                            {.stanza = "main", .pgControl = cluster()}),
                    Error);
}

namespace {

// A whole 16 MiB segment whose long page header names it: timeline 1, segment `number`.
std::string wholeSegment(unsigned seed, std::uint64_t number) {
    std::string bytes = segmentBytes(kSystemId, seed, 16 * 1024 * 1024);
    const std::uint64_t pageAddress = number * 16 * 1024 * 1024;
    std::memcpy(bytes.data() + 8, &pageAddress, 8);
    return bytes;
}

}  // namespace

TEST_CASE("archive-get of whole lz4 and zst segments: frame checksums verify them, the SHA-1 still decides the rest",
          "[unit][command][archive]") {
    TempDir dir;
    const auto type = GENERATE(compress::CompressType::Lz4, compress::CompressType::Zst);
    std::vector<Repo> repos;
    repos.push_back(memRepo(1));
    stanza::stanzaCreate(repos, "main", cluster());
    const archive::GetOptions get{.stanza = "main", .pgControl = cluster()};
    const std::string seg3 = "000000010000000000000003", seg4 = "000000010000000000000004";
    const std::string bytes3 = wholeSegment(3, 3), bytes4 = wholeSegment(4, 4);
    archive::archivePushFile(dir.write(seg3, bytes3), repos, pushOptions(type));
    archive::archivePushFile(dir.write(seg4, bytes4), repos, pushOptions(type));
    const std::string path3 = archive::findStoredSegment(*repos[0].storage, "main", "15-1", seg3).at(0).path;
    const std::string path4 = archive::findStoredSegment(*repos[0].storage, "main", "15-1", seg4).at(0).path;
    const std::string stored3 = storage::readText(*repos[0].storage, path3);

    REQUIRE(archive::archiveGetFile(seg3, (dir.path / "got").string(), repos, get));
    CHECK(dir.read("got") == bytes3);
    std::filesystem::remove(dir.path / "got");

    SECTION("a damaged byte anywhere is refused by the frame checksum, and nothing is written") {
        for (const std::size_t at : {std::size_t{20}, stored3.size() / 2, stored3.size() - 2}) {
            INFO("byte " << at);
            std::string bad = stored3;
            bad[at] = static_cast<char>(bad[at] ^ 0x10);
            storage::writeText(*repos[0].storage, path3, bad, {});
            CHECK_THROWS_AS(archive::archiveGetFile(seg3, (dir.path / "got").string(), repos, get), Error);
            CHECK_FALSE(std::filesystem::exists(dir.path / "got"));
        }
    }
    SECTION("an intact file of another segment under this segment's name is refused by the SHA-1") {
        storage::writeText(*repos[0].storage, path4, stored3, {});
        try {
            archive::archiveGetFile(seg4, (dir.path / "got").string(), repos, get);
            FAIL("segment 3 was returned as segment 4");
        } catch (const Error& error) {
            CHECK(error.code() == ErrorCode::Checksum);
        }
        CHECK_FALSE(std::filesystem::exists(dir.path / "got"));
    }
    SECTION("frames without a content checksum (as pgBackRest writes zst) are checked by the SHA-1") {
        if (type == compress::CompressType::Zst) {
            const std::string seg5 = "000000010000000000000005";
            const std::string bytes5 = wholeSegment(5, 5);
            auto plain = compress::makeCompressFilter(compress::CompressType::Zst, 3);
            const std::string frame = test::runFilter(*plain, bytes5, {.outCapacity = 1024 * 1024});
            REQUIRE((static_cast<unsigned char>(frame.at(4)) & 0x04) == 0);
            const std::string dir5 = "archive/main/15-1/0000000100000000/";
            storage::writeText(*repos[0].storage, dir5 + archive::storedSegmentName(seg5, std::string(40, 'a'), type),
                               frame, {});
            try {
                archive::archiveGetFile(seg5, (dir.path / "got").string(), repos, get);
                FAIL("a segment whose SHA-1 does not match its name was returned");
            } catch (const Error& error) {
                CHECK(error.code() == ErrorCode::Checksum);
            }
            CHECK_FALSE(std::filesystem::exists(dir.path / "got"));
        }
    }
}
