// The copy phase of a backup. See backup_copy.h.
//
// Jobs are built up front: each file above repo-bundle-limit (or every file without bundling) is
// a job of its own; small files are packed in name order into bundles of about repo-bundle-size,
// numbered from 1, each a job. On an object store the small files that are not bundled go in
// groups, each a job whose files the worker stores a few at a time (file_job_protocol.h): one PUT
// per file waited for in turn would otherwise bound the backup by ~1000 request round trips. The
// groups ride along with the largest files (attachGroupsToLargeFiles). The queue is sorted
// largest job first, so the long copies start early and the small ones fill the gaps at the end. Workers are stateless; the parent keeps the
// job -> files map and is the only one that touches the manifest.
#include "command/backup/backup_copy.h"

#include <algorithm>
#include <chrono>
#include <deque>
#include <map>
#include <thread>

#include <fmt/format.h>

#include "command/backup/file_job.h"
#include "command/backup/file_job_protocol.h"
#include "command/info/info.h"
#include "common/error.h"
#include "common/log.h"

namespace pgark::command::backup {
namespace {

// The path below PGDATA: tablespace files are reached through the pg_tblspc links.
std::string pgRelativePath(std::string_view name) {
    if (name.starts_with("pg_data/")) return std::string(name.substr(8));
    return std::string(name);  // "pg_tblspc/<oid>/PG_.../..."
}

std::string pageList(const std::vector<std::uint32_t>& pages) {
    std::string text;
    for (std::size_t i = 0; i < pages.size();) {
        std::size_t j = i;
        while (j + 1 < pages.size() && pages[j + 1] == pages[j] + 1) j++;
        if (!text.empty()) text += ", ";
        text += j == i ? std::to_string(pages[i]) : fmt::format("{}-{}", pages[i], pages[j]);
        i = j + 1;
    }
    return text;
}

// What is expected of the stored copy an interrupted run left, or nullopt when it cannot be
// trusted: it must have been finished (a checksum), stored on its own in this backup, and the
// file must look the same as then (size and timestamp, as pgBackRest judges it). Empty files are
// cheaper to copy than to judge.
std::optional<PriorFile> resumeExpectation(const pgark::info::Manifest& manifest, const pgark::info::ManifestFile& file,
                                           const pgark::info::Manifest& resumed) {
    if (!file.copy || file.delta || file.size == 0) return std::nullopt;
    const pgark::info::ManifestFile* old = resumed.file(file.name);
    if (old == nullptr || old->reference || old->bundleId != 0 || old->checksum.empty()) return std::nullopt;
    if (old->size != file.size || old->timestamp != file.timestamp) return std::nullopt;
    if (old->checksumPage.has_value() != file.checksumPage.has_value()) return std::nullopt;
    const bool transformed =
        manifest.data().compressType != compress::CompressType::None || !manifest.data().cipherPass.empty();
    if (transformed && old->repoChecksum.empty()) return std::nullopt;
    return PriorFile{transformed ? old->repoChecksum : old->checksum, old->sizeRepo};
}

// Grouping of small files on an object store: which files, and how many per job. Groups stay
// small enough for the queue to balance the workers at the end of the backup.
constexpr std::uint64_t kGroupFileMax = 2 * 1024 * 1024;
constexpr std::size_t kGroupFiles = 64;
constexpr std::uint64_t kGroupBytes = 16 * 1024 * 1024;

struct PendingJob {
    BackupJob job;
    std::vector<std::string> names;  // manifest names, in job.files order
    std::uint64_t size = 0;          // bytes to read
    std::uint64_t bundleId = 0;      // 0 = not a bundle
    std::string key;
    bool held = false;               // not read before CopyOptions::copyStart (its file changed lately)
};

class CopySource final : public protocol::JobSource {
public:
    CopySource(std::deque<PendingJob>& queue, std::map<std::string, PendingJob>& running, const CopyOptions& options,
               const CopyHooks& hooks)
        : queue_(queue), running_(running), options_(options), hooks_(hooks) {}

