// groupRestoreFiles: see job_groups.h.
#include "command/restore/job_groups.h"

#include <algorithm>
#include <numeric>

namespace pgark::command::restore {

std::vector<std::vector<std::size_t>> groupRestoreFiles(const std::vector<GroupCandidate>& files) {
    std::vector<std::size_t> order(files.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&files](std::size_t a, std::size_t b) { return files[a].size > files[b].size; });

    std::vector<std::vector<std::size_t>> groups;
    std::vector<std::size_t> pending;  // the paired file waiting for its partner, or the small files of a group
    std::uint64_t pendingBytes = 0;
    const auto flush = [&] {
        if (!pending.empty()) groups.push_back(std::move(pending));
        pending.clear();
        pendingBytes = 0;
    };
    for (const std::size_t i : order) {
        const GroupCandidate& file = files[i];
        if (file.alone) {
            flush();
            groups.push_back({i});
            continue;
        }
        // Sorted by size, the paired files come before the small ones, except for a large file
        // that is not paired (a zeroed one of --db-exclude): it goes with the small ones.
        const bool pendingPaired = !pending.empty() && files[pending.front()].paired;
        if (file.paired) {
            if (!pendingPaired) flush();
            pending.push_back(i);
            if (pending.size() == 2) flush();
            continue;
        }
        if (pendingPaired || pending.size() == kGroupFilesMax || pendingBytes + file.size > kGroupBytesMax) flush();
        pending.push_back(i);
        pendingBytes += file.size;
    }
    flush();
    return groups;
}

}  // namespace pgark::command::restore
