// Tests of manifest parsing, rendering, loading and saving (spec §3, §1.3): every manifest made by
// the real pgBackRest 2.45 (test/fixtures/info and test/fixtures/info/manifest, see their READMEs)
// parses into the model and renders back byte for byte; facts read from them; the .copy rules.
#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "common/error.h"
#include "fake/mem_storage.h"
#include "info/backup_info.h"
#include "info/info_file.h"
#include "info/manifest.h"
#include "unit/info/info_test_util.h"

using namespace pgark;
using namespace pgark::info;
using pgark::test::MemStorage;
using pgark::test::info::fixture;
using pgark::test::info::fixtureDir;
using pgark::test::info::kFixturePass;
using pgark::test::info::readBinary;

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

std::string manifestFixture(const std::string& file) { return readBinary(fixtureDir() / "manifest" / file); }

// The backup-set sub-passphrase of an encrypted backup.info (its [cipher] cipher-pass).
std::string backupInfoPass(const std::string& encryptedInfo) {
    const Ini ini = parseInfo(decryptText(encryptedInfo, kFixturePass), "backup.info");
    return ini.get("cipher", "cipher-pass").asString();
}

std::string bundlePass() { return backupInfoPass(manifestFixture("bundle-backup.info")); }

// Every manifest fixture as plain text, by name.
std::vector<std::pair<std::string, std::string>> plainManifests() {
    std::vector<std::pair<std::string, std::string>> result;
    result.emplace_back("plain/backup.manifest", fixture("plain", "backup.manifest"));
    result.emplace_back("encrypted/backup.manifest",
                        decryptText(fixture("encrypted", "backup.manifest"), backupInfoPass(fixture("encrypted", "backup.info"))));
    for (const char* name : {"full.manifest", "diff.manifest", "incr.manifest", "offline.manifest"})
        result.emplace_back(std::string("manifest/") + name, manifestFixture(name));
    const std::string pass = bundlePass();
    for (const char* name : {"bundle-full.manifest", "bundle-incr.manifest"})
        result.emplace_back(std::string("manifest/") + name, decryptText(manifestFixture(name), pass));
    return result;
}

Manifest parse(const std::string& text, const std::string& name = "backup.manifest") {
    return Manifest::fromIni(parseInfo(text, name), name);
}

// A one-line edit of a fixture, re-checksummed so that only the manifest layer can object.
std::string edited(const std::string& text, const std::string& from, const std::string& to) {
    std::string changed = text;
    const std::size_t at = changed.find(from);
    REQUIRE(at != std::string::npos);
    changed.replace(at, from.size(), to);
    return renderIniLines(Ini::parse(changed).canonicalLines());
}

}  // namespace

TEST_CASE("every real manifest renders back byte for byte", "[unit][info][manifest]") {
    for (const auto& [name, text] : plainManifests()) {
        INFO(name);
        const Manifest manifest = parse(text, name);
        CHECK(renderManifest(manifest) == text);
        // And the model survives its own rendering.
        CHECK(parse(renderManifest(manifest)) == manifest);
    }
}

