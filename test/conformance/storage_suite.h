// The storage driver conformance suite: one set of checks every Storage driver must pass
// (POSIX, the in-memory double, the fault wrapper when idle, and S3 in integration tests), in the
// spirit of Arrow's GenericFileSystemTest. Optional behaviour is gated by Feature flags reported
// by has() and by StorageCapabilities below. Catch2-only; runs on the calling thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/io/buffer.h"
#include "storage/storage.h"

namespace pgark::test {

// What a driver does that Feature flags do not say.
struct StorageCapabilities {
    bool modes = true;        // WriteOptions::mode and pathCreate modes are kept (checked with InfoLevel::Detail)
    bool mtime = true;        // WriteOptions::mtime is kept
    bool move = true;         // move() is implemented
    std::uint64_t largeFileSize = 3 * io::kDefaultBufferSize + 12'345;  // bytes; must span several driver buffers
};

using StorageFactory = std::function<std::unique_ptr<storage::Storage>()>;

// Runs every check as Catch2 SECTIONs of the calling TEST_CASE (Catch re-enters the test case
// once per leaf section, so `make` is called many times). `make` must return a storage over a
// fresh, empty root each time; the caller cleans the roots up.
void runStorageConformance(const StorageFactory& make, const StorageCapabilities& caps);

// A fresh directory from mkdtemp under $TMPDIR (or /tmp), removed with everything in it when
// this object dies. For tests that need real files.
class ScratchDir {
public:
    ScratchDir();
    ~ScratchDir();
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;

    const std::string& path() const noexcept { return path_; }
    // path() + "/" + name
    std::string sub(std::string_view name) const { return path_ + "/" + std::string(name); }

private:
    std::string path_;
};

}  // namespace pgark::test
