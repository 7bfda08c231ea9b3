// stanza-create / -upgrade / -delete cores on in-memory repositories.
#include <catch2/catch.hpp>

#include "command/stanza/stanza.h"
#include "common/error.h"
#include "fake/mem_storage.h"
#include "info/archive_info.h"
#include "info/backup_info.h"
#include "storage/storage.h"

using namespace pgark;
using namespace pgark::command;

namespace {
postgres::PgControl cluster(std::uint64_t systemId, unsigned version = 150000, std::uint32_t catalog = 202209061) {
    postgres::PgControl control;
    control.systemId = systemId;
    control.version = version;
    control.controlVersion = 1300;
    control.catalogVersion = catalog;
    return control;
}
std::vector<Repo> oneRepo(std::string pass = "") {
    std::vector<Repo> repos;
    repos.push_back(Repo{1, std::make_unique<test::MemStorage>(), std::move(pass)});
    return repos;
}
ErrorCode codeOf(const std::function<void()>& run) {
    try {
        run();
    } catch (const Error& error) {
        return error.code();
    }
    FAIL("no error was thrown");
    return ErrorCode::Assert;
}
}  // namespace

TEST_CASE("stanza-create writes both info files and is idempotent", "[unit][command][stanza]") {
    auto repos = oneRepo("repo-pass");
    stanza::stanzaCreate(repos, "main", cluster(42));
    auto& repo = *repos[0].storage;
    for (const char* file : {"archive/main/archive.info", "archive/main/archive.info.copy", "backup/main/backup.info",
                             "backup/main/backup.info.copy"})
        CHECK(repo.info(file, storage::InfoLevel::Exists));
    const auto archiveInfo = info::ArchiveInfo::load(repo, info::archiveInfoPath("main"), "repo-pass");
    CHECK(archiveInfo.archiveId() == "15-1");
    CHECK(archiveInfo.current().systemId == 42);
    CHECK(archiveInfo.cipherPass().size() == 64);
    const auto backupInfo = info::BackupInfo::load(repo, info::backupInfoPath("main"), "repo-pass");
    CHECK(backupInfo.current().catalogVersion == 202209061);

    const std::string before = storage::readText(repo, "archive/main/archive.info");
    stanza::stanzaCreate(repos, "main", cluster(42));
    CHECK(storage::readText(repo, "archive/main/archive.info") == before);

    SECTION("a missing copy is restored") {
        repo.remove("backup/main/backup.info.copy", {});
        stanza::stanzaCreate(repos, "main", cluster(42));
        CHECK(repo.info("backup/main/backup.info.copy", storage::InfoLevel::Exists));
    }
    SECTION("another cluster is refused") {
        CHECK(codeOf([&] { stanza::stanzaCreate(repos, "main", cluster(43)); }) == ErrorCode::FileInvalid);
        CHECK(storage::readText(repo, "archive/main/archive.info") == before);
    }
    SECTION("only one of the two info files is refused") {
        repo.removePath("backup/main", {.recurse = true});
        CHECK(codeOf([&] { stanza::stanzaCreate(repos, "main", cluster(42)); }) == ErrorCode::FileMissing);
    }
}

TEST_CASE("stanza-create refuses directories that hold files but no info files", "[unit][command][stanza]") {
    auto repos = oneRepo();
    storage::writeText(*repos[0].storage, "archive/main/15-1/stray", "x", {});
    CHECK(codeOf([&] { stanza::stanzaCreate(repos, "main", cluster(1)); }) == ErrorCode::PathNotEmpty);
    CHECK_FALSE(repos[0].storage->info("backup/main/backup.info", storage::InfoLevel::Exists));
}

TEST_CASE("stanza-upgrade adds a history entry to both files", "[unit][command][stanza]") {
    auto repos = oneRepo();
    stanza::stanzaCreate(repos, "main", cluster(42));
    stanza::stanzaUpgrade(repos, "main", cluster(42));  // nothing to do
    CHECK(info::ArchiveInfo::load(*repos[0].storage, info::archiveInfoPath("main"), "").archiveId() == "15-1");

    auto upgraded = cluster(77, 160000, 202307071);
    stanza::stanzaUpgrade(repos, "main", upgraded);
    const auto archiveInfo = info::ArchiveInfo::load(*repos[0].storage, info::archiveInfoPath("main"), "");
    CHECK(archiveInfo.archiveId() == "16-2");
    CHECK(archiveInfo.history().size() == 2);
    const auto backupInfo = info::BackupInfo::load(*repos[0].storage, info::backupInfoPath("main"), "");
    CHECK(backupInfo.current().id == 2);
    CHECK(backupInfo.current().systemId == 77);
    // Now the old cluster no longer matches the stanza.
    CHECK(codeOf([&] { stanza::stanzaCheck(repos[0], "main", cluster(42)); }) == ErrorCode::ArchiveMismatch);
    stanza::stanzaCheck(repos[0], "main", upgraded);
}

TEST_CASE("stanza-delete removes the stanza and nothing else", "[unit][command][stanza]") {
    auto repos = oneRepo();
    stanza::stanzaCreate(repos, "main", cluster(1));
    stanza::stanzaCreate(repos, "other", cluster(2));
    stanza::stanzaDelete(repos, "main");
    CHECK_FALSE(repos[0].storage->info("archive/main", storage::InfoLevel::Exists));
    CHECK_FALSE(repos[0].storage->info("backup/main", storage::InfoLevel::Exists));
    CHECK(repos[0].storage->info("archive/other/archive.info", storage::InfoLevel::Exists));
}