TEST_CASE("a full backup manifest reads into the model", "[unit][info][manifest]") {
    const Manifest manifest = parse(fixture("plain", "backup.manifest"));
    const ManifestData& data = manifest.data();
    const std::string label = readBinary(fixtureDir() / "plain" / "label.txt");
    CHECK(data.label + "\n" == label);
    CHECK(data.type == BackupType::Full);
    CHECK_FALSE(data.prior);
    CHECK(data.references == std::vector<std::string>{data.label});
    CHECK(data.archiveStart == "000000010000000000000002");
    CHECK(data.lsnStop == "0/2000408");
    CHECK(data.timestampCopyStart == 1795262714);
    CHECK(data.pg.systemId == pgark::test::info::kFixtureSystemId);
    CHECK(data.pg.version == "15");
    CHECK(data.pg.controlVersion == 1300);
    CHECK(data.compressType == compress::CompressType::Lz4);
    CHECK(data.optionCompressLevel == 1);
    CHECK(data.optionChecksumPage == true);
    CHECK(data.optionOnline);
    CHECK(data.optionBufferSize == 1048576u);
    CHECK(data.cipherPass.empty());
    CHECK_FALSE(data.bundle);

    const ManifestDb* weird = manifest.db("we\"ird=db ü");
    REQUIRE(weird != nullptr);
    CHECK(weird->id == 16384);
    CHECK(weird->lastSystemId == 4);

    const ManifestFile* relation = manifest.file("pg_data/base/1/112");
    REQUIRE(relation != nullptr);
    CHECK(relation->size == 8192);
    CHECK(relation->sizeRepo == 103);
    CHECK(relation->checksum == "9890dd22d170e0de4f4d9404aba2557a33b9909b");
    CHECK(relation->repoChecksum == "738bbb02fe9c99f7d5ec199501b4a1697357b881");
    CHECK(relation->checksumPage == true);
    CHECK(relation->mode == 0600);
    CHECK(relation->user == "postgres");
    CHECK(relation->group == "postgres");
    CHECK_FALSE(relation->reference);

    CHECK(manifest.repoFileLocation("fix", *relation).path == "backup/fix/" + data.label + "/pg_data/base/1/112.lz4");

    const ManifestFile* map = manifest.file("pg_data/base/1/pg_filenode.map");
    REQUIRE(map != nullptr);
    CHECK_FALSE(map->checksumPage);
    const ManifestFile* odd = manifest.file("pg_data/my=file ü\\.txt");
    REQUIRE(odd != nullptr);
    CHECK(odd->mode == 0644);

    const ManifestPath* base = manifest.path("pg_data");
    REQUIRE(base != nullptr);
    CHECK(base->mode == 0700);
    CHECK(manifest.targetBase().path.starts_with("/tmp/pgark-info-fixtures."));
    CHECK(manifest.links().empty());
    CHECK(std::is_sorted(manifest.files().begin(), manifest.files().end(),
                         [](const ManifestFile& a, const ManifestFile& b) { return a.name < b.name; }));
}

TEST_CASE("links, tablespaces, references and annotations read from real manifests", "[unit][info][manifest]") {
    const Manifest full = parse(manifestFixture("full.manifest"));
    const Manifest diff = parse(manifestFixture("diff.manifest"));
    const Manifest incr = parse(manifestFixture("incr.manifest"));

    SECTION("targets and links") {
        const ManifestTarget* tablespace = incr.target("pg_tblspc/16384");
        REQUIRE(tablespace != nullptr);
        CHECK(tablespace->type == TargetType::Link);
        CHECK(tablespace->tablespaceId == 16384);
        CHECK(tablespace->tablespaceName == "ts1");
        CHECK(tablespace->path.ends_with("/ts1"));
        const ManifestTarget* fileLink = incr.target("pg_data/pg_ident.conf");
        REQUIRE(fileLink != nullptr);
        CHECK(fileLink->file == "pg_ident.conf");
        CHECK(fileLink->path.ends_with("/etc"));
        const ManifestTarget* relative = incr.target("pg_data/extra_link");
        REQUIRE(relative != nullptr);
        CHECK(relative->path == "../extra");
        CHECK_FALSE(relative->file);
        REQUIRE(incr.links().size() == 4);
        CHECK(incr.link("pg_data/pg_tblspc/16384")->destination == tablespace->path);
        CHECK(incr.path("pg_tblspc/16384/PG_15_202209061/5") != nullptr);
        CHECK(incr.path("pg_data/extra_link")->mode == 0755);
    }

    SECTION("references") {
        CHECK(diff.data().type == BackupType::Diff);
        CHECK(diff.data().prior == full.data().label);
        CHECK(diff.data().references == std::vector<std::string>{full.data().label, diff.data().label});
        CHECK(incr.data().prior == diff.data().label);
        CHECK(incr.data().references ==
              std::vector<std::string>{full.data().label, diff.data().label, incr.data().label});
        // The incr references files of both earlier backups, and stores the changed ones itself.
        std::set<std::string> referenced;
        std::size_t own = 0;
        for (const ManifestFile& file : incr.files()) {
            if (file.reference)
                referenced.insert(*file.reference);
            else
                ++own;
        }
        CHECK(referenced == std::set<std::string>{full.data().label, diff.data().label});
        CHECK(own > 0);
        CHECK_FALSE(incr.file("pg_data/backup_label")->reference);
    }

    SECTION("owners, annotations") {
        const ManifestFile* rootOwned = incr.file("pg_data/root_owned.txt");
        REQUIRE(rootOwned != nullptr);
        CHECK(rootOwned->user == "root");
        CHECK(rootOwned->group == "root");
        CHECK(incr.data().annotations == std::map<std::string, std::string>{{"note", "a \"quoted\" ü"}, {"owner", "fixture"}});
        CHECK(full.data().annotations.empty());
    }
}