    std::optional<protocol::Job> next(unsigned) override {
        if (queue_.empty()) return std::nullopt;
        // The queue is largest first. Before copyStart a held job is passed over for the next one
        // that is not held; only when every job left is held does this wait. After copyStart the
        // order is largest first again, so the large tables a busy database keeps changing are not
        // all left to the end of the backup.
        auto pick = queue_.begin();
        if (!started_) {
            Clock& clock = hooks_.clock != nullptr ? *hooks_.clock : systemClock();
            const std::chrono::system_clock::time_point copyStart{std::chrono::seconds(options_.copyStart)};
            started_ = clock.now() >= copyStart;
            if (!started_) {
                pick = std::find_if(queue_.begin(), queue_.end(), [](const PendingJob& job) { return !job.held; });
                if (pick == queue_.end()) {
                    while (clock.now() < copyStart) clock.sleep(std::chrono::milliseconds(20));
                    started_ = true;
                    pick = queue_.begin();
                }
            }
        }
        PendingJob pending = std::move(*pick);
        queue_.erase(pick);
        protocol::Job job = makeBackupFileJob(pending.key, options_.repo, options_.pg, pending.job);
        std::string key = pending.key;
        running_.emplace(std::move(key), std::move(pending));
        return job;
    }

private:
    std::deque<PendingJob>& queue_;
    std::map<std::string, PendingJob>& running_;
    const CopyOptions& options_;
    const CopyHooks& hooks_;
    bool started_ = false;  // copyStart has passed: held jobs may go
};

class Copier {
public:
    Copier(pgark::info::Manifest& manifest, storage::Storage& pg, const CopyOptions& options, const CopyHooks& hooks)
        : manifest_(manifest), pg_(pg), options_(options), hooks_(hooks) {}

    void run() {
        buildJobs();
        if (queue_.empty()) return;
        // Always worker processes, even for process-max=1 (as pgBackRest): one code path for
        // retries, crashes and progress, and the parent stays free to record results while the
        // worker copies; a process start costs a few milliseconds once per backup.
        const auto workers = static_cast<unsigned>(std::min<std::size_t>(options_.processMax, queue_.size()));
        saveEvery_ = std::max<std::uint64_t>(total_ / 100, options_.manifestSaveThreshold);
        protocol::WorkerPool pool = hooks_.startPool(workers);
        CopySource source(queue_, running_, options_, hooks_);
        pool.run(source, [this](protocol::JobResult&& result) { apply(std::move(result)); });
        pool.close();
    }

private:
    BackupFileRequest request(const pgark::info::ManifestFile& file) const {
        const pgark::info::ManifestData& data = manifest_.data();
        BackupFileRequest request;
        request.pgPath = pgRelativePath(file.name);
        request.repoPath = backupFileRepoPath(options_.stanza, data.label, file.name, data.compressType);
        // Relation files may grow while the backup runs; WAL replay brings them up to date (§4.5).
        if (pgark::info::manifestFileSizeLimited(file.name)) request.sizeLimit = file.size;
        request.ignoreMissing = pgark::info::manifestFileMayVanish(file.name);
        request.compressType = data.compressType;
        request.compressLevel = options_.compressLevel;
        request.compressThreads = compressThreads_;
        request.cipherPass = data.cipherPass;
        request.checksumPage = file.checksumPage.has_value();
        request.lsnLimit = options_.lsnStart;
        // One directory sync at the end of the backup instead of one per file.
        request.repoSyncPath = false;
        if (file.delta && file.reference) request.delta = PriorFile{file.checksum, file.size};
        if (options_.resumed) request.resume = resumeExpectation(manifest_, file, *options_.resumed);
        return request;
    }

    PendingJob singleFileJob(const pgark::info::ManifestFile& file) const {
        PendingJob job;
        job.job.files.push_back(request(file));
        job.names.push_back(file.name);
        job.size = file.size;
        job.key = file.name;
        return job;
    }

    void buildJobs() {
        std::vector<const pgark::info::ManifestFile*> bundled;
        std::vector<PendingJob> jobs;
        PendingJob group;
        const auto closeGroup = [&] {
            if (group.names.empty()) return;
            group.key = fmt::format("group/{}", ++groupCount_);
            jobs.push_back(std::move(group));
            group = PendingJob{};
        };
        for (const pgark::info::ManifestFile& file : manifest_.files()) {
            if (!file.copy && !file.delta) continue;
            total_ += file.size;
            // A file changed lately goes on its own (in no bundle or group): it may not be read
            // before copyStart (CopySource::next()).
            if (options_.holdFrom && file.timestamp >= *options_.holdFrom) {
                jobs.push_back(singleFileJob(file));
                jobs.back().held = true;
                continue;
            }
            if (options_.bundle && file.size <= options_.bundleLimit) {
                bundled.push_back(&file);
                continue;
            }
            if (options_.groupSmallFiles && file.size <= kGroupFileMax) {
                group.job.files.push_back(request(file));
                group.names.push_back(file.name);
                group.size += file.size;
                if (group.names.size() == kGroupFiles || group.size >= kGroupBytes) closeGroup();
                continue;
            }
            jobs.push_back(singleFileJob(file));
        }
        closeGroup();
        if (options_.groupSmallFiles) attachGroupsToLargeFiles(jobs);
        // manifest_.files() is in name order, so a bundle holds neighbours (one relation's forks,
        // one database's catalog), which compress and restore together well.
        PendingJob bundle;
        const auto close = [&] {
            if (bundle.names.empty()) return;
            bundle.bundleId = ++bundleCount_;
            bundle.key = fmt::format("bundle/{}", bundle.bundleId);
            bundle.job.bundlePath = backupBundleRepoPath(options_.stanza, manifest_.data().label, bundle.bundleId);
            jobs.push_back(std::move(bundle));
            bundle = PendingJob{};
        };
        for (const pgark::info::ManifestFile* file : bundled) {
            bundle.job.files.push_back(request(*file));
            bundle.names.push_back(file->name);
            bundle.size += file->size;
            if (bundle.size >= options_.bundleSize) close();
        }
        close();
        const auto largestFirst = [](const PendingJob& a, const PendingJob& b) { return a.size > b.size; };
        std::stable_sort(jobs.begin(), jobs.end(), largestFirst);
        for (PendingJob& job : jobs) queue_.push_back(std::move(job));
    }

