// FaultStorage: wraps any Storage (LevelDB EnvWrapper style) and injects faults into the calls
// that pass through: fail the Nth call of an operation with a chosen Error, short reads, a
// flipped byte in what is read, and a crash between write and commit. With nothing armed it is
// transparent. Owns the wrapped storage; streams it returns borrow *this. Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/error.h"
#include "storage/storage.h"

namespace pgark::test {

// The calls a fault can target. Read, Write and Commit are calls on the streams.
enum class FaultOp {
    Info,
    List,
    OpenRead,
    Read,
    OpenWrite,
    Write,
    Commit,
    Remove,
    RemovePath,
    PathCreate,
    PathSync,
    LinkCreate,
    Move,
};
inline constexpr std::size_t kFaultOpCount = 13;

struct FaultTrigger {
    unsigned nth = 1;          // fail the nth matching call counted from when the fault is armed (1 = the next)
    std::string pathContains;  // only calls on a path containing this ("" = any); Move matches either path
    bool repeat = false;       // false: fail once; true: fail the nth and every matching call after it
};

class FaultStorage final : public storage::Storage {
public:
    explicit FaultStorage(std::unique_ptr<storage::Storage> inner);
    ~FaultStorage() override;

    storage::Storage& inner() noexcept { return *inner_; }

    // The chosen call throws a copy of `error` instead of reaching the inner storage (a failed
    // Commit does not reach the inner commit, so the caller's abort still discards the data).
    FaultStorage& failCall(FaultOp op, Error error, FaultTrigger trigger = {});
    // Every read() of streams opened from now on for matching paths returns at most `maxBytes`.
    FaultStorage& shortReads(std::size_t maxBytes, std::string pathContains = {});
    // Streams opened from now on for matching paths XOR the byte at `offset` (counted from the
    // first byte the stream returns) with `mask`: silent corruption for checksum tests.
    FaultStorage& flipByte(std::uint64_t offset, std::string pathContains = {}, std::byte mask = std::byte{0x01});
    // Write streams opened from now on for matching paths "crash" when commit() is called: it
    // throws Error(Term, "simulated crash before commit of '<path>'") and the inner stream is
    // neither committed nor aborted, ever (as if the process had died): what it already wrote
    // stays as the inner storage left it, e.g. a "<name>.pgbackrest.tmp" on POSIX.
    FaultStorage& crashBeforeCommit(std::string pathContains = {});
    // The same crash at once for one stream returned by this storage's openWrite(); later calls on
    // `stream` do nothing (write/commit throw Error(Term)). Throws Error(Assert) for another stream.
    static void crash(io::WriteStream& stream);
    // Disarms every fault (calls() keeps counting).
    void clearFaults() noexcept;
    // How many calls of `op` this storage has seen, failed ones included.
    [[nodiscard]] unsigned calls(FaultOp op) const noexcept;

    std::string_view type() const noexcept override { return inner_->type(); }
    bool has(storage::Feature feature) const noexcept override { return inner_->has(feature); }
    std::string describe(std::string_view path) const override { return inner_->describe(path); }
    std::optional<storage::FileInfo> info(std::string_view path, storage::InfoLevel level) override;
    void list(std::string_view path, const storage::ListOptions& options,
              const std::function<void(const storage::FileInfo&)>& onEntry) override;
    std::unique_ptr<io::ReadStream> openRead(std::string_view path, const storage::ReadOptions& options) override;
    std::unique_ptr<io::WriteStream> openWrite(std::string_view path, const storage::WriteOptions& options) override;
    void remove(std::string_view path, const storage::RemoveOptions& options) override;
    void removePath(std::string_view path, const storage::RemoveOptions& options) override;
    void pathCreate(std::string_view path, std::optional<mode_t> mode) override;
    void pathSync(std::string_view path) override;
    void linkCreate(std::string_view target, std::string_view linkPath, bool hard) override;
    void move(std::string_view from, std::string_view to) override;

private:
    class ReadStream;
    class WriteStream;
    friend class ReadStream;
    friend class WriteStream;

    struct ArmedFault {
        FaultOp op;
        Error error;
        FaultTrigger trigger;
        unsigned seen = 0;  // matching calls so far
    };
    struct ReadFault {
        std::string pathContains;
        std::size_t maxBytes = 0;          // 0 = no short reads
        std::optional<std::uint64_t> flipOffset;
        std::byte mask{0};
    };

    // Counts the call, then throws if an armed fault says this one fails.
    void check(FaultOp op, std::string_view path, std::string_view otherPath = {});

    std::unique_ptr<storage::Storage> inner_;
    std::vector<ArmedFault> faults_;
    std::vector<ReadFault> readFaults_;
    std::vector<std::string> crashPaths_;  // pathContains of crashBeforeCommit
    unsigned calls_[kFaultOpCount] = {};
};

}  // namespace pgark::test
