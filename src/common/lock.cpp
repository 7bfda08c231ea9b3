// Command locks (flock on files in lock-path) and stop files.
#include "common/lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <mutex>
#include <random>
#include <set>
#include <utility>

#include "common/error.h"

namespace pgark::lock {

namespace {

constexpr mode_t kLockPathMode = 0750;
constexpr mode_t kLockFileMode = 0640;
constexpr std::chrono::milliseconds kRetryInterval{100};
constexpr std::size_t kMaxContent = 4096;  // a lock file is ~60 bytes; anything longer is not ours

// Lock files this process holds. flock() conflicts between two descriptors of one process, so a
// second acquire here would fail with our own pid, or pass on our own exec id: both are bugs in
// the caller, reported as such. Tagged with the pid so a forked child starts with an empty set.
struct Registry {
    std::mutex mutex;
    int pid = 0;
    std::set<std::string> paths;

    std::set<std::string>& current() {
        if (pid != ::getpid()) {
            pid = ::getpid();
            paths.clear();
        }
        return paths;
    }
};

Registry& registry() {
    static Registry instance;
    return instance;
}

void createPath(const std::string& path, mode_t mode) {
    for (std::size_t pos = path.find('/', 1);; pos = path.find('/', pos + 1)) {
        const std::string part = path.substr(0, pos);
        if (!part.empty() && ::mkdir(part.c_str(), mode) != 0 && errno != EEXIST)
            throwSys(ErrorCode::PathCreate, errno, fmt::format("unable to create path '{}'", part));
        if (pos == std::string::npos) return;
    }
}

std::string jsonEscape(std::string_view text) {
    std::string out;
    for (const char c : text) {
        if (c == '"' || c == '\\') out.push_back('\\');
        out.push_back(c);
    }
    return out;
}

// Keys sorted and no spaces, byte for byte what pgBackRest 2.45 writes (no final newline).
std::string lockContent(std::string_view execId, std::optional<unsigned> pctCplt) {
    if (pctCplt)
        return fmt::format(R"({{"execId":"{}","pctCplt":{},"pid":{}}})", jsonEscape(execId), *pctCplt, ::getpid());
    return fmt::format(R"({{"execId":"{}","pid":{}}})", jsonEscape(execId), ::getpid());
}

template <class T>
std::optional<T> numberAfter(std::string_view text, std::string_view key) {
    const std::size_t at = text.find(key);
    if (at == std::string_view::npos) return std::nullopt;
    const char* begin = text.data() + at + key.size();
    T value{};
    const auto [end, ec] = std::from_chars(begin, text.data() + text.size(), value);
    if (ec != std::errc() || end == begin) return std::nullopt;
    return value;
}

// Parses the JSON written by lockContent() (or by pgBackRest), and also the older two-line form
// "<pid>\n<execId>\n" that pgBackRest used before it switched to JSON. Unknown keys are ignored.
void parseContent(std::string_view text, LockInfo& info) {
    if (!text.empty() && text.front() == '{') {
        info.pid = numberAfter<int>(text, "\"pid\":");
        info.pctCplt = numberAfter<unsigned>(text, "\"pctCplt\":");
        constexpr std::string_view kExecKey = "\"execId\":\"";
        if (const std::size_t at = text.find(kExecKey); at != std::string_view::npos) {
            for (std::size_t i = at + kExecKey.size(); i < text.size() && text[i] != '"'; ++i) {
                if (text[i] == '\\' && i + 1 < text.size()) ++i;
                info.execId.push_back(text[i]);
            }
        }
        return;
    }
    const std::size_t eol = text.find('\n');
    int pid = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + (eol == std::string_view::npos ? text.size() : eol), pid);
    if (ec == std::errc() && end != text.data()) info.pid = pid;
    if (eol != std::string_view::npos) info.execId = std::string(text.substr(eol + 1, text.find('\n', eol + 1) - eol - 1));
}

// Reads what the holder wrote. A holder that has just locked the file may not have written yet:
// the result is then empty, and the caller reports "another process".
LockInfo readContent(int fd) {
    LockInfo info;
    std::string text(kMaxContent, '\0');
    ssize_t got;
    do {
        got = ::pread(fd, text.data(), text.size(), 0);
    } while (got < 0 && errno == EINTR);
    if (got > 0) {
        text.resize(static_cast<std::size_t>(got));
        parseContent(text, info);
    }
    return info;
}

class Fd {  // closes on scope exit unless released
public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const noexcept { return fd_; }
    int release() noexcept { return std::exchange(fd_, -1); }

private:
    int fd_;
};

// True when `fd` is still the file at `path`. The previous holder unlinks the file before it
// unlocks it, so a lock won on a descriptor opened just before that unlink is a lock on a file
// nobody else will ever open again: the caller must start over with a fresh open.
bool samePathFile(int fd, const std::string& path) {
    struct stat byFd{};
    struct stat byPath{};
    if (::fstat(fd, &byFd) != 0 || ::stat(path.c_str(), &byPath) != 0) return false;
    return byFd.st_dev == byPath.st_dev && byFd.st_ino == byPath.st_ino;
}

}  // namespace