    // On an object store a small file costs the server a request's work more than it costs this
    // machine, and a large file the other way round; against a remote server each small file is
    // also a round trip. Copied after the large files, the groups left the client's cores idle
    // at the end (lz4 process-max=2 at scale 150 on the local test server: the ~970 small files
    // took the last 2.4 of 6.3 s while one worker still copied the primary key index). So the
    // groups ride along with the largest files (groupHosts()): the worker stores them on its
    // other threads (runFileGroup) while its first thread copies the large file.
    void attachGroupsToLargeFiles(std::vector<PendingJob>& jobs) const {
        // A held file is no host: the groups riding along with it would wait for copyStart too.
        std::vector<std::size_t> large, groups;
        for (std::size_t i = 0; i < jobs.size(); ++i) {
            if (jobs[i].key.starts_with("group/")) groups.push_back(i);
            else if (!jobs[i].held) large.push_back(i);
        }
        std::vector<std::uint64_t> largeSizes;
        for (std::size_t i : large) largeSizes.push_back(jobs[i].size);
        const auto hosts = groupHosts(largeSizes, groups.size(), options_.processMax);
        std::vector<bool> attached(jobs.size(), false);
        for (std::size_t g = 0; g < groups.size(); ++g) {
            if (!hosts[g]) continue;
            PendingJob& host = jobs[large[*hosts[g]]];
            PendingJob& group = jobs[groups[g]];
            for (BackupFileRequest& file : group.job.files) host.job.files.push_back(std::move(file));
            for (std::string& name : group.names) host.names.push_back(std::move(name));
            host.size += group.size;
            attached[groups[g]] = true;
        }
        std::vector<PendingJob> kept;
        for (std::size_t i = 0; i < jobs.size(); ++i)
            if (!attached[i]) kept.push_back(std::move(jobs[i]));
        jobs = std::move(kept);
    }

    void apply(protocol::JobResult&& result) {
        auto found = running_.find(result.key);
        if (found == running_.end()) throwError(ErrorCode::Protocol, "reply to unknown backup job '{}'", result.key);
        const PendingJob job = std::move(found->second);
        running_.erase(found);
        if (const protocol::RemoteError* error = result.error()) {
            // A group's worker names the file that failed ("file '...': ..."); one file is named here.
            const std::string what = job.bundleId != 0        ? fmt::format("bundle {}: ", job.bundleId)
                                     : job.names.size() == 1 ? fmt::format("file '{}': ", pg_.describe(job.job.files[0].pgPath))
                                                             : std::string();
            Error failed(error->code, fmt::format("unable to back up {}{}", what, error->message));
            if (!error->hint.empty()) failed.withHint(error->hint);
            throw failed;
        }
        const std::vector<BackupFileResult> results = readBackupFileResults(result);
        if (results.size() != job.names.size())
            throwError(ErrorCode::Protocol, "backup job '{}' replied with {} results for {} files", job.key,
                       results.size(), job.names.size());
        for (std::size_t i = 0; i < results.size(); ++i) applyFile(job, i, results[i]);

        if (hooks_.progress) hooks_.progress(percent());
        if (hooks_.saveManifest && done_ - savedAt_ >= saveEvery_ && done_ < total_) {
            hooks_.saveManifest();
            savedAt_ = done_;
        }
    }

    double percent() const { return total_ == 0 ? 100.0 : static_cast<double>(done_) * 100.0 / static_cast<double>(total_); }

    std::string progressText(std::uint64_t size) const {
        return fmt::format("{}, {:.2f}%", command::info::formatSize(size), percent());
    }

