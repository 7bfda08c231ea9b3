// PosixStorage: the Storage driver for local file systems (PGDATA, a repository on disk).
// It follows pgBackRest's write discipline: atomic writes go to "<name>.pgbackrest.tmp", are
// fsynced, renamed over the final name and the directory is fsynced; files get 0640 and
// directories 0750 unless told otherwise. It does not lock anything: two writers of one name race.
// Not thread-safe (it caches user and group names); each process or worker opens its own.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "common/io/buffer.h"
#include "storage/storage.h"

namespace pgark::storage {

// Suffix of the temporary file an atomic write creates beside the final name.
inline constexpr std::string_view kTempFileSuffix = ".pgbackrest.tmp";

struct PosixOptions {
    mode_t fileMode = 0640;   // default mode of new files (WriteOptions::mode overrides it)
    mode_t pathMode = 0750;   // mode of directories the driver creates
    // true: new files and paths get exactly the mode asked for, whatever the process umask
    // (pgBackRest's neutral-umask=y); false: the umask applies as it does for open(2)/mkdir(2).
    bool neutralUmask = true;
    std::size_t bufferSize = io::kDefaultBufferSize;  // bytes per read/write system call when callers pass less
};

// Builds a driver rooted at `root` (which need not exist yet; trailing slashes are dropped).
// Throws Error(Assert) for an empty root. Paths given to the driver may not climb above the
// root with ".." (Error(Assert)).
[[nodiscard]] std::unique_ptr<Storage> makePosixStorage(std::string root, PosixOptions options);

}  // namespace pgark::storage
