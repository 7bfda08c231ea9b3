// MappedFile and mostlyCached on real files on the disk: a cached file is mapped with its bytes,
// one evicted from the page cache (or missing, shorter than asked, or empty) is not, and
// populate() reports a file truncated while mapped instead of faulting.
#include "storage/posix/page_cache.h"

#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <cstring>
#include <filesystem>
#include <fstream>

using namespace pgark;
using storage::MappedFile;

namespace {

class DiskFile {
public:
    explicit DiskFile(std::size_t size) : data_(size, '\0') {
        for (std::size_t i = 0; i < size; i++) data_[i] = static_cast<char>('a' + i % 23);
        std::string pattern = (std::filesystem::temp_directory_path() / "pgark-mapped-XXXXXX").string();
        const int fd = ::mkstemp(pattern.data());
        REQUIRE(fd != -1);
        path_ = pattern;
        REQUIRE(::write(fd, data_.data(), data_.size()) == static_cast<ssize_t>(data_.size()));
        ::close(fd);
    }
    ~DiskFile() { ::unlink(path_.c_str()); }
    void evict() const {
        const int fd = ::open(path_.c_str(), O_RDONLY);
        ::fdatasync(fd);
        ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
        ::close(fd);
    }
    const std::string& path() const { return path_; }
    const std::string& data() const { return data_; }

private:
    std::string data_;
    std::string path_;
};

}  // namespace

TEST_CASE("MappedFile maps a cached file's prefix and nothing else", "[unit][storage]") {
    const DiskFile file(1024 * 1024 + 100);
    SECTION("cached: the first `size` bytes, whole or a prefix") {
        for (const std::uint64_t size : {std::uint64_t{file.data().size()}, std::uint64_t{5000}}) {
            const auto mapped = MappedFile::openCached(file.path(), size);
            REQUIRE(mapped.has_value());
            CHECK(mapped->size() == size);
            CHECK(mapped->populate(0, size));
            CHECK(std::memcmp(mapped->data(), file.data().data(), size) == 0);
        }
    }
    SECTION("evicted from the page cache: read it another way") {
        file.evict();
        const int fd = ::open(file.path().c_str(), O_RDONLY);
        const bool cached = storage::mostlyCached(fd, 0, file.data().size());
        ::close(fd);
        if (cached) WARN("the file system kept the evicted file cached");
        else CHECK_FALSE(MappedFile::openCached(file.path(), file.data().size()).has_value());
    }
    SECTION("missing, shorter than asked, or nothing asked") {
        CHECK_FALSE(MappedFile::openCached(file.path() + ".missing", 10).has_value());
        CHECK_FALSE(MappedFile::openCached(file.path(), file.data().size() + 1).has_value());
        CHECK_FALSE(MappedFile::openCached(file.path(), 0).has_value());
    }
    SECTION("truncated while mapped: populate says so") {
        auto mapped = MappedFile::openCached(file.path(), file.data().size());
        REQUIRE(mapped.has_value());
        REQUIRE(::truncate(file.path().c_str(), 4096) == 0);
        CHECK(mapped->populate(0, 4096));
        CHECK_FALSE(mapped->populate(8192 * 64, 4096));
        // Moving the mapping keeps it valid; the moved-from one unmaps nothing.
        MappedFile moved = std::move(*mapped);
        CHECK(moved.size() == file.data().size());
        CHECK(std::memcmp(moved.data(), file.data().data(), 4096) == 0);
    }
}