const std::string& processExecId() {
    static std::mutex mutex;
    static int pid = 0;
    static std::string execId;
    const std::lock_guard guard(mutex);
    if (pid != ::getpid()) {
        pid = ::getpid();
        std::random_device random;
        execId = fmt::format("{}-{:08x}", pid, static_cast<std::uint32_t>(random()));
    }
    return execId;
}

std::string lockFilePath(std::string_view lockPath, std::string_view stanza, LockType type) {
    if (type == LockType::All) throw Error(ErrorCode::Assert, "lock file path asked for lock type all");
    return fmt::format("{}/{}-{}.lock", lockPath, stanza, type == LockType::Archive ? "archive" : "backup");
}

Lock Lock::acquire(std::string_view lockPath, std::string_view stanza, LockType type, const LockOptions& options) {
    Lock lock;  // on a throw its destructor releases what was already taken
    lock.execId_ = options.execId.empty() ? processExecId() : options.execId;
    lock.ownerPid_ = ::getpid();
    Clock& clock = options.clock != nullptr ? *options.clock : systemClock();
    const auto deadline = clock.now() + options.timeout;
    bool pathCreated = false;

    std::vector<LockType> types;
    if (type == LockType::All || type == LockType::Archive) types.push_back(LockType::Archive);
    if (type == LockType::All || type == LockType::Backup) types.push_back(LockType::Backup);

    for (const LockType one : types) {
        const std::string path = lockFilePath(lockPath, stanza, one);
        {
            Registry& reg = registry();
            const std::lock_guard guard(reg.mutex);
            if (reg.current().count(path) != 0)
                throw Error(ErrorCode::Assert, fmt::format("lock on file '{}' is already held by this process", path));
        }

        for (;;) {
            Fd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, kLockFileMode));
            if (fd.get() < 0) {
                const int err = errno;
                if (err == ENOENT && !pathCreated) {
                    createPath(std::string(lockPath), kLockPathMode);
                    pathCreated = true;
                    continue;
                }
                throwSys(ErrorCode::LockAcquire, err, fmt::format("unable to acquire lock on file '{}'", path));
            }

            if (::flock(fd.get(), LOCK_EX | LOCK_NB) == 0) {
                if (!samePathFile(fd.get(), path)) continue;
                File file{path, fd.release()};
                lock.files_.push_back(file);  // owned from here: released if the write below throws
                {
                    Registry& reg = registry();
                    const std::lock_guard guard(reg.mutex);
                    reg.current().insert(path);
                }
                lock.writeContent(file, std::nullopt);
                break;
            }

            const int err = errno;
            if (err != EWOULDBLOCK)
                throwSys(ErrorCode::LockAcquire, err, fmt::format("unable to acquire lock on file '{}'", path));

            const LockInfo holder = readContent(fd.get());
            if (!holder.execId.empty() && holder.execId == lock.execId_) {
                // Locked by another process of this same command (the parent of this worker).
                lock.files_.push_back(File{path, -1});
                break;
            }

            const auto now = clock.now();
            if (now >= deadline) {
                Error error(ErrorCode::LockAcquire,
                            holder.pid ? fmt::format("unable to acquire lock on file '{}': held by process {}", path, *holder.pid)
                                       : fmt::format("unable to acquire lock on file '{}': held by another process", path));
                error.withHint("is another pgark or pgBackRest process running? wait for it to end or stop it");
                throw error;
            }
            clock.sleep(std::min(kRetryInterval, std::chrono::ceil<std::chrono::milliseconds>(deadline - now)));
        }
    }
    return lock;
}

Lock::Lock(Lock&& other) noexcept
    : files_(std::move(other.files_)), execId_(std::move(other.execId_)), ownerPid_(other.ownerPid_) {
    other.files_.clear();
}

Lock& Lock::operator=(Lock&& other) noexcept {
    if (this != &other) {
        release();
        files_ = std::move(other.files_);
        execId_ = std::move(other.execId_);
        ownerPid_ = other.ownerPid_;
        other.files_.clear();
    }
    return *this;
}

