// Tests of info-file load/save (spec §1.3, §2.4, §7.2): checksum and format checks, fallback to
// X.copy on any failure, both-failed errors, encryption, and the real encrypted fixtures.
#include <catch2/catch.hpp>

#include "common/error.h"
#include "fake/fault_storage.h"
#include "fake/mem_storage.h"
#include "info/info_file.h"
#include "unit/info/info_test_util.h"

using namespace pgark;
using namespace pgark::info;
using pgark::test::FaultOp;
using pgark::test::FaultStorage;
using pgark::test::MemStorage;
using pgark::test::info::fixture;
using pgark::test::info::kFixturePass;

namespace {

constexpr std::string_view kPath = "archive/db/archive.info";
constexpr std::string_view kCopy = "archive/db/archive.info.copy";

void put(storage::Storage& storage, std::string_view path, std::string_view text) {
    storage::writeText(storage, path, text, {});
}

std::string flipByte(std::string text, std::size_t offset) {
    text.at(offset) = static_cast<char>(text.at(offset) ^ 0x01);
    return text;
}

Error errorOf(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const Error& error) {
        return error;
    }
    FAIL("no error thrown");
    return Error(ErrorCode::Unknown, "");
}

}  // namespace

TEST_CASE("parseInfo verifies checksum and format", "[unit][info]") {
    const std::string good = fixture("plain", "archive.info");

    SECTION("a real file passes") {
        const Ini ini = parseInfo(good, "/r/archive.info");
        CHECK(ini.get("db", "db-version").asString() == "15");
    }

    SECTION("any flipped byte in the body fails the checksum") {
        // Flip a digit of the system id (still valid syntax), then a letter of a key.
        const std::size_t digit = good.find("db-system-id=") + 14;
        const Error error = errorOf([&] { (void)parseInfo(flipByte(good, digit), "/r/archive.info"); });
        CHECK(error.code() == ErrorCode::Checksum);
        CHECK_THAT(error.message(), Catch::StartsWith("invalid checksum in info file '/r/archive.info': expected '"));
        const std::size_t key = good.find("db-version");
        CHECK(errorOf([&] { (void)parseInfo(flipByte(good, key), "x"); }).code() == ErrorCode::Checksum);
    }

    SECTION("a missing checksum fails") {
        const std::string text = good.substr(0, good.find("\n[backrest]\nbackrest-checksum"));
        const Error error = errorOf([&] { (void)parseInfo(text, "/r/a"); });
        CHECK(error.code() == ErrorCode::Checksum);
        CHECK(error.message() == "missing checksum in info file '/r/a'");
    }

    SECTION("a format other than 5 fails even with a correct checksum") {
        Ini ini = Ini::parse(good);
        ini.setRaw("backrest", "backrest-format", "4");
        const Error error = errorOf([&] { (void)parseInfo(ini.render(), "/r/a"); });
        CHECK(error.code() == ErrorCode::Format);
        CHECK(error.message() == "invalid format in info file '/r/a': expected 5 but found 4");
    }

    SECTION("a syntax error names the file and line") {
        const Error error = errorOf([&] { (void)parseInfo("[backrest]\ngarbage\n", "/r/a"); });
        CHECK(error.code() == ErrorCode::Format);
        CHECK(error.message() == "invalid info file '/r/a': line 2: expected '[section]' or 'key=<JSON value>'");
    }
}

TEST_CASE("renderInfo stamps format 5 and version 2.45", "[unit][info]") {
    Ini ini = Ini::parse(fixture("plain", "archive.info"));
    ini.set("backrest", "backrest-version", json::Value("2.99"));
    ini.set("backrest", "backrest-format", json::Value(4));
    const std::string text = renderInfo(ini);
    CHECK(text == fixture("plain", "archive.info"));
}

