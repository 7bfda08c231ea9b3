// Storage conformance checks. Every expectation here is a property callers rely on; driver
// specifics (a temp file's name, errno texts) belong in the driver's own tests.
#include "conformance/storage_suite.h"

#include <sys/stat.h>
#include <unistd.h>
#include <pwd.h>

#include <catch2/catch.hpp>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <vector>

#include "common/error.h"
#include "common/io/stream.h"
#include "unit/thrown.h"

namespace pgark::test {

using storage::FileInfo;
using storage::FileType;
using storage::InfoLevel;
using storage::ListOptions;
using storage::ReadOptions;
using storage::RemoveOptions;
using storage::Storage;
using storage::WriteOptions;

namespace {

// Deterministic bytes with no short period, so a misplaced buffer boundary shows.
std::string patternBytes(std::size_t size, std::uint32_t seed = 1) {
    std::string result(size, '\0');
    std::uint32_t state = seed * 2'654'435'761U + 1;
    for (char& c : result) {
        state = state * 1'103'515'245U + 12'345U;
        c = static_cast<char>(state >> 24);
    }
    return result;
}

void put(Storage& storage, std::string_view path, std::string_view content, const WriteOptions& options = {}) {
    storage::writeText(storage, path, content, options);
}

std::string get(Storage& storage, std::string_view path, const ReadOptions& options = {}) {
    auto stream = storage.openRead(path, options);
    REQUIRE(stream != nullptr);
    return io::readAll(*stream);
}

std::map<std::string, FileType> listed(Storage& storage, std::string_view path, const ListOptions& options = {}) {
    std::map<std::string, FileType> names;
    storage.list(path, options, [&](const FileInfo& entry) {
        INFO("listed twice: " << entry.name);
        CHECK(names.emplace(entry.name, entry.type).second);
    });
    return names;
}

// Drivers without real directories (S3) may or may not report key prefixes as paths: compare
// only the files there.
std::map<std::string, FileType> comparable(const Storage& storage, std::map<std::string, FileType> names) {
    if (storage.has(storage::Feature::Path)) return names;
    std::erase_if(names, [](const auto& entry) { return entry.second != FileType::File; });
    return names;
}

std::string currentUser() {
    const passwd* entry = ::getpwuid(::geteuid());
    return entry != nullptr ? std::string(entry->pw_name) : std::string();
}

void checkPaths(const StorageFactory& make) {
    auto storage = make();
    SECTION("a leading slash means the root") {
        put(*storage, "/a/b", "x");
        CHECK(get(*storage, "a/b") == "x");
        CHECK(get(*storage, "/a//b") == "x");
        CHECK(get(*storage, "./a/./b") == "x");
    }
    SECTION("dot-dot inside the root resolves, outside it is refused") {
        put(*storage, "b", "x");
        CHECK(get(*storage, "a/../b") == "x");
        CHECK(thrown([&] { (void)storage->info("../x", InfoLevel::Basic); }).code() == ErrorCode::Assert);
        CHECK(thrown([&] { (void)storage->openWrite("a/../../x", {}); }).code() == ErrorCode::Assert);
        CHECK(thrown([&] { (void)storage->openRead("/..", {}); }).code() == ErrorCode::Assert);
        CHECK(thrown([&] { storage->remove("a/../..", {}); }).code() == ErrorCode::Assert);
    }
    SECTION("describe names the path") {
        CHECK_THAT(storage->describe("dir/file"), Catch::EndsWith("dir/file"));
        CHECK(storage->describe("/dir/file") == storage->describe("dir/file"));
    }
}

void checkInfo(const StorageFactory& make) {
    auto storage = make();
    SECTION("a missing file has no info at any level") {
        CHECK_FALSE(storage->info("missing", InfoLevel::Exists));
        CHECK_FALSE(storage->info("missing", InfoLevel::Basic));
        CHECK_FALSE(storage->info("missing/below", InfoLevel::Detail));
        put(*storage, "file", "x");
        CHECK_FALSE(storage->info("file/below", InfoLevel::Basic));  // a file is not a path
    }
    SECTION("a file reports name, type, size and mtime") {
        const std::int64_t before = std::time(nullptr);
        put(*storage, "dir/file", "12345");
        const std::int64_t after = std::time(nullptr);
        const auto info = storage->info("dir/file", InfoLevel::Basic);
        REQUIRE(info);
        CHECK(info->name == "dir/file");
        CHECK(info->type == FileType::File);
        CHECK(info->size == 5);
        CHECK(info->mtime >= before - 1);
        CHECK(info->mtime <= after + 1);
        const auto exists = storage->info("dir/file", InfoLevel::Exists);
        REQUIRE(exists);
        CHECK(exists->type == FileType::File);
    }
    SECTION("an empty file has size 0") {
        put(*storage, "empty", "");
        const auto info = storage->info("empty", InfoLevel::Basic);
        REQUIRE(info);
        CHECK(info->type == FileType::File);
        CHECK(info->size == 0);
    }
    if (storage->has(storage::Feature::Path)) {
        SECTION("a path, and the root, report type Path") {
            put(*storage, "dir/file", "x");
            const auto info = storage->info("dir", InfoLevel::Basic);
            REQUIRE(info);
            CHECK(info->type == FileType::Path);
            CHECK(info->size == 0);
            const auto root = storage->info("/", InfoLevel::Basic);
            REQUIRE(root);
            CHECK(root->type == FileType::Path);
        }
    }
    if (storage->has(storage::Feature::InfoDetail)) {
        SECTION("Detail reports mode and owner") {
            put(*storage, "file", "x");
            const auto info = storage->info("file", InfoLevel::Detail);
            REQUIRE(info);
            CHECK(info->userId == ::geteuid());
            CHECK(info->user == currentUser());
            CHECK(info->mode != 0);
            CHECK((info->mode & ~mode_t{07777}) == 0);  // permission bits only, not the type
        }
    }
    if (storage->has(storage::Feature::SymLink)) {
        SECTION("links are reported, not followed") {
            put(*storage, "target", "12345");
            storage->linkCreate("target", "link", false);
            const auto basic = storage->info("link", InfoLevel::Basic);
            REQUIRE(basic);
            CHECK(basic->type == FileType::Link);
            CHECK(basic->size == 0);
            if (storage->has(storage::Feature::InfoDetail)) {
                const auto detail = storage->info("link", InfoLevel::Detail);
                REQUIRE(detail);
                CHECK(detail->linkDestination == "target");
            }
            storage->linkCreate("nowhere", "dangling", false);
            const auto dangling = storage->info("dangling", InfoLevel::Exists);
            REQUIRE(dangling);
            CHECK(dangling->type == FileType::Link);
        }
    }
}

void checkList(const StorageFactory& make) {
    auto storage = make();
    const auto tree = [&] {
        put(*storage, "a", "1");
        put(*storage, "b", "22");
        put(*storage, "sub/c", "333");
        put(*storage, "sub/deep/e", "4444");
        put(*storage, "subway", "");
    };
    SECTION("a missing path lists nothing, or throws PathMissing when asked") {
        CHECK(listed(*storage, "missing").empty());
        const Error error = thrown([&] { listed(*storage, "missing", {.errorOnMissing = true}); });
        CHECK(error.code() == ErrorCode::PathMissing);
        CHECK_THAT(error.message(), Catch::Contains(storage->describe("missing")));
        put(*storage, "file", "x");
        CHECK(listed(*storage, "file").empty());  // a file is not a path
    }
    SECTION("an empty root lists nothing") {
        CHECK(listed(*storage, "").empty());
    }
    SECTION("one level by default") {
        tree();
        CHECK(comparable(*storage, listed(*storage, "")) ==
              comparable(*storage, {{"a", FileType::File}, {"b", FileType::File}, {"sub", FileType::Path},
                                    {"subway", FileType::File}}));
        CHECK(listed(*storage, "/") == listed(*storage, ""));
    }
    SECTION("names are relative to the listed path") {
        tree();
        CHECK(comparable(*storage, listed(*storage, "sub")) ==
              comparable(*storage, {{"c", FileType::File}, {"deep", FileType::Path}}));
    }
    SECTION("recurse gives names below subdirectories") {
        tree();
        CHECK(comparable(*storage, listed(*storage, "", {.recurse = true})) ==
              comparable(*storage, {{"a", FileType::File},
                                    {"b", FileType::File},
                                    {"sub", FileType::Path},
                                    {"sub/c", FileType::File},
                                    {"sub/deep", FileType::Path},
                                    {"sub/deep/e", FileType::File},
                                    {"subway", FileType::File}}));
    }
    SECTION("prefix filters names") {
        tree();
        CHECK(comparable(*storage, listed(*storage, "", {.prefix = "sub"})) ==
              comparable(*storage, {{"sub", FileType::Path}, {"subway", FileType::File}}));
        CHECK(listed(*storage, "", {.prefix = "zzz"}).empty());
        CHECK(comparable(*storage, listed(*storage, "", {.recurse = true, .prefix = "sub/"})) ==
              comparable(*storage, {{"sub/c", FileType::File},
                                    {"sub/deep", FileType::Path},
                                    {"sub/deep/e", FileType::File}}));
        CHECK(listed(*storage, "", {.recurse = true, .prefix = "sub/deep/e"}) ==
              std::map<std::string, FileType>{{"sub/deep/e", FileType::File}});
    }
    SECTION("entries carry sizes at Basic and types at Exists") {
        tree();
        std::map<std::string, std::uint64_t> sizes;
        storage->list("", {.recurse = true}, [&](const FileInfo& entry) {
            if (entry.type == FileType::File) sizes[entry.name] = entry.size;
        });
        CHECK(sizes == std::map<std::string, std::uint64_t>{{"a", 1}, {"b", 2}, {"sub/c", 3}, {"sub/deep/e", 4}, {"subway", 0}});
        CHECK(listed(*storage, "sub", {.level = InfoLevel::Exists}) == listed(*storage, "sub"));
    }
    if (storage->has(storage::Feature::Path)) {
        SECTION("an empty path is listed") {
            storage->pathCreate("empty", std::nullopt);
            CHECK(listed(*storage, "") == std::map<std::string, FileType>{{"empty", FileType::Path}});
            CHECK(listed(*storage, "empty", {.errorOnMissing = true}).empty());
        }
    }
    if (storage->has(storage::Feature::SymLink)) {
        SECTION("recursion does not follow links") {
            put(*storage, "real/file", "x");
            storage->linkCreate("real", "alias", false);
            CHECK(listed(*storage, "", {.recurse = true}) == std::map<std::string, FileType>{{"alias", FileType::Link},
                                                                                              {"real", FileType::Path},
                                                                                              {"real/file", FileType::File}});
            CHECK(listed(*storage, "alias") == std::map<std::string, FileType>{{"file", FileType::File}});
        }
    }
}

void checkRead(const StorageFactory& make, const StorageCapabilities& caps) {
    auto storage = make();
    SECTION("a missing file throws FileMissing naming it, or gives nullptr when ignored") {
        const Error error = thrown([&] { (void)storage->openRead("dir/missing", {}); });
        CHECK(error.code() == ErrorCode::FileMissing);
        CHECK_THAT(error.message(), Catch::Contains(storage->describe("dir/missing")));
        CHECK(storage->openRead("dir/missing", {.ignoreMissing = true}) == nullptr);
        CHECK_FALSE(storage::readTextIfExists(*storage, "dir/missing"));
    }
    SECTION("an empty file reads as end of stream at once") {
        put(*storage, "empty", "");
        auto stream = storage->openRead("empty", {});
        REQUIRE(stream);
        std::byte byte{};
        CHECK(stream->read({&byte, 1}) == 0);
        CHECK(stream->read({&byte, 1}) == 0);
    }
    SECTION("offset and limit select a window") {
        put(*storage, "file", "0123456789");
        CHECK(get(*storage, "file", {.offset = 3}) == "3456789");
        CHECK(get(*storage, "file", {.limit = 4}) == "0123");
        CHECK(get(*storage, "file", {.offset = 2, .limit = 5}) == "23456");
        CHECK(get(*storage, "file", {.offset = 8, .limit = 5}) == "89");
        CHECK(get(*storage, "file", {.offset = 10}) == "");
        CHECK(get(*storage, "file", {.offset = 99}) == "");
        CHECK(get(*storage, "file", {.limit = 0}) == "");
        CHECK(get(*storage, "file", {.limit = 10}) == "0123456789");
        CHECK(get(*storage, "file", {.ignoreMissing = true, .offset = 9, .limit = 1}) == "9");
    }
    SECTION("one byte at a time") {
        put(*storage, "file", "abc");
        auto stream = storage->openRead("file", {.offset = 1});
        REQUIRE(stream);
        std::string text;
        std::byte byte{};
        while (stream->read({&byte, 1}) == 1) text += static_cast<char>(byte);
        CHECK(text == "bc");
    }
    SECTION("a large file round-trips across buffer boundaries") {
        const std::string content = patternBytes(static_cast<std::size_t>(caps.largeFileSize), 7);
        {
            // Chunks smaller than, equal to and larger than the driver's buffers.
            std::vector<std::size_t> chunks{1};
            for (int i = 0; i < 11; ++i) chunks.push_back(100'003);
            chunks.push_back(2 * io::kDefaultBufferSize + 5);
            auto stream = storage->openWrite("large", {});
            std::size_t written = 0;
            for (std::size_t i = 0; written < content.size(); ++i) {
                const std::size_t n = std::min(i < chunks.size() ? chunks[i] : std::size_t{77'777}, content.size() - written);
                stream->write(io::asBytes(std::string_view(content).substr(written, n)));
                written += n;
            }
            stream->commit();
        }
        const auto info = storage->info("large", InfoLevel::Basic);
        REQUIRE(info);
        CHECK(info->size == content.size());
        CHECK(get(*storage, "large") == content);  // 64 KiB reads

        // Reads larger than any buffer, then odd windows across buffer edges.
        auto stream = storage->openRead("large", {});
        std::vector<std::byte> big(2 * io::kDefaultBufferSize + 3);
        std::string viaBig;
        for (std::size_t n; (n = stream->read(big)) != 0;) viaBig.append(reinterpret_cast<const char*>(big.data()), n);
        CHECK(viaBig == content);
        const std::uint64_t offset = io::kDefaultBufferSize - 10;
        CHECK(get(*storage, "large", {.offset = offset, .limit = io::kDefaultBufferSize + 20}) ==
              content.substr(static_cast<std::size_t>(offset), io::kDefaultBufferSize + 20));
        CHECK(get(*storage, "large", {.offset = content.size() - 3}) == content.substr(content.size() - 3));
    }
    if (storage->has(storage::Feature::Path)) {
        SECTION("a path cannot be read as a file") {
            storage->pathCreate("dir", std::nullopt);
            CHECK_THROWS_AS(
                [&] {
                    auto stream = storage->openRead("dir", {});
                    if (stream) io::readAll(*stream);
                }(),
                Error);
        }
    }
}

void checkWrite(const StorageFactory& make, const StorageCapabilities& caps) {
    auto storage = make();
    const auto names = [&](std::string_view path) { return listed(*storage, path, {.recurse = true}); };
    SECTION("an atomic write is invisible before commit") {
        auto stream = storage->openWrite("dir/file", {});
        stream->write(io::asBytes("hello"));
        CHECK_FALSE(storage->info("dir/file", InfoLevel::Exists));
        CHECK(names("").count("dir/file") == 0);
        CHECK(storage->openRead("dir/file", {.ignoreMissing = true}) == nullptr);
        stream->commit();
        CHECK(get(*storage, "dir/file") == "hello");
        CHECK(names("dir") == std::map<std::string, FileType>{{"file", FileType::File}});  // nothing else left
    }
    SECTION("an overwrite shows the old contents until commit") {
        put(*storage, "file", "old contents");
        auto stream = storage->openWrite("file", {});
        stream->write(io::asBytes("new"));
        CHECK(get(*storage, "file") == "old contents");
        stream->commit();
        CHECK(get(*storage, "file") == "new");
        CHECK(names("") == std::map<std::string, FileType>{{"file", FileType::File}});
    }
    SECTION("a direct write is visible after commit") {
        put(*storage, "dir/file", "direct", {.atomic = false});
        CHECK(get(*storage, "dir/file") == "direct");
        put(*storage, "dir/file", "shorter", {.atomic = false, .syncFile = false, .syncPath = false});
        CHECK(get(*storage, "dir/file") == "shorter");
        CHECK(comparable(*storage, names("dir")) == std::map<std::string, FileType>{{"file", FileType::File}});
    }
    for (const bool atomic : {true, false}) {
        DYNAMIC_SECTION("abort leaves nothing behind (atomic " << atomic << ")") {
            storage->pathCreate("dir", std::nullopt);
            auto stream = storage->openWrite("dir/file", {.atomic = atomic});
            stream->write(io::asBytes(patternBytes(1000)));
            stream->abort();
            stream->abort();  // a second abort does nothing
            CHECK_FALSE(storage->info("dir/file", InfoLevel::Exists));
            CHECK(names("dir").empty());
        }
        DYNAMIC_SECTION("destruction without commit aborts (atomic " << atomic << ")") {
            storage->pathCreate("dir", std::nullopt);
            storage->openWrite("dir/file", {.atomic = atomic})->write(io::asBytes("partial"));
            CHECK_FALSE(storage->info("dir/file", InfoLevel::Exists));
            CHECK(names("dir").empty());
        }
        DYNAMIC_SECTION("an empty file can be committed (atomic " << atomic << ")") {
            storage->openWrite("empty", {.atomic = atomic})->commit();
            const auto info = storage->info("empty", InfoLevel::Basic);
            REQUIRE(info);
            CHECK(info->type == FileType::File);
            CHECK(info->size == 0);
        }
    }
    SECTION("without sync the data is still there") {
        put(*storage, "file", "unsynced", {.syncFile = false, .syncPath = false});
        CHECK(get(*storage, "file") == "unsynced");
    }
    SECTION("writeText and readText round-trip") {
        storage::writeText(*storage, "text", "line 1\nline 2\n", {});
        CHECK(storage::readText(*storage, "text") == "line 1\nline 2\n");
        CHECK(storage::readTextIfExists(*storage, "text") == "line 1\nline 2\n");
    }
    if (caps.mtime) {
        SECTION("mtime is set on commit") {
            put(*storage, "file", "x", {.mtime = 1'500'000'000});
            CHECK(storage->info("file", InfoLevel::Basic)->mtime == 1'500'000'000);
            put(*storage, "direct", "x", {.atomic = false, .mtime = 1'400'000'000});
            CHECK(storage->info("direct", InfoLevel::Basic)->mtime == 1'400'000'000);
        }
    }
    if (storage->has(storage::Feature::Path)) {
        SECTION("createPath makes missing parents, or PathMissing without it") {
            const Error error = thrown([&] { (void)storage->openWrite("a/b/file", {.createPath = false}); });
            CHECK(error.code() == ErrorCode::PathMissing);
            CHECK_FALSE(storage->info("a", InfoLevel::Exists));
            put(*storage, "a/b/file", "x");
            CHECK(storage->info("a/b", InfoLevel::Basic)->type == FileType::Path);
            put(*storage, "a/b/other", "y", {.createPath = false});
            CHECK(get(*storage, "a/b/other") == "y");
        }
        SECTION("a path cannot be overwritten by a file") {
            storage->pathCreate("dir", std::nullopt);
            CHECK_THROWS_AS(put(*storage, "dir", "x", {.atomic = false}), Error);
            CHECK_THROWS_AS(put(*storage, "dir", "x"), Error);
            CHECK(storage->info("dir", InfoLevel::Basic)->type == FileType::Path);
        }
    }
    if (caps.modes && storage->has(storage::Feature::InfoDetail)) {
        SECTION("files get 0640 and created paths 0750 unless told otherwise") {
            put(*storage, "dir/sub/file", "x");
            CHECK(storage->info("dir/sub/file", InfoLevel::Detail)->mode == 0640);
            CHECK(storage->info("dir", InfoLevel::Detail)->mode == 0750);
            CHECK(storage->info("dir/sub", InfoLevel::Detail)->mode == 0750);
            put(*storage, "dir/private", "x", {.mode = 0600});
            CHECK(storage->info("dir/private", InfoLevel::Detail)->mode == 0600);
            put(*storage, "dir/direct", "x", {.atomic = false, .mode = 0604});
            CHECK(storage->info("dir/direct", InfoLevel::Detail)->mode == 0604);
            put(*storage, "dir/direct", "x", {.atomic = false, .mode = 0600});  // an overwrite takes the new mode
            CHECK(storage->info("dir/direct", InfoLevel::Detail)->mode == 0600);
        }
    }
}

void checkRemove(const StorageFactory& make) {
    auto storage = make();
    SECTION("remove deletes a file") {
        put(*storage, "dir/file", "x");
        storage->remove("dir/file", {});
        CHECK_FALSE(storage->info("dir/file", InfoLevel::Exists));
        storage->remove("dir/file", {});  // missing is fine by default
    }
    SECTION("remove of a missing file throws FileMissing when asked") {
        const Error error = thrown([&] { storage->remove("missing", {.errorOnMissing = true}); });
        CHECK(error.code() == ErrorCode::FileMissing);
        CHECK_THAT(error.message(), Catch::Contains(storage->describe("missing")));
    }
    if (storage->has(storage::Feature::Path)) {
        SECTION("remove refuses a path") {
            storage->pathCreate("dir", std::nullopt);
            CHECK(thrown([&] { storage->remove("dir", {}); }).code() == ErrorCode::FileRemove);
            CHECK(storage->info("dir", InfoLevel::Exists));
        }
    }
    if (storage->has(storage::Feature::SymLink)) {
        SECTION("remove of a link keeps its target") {
            put(*storage, "target", "x");
            storage->linkCreate("target", "link", false);
            storage->remove("link", {.errorOnMissing = true});
            CHECK_FALSE(storage->info("link", InfoLevel::Exists));
            CHECK(get(*storage, "target") == "x");
        }
    }
}

void checkRemovePath(const StorageFactory& make) {
    auto storage = make();
    SECTION("recurse removes everything below") {
        put(*storage, "keep", "k");
        put(*storage, "dir/a", "1");
        put(*storage, "dir/sub/b", "2");
        put(*storage, "dir/sub/deeper/c", "3");
        storage->removePath("dir", {.recurse = true});
        CHECK_FALSE(storage->info("dir/sub/deeper/c", InfoLevel::Exists));
        CHECK_FALSE(storage->info("dir", InfoLevel::Exists));
        CHECK(listed(*storage, "", {.recurse = true}) == std::map<std::string, FileType>{{"keep", FileType::File}});
    }
    SECTION("a missing path is fine unless errorOnMissing, then PathMissing") {
        storage->removePath("missing", {});
        storage->removePath("missing", {.recurse = true});
        CHECK(thrown([&] { storage->removePath("missing", {.errorOnMissing = true}); }).code() == ErrorCode::PathMissing);
        CHECK(thrown([&] { storage->removePath("missing", {.errorOnMissing = true, .recurse = true}); }).code() ==
              ErrorCode::PathMissing);
    }
    if (storage->has(storage::Feature::Path)) {
        SECTION("without recurse only an empty path goes") {
            put(*storage, "dir/file", "x");
            CHECK(thrown([&] { storage->removePath("dir", {}); }).code() == ErrorCode::PathRemove);
            CHECK(get(*storage, "dir/file") == "x");
            storage->remove("dir/file", {});
            storage->removePath("dir", {.errorOnMissing = true});
            CHECK_FALSE(storage->info("dir", InfoLevel::Exists));
        }
    }
    if (storage->has(storage::Feature::SymLink)) {
        SECTION("recurse does not follow links") {
            put(*storage, "outside/precious", "x");
            put(*storage, "dir/file", "y");
            storage->linkCreate("../outside", "dir/link", false);
            storage->removePath("dir", {.recurse = true});
            CHECK_FALSE(storage->info("dir", InfoLevel::Exists));
            CHECK(get(*storage, "outside/precious") == "x");
        }
        SECTION("a link is not a path to remove, even with recurse") {
            put(*storage, "outside/precious", "x");
            storage->linkCreate("outside", "link", false);
            CHECK(thrown([&] { storage->removePath("link", {.recurse = true}); }).code() == ErrorCode::PathRemove);
            CHECK(thrown([&] { storage->removePath("link", {}); }).code() == ErrorCode::PathRemove);
            CHECK(get(*storage, "outside/precious") == "x");
            CHECK(storage->info("link", InfoLevel::Basic)->type == FileType::Link);
        }
    }
}

void checkPathOps(const StorageFactory& make, const StorageCapabilities& caps) {
    auto storage = make();
    if (storage->has(storage::Feature::Path)) {
        SECTION("pathCreate makes the path and its parents, and accepts an existing one") {
            storage->pathCreate("a/b/c", std::nullopt);
            CHECK(storage->info("a/b/c", InfoLevel::Basic)->type == FileType::Path);
            put(*storage, "a/b/c/file", "x", {.createPath = false});
            storage->pathCreate("a/b/c", std::nullopt);
            CHECK(get(*storage, "a/b/c/file") == "x");
            if (caps.modes && storage->has(storage::Feature::InfoDetail)) {
                CHECK(storage->info("a", InfoLevel::Detail)->mode == 0750);
                storage->pathCreate("private", 0700);
                CHECK(storage->info("private", InfoLevel::Detail)->mode == 0700);
            }
        }
        SECTION("pathCreate over a file throws PathCreate") {
            put(*storage, "file", "x");
            CHECK(thrown([&] { storage->pathCreate("file", std::nullopt); }).code() == ErrorCode::PathCreate);
            CHECK(thrown([&] { storage->pathCreate("file/sub", std::nullopt); }).code() == ErrorCode::PathCreate);
        }
    }
    if (storage->has(storage::Feature::PathSync)) {
        SECTION("pathSync syncs a path, or throws PathMissing") {
            storage->pathCreate("dir", std::nullopt);
            storage->pathSync("dir");
            storage->pathSync("");
            const Error error = thrown([&] { storage->pathSync("missing"); });
            CHECK(error.code() == ErrorCode::PathMissing);
            CHECK_THAT(error.message(), Catch::Contains(storage->describe("missing")));
        }
    }
}

void checkLinks(const StorageFactory& make) {
    auto storage = make();
    if (storage->has(storage::Feature::SymLink)) {
        SECTION("a symlink reads through to its target") {
            put(*storage, "backup/20260101-000000F/file", "data");
            storage->linkCreate("20260101-000000F", "backup/latest", false);
            CHECK(get(*storage, "backup/latest/file") == "data");
            CHECK(listed(*storage, "backup/latest") == std::map<std::string, FileType>{{"file", FileType::File}});
            put(*storage, "target", "t");
            storage->linkCreate("target", "file-link", false);
            CHECK(get(*storage, "file-link") == "t");
        }
        SECTION("a symlink over an existing name is refused") {
            put(*storage, "name", "x");
            CHECK_THROWS_AS(storage->linkCreate("anything", "name", false), Error);
            CHECK(get(*storage, "name") == "x");
        }
        SECTION("reading through a dangling symlink is FileMissing") {
            storage->linkCreate("nowhere", "dangling", false);
            CHECK(thrown([&] { (void)storage->openRead("dangling", {}); }).code() == ErrorCode::FileMissing);
        }
    }
    if (storage->has(storage::Feature::HardLink)) {
        SECTION("a hard link shares contents and outlives the original") {
            put(*storage, "original", "shared");
            CHECK_THROWS_AS(storage->linkCreate("original", "dir/hard", true), Error);  // no parents are made
            storage->pathCreate("dir", std::nullopt);
            storage->linkCreate("original", "dir/hard", true);
            CHECK(storage->info("dir/hard", InfoLevel::Basic)->type == FileType::File);
            CHECK(get(*storage, "dir/hard") == "shared");
            storage->remove("original", {});
            CHECK(get(*storage, "dir/hard") == "shared");
        }
        SECTION("a hard link to a missing file is refused") {
            CHECK_THROWS_AS(storage->linkCreate("missing", "hard", true), Error);
            CHECK_FALSE(storage->info("hard", InfoLevel::Exists));
        }
    }
}

void checkMove(const StorageFactory& make) {
    auto storage = make();
    SECTION("move renames a file and creates the destination's path") {
        put(*storage, "from", "moved");
        storage->move("from", "to/sub/file");
        CHECK_FALSE(storage->info("from", InfoLevel::Exists));
        CHECK(get(*storage, "to/sub/file") == "moved");
    }
    SECTION("move replaces an existing file") {
        put(*storage, "from", "new");
        put(*storage, "to", "old");
        storage->move("from", "to");
        CHECK(get(*storage, "to") == "new");
        CHECK(comparable(*storage, listed(*storage, "")) == std::map<std::string, FileType>{{"to", FileType::File}});
    }
    SECTION("move of a missing file throws FileMissing") {
        const Error error = thrown([&] { storage->move("missing", "to"); });
        CHECK(error.code() == ErrorCode::FileMissing);
        CHECK_THAT(error.message(), Catch::Contains(storage->describe("missing")));
    }
    if (storage->has(storage::Feature::Path)) {
        SECTION("move of a path takes its contents") {
            put(*storage, "dir/a", "1");
            put(*storage, "dir/sub/b", "2");
            put(*storage, "dir.txt", "sibling");
            storage->move("dir", "renamed");
            CHECK(listed(*storage, "", {.recurse = true}) == std::map<std::string, FileType>{{"dir.txt", FileType::File},
                                                                                              {"renamed", FileType::Path},
                                                                                              {"renamed/a", FileType::File},
                                                                                              {"renamed/sub", FileType::Path},
                                                                                              {"renamed/sub/b", FileType::File}});
        }
    }
}

}  // namespace

void runStorageConformance(const StorageFactory& make, const StorageCapabilities& caps) {
    SECTION("paths") { checkPaths(make); }
    SECTION("info") { checkInfo(make); }
    SECTION("list") { checkList(make); }
    SECTION("openRead") { checkRead(make, caps); }
    SECTION("openWrite") { checkWrite(make, caps); }
    SECTION("remove") { checkRemove(make); }
    SECTION("removePath") { checkRemovePath(make); }
    SECTION("pathCreate and pathSync") { checkPathOps(make, caps); }
    SECTION("linkCreate") { checkLinks(make); }
    if (caps.move) {
        SECTION("move") { checkMove(make); }
    }
}

ScratchDir::ScratchDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/pgark-test-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + pattern);
    path_ = pattern;
}

ScratchDir::~ScratchDir() {
    std::error_code ignored;
    // Tests may leave read-only directories behind; removal is best effort and never throws.
    std::filesystem::remove_all(path_, ignored);
}

}  // namespace pgark::test