Lock::~Lock() { release(); }

void Lock::release() noexcept {
    // A forked child inherits the descriptors but not the ownership: closing its copies is all
    // it may do (the flock stays with the parent's descriptor).
    const bool owner = ownerPid_ == ::getpid();
    for (auto it = files_.rbegin(); it != files_.rend(); ++it) {
        if (it->fd < 0) continue;
        if (owner) {
            ::unlink(it->path.c_str());
            try {
                Registry& reg = registry();
                const std::lock_guard guard(reg.mutex);
                reg.current().erase(it->path);
            } catch (...) {  // {uncoverable - std::mutex::lock only throws on a broken system}
            }
        }
        ::close(it->fd);
    }
    files_.clear();
}

void Lock::writeContent(const File& file, std::optional<unsigned> pctCplt) const {
    const std::string content = lockContent(execId_, pctCplt);
    // Overwrite in place, then cut off what is left of a longer old content. Truncating first
    // would let a concurrent reader (info, a second backup naming the holder) see an empty file
    // several times a second while a backup updates its progress. Progress only grows, so the
    // content never gets shorter while a backup runs.
    ssize_t written;
    do {
        written = ::pwrite(file.fd, content.data(), content.size(), 0);
    } while (written < 0 && errno == EINTR);
    if (written < 0) throwSys(ErrorCode::FileWrite, errno, fmt::format("unable to write lock file '{}'", file.path));
    if (static_cast<std::size_t>(written) != content.size())
        throw Error(ErrorCode::FileWrite, fmt::format("unable to write lock file '{}': short write", file.path));
    if (::ftruncate(file.fd, static_cast<off_t>(content.size())) != 0)
        throwSys(ErrorCode::FileWrite, errno, fmt::format("unable to write lock file '{}'", file.path));
}

void Lock::percentComplete(double percent) {
    const double clamped = std::clamp(std::isnan(percent) ? 0.0 : percent, 0.0, 100.0);
    const auto value = static_cast<unsigned>(std::lround(clamped * 100.0));
    for (const File& file : files_)
        if (file.fd >= 0) writeContent(file, value);
}

LockInfo readLock(std::string_view lockPath, std::string_view stanza, LockType type) {
    LockInfo info;
    const std::string path = lockFilePath(lockPath, stanza, type);
    const Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) return info;
    // If we can lock it, its holder is gone: closing the descriptor gives the lock back at once.
    info.held = ::flock(fd.get(), LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    const LockInfo content = readContent(fd.get());
    info.pid = content.pid;
    info.execId = content.execId;
    info.pctCplt = content.pctCplt;
    return info;
}

std::string stopFilePath(std::string_view lockPath, std::optional<std::string_view> stanza) {
    return fmt::format("{}/{}.stop", lockPath, stanza ? *stanza : std::string_view("all"));
}

bool stopFileCreate(std::string_view lockPath, std::optional<std::string_view> stanza) {
    const std::string path = stopFilePath(lockPath, stanza);
    createPath(std::string(lockPath), kLockPathMode);
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, kLockFileMode);
    if (fd < 0) {
        if (errno == EEXIST) return false;
        throwSys(ErrorCode::FileOpen, errno, fmt::format("unable to create stop file '{}'", path));
    }
    ::close(fd);
    return true;
}

bool stopFileRemove(std::string_view lockPath, std::optional<std::string_view> stanza) {
    const std::string path = stopFilePath(lockPath, stanza);
    if (::unlink(path.c_str()) == 0) return true;
    if (errno == ENOENT) return false;
    throwSys(ErrorCode::FileRemove, errno, fmt::format("unable to remove stop file '{}'", path));
}

void stopFileCheck(std::string_view lockPath, std::string_view stanza) {
    struct stat info{};
    // all.stop first: it is the wider stop, and `start` for the stanza alone would not lift it.
    if (::stat(stopFilePath(lockPath, std::nullopt).c_str(), &info) == 0) {
        Error error(ErrorCode::Stop, "stop file exists for all stanzas");
        error.withHint("run start without --stanza to allow commands again");
        throw error;
    }
    if (::stat(stopFilePath(lockPath, stanza).c_str(), &info) == 0) {
        Error error(ErrorCode::Stop, fmt::format("stop file exists for stanza {}", stanza));
        error.withHint(fmt::format("run start --stanza={} to allow commands again", stanza));
        throw error;
    }
}

}  // namespace pgark::lock