TEST_CASE("loadInfoFile falls back to the copy on any failure", "[unit][info]") {
    auto mem = std::make_unique<MemStorage>();
    MemStorage& repo = *mem;
    const std::string good = fixture("plain", "archive.info");
    Ini expected = Ini::parse(good);

    SECTION("main and copy intact: main is used") {
        put(repo, kPath, good);
        put(repo, kCopy, "broken");
        CHECK(loadInfoFile(repo, kPath, "").render() == good);
    }

    SECTION("main missing") {
        put(repo, kCopy, good);
        CHECK(loadInfoFile(repo, kPath, "").render() == good);
    }

    SECTION("main corrupt (checksum)") {
        put(repo, kPath, flipByte(good, good.find("db-system-id=") + 14));
        put(repo, kCopy, good);
        CHECK(loadInfoFile(repo, kPath, "").render() == good);
    }

    SECTION("main truncated (parse error)") {
        put(repo, kPath, good.substr(0, 30));
        put(repo, kCopy, good);
        CHECK(loadInfoFile(repo, kPath, "").render() == good);
    }

    SECTION("main unreadable") {
        put(repo, kPath, good);
        put(repo, kCopy, good);
        FaultStorage faulty(std::move(mem));
        faulty.failCall(FaultOp::Read, Error(ErrorCode::FileRead, "unable to read 'x': [5] Input/output error"),
                        {.nth = 1, .pathContains = "archive.info"});
        CHECK(loadInfoFile(faulty, kPath, "").render() == good);
        CHECK(faulty.calls(FaultOp::OpenRead) == 2);
    }
}

TEST_CASE("loadInfoFile reports both files when both fail", "[unit][info]") {
    MemStorage repo;
    const std::string good = fixture("plain", "archive.info");
    const std::string corrupt = flipByte(good, good.find("db-system-id=") + 14);

    SECTION("both missing: FileMissing, and loadInfoFileIfExists gives nullopt") {
        const Error error = errorOf([&] { (void)loadInfoFile(repo, kPath, ""); });
        CHECK(error.code() == ErrorCode::FileMissing);
        CHECK_THAT(error.message(), Catch::StartsWith("unable to load info file 'mem:/archive/db/archive.info' or "
                                                      "'mem:/archive/db/archive.info.copy':\nFileMissingError: "));
        CHECK_THAT(error.message(), Catch::Contains("\nFileMissingError: unable to open missing file "
                                                    "'mem:/archive/db/archive.info.copy' for read"));
        CHECK_FALSE(error.hint().empty());
        CHECK_FALSE(loadInfoFileIfExists(repo, kPath, "").has_value());
    }

    SECTION("both corrupt: Checksum, naming both files and both reasons") {
        put(repo, kPath, corrupt);
        put(repo, kCopy, corrupt);
        const Error error = errorOf([&] { (void)loadInfoFile(repo, kPath, ""); });
        CHECK(error.code() == ErrorCode::Checksum);
        CHECK_THAT(error.message(), Catch::Contains("'mem:/archive/db/archive.info' or 'mem:/archive/db/archive.info.copy'"));
        CHECK_THAT(error.message(), Catch::Contains("ChecksumError: invalid checksum in info file 'mem:/archive/db/archive.info':"));
        CHECK_THAT(error.message(), Catch::Contains("ChecksumError: invalid checksum in info file 'mem:/archive/db/archive.info.copy':"));
        CHECK_FALSE(error.hint().empty());
        // loadInfoFileIfExists reports present-but-bad files the same way.
        CHECK(errorOf([&] { (void)loadInfoFileIfExists(repo, kPath, ""); }).code() == ErrorCode::Checksum);
    }

    SECTION("one corrupt, one missing: Checksum") {
        put(repo, kPath, corrupt);
        const Error error = errorOf([&] { (void)loadInfoFile(repo, kPath, ""); });
        CHECK(error.code() == ErrorCode::Checksum);
        CHECK_THAT(error.message(), Catch::Contains("\nChecksumError: "));
        CHECK_THAT(error.message(), Catch::Contains("\nFileMissingError: "));
    }

    SECTION("one unparsable, one corrupt: FileInvalid") {
        put(repo, kPath, "not an info file");
        put(repo, kCopy, corrupt);
        const Error error = errorOf([&] { (void)loadInfoFile(repo, kPath, ""); });
        CHECK(error.code() == ErrorCode::FileInvalid);
        CHECK_THAT(error.message(), Catch::Contains("\nFormatError: invalid info file 'mem:/archive/db/archive.info': line 1"));
        CHECK_THAT(error.hint(), Catch::Contains("corrupt"));
    }
}

