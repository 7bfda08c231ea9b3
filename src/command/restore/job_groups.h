// groupRestoreFiles: which files of a restore go to a worker together, and in what order. Largest
// first, so the long copies start early and the small ones fill the gaps at the end. Two large
// files go together so the worker hashes them side by side (restoreFiles); small files go several
// to a job, which saves a round trip to the worker per file. Pure function.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace pgark::command::restore {

struct GroupCandidate {
    std::uint64_t size = 0;
    bool paired = false;  // restoredInPairs(): large enough to be hashed side by side with another
    bool alone = false;   // must be a job of its own (written to another storage than the rest)
};

inline constexpr std::size_t kGroupFilesMax = 32;                // small files in one job, at most
inline constexpr std::uint64_t kGroupBytesMax = 2 * 1024 * 1024;  // and their bytes, at most

// Groups of indices into `files`, in the order to hand them out; every index is in exactly one.
std::vector<std::vector<std::size_t>> groupRestoreFiles(const std::vector<GroupCandidate>& files);

}  // namespace pgark::command::restore
