// checkExisting: see delta_check.h.
#include "command/restore/delta_check.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <numeric>
#include <thread>

#include "storage/factory.h"

namespace pgark::command::restore {

std::vector<std::optional<RestoreFileResult>> checkExisting(const std::vector<DeltaCheck>& checks, unsigned threads) {
    std::vector<std::optional<RestoreFileResult>> results(checks.size());
    // Largest first, so that the long hashes start early and the small ones fill in at the end.
    std::vector<std::size_t> order(checks.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return checks[a].request.size > checks[b].request.size; });

    std::atomic<std::size_t> next{0};
    std::atomic<bool> failed{false};
    std::exception_ptr error;
    std::mutex errorMutex;
    const auto work = [&] {
        try {
            // One storage per root per thread: storages are not shared between threads.
            std::string root;
            std::unique_ptr<storage::Storage> pg;
            for (std::size_t i; !failed && (i = next.fetch_add(1)) < order.size();) {
                const DeltaCheck& check = checks[order[i]];
                if (!pg || root != check.root) {
                    root = check.root;
                    pg = storage::makeStorage({.type = "posix", .fields = {{"path", root}}});
                }
                results[order[i]] = keepExisting(*pg, check.request);
            }
        } catch (...) {
            const std::lock_guard lock(errorMutex);
            if (!error) error = std::current_exception();
            failed = true;
        }
    };
    const auto count = static_cast<unsigned>(std::clamp<std::size_t>(threads, 1, std::max<std::size_t>(checks.size(), 1)));
    std::vector<std::thread> pool;
    try {
        for (unsigned i = 1; i < count; i++) pool.emplace_back(work);
    } catch (...) {
        failed = true;
        for (std::thread& thread : pool) thread.join();
        throw;
    }
    work();
    for (std::thread& thread : pool) thread.join();
    if (error) std::rethrow_exception(error);
    return results;
}

}  // namespace pgark::command::restore
