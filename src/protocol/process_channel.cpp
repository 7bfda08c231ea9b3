// Worker process over pipes.
// posix_spawn (vfork-style in glibc) rather than fork: the parent may be large and threaded, and
// spawn reports a failed exec synchronously as an error number. Descriptors: every pipe is created
// close-on-exec, the child's two ends are moved onto 0 and 1 by the spawn file actions (which
// clears close-on-exec there only), and closefrom(3) in the child drops anything some other part of
// the process opened without O_CLOEXEC (a libpq socket, a lock file), so workers hold no
// descriptor that would keep a lock or connection alive after the parent lets go of it.
#include "protocol/process_channel.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "common/error.h"

extern char** environ;

namespace pgark::protocol {

namespace {

// Ensures a pipe end is not 0, 1 or 2: a parent started with a closed stdin would otherwise get
// fd 0 from pipe2(), and dup2(fd, fd) in the child would not clear its close-on-exec flag.
int aboveStdio(int fd) {
    if (fd > STDERR_FILENO) return fd;
    const int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
    const int savedErrno = errno;
    ::close(fd);
    if (moved < 0) throwSys(ErrorCode::Execute, savedErrno, "unable to duplicate worker pipe");
    return moved;
}

std::string describeStatus(int status) {
    if (WIFEXITED(status)) return fmt::format("exited with status {}", WEXITSTATUS(status));
    if (WIFSIGNALED(status)) {
        const int sig = WTERMSIG(status);
        const char* text = ::strsignal(sig);
        return fmt::format("was killed by signal {} ({}){}", sig, text != nullptr ? text : "unknown",
                           WCOREDUMP(status) ? " and dumped core" : "");
    }
    return fmt::format("ended with wait status {}", status);
}

struct Pipe {
    int read = -1;
    int write = -1;
    ~Pipe() {
        if (read >= 0) ::close(read);
        if (write >= 0) ::close(write);
    }
    void open() {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0) throwSys(ErrorCode::Execute, errno, "unable to create worker pipe");
        read = fds[0];
        write = fds[1];
        read = aboveStdio(read);
        write = aboveStdio(write);
    }
    int release(int& fd) {
        const int result = fd;
        fd = -1;
        return result;
    }
};

void setNonBlocking(int fd) {
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0)
        throwSys(ErrorCode::Execute, errno, "unable to make worker pipe non-blocking");
}

}  // namespace

ProcessChannel::ProcessChannel(const std::vector<std::string>& argv, std::string_view label, Options options)
    : options_(options) {
    if (argv.empty() || argv[0].empty()) throwError(ErrorCode::Assert, "worker command line is empty");

    Pipe toChild;    // parent writes jobs, child reads them on stdin
    Pipe fromChild;  // child writes replies on stdout, parent reads them
    toChild.open();
    fromChild.open();

    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    if (int rc = posix_spawn_file_actions_init(&actions); rc != 0)
        throwSys(ErrorCode::Execute, rc, "unable to prepare worker start");
    if (int rc = posix_spawnattr_init(&attributes); rc != 0) {
        posix_spawn_file_actions_destroy(&actions);
        throwSys(ErrorCode::Execute, rc, "unable to prepare worker start");
    }

    int rc = posix_spawn_file_actions_adddup2(&actions, toChild.read, STDIN_FILENO);
    if (rc == 0) rc = posix_spawn_file_actions_adddup2(&actions, fromChild.write, STDOUT_FILENO);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    if (rc == 0) rc = posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
#endif

    // The child starts with nothing blocked and default handlers: an ignored SIGPIPE or a SIGTERM
    // handler in the parent must not carry over (ignored dispositions survive exec).
    sigset_t signals;
    sigemptyset(&signals);
    if (rc == 0) rc = posix_spawnattr_setsigmask(&attributes, &signals);
    for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD}) sigaddset(&signals, sig);
    if (rc == 0) rc = posix_spawnattr_setsigdefault(&attributes, &signals);
    if (rc == 0) rc = posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

    std::vector<char*> args;
    args.reserve(argv.size() + 1);
    for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);

    pid_t pid = -1;
    if (rc == 0) {
        rc = argv[0].find('/') != std::string::npos
                 ? posix_spawn(&pid, args[0], &actions, &attributes, args.data(), environ)
                 : posix_spawnp(&pid, args[0], &actions, &attributes, args.data(), environ);
    }
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    if (rc != 0) {
        throw Error(ErrorCode::Execute,
                    fmt::format("unable to start {} '{}': [{}] {}", label, argv[0], rc, std::strerror(rc)))
            .withHint("check that the worker executable exists and is executable");
    }
    pid_ = pid;

    // The child has its copies; ours would keep the pipes open after it dies and hide its EOF.
    ::close(toChild.release(toChild.read));
    ::close(fromChild.release(fromChild.write));
    try {
        setNonBlocking(toChild.write);
        setNonBlocking(fromChild.read);
    } catch (...) {
        ::kill(pid_, SIGKILL);
        reap(std::chrono::milliseconds(0));
        throw;
    }
    fds_ = std::make_unique<FdChannel>(fromChild.release(fromChild.read), toChild.release(toChild.write),
                                       fmt::format("{} (pid {})", label, pid_), FdChannel::Options{});
}

ProcessChannel::~ProcessChannel() {
    close();
}

void ProcessChannel::reap(std::chrono::milliseconds grace) noexcept {
    if (reaped_ || pid_ <= 0) return;
    const auto deadline = std::chrono::steady_clock::now() + grace;
    auto pause = std::chrono::microseconds(200);
    for (;;) {
        int status = 0;
        const pid_t done = ::waitpid(pid_, &status, WNOHANG);
        if (done == pid_) {
            reaped_ = true;
            exitReason_ = describeStatus(status);
            return;
        }
        if (done < 0 && errno == EINTR) continue;
        if (done < 0) {  // ECHILD: someone else waited for it; nothing left to reap
            reaped_ = true;
            exitReason_ = "ended (its exit status was collected elsewhere)";
            return;
        }
        if (std::chrono::steady_clock::now() >= deadline) break;
        std::this_thread::sleep_for(pause);
        if (pause < std::chrono::milliseconds(20)) pause *= 2;
    }
    // Still running after the grace: it closed its pipe (or ignored the request to stop) but
    // kept going. It has no one to talk to any more.
    ::kill(pid_, SIGKILL);
    int status = 0;
    pid_t done;
    do {
        done = ::waitpid(pid_, &status, 0);
    } while (done < 0 && errno == EINTR);
    reaped_ = true;
    exitReason_ = fmt::format("did not exit within {}ms and was killed", grace.count());
}

std::string ProcessChannel::exitReason() {
    // Called after end-of-stream: the process is exiting or gone, so a short grace suffices.
    fds_->terminate();
    reap(std::chrono::milliseconds(1000));
    return exitReason_;
}

void ProcessChannel::close() noexcept {
    if (!fds_ || reaped_) {
        if (fds_) fds_->terminate();
        return;
    }
    try {
        // Exit is a 8-byte frame: it fits in the pipe unless the worker stopped reading.
        (void)fds_->send(FrameType::Exit, {}, std::chrono::milliseconds(100));
    } catch (...) {  // the worker is stuck or gone: the grace and SIGKILL below deal with it
    }
    fds_->terminate();
    reap(options_.closeGrace);
}

void ProcessChannel::terminate() noexcept {
    if (!fds_) return;
    fds_->terminate();
    if (reaped_) return;
    ::kill(pid_, SIGTERM);
    reap(options_.terminateGrace);
}

}  // namespace pgark::protocol
