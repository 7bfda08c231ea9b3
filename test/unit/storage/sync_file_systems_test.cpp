// FileSystemSync on real directories: several paths on one file system are synced (one syncfs is
// enough for them, so only the first is held), and a path that cannot be opened is named in the
// error before anything is written.
#include "storage/posix/sync_file_systems.h"

#include <catch2/catch.hpp>

#include <filesystem>

#include "common/error.h"

using namespace pgark;
using storage::posix::FileSystemSync;

TEST_CASE("FileSystemSync syncs the file systems of existing directories", "[unit][storage]") {
    const std::filesystem::path root = std::filesystem::temp_directory_path() / "pgark-syncfs-test";
    std::filesystem::remove_all(root);
    std::filesystem::create_directories(root / "a" / "b");
    const FileSystemSync sync({root.string(), (root / "a").string(), (root / "a" / "b").string()});
    std::filesystem::remove_all(root);  // the descriptors held keep working for the sync
    REQUIRE_NOTHROW(sync.sync());
}

TEST_CASE("FileSystemSync names a directory it cannot open", "[unit][storage]") {
    const std::string missing = (std::filesystem::temp_directory_path() / "pgark-syncfs-missing/x").string();
    try {
        const FileSystemSync sync({std::filesystem::temp_directory_path().string(), missing});
        FAIL("no error");
    } catch (const Error& error) {
        CHECK(error.code() == ErrorCode::PathOpen);
        CHECK(error.message().find(missing) != std::string::npos);
    }
}