TEST_CASE("offline and bundled manifests read into the model", "[unit][info][manifest]") {
    SECTION("offline: no WAL range, page checksum errors") {
        const Manifest offline = parse(manifestFixture("offline.manifest"));
        CHECK_FALSE(offline.data().optionOnline);
        CHECK_FALSE(offline.data().archiveStart);
        CHECK_FALSE(offline.data().lsnStart);
        CHECK(offline.dbs().empty());
        CHECK(offline.target("pg_tblspc/16384")->tablespaceName == "ts16384");
        const auto bad = std::find_if(offline.files().begin(), offline.files().end(),
                                      [](const ManifestFile& file) { return file.checksumPage == false; });
        REQUIRE(bad != offline.files().end());
        REQUIRE(bad->checksumPageError);
        CHECK(json::render(json::Value(*bad->checksumPageError)) == "[0,[2,4]]");
        CHECK(offline.pageErrors());
        CHECK(offline.summary().backupError);
    }

    SECTION("bundled incr: bundle ids, offsets, empty files") {
        const std::string pass = bundlePass();
        const Manifest incr = parse(decryptText(manifestFixture("bundle-incr.manifest"), pass));
        CHECK(incr.data().bundle);
        CHECK(incr.data().compressType == compress::CompressType::Zst);
        CHECK(incr.data().cipherPass.size() == 64);
        // pg_control changes with every backup: stored again, in this backup's bundle.
        const ManifestFile* control = incr.file("pg_data/global/pg_control");
        REQUIRE(control != nullptr);
        CHECK(control->bundleId >= 1);
        CHECK_FALSE(control->reference);
        // PG_VERSION does not: it points into the prior's bundle.
        const ManifestFile* version = incr.file("pg_data/PG_VERSION");
        CHECK(version->reference == incr.data().prior);
        CHECK(version->bundleId >= 1);
        CHECK(std::any_of(incr.files().begin(), incr.files().end(),
                          [](const ManifestFile& file) { return file.bundleOffset != 0; }));
        // Empty files are not stored at all in a bundled backup.
        const auto empty = std::find_if(incr.files().begin(), incr.files().end(),
                                        [](const ManifestFile& file) { return file.size == 0; });
        REQUIRE(empty != incr.files().end());
        CHECK(empty->bundleId == 0);
        CHECK(empty->checksum == kSha1Empty);
        CHECK(empty->repoChecksum.empty());
        CHECK(empty->sizeRepo == 0);
        CHECK_FALSE(empty->reference);
        // Referenced bundled data is read from the prior's bundle, at its offset.
        const RepoFileLocation location = incr.repoFileLocation("fix", *version);
        CHECK(location.path == fmt::format("backup/fix/{}/bundle/{}", *incr.data().prior, version->bundleId));
        CHECK(location.offset == version->bundleOffset);
        CHECK(location.limit == version->sizeRepo);
    }
}

TEST_CASE("manifest totals and summary match what pgBackRest wrote to backup.info", "[unit][info][manifest]") {
    const std::string pass = bundlePass();
    const Ini infoIni = parseInfo(decryptText(manifestFixture("bundle-backup.info"), kFixturePass), "backup.info");
    const BackupInfo info = BackupInfo::fromIni(infoIni, "backup.info");
    REQUIRE(info.backups().size() == 2);
    for (const char* name : {"bundle-full.manifest", "bundle-incr.manifest"}) {
        INFO(name);
        const Manifest manifest = parse(decryptText(manifestFixture(name), pass));
        const BackupEntry* entry = info.backup(manifest.data().label);
        REQUIRE(entry != nullptr);
        const ManifestTotals totals = manifest.totals();
        CHECK(totals.size == entry->size());
        CHECK(totals.sizeDelta == entry->sizeDelta());
        CHECK(totals.repoSize == entry->repoSize());
        CHECK(totals.repoSizeDelta == entry->repoSizeDelta());
        // The whole entry pgBackRest made, key for key.
        CHECK(makeBackupEntry(manifest.summary()) == *entry);
    }
}