    void applyFile(const PendingJob& job, std::size_t i, const BackupFileResult& result) {
        const std::string& name = job.names[i];
        const BackupFileRequest& request = job.job.files[i];
        const pgark::info::ManifestFile& file = *manifest_.file(name);
        done_ += file.size;
        switch (result.result) {
        case BackupCopyResult::Missing:
            log::detail("skip file removed by database {}", pg_.describe(request.pgPath));
            manifest_.fileRemove(name);
            return;
        case BackupCopyResult::Unchanged:
            log::detail("match file from prior backup {} ({})", pg_.describe(request.pgPath), progressText(result.size));
            return;
        case BackupCopyResult::Resumed: {
            if (!options_.resumed || !request.resume)
                throwError(ErrorCode::Protocol, "backup job '{}' resumed file '{}' that was not to be resumed", job.key, name);
            const pgark::info::ManifestFile& old = *options_.resumed->file(name);
            pgark::info::ManifestFileResult kept{.size = old.size,
                                          .sizeRepo = old.sizeRepo,
                                          .checksum = old.checksum,
                                          .repoChecksum = old.repoChecksum,
                                          .checksumPage = old.checksumPage,
                                          .checksumPageError = old.checksumPageError};
            manifest_.fileCopied(name, kept);
            log::detail("checksum resumed file {} ({}) checksum {}", pg_.describe(request.pgPath), progressText(old.size),
                        old.checksum);
            return;
        }
        case BackupCopyResult::Copied:
            break;
        }
        pgark::info::ManifestFileResult copied;
        copied.size = result.size;
        copied.sizeRepo = result.sizeRepo;
        copied.checksum = result.sha1;
        copied.repoChecksum = result.rck.value_or("");
        if (job.bundleId != 0 && result.bundleOffset) {
            copied.bundleId = job.bundleId;
            copied.bundleOffset = *result.bundleOffset;
        }
        if (result.pageChecksum) {
            copied.checksumPage = result.pageChecksum->valid;
            if (!result.pageChecksum->valid) {
                std::vector<std::uint64_t> pages(result.pageChecksum->errors.begin(), result.pageChecksum->errors.end());
                copied.checksumPageError = pgark::info::pageErrorList(pages);
                log::warn("invalid page checksums found in file {} at pages {}", pg_.describe(request.pgPath),
                          pageList(result.pageChecksum->errors));
            }
        }
        manifest_.fileCopied(name, copied);
        if (result.size == 0)
            log::detail("backup file {} ({})", pg_.describe(request.pgPath), progressText(0));
        else
            log::detail("backup file {} ({}) checksum {}", pg_.describe(request.pgPath), progressText(result.size),
                        result.sha1);
    }

    pgark::info::Manifest& manifest_;
    storage::Storage& pg_;
    const CopyOptions& options_;
    const CopyHooks& hooks_;
    std::deque<PendingJob> queue_;
    std::map<std::string, PendingJob> running_;
    std::uint64_t total_ = 0;
    std::uint64_t done_ = 0;
    std::uint64_t savedAt_ = 0;
    std::uint64_t saveEvery_ = 0;
    std::uint64_t bundleCount_ = 0;
    std::uint64_t groupCount_ = 0;
    // Threads one large file may compress on (file_job.h): the cores per worker, but at least two
    // while the machine has two, because at the end of a backup the last 1 GiB segment is often
    // copied while every other worker is idle; the kernel shares the cores while all are busy.
    const unsigned compressThreads_ =
        std::max(std::min(2U, std::thread::hardware_concurrency()),
                 std::thread::hardware_concurrency() / std::max(1U, options_.processMax));
};

}  // namespace

std::vector<std::optional<std::size_t>> groupHosts(const std::vector<std::uint64_t>& largeSizes, std::size_t groups,
                                                   unsigned processMax) {
    std::vector<std::size_t> largest(largeSizes.size());
    for (std::size_t i = 0; i < largest.size(); ++i) largest[i] = i;
    std::stable_sort(largest.begin(), largest.end(), [&](std::size_t a, std::size_t b) { return largeSizes[a] > largeSizes[b]; });
    const std::size_t lanes = std::max(processMax, 1U);
    std::vector<std::optional<std::size_t>> hosts(groups);
    for (std::size_t g = 0; g < groups; ++g)
        if (const std::size_t lane = g % lanes; lane < largest.size()) hosts[g] = largest[lane];
    return hosts;
}

std::vector<std::string> resumeCandidates(const pgark::info::Manifest& manifest, const pgark::info::Manifest& resumed) {
    std::vector<std::string> names;
    for (const pgark::info::ManifestFile& file : manifest.files())
        if (resumeExpectation(manifest, file, resumed))
            names.push_back(file.name + std::string(compress::compressExtension(manifest.data().compressType)));
    return names;
}

void copyFiles(pgark::info::Manifest& manifest, storage::Storage& pgDescribe, const CopyOptions& options, const CopyHooks& hooks) {
    Copier(manifest, pgDescribe, options, hooks).run();
}

}  // namespace pgark::command::backup
