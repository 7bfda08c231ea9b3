// Command locks and stop files in lock-path, with pgBackRest 2.45's names and semantics so the two
// tools exclude each other on one host: `<stanza>-archive.lock` / `<stanza>-backup.lock` held with
// flock(LOCK_EX|LOCK_NB) and holding `{"execId":"<pid>-<8 hex>","pid":<pid>}`; `<stanza>.stop` and
// `all.stop` make commands refuse to run. A Lock is owned by one object (move-only) and released by
// its destructor; it is not meant to be shared between threads. Not a lock on the repository itself.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"

namespace pgark::lock {

enum class LockType { Archive, Backup, All };  // All = archive and backup (stanza-create/-upgrade/-delete)

// "<pid>-<8 lowercase hex>", made once per process (a forked child makes its own). Processes
// started for one command share their parent's exec id, and a lock whose file holds the caller's
// exec id counts as acquired (see LockOptions::execId).
const std::string& processExecId();

struct LockOptions {
    std::chrono::milliseconds timeout{0};  // keep retrying every 100 ms for this long; 0 = try once
    std::string execId;                    // "" = processExecId(); a worker passes its parent's id
    Clock* clock = nullptr;                // for the timeout; nullptr = systemClock(); borrowed
};

// "<lockPath>/<stanza>-archive.lock" or "-backup.lock"; `type` must not be All.
std::string lockFilePath(std::string_view lockPath, std::string_view stanza, LockType type);

class Lock {
public:
    // Creates lock-path (0750) if missing, then locks each file of `type` (archive before backup)
    // and writes this process's id into it. A file already locked by a process with the same exec
    // id counts as acquired and is left alone (it is the parent's). Throws Error(LockAcquire)
    // naming the file and the holder's pid when another process still holds it after
    // options.timeout, or when the file cannot be opened or locked; Error(Assert) when this
    // process already holds it. On a throw nothing stays locked.
    [[nodiscard]] static Lock acquire(std::string_view lockPath, std::string_view stanza, LockType type,
                                      const LockOptions& options);

    Lock(Lock&& other) noexcept;
    Lock& operator=(Lock&& other) noexcept;
    Lock(const Lock&) = delete;
    Lock& operator=(const Lock&) = delete;
    ~Lock();  // release()

    // Rewrites the files this process locked with "pctCplt": round(percent * 100), percent
    // clamped to 0..100 (backup progress shown by info). Throws Error(FileWrite) on failure.
    void percentComplete(double percent);

    // Removes each file this process locked, then unlocks it (in that order, so that a process
    // waiting on the old file cannot lock a file that is about to be deleted). Idempotent; a
    // forked child never releases the locks of the process that acquired them.
    void release() noexcept;

    bool held() const noexcept { return !files_.empty(); }
    const std::string& execId() const noexcept { return execId_; }

private:
    struct File {
        std::string path;
        int fd = -1;  // -1: held through a matching exec id by another process of this command
    };

    Lock() = default;
    void writeContent(const File& file, std::optional<unsigned> pctCplt) const;

    std::vector<File> files_;
    std::string execId_;
    int ownerPid_ = 0;  // the process that acquired the locks
};

// What a lock file says about its holder. `held` is false for a missing file and for one left
// behind by a process that died (nobody holds its flock); the other fields are then from the file
// if it could be read.
struct LockInfo {
    bool held = false;
    std::optional<int> pid;
    std::string execId;              // "" if unknown
    std::optional<unsigned> pctCplt; // percent complete x 100, backup only
};

// Reads one lock file (`type` Archive or Backup) without taking it: briefly tries the flock to
// learn whether it is held, so a process acquiring at that instant can fail spuriously (as with
// pgBackRest). Never throws for a missing or unreadable file.
[[nodiscard]] LockInfo readLock(std::string_view lockPath, std::string_view stanza, LockType type);

// "<lockPath>/<stanza>.stop", or "<lockPath>/all.stop" when `stanza` is nullopt.
std::string stopFilePath(std::string_view lockPath, std::optional<std::string_view> stanza);

// Creates the stop file (and lock-path, 0750); returns false if it already existed.
// Throws Error(FileOpen) when it cannot be created.
bool stopFileCreate(std::string_view lockPath, std::optional<std::string_view> stanza);

// Removes the stop file; returns false if there was none. Throws Error(FileRemove) on failure.
bool stopFileRemove(std::string_view lockPath, std::optional<std::string_view> stanza);

// Throws Error(Stop) with a hint to run start when `all.stop` or `<stanza>.stop` exists.
void stopFileCheck(std::string_view lockPath, std::string_view stanza);

}  // namespace pgark::lock