TEST_CASE("manifest parsing refuses what it cannot represent", "[unit][info][manifest]") {
    const std::string text = fixture("plain", "backup.manifest");

    SECTION("a file without size or timestamp") {
        const Error noSize = errorOf([&] {
            (void)parse(edited(text, "\"size\":3,\"timestamp\":1795262709}", "\"timestamp\":1795262709}"), "m");
        });
        CHECK(noSize.code() == ErrorCode::FileInvalid);
        CHECK(noSize.message() == "invalid manifest 'm': missing size for file 'pg_data/PG_VERSION'");
        const Error noTime =
            errorOf([&] { (void)parse(edited(text, "\"size\":3,\"timestamp\":1795262709}", "\"size\":3}"), "m"); });
        CHECK(noTime.message() == "invalid manifest 'm': missing timestamp for file 'pg_data/PG_VERSION'");
    }

    SECTION("block incremental and bundle-raw backups (2.45 beta)") {
        const Error blockIncr =
            errorOf([&] { (void)parse(edited(text, "backup-label=", "backup-block-incr=true\nbackup-label="), "m"); });
        CHECK(blockIncr.code() == ErrorCode::FeatureNotSupported);
        CHECK(blockIncr.message() == "manifest 'm' describes a block incremental backup, which pgark does not read");
        const Error fileBlock = errorOf([&] {
            (void)parse(edited(text, "pg_data/PG_VERSION={", "pg_data/PG_VERSION={\"bi\":1,"), "m");
        });
        CHECK(fileBlock.code() == ErrorCode::FeatureNotSupported);
        const Error raw =
            errorOf([&] { (void)parse(edited(text, "backup-label=", "backup-bundle-raw=true\nbackup-label="), "m"); });
        CHECK(raw.code() == ErrorCode::FeatureNotSupported);
    }

    SECTION("bad values") {
        CHECK(errorOf([&] { (void)parse(edited(text, "backup-type=\"full\"", "backup-type=\"half\""), "m"); }).message() ==
              "invalid manifest 'm': invalid backup-type 'half'");
        CHECK(errorOf([&] { (void)parse(edited(text, "mode=\"0600\"", "mode=\"0800\""), "m"); }).code() ==
              ErrorCode::FileInvalid);
        CHECK(errorOf([&] { (void)parse(edited(text, "user=\"postgres\"", "user=true"), "m"); }).code() ==
              ErrorCode::FileInvalid);
        CHECK(errorOf([&] { (void)parse(edited(text, "option-compress-type=\"lz4\"", "option-compress-type=\"xz\""), "m"); })
                  .code() == ErrorCode::FileInvalid);
    }

    SECTION("old manifests: no reference list, no compress type") {
        std::string old = edited(text, "backup-reference=\"20261121-120512F\"\n", "");
        old = edited(old, "option-compress-type=\"lz4\"\n", "");
        const Manifest manifest = parse(old);
        CHECK(manifest.data().references == std::vector<std::string>{manifest.data().label});
        CHECK(manifest.data().compressType == compress::CompressType::Gz);  // option-compress=true alone meant gz
    }
}