TEST_CASE("saveInfoFile writes identical main and copy, loadable again", "[unit][info]") {
    MemStorage repo;
    Ini ini = Ini::parse(fixture("plain", "archive.info"));
    ini.set("db", "db-version", json::Value("15"));

    SECTION("plain") {
        saveInfoFile(repo, kPath, ini, "");
        const std::string main = storage::readText(repo, kPath);
        CHECK(main == fixture("plain", "archive.info"));
        CHECK(storage::readText(repo, kCopy) == main);
        CHECK(loadInfoFile(repo, kPath, "").render() == main);
    }

    SECTION("encrypted: one encryption, the same bytes twice, and only the passphrase opens it") {
        saveInfoFile(repo, kPath, ini, "secret-pass");
        const std::string main = storage::readText(repo, kPath);
        CHECK(main.starts_with("Salted__"));
        CHECK(main.find("db-system-id") == std::string::npos);
        CHECK(storage::readText(repo, kCopy) == main);
        CHECK(decryptText(main, "secret-pass") == fixture("plain", "archive.info"));
        CHECK(loadInfoFile(repo, kPath, "secret-pass").render() == fixture("plain", "archive.info"));

        const Error wrong = errorOf([&] { (void)loadInfoFile(repo, kPath, "wrong-pass"); });
        CHECK((wrong.code() == ErrorCode::FileInvalid || wrong.code() == ErrorCode::Crypto));
        CHECK_THAT(wrong.message(), Catch::Contains("archive.info.copy"));
        CHECK_THAT(wrong.hint(), Catch::Contains("repo-cipher-pass"));
        CHECK(wrong.message().find("wrong-pass") == std::string::npos);
        CHECK(wrong.message().find("secret-pass") == std::string::npos);

        const Error none = errorOf([&] { (void)loadInfoFile(repo, kPath, ""); });
        CHECK_THAT(none.message(), Catch::Contains("CryptoError: info file 'mem:/archive/db/archive.info' is encrypted but "
                                                   "no cipher passphrase is configured"));
    }

    SECTION("a plain file read with a passphrase fails cleanly") {
        saveInfoFile(repo, kPath, ini, "");
        const Error error = errorOf([&] { (void)loadInfoFile(repo, kPath, "secret-pass"); });
        CHECK_THAT(error.message(), Catch::Contains("CryptoError: "));
        CHECK_THAT(error.hint(), Catch::Contains("repo-cipher-pass"));
    }

    SECTION("a crash while writing the main file leaves the old pair loadable") {
        const std::string before = fixture("plain", "archive.info");
        auto inner = std::make_unique<MemStorage>();
        saveInfoFile(*inner, kPath, ini, "");
        FaultStorage faulty(std::move(inner));
        faulty.crashBeforeCommit("archive.info");
        Ini changed = ini;
        changed.set("db", "db-id", json::Value(2));
        changed.set("db:history", "2", json::parse("{\"db-id\":1,\"db-version\":\"16\"}"));
        CHECK(errorOf([&] { saveInfoFile(faulty, kPath, changed, ""); }).code() == ErrorCode::Term);
        faulty.clearFaults();
        CHECK(loadInfoFile(faulty, kPath, "").render() == before);
    }
}

TEST_CASE("the encrypted fixtures open with the repository passphrase", "[unit][info]") {
    MemStorage repo;
    put(repo, "archive/fix/archive.info", fixture("encrypted", "archive.info"));
    put(repo, "backup/fix/backup.info", fixture("encrypted", "backup.info"));
    put(repo, "backup/fix/L/backup.manifest", fixture("encrypted", "backup.manifest"));

    const Ini archive = loadInfoFile(repo, "archive/fix/archive.info", kFixturePass);
    const Ini backup = loadInfoFile(repo, "backup/fix/backup.info", kFixturePass);
    const std::string archivePass = archive.get("cipher", "cipher-pass").asString();
    const std::string backupPass = backup.get("cipher", "cipher-pass").asString();
    CHECK(archivePass.size() == 64);
    CHECK(backupPass.size() == 64);
    CHECK(archivePass != backupPass);  // independent sub-passphrases (§7.2)

    SECTION("re-rendered plain text is byte-identical to what pgbackrest encrypted") {
        CHECK(archive.render() == decryptText(fixture("encrypted", "archive.info"), kFixturePass));
        CHECK(backup.render() == decryptText(fixture("encrypted", "backup.info"), kFixturePass));
    }

    SECTION("the manifest is encrypted with the backup.info sub-passphrase, not the repository's") {
        const Ini manifest = loadInfoFile(repo, "backup/fix/L/backup.manifest", backupPass);
        CHECK(manifest.render() == decryptText(fixture("encrypted", "backup.manifest"), backupPass));
        CHECK(manifest.get("cipher", "cipher-pass").asString().size() == 64);
        const Error error = errorOf([&] { (void)loadInfoFile(repo, "backup/fix/L/backup.manifest", kFixturePass); });
        CHECK((error.code() == ErrorCode::FileInvalid || error.code() == ErrorCode::Crypto));
    }
}
