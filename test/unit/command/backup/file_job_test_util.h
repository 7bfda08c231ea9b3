// Test helpers for the backup and restore file jobs: a PostgreSQL storage and a repository storage
// of one kind (MemStorage, or PosixStorage in a scratch directory), small file helpers, and a
// Storage wrapper that runs a hook after the first read of a file (to change the file mid-copy).
// Test-only, single-threaded.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <memory>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/io/stream.h"
#include "fake/mem_storage.h"
#include "storage/posix/posix_storage.h"
#include "storage/storage.h"

namespace pgark::test {

enum class StoreKind { Mem, Posix };

inline const char* storeKindName(StoreKind kind) { return kind == StoreKind::Mem ? "mem" : "posix"; }

// A scratch directory on tmpfs when there is one: these tests fsync every file they write (as the
// jobs do), which on a shared disk costs seconds of waiting and tests nothing more.
class ShmDir {
public:
    ShmDir() {
        const std::filesystem::path base =
            ::access("/dev/shm", W_OK) == 0 ? std::filesystem::path("/dev/shm") : std::filesystem::temp_directory_path();
        std::string pattern = (base / "pgark-filejob-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~ShmDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    ShmDir(const ShmDir&) = delete;
    ShmDir& operator=(const ShmDir&) = delete;
    std::string sub(std::string_view name) const { return path_ + "/" + std::string(name); }

private:
    std::string path_;
};

// A PGDATA and a repository of the same kind.
struct Stores {
    explicit Stores(StoreKind kind) {
        if (kind == StoreKind::Mem) {
            pg = std::make_unique<MemStorage>();
            repo = std::make_unique<MemStorage>();
        } else {
            scratch = std::make_unique<ShmDir>();
            pg = storage::makePosixStorage(scratch->sub("pg"), {});
            repo = storage::makePosixStorage(scratch->sub("repo"), {});
        }
    }
    std::unique_ptr<ShmDir> scratch;  // Posix only; removed with the Stores
    std::unique_ptr<storage::Storage> pg;
    std::unique_ptr<storage::Storage> repo;
};

inline void putFile(storage::Storage& storage, const std::string& path, std::string_view data,
                    std::optional<std::int64_t> mtime = std::nullopt, std::optional<mode_t> mode = std::nullopt) {
    storage::writeText(storage, path, data, {.syncFile = false, .syncPath = false, .mode = mode, .mtime = mtime});
}

inline std::string getFile(storage::Storage& storage, const std::string& path, std::uint64_t offset = 0,
                           std::optional<std::uint64_t> limit = std::nullopt) {
    auto stream = storage.openRead(path, {.offset = offset, .limit = limit});
    return io::readAll(*stream);
}

inline bool fileExists(storage::Storage& storage, const std::string& path) {
    return storage.info(path, storage::InfoLevel::Basic).has_value();
}

inline std::string asString(const std::vector<std::byte>& bytes) {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// Deterministic bytes that compress somewhat (not a single repeated byte, which flatters codecs).
inline std::string patternData(std::size_t size, std::uint32_t seed) {
    std::string out(size, '\0');
    std::uint32_t state = seed * 2654435761U + 1;
    for (std::size_t i = 0; i < size; ++i) {
        state = state * 1103515245U + 12345U;
        out[i] = static_cast<char>("abcdefgh ijklmnop\n"[(state >> 16) % 18]);
    }
    return out;
}

// Wraps a storage; streams opened for read on a path equal to `path` call `hook` once, right after
// their first non-empty read() returned. Everything else passes through.
class HookedStorage final : public storage::Storage {
public:
    HookedStorage(storage::Storage& inner, std::string path, std::function<void()> hook)
        : inner_(inner), path_(std::move(path)), hook_(std::move(hook)) {}

    std::string_view type() const noexcept override { return inner_.type(); }
    bool has(storage::Feature feature) const noexcept override { return inner_.has(feature); }
    std::string describe(std::string_view path) const override { return inner_.describe(path); }
    std::optional<storage::FileInfo> info(std::string_view path, storage::InfoLevel level) override {
        return inner_.info(path, level);
    }
    void list(std::string_view path, const storage::ListOptions& options,
              const std::function<void(const storage::FileInfo&)>& onEntry) override {
        inner_.list(path, options, onEntry);
    }
    std::unique_ptr<io::ReadStream> openRead(std::string_view path, const storage::ReadOptions& options) override {
        auto stream = inner_.openRead(path, options);
        if (!stream || path != path_ || !hook_) return stream;
        return std::make_unique<Hooked>(std::move(stream), std::exchange(hook_, nullptr));
    }
    std::unique_ptr<io::WriteStream> openWrite(std::string_view path, const storage::WriteOptions& options) override {
        return inner_.openWrite(path, options);
    }
    void remove(std::string_view path, const storage::RemoveOptions& options) override { inner_.remove(path, options); }
    void removePath(std::string_view path, const storage::RemoveOptions& options) override {
        inner_.removePath(path, options);
    }

private:
    class Hooked final : public io::ReadStream {
    public:
        Hooked(std::unique_ptr<io::ReadStream> inner, std::function<void()> hook)
            : inner_(std::move(inner)), hook_(std::move(hook)) {}
        std::size_t read(io::MutableByteView out) override {
            const std::size_t n = inner_->read(out);
            if (n != 0 && hook_) std::exchange(hook_, nullptr)();
            return n;
        }

    private:
        std::unique_ptr<io::ReadStream> inner_;
        std::function<void()> hook_;
    };

    storage::Storage& inner_;
    std::string path_;
    std::function<void()> hook_;
};

}  // namespace pgark::test