TEST_CASE("manifest rendering compacts entries against defaults from pg_data", "[unit][info][manifest]") {
    Manifest manifest;
    manifest.data().label = "20261121-120512F";
    manifest.setLabel("20261121-120512F");
    manifest.data().pg = InfoPgData{.id = 1, .systemId = 42, .version = "15", .catalogVersion = 202209061, .controlVersion = 1300};
    manifest.targetAdd(ManifestTarget{.name = "pg_data", .type = TargetType::Path, .path = "/pg"});
    manifest.pathAdd(ManifestPath{.name = "pg_data", .mode = 0750, .user = "pg", .group = std::nullopt});
    manifest.pathAdd(ManifestPath{.name = "pg_data/base", .mode = 0700, .user = "pg", .group = std::nullopt});
    manifest.fileAdd(ManifestFile{.name = "pg_data/a", .size = 5, .sizeRepo = 5, .timestamp = 7, .checksum = "c",
                                  .mode = 0640, .user = "pg", .group = std::nullopt, .copy = false});
    manifest.fileAdd(ManifestFile{.name = "pg_data/b", .size = 0, .timestamp = -1, .checksum = std::string(kSha1Empty),
                                  .mode = 0600, .user = std::nullopt, .group = "other", .copy = false});
    manifest.linkAdd(ManifestLink{.name = "pg_data/l", .destination = "/x", .user = "pg", .group = "g"});

    const Ini ini = manifest.toIni();
    // File default mode = 0750 & 0640; an unmappable group is written as false.
    CHECK(*ini.raw("target:file:default", "mode") == "\"0640\"");
    CHECK(*ini.raw("target:file:default", "group") == "false");
    CHECK(*ini.raw("target:path:default", "mode") == "\"0750\"");
    CHECK(*ini.raw("target:file", "pg_data/a") == "{\"checksum\":\"c\",\"size\":5,\"timestamp\":7}");
    CHECK(*ini.raw("target:file", "pg_data/b") == "{\"group\":\"other\",\"mode\":\"0600\",\"size\":0,\"timestamp\":-1,\"user\":false}");
    CHECK(*ini.raw("target:path", "pg_data") == "{}");
    CHECK(*ini.raw("target:path", "pg_data/base") == "{\"mode\":\"0700\"}");
    CHECK(*ini.raw("target:link", "pg_data/l") == "{\"destination\":\"/x\",\"group\":\"g\"}");
    CHECK(*ini.raw("target:link:default", "user") == "\"pg\"");
    CHECK_FALSE(ini.hasSection("cipher"));
    CHECK_FALSE(ini.hasSection("db"));
    CHECK_FALSE(ini.hasSection("metadata"));
    CHECK(*ini.raw("backup", "backup-reference") == "\"20261121-120512F\"");

    SECTION("no links: no link sections") {
        CHECK(manifest.linkRemove("pg_data/l"));
        CHECK_FALSE(manifest.toIni().hasSection("target:link:default"));
    }
    SECTION("no pg_data path: nothing to derive defaults from") {
        Manifest empty;
        CHECK(errorOf([&] { (void)empty.toIni(); }).code() == ErrorCode::Assert);
    }
    SECTION("the rendering parses back to the same model") {
        Manifest back = parse(renderManifest(manifest));
        CHECK(back.files() == manifest.files());
        CHECK(back.paths() == manifest.paths());
        CHECK(back.links() == manifest.links());
    }
}

TEST_CASE("saveManifest writes the copy, then the manifest; loads fall back to the copy", "[unit][info][manifest]") {
    MemStorage repo;
    const std::string path = manifestPath("fix", "20261121-120512F");
    CHECK(path == "backup/fix/20261121-120512F/backup.manifest");
    const Manifest manifest = parse(fixture("plain", "backup.manifest"));

    SECTION("a partial backup has only the copy") {
        saveManifestCopy(repo, path, manifest, "");
        CHECK_FALSE(storage::readTextIfExists(repo, path));
        CHECK(storage::readText(repo, path + ".copy") == fixture("plain", "backup.manifest"));
        const std::optional<Manifest> copy = loadManifestCopyIfExists(repo, path, "");
        REQUIRE(copy);
        CHECK(*copy == manifest);
        // A reader that does not care about completeness still finds it.
        CHECK(loadManifest(repo, path, "") == manifest);
    }

    SECTION("final save: identical bytes in both, encrypted with the backup.info pass") {
        const std::string pass = backupInfoPass(fixture("encrypted", "backup.info"));
        saveManifest(repo, path, manifest, pass);
        const std::string main = storage::readText(repo, path);
        CHECK(main == storage::readText(repo, path + ".copy"));
        CHECK(main.starts_with("Salted__"));
        CHECK(decryptText(main, pass) == fixture("plain", "backup.manifest"));
        CHECK(loadManifest(repo, path, pass) == manifest);

        // A damaged main file: the copy answers.
        storage::writeText(repo, path, "garbage", {});
        CHECK(loadManifest(repo, path, pass) == manifest);
        // A wrong passphrase fails both.
        CHECK(errorOf([&] { (void)loadManifest(repo, path, "wrong"); }).code() != ErrorCode::FileMissing);
    }

    SECTION("the real encrypted manifest loads with the backup.info pass") {
        storage::writeText(repo, path, fixture("encrypted", "backup.manifest"), {});
        const Manifest encrypted = loadManifest(repo, path, backupInfoPass(fixture("encrypted", "backup.info")));
        CHECK(encrypted.data().cipherPass.size() == 64);
        CHECK(encrypted.files().size() > 1000);
    }

    SECTION("missing") {
        CHECK_FALSE(loadManifestCopyIfExists(repo, path, ""));
        CHECK(errorOf([&] { (void)loadManifest(repo, path, ""); }).code() == ErrorCode::FileMissing);
    }
}
