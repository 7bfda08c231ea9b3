// Tests of the archive.info model (spec §2.5): the real files, the db-id typo, numeric history
// order, stanza-upgrade history entries, and invalid contents.
#include <catch2/catch.hpp>

#include "common/error.h"
#include "fake/mem_storage.h"
#include "info/archive_info.h"
#include "info/info_file.h"
#include "unit/info/info_test_util.h"

using namespace pgark;
using namespace pgark::info;
using pgark::test::MemStorage;
using pgark::test::info::fixture;
using pgark::test::info::kFixturePass;
using pgark::test::info::kFixtureSystemId;

namespace {

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

TEST_CASE("ArchiveInfo reads and rewrites the real archive.info", "[unit][info]") {
    MemStorage repo;
    const std::string path = archiveInfoPath("fix");
    CHECK(path == "archive/fix/archive.info");

    SECTION("plain") {
        storage::writeText(repo, path, fixture("plain", "archive.info"), {});
        const ArchiveInfo info = ArchiveInfo::load(repo, path, "");
        CHECK(info.current().id == 1);
        CHECK(info.current().systemId == kFixtureSystemId);
        CHECK(info.current().version == "15");
        CHECK(info.archiveId() == "15-1");
        CHECK(info.history().size() == 1);
        CHECK(info.cipherPass().empty());
        CHECK(renderInfo(info.toIni()) == fixture("plain", "archive.info"));
    }

    SECTION("encrypted") {
        storage::writeText(repo, path, fixture("encrypted", "archive.info"), {});
        const ArchiveInfo info = ArchiveInfo::load(repo, path, kFixturePass);
        CHECK(info.cipherPass().size() == 64);
        CHECK(info.archiveId() == "15-1");
        CHECK(renderInfo(info.toIni()) == decryptText(fixture("encrypted", "archive.info"), kFixturePass));
    }

    SECTION("a new ArchiveInfo is byte-identical to what stanza-create wrote") {
        const ArchiveInfo info(kFixtureSystemId, "15", "");
        CHECK(renderInfo(info.toIni()) == fixture("plain", "archive.info"));
        const std::string text = renderInfo(info.toIni());
        // The history object stores the system id under "db-id" (historic typo, §2.5).
        CHECK(text.find("\n1={\"db-id\":" + std::to_string(kFixtureSystemId) + ",\"db-version\":\"15\"}\n") !=
              std::string::npos);
    }

    SECTION("save then load, plain and encrypted") {
        ArchiveInfo info(kFixtureSystemId, "15", "sub-pass-for-wal");
        info.save(repo, path, "repo-pass");
        CHECK(storage::readText(repo, path).starts_with("Salted__"));
        const ArchiveInfo back = ArchiveInfo::load(repo, path, "repo-pass");
        CHECK(back.cipherPass() == "sub-pass-for-wal");
        CHECK(back.history() == info.history());

        const ArchiveInfo plain(42, "9.6", "");
        plain.save(repo, "archive/other/archive.info", "");
        const auto loaded = ArchiveInfo::loadIfExists(repo, "archive/other/archive.info", "");
        REQUIRE(loaded.has_value());
        CHECK(loaded->archiveId() == "9.6-1");
        CHECK_FALSE(ArchiveInfo::loadIfExists(repo, "archive/none/archive.info", "").has_value());
    }
}

TEST_CASE("ArchiveInfo history: stanza-upgrade, numeric order, archive id lookup", "[unit][info]") {
    ArchiveInfo info(100, "14", "");
    const InfoPgData& added = info.historyAdd(200, "15");
    CHECK(added.id == 2);
    CHECK(info.current().id == 2);
    CHECK(info.archiveId() == "15-2");
    for (unsigned i = 3; i <= 10; ++i) info.historyAdd(200 + i, "15");
    CHECK(info.current().id == 10);
    CHECK(info.archiveIdFor("14", 100) == "14-1");
    CHECK(info.archiveIdFor("15", 200) == "15-2");
    CHECK_FALSE(info.archiveIdFor("15", 100).has_value());
    CHECK(info.historyById(9)->systemId == 209);
    CHECK(info.historyById(11) == nullptr);

    const std::string text = renderInfo(info.toIni());
    const std::size_t nine = text.find("\n9={");
    const std::size_t ten = text.find("\n10={");
    CHECK(text.find("\n1={") < text.find("\n2={"));
    CHECK(nine < ten);  // numeric, not string order
    CHECK(text.find("[db]\ndb-id=10\ndb-system-id=210\ndb-version=\"15\"\n") != std::string::npos);

    SECTION("the file order of history lines does not matter on load") {
        Ini ini = Ini::parse("[db]\ndb-id=2\n[db:history]\n10={\"db-id\":1,\"db-version\":\"16\"}\n"
                             "2={\"db-id\":5,\"db-version\":\"15\"}\n1={\"db-id\":4,\"db-version\":\"14\"}\n");
        const ArchiveInfo loaded = ArchiveInfo::fromIni(ini, "x");
        REQUIRE(loaded.history().size() == 3);
        CHECK(loaded.history()[0].id == 1);
        CHECK(loaded.history()[2].id == 10);
        CHECK(loaded.current().systemId == 5);  // [db] names the current id, not the highest
        CHECK(loaded.archiveId() == "15-2");
    }
}

TEST_CASE("ArchiveInfo::fromIni rejects invalid contents", "[unit][info]") {
    const auto check = [](std::string_view text, std::string_view reason) {
        const Error error = errorOf([&] { (void)ArchiveInfo::fromIni(Ini::parse(text), "/repo/archive.info"); });
        CHECK(error.code() == ErrorCode::FileInvalid);
        CHECK(error.message() == "invalid archive info file '/repo/archive.info': " + std::string(reason));
        CHECK_FALSE(error.hint().empty());
    };
    check("[db]\ndb-id=1\n", "section '[db:history]' is missing");
    check("[db:history]\n1={\"db-id\":1,\"db-version\":\"15\"}\n", "missing key 'db-id' in section '[db]'");
    check("[db]\ndb-id=2\n[db:history]\n1={\"db-id\":1,\"db-version\":\"15\"}\n", "current db-id 2 is not in '[db:history]'");
    check("[db]\ndb-id=1\n[db:history]\nx={\"db-id\":1,\"db-version\":\"15\"}\n",
          "history key 'x' is not a positive integer id");
    check("[db]\ndb-id=1\n[db:history]\n1={\"db-system-id\":1,\"db-version\":\"15\"}\n", "missing key 'db-id'");
    check("[db]\ndb-id=1\n[db:history]\n1={\"db-id\":\"1\",\"db-version\":\"15\"}\n",
          "expected unsigned integer but found string");
    check("[db]\ndb-id=1\n[db:history]\n1={\"db-id\":1,\"db-version\":\"15\"}\n01={\"db-id\":1,\"db-version\":\"15\"}\n",
          "history id 1 appears twice");
}
