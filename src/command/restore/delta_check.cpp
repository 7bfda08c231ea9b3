// checkExisting: see delta_check.h. Each thread keeps two files in flight when the CPU has the
// SHA extensions: cached files are mapped and hashed two at a time with Sha1Lane::update2 (about
// 1.7x the bytes per core of one SHA-1 stream), and a lane whose file ends takes the next file.
// Files that are small, uncached (read with O_DIRECT) or need no hash go through keepExisting.
#include "command/restore/delta_check.h"

#include <algorithm>
#include <atomic>
#include <numeric>

#include "common/crypto/sha1_lanes.h"
#include "common/run_concurrently.h"
#include "storage/factory.h"
#include "storage/posix/page_cache.h"

namespace pgark::command::restore {
namespace {

// Files below this are one read: mapping them costs more than it saves.
constexpr std::uint64_t kMapMin = 256 * 1024;
// Bytes made present (MappedFile::populate) at a time; a multiple of the page size.
constexpr std::uint64_t kWindow = 8 * 1024 * 1024;
// Blocks hashed per step: both lanes advance together, and a lane whose file ends is refilled.
constexpr std::size_t kStepBlocks = 1024 * 1024 / crypto::Sha1Lane::kBlock;

// A cached file being hashed in one lane.
struct Lane {
    std::size_t index;          // into checks and results
    storage::FileInfo existing;  // keepCandidate's answer
    storage::MappedFile file;
    crypto::Sha1Lane sha1;
    std::uint64_t done = 0;     // bytes hashed
    std::uint64_t present = 0;  // bytes populated
    bool shorter = false;       // the file lost bytes while mapped: it cannot match

    std::size_t blocksLeft() const noexcept {
        return shorter ? 0 : static_cast<std::size_t>((file.size() - done) / crypto::Sha1Lane::kBlock);
    }
    // Makes sure the next `blocks` blocks (and, at the end, the tail) are present.
    bool ensure(std::uint64_t upto) {
        while (!shorter && present < upto) {
            const std::uint64_t n = std::min(kWindow, file.size() - present);
            if (!file.populate(present, n)) shorter = true;
            present += n;
        }
        return !shorter;
    }
    const std::byte* next() const noexcept { return file.data() + done; }
};

// The checks of one thread: takes files from the shared queue until it is empty.
class Checker {
public:
    Checker(const std::vector<DeltaCheck>& checks, const std::vector<std::size_t>& order, std::atomic<std::size_t>& next,
            const std::atomic<bool>& stop, std::vector<std::optional<RestoreFileResult>>& results)
        : checks_(checks), order_(order), next_(next), stop_(stop), results_(results),
          lanes_(crypto::sha1LanesSupported()) {}

    void run() {
        std::optional<Lane> lanes[2];
        for (std::optional<Lane>& lane : lanes) lane = take();
        while (lanes[0] || lanes[1]) {
            if (lanes[0] && lanes[1]) {
                const std::size_t blocks = std::min({lanes[0]->blocksLeft(), lanes[1]->blocksLeft(), kStepBlocks});
                const std::uint64_t bytes = blocks * crypto::Sha1Lane::kBlock;
                if (blocks != 0 && lanes[0]->ensure(lanes[0]->done + bytes) && lanes[1]->ensure(lanes[1]->done + bytes)) {
                    crypto::Sha1Lane::update2(lanes[0]->sha1, lanes[0]->next(), lanes[1]->sha1, lanes[1]->next(), blocks);
                    lanes[0]->done += bytes;
                    lanes[1]->done += bytes;
                }
            } else {
                Lane& lane = lanes[0] ? *lanes[0] : *lanes[1];
                const std::size_t blocks = std::min(lane.blocksLeft(), kStepBlocks);
                const std::uint64_t bytes = blocks * crypto::Sha1Lane::kBlock;
                if (blocks != 0 && lane.ensure(lane.done + bytes)) {
                    lane.sha1.update(lane.next(), blocks);
                    lane.done += bytes;
                }
            }
            for (std::optional<Lane>& lane : lanes)
                if (lane && lane->blocksLeft() == 0) {
                    finish(*lane);
                    lane = take();
                }
        }
    }

private:
    storage::Storage& storageFor(const std::string& root) {
        if (!pg_ || root_ != root) {
            root_ = root;
            pg_ = storage::makeStorage({.type = "posix", .fields = {{"path", root}}});
        }
        return *pg_;
    }

    // The next file that needs a lane; files decided without one are decided on the way.
    std::optional<Lane> take() {
        for (std::size_t i; !stop_ && (i = next_.fetch_add(1)) < order_.size();) {
            const std::size_t index = order_[i];
            const DeltaCheck& check = checks_[index];
            storage::Storage& pg = storageFor(check.root);
            if (lanes_ && keepNeedsHash(check.request) && check.request.size >= kMapMin) {
                const auto existing = keepCandidate(pg, check.request);
                if (!existing) continue;  // results_ stays nullopt: write it
                if (auto file = storage::MappedFile::openCached(pg.describe(check.request.pgPath), check.request.size))
                    return Lane{.index = index, .existing = *existing, .file = std::move(*file), .sha1 = {}};
            }
            results_[index] = keepExisting(pg, check.request);
        }
        return std::nullopt;
    }

    void finish(Lane& lane) {
        const DeltaCheck& check = checks_[lane.index];
        if (!lane.ensure(lane.file.size())) return;  // shorter now: write it
        const std::string sha1 = lane.sha1.finalHex({lane.next(), static_cast<std::size_t>(lane.file.size() - lane.done)});
        if (sha1 == check.request.sha1)
            results_[lane.index] = keepFile(storageFor(check.root), check.request, lane.existing);
    }

    const std::vector<DeltaCheck>& checks_;
    const std::vector<std::size_t>& order_;
    std::atomic<std::size_t>& next_;
    const std::atomic<bool>& stop_;  // another thread failed
    std::vector<std::optional<RestoreFileResult>>& results_;
    const bool lanes_;
    std::string root_;
    std::unique_ptr<storage::Storage> pg_;  // storages are not shared between threads
};

}  // namespace

std::vector<std::optional<RestoreFileResult>> checkExisting(const std::vector<DeltaCheck>& checks, unsigned threads) {
    std::vector<std::optional<RestoreFileResult>> results(checks.size());
    // Largest first, so that the long hashes start early and the small ones fill in at the end.
    std::vector<std::size_t> order(checks.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return checks[a].request.size > checks[b].request.size; });

    std::atomic<std::size_t> next{0};
    const auto count = static_cast<unsigned>(std::clamp<std::size_t>(threads, 1, std::max<std::size_t>(checks.size(), 1)));
    runConcurrently(count, [&](const std::atomic<bool>& stop) { Checker(checks, order, next, stop, results).run(); });
    return results;
}

}  // namespace pgark::command::restore
