// The backup file job on the wire. See file_job_protocol.h.
#include "command/backup/file_job_protocol.h"

#include <algorithm>
#include <atomic>

#include "command/local/job_codec.h"
#include "command/local/local_pool.h"
#include "common/error.h"
#include "common/run_concurrently.h"

namespace pgark::command::backup {
namespace {

void addRequest(protocol::Message& out, const BackupFileRequest& request) {
    out.addString(request.pgPath)
        .addString(request.repoPath)
        .addOptional(request.sizeLimit)
        .addBool(request.ignoreMissing)
        .addU64(static_cast<std::uint64_t>(request.compressType))
        .addI64(request.compressLevel)
        .addU64(request.compressThreads)
        .addString(request.cipherPass)
        .addBool(request.checksumPage)
        .addBool(request.pageReRead)
        .addOptional(request.lsnLimit ? std::optional<std::uint64_t>(*request.lsnLimit) : std::nullopt)
        .addBool(request.delta.has_value());
    if (request.delta) out.addString(request.delta->sha1).addU64(request.delta->size);
    out.addBool(request.resume.has_value());
    if (request.resume) out.addString(request.resume->sha1).addU64(request.resume->size);
    out.addBool(request.repoSyncPath);
}

BackupFileRequest readRequest(protocol::MessageReader& in) {
    BackupFileRequest request;
    request.pgPath = in.readString();
    request.repoPath = in.readString();
    request.sizeLimit = in.readOptionalU64();
    request.ignoreMissing = in.readBool();
    request.compressType = static_cast<compress::CompressType>(in.readU64());
    request.compressLevel = static_cast<int>(in.readI64());
    request.compressThreads = static_cast<unsigned>(std::clamp<std::uint64_t>(in.readU64(), 1, 64));
    request.cipherPass = in.readString();
    request.checksumPage = in.readBool();
    request.pageReRead = in.readBool();
    if (const auto lsn = in.readOptionalU64()) request.lsnLimit = *lsn;
    if (in.readBool()) {
        PriorFile prior;
        prior.sha1 = in.readString();
        prior.size = in.readU64();
        request.delta = prior;
    }
    if (in.readBool()) {
        PriorFile stored;
        stored.sha1 = in.readString();
        stored.size = in.readU64();
        request.resume = stored;
    }
    request.repoSyncPath = in.readBool();
    return request;
}

void addPages(protocol::Message& out, const std::vector<std::uint32_t>& pages) {
    out.addU64(pages.size());
    for (const std::uint32_t page : pages) out.addU64(page);
}

std::vector<std::uint32_t> readPages(protocol::MessageReader& in) {
    std::vector<std::uint32_t> pages(in.readU64());
    for (std::uint32_t& page : pages) page = static_cast<std::uint32_t>(in.readU64());
    return pages;
}

void addResult(protocol::Message& out, const BackupFileResult& result) {
    out.addU64(static_cast<std::uint64_t>(result.result))
        .addU64(result.size)
        .addU64(result.sizeRepo)
        .addString(result.sha1)
        .addOptional(result.rck)
        .addOptional(result.bundleOffset)
        .addBool(result.pageChecksum.has_value());
    if (result.pageChecksum) {
        out.addBool(result.pageChecksum->valid).addBool(result.pageChecksum->aligned).addU64(result.pageChecksum->pagesChecked);
        addPages(out, result.pageChecksum->errors);
        addPages(out, result.pageChecksum->tolerated);
    }
}

BackupFileResult readResult(protocol::MessageReader& in) {
    BackupFileResult result;
    const std::uint64_t kind = in.readU64();
    if (kind > static_cast<std::uint64_t>(BackupCopyResult::Resumed))
        throwError(ErrorCode::Protocol, "backup file job replied with an unknown result {}", kind);
    result.result = static_cast<BackupCopyResult>(kind);
    result.size = in.readU64();
    result.sizeRepo = in.readU64();
    result.sha1 = in.readString();
    result.rck = in.readOptionalString();
    result.bundleOffset = in.readOptionalU64();
    if (in.readBool()) {
        io::PageChecksumResult pages;
        pages.valid = in.readBool();
        pages.aligned = in.readBool();
        pages.pagesChecked = in.readU64();
        pages.errors = readPages(in);
        pages.tolerated = readPages(in);
        result.pageChecksum = std::move(pages);
    }
    return result;
}

// job-retry: the worker runs a job again (protocol/server.h) only for a retryable Error. Reading
// PGDATA or writing the repository may well work a moment later (a network filesystem hiccup, a
// file being replaced); a bad request, a missing pg_control or a full disk will not.
bool transient(ErrorCode code) {
    switch (code) {
    case ErrorCode::FileOpen:
    case ErrorCode::FileRead:
    case ErrorCode::FileWrite:
    case ErrorCode::FileSync:
    case ErrorCode::FileClose:
    case ErrorCode::FileMove:
    case ErrorCode::FileInfo:
    case ErrorCode::PathCreate:
    case ErrorCode::PathOpen:
    case ErrorCode::PathSync:
        return true;
    default:
        return false;
    }
}

// A job of several files each stored on its own: the parent groups small files this way for an
// object store (backup_copy.cpp), where each file costs a request round trip and the server's
// work on it. Up to kFilesInFlight files are backed up at once, one per thread, so one file's PUT
// overlaps the next one's reading and compression and the other PUTs; each thread's requests go
// on a connection of their own (s3_client.h). Results stay in request order. The first failure
// stops handing out files; the ones already started end (each write is atomic on its own, so no
// partial object is left), and the error names the file that failed first.
constexpr std::size_t kFilesInFlight = 4;

std::vector<BackupFileResult> runFileGroup(storage::Storage& pg, storage::Storage& repo,
                                           const std::vector<BackupFileRequest>& files) {
    std::vector<BackupFileResult> results(files.size());
    std::atomic<std::size_t> next{0};
    runConcurrently(static_cast<unsigned>(std::min(files.size(), kFilesInFlight)), [&](const std::atomic<bool>& stop) {
        for (std::size_t i; !stop && (i = next++) < files.size();) {
            try {
                results[i] = backupFile(pg, repo, files[i]);
            } catch (const Error& error) {
                // The parent names the file of a one-file job; in a group only the worker knows it.
                Error named(error.code(), fmt::format("file '{}': {}", pg.describe(files[i].pgPath), error.message()),
                            error.retryable() ? Retry::Yes : Retry::No);
                if (!error.hint().empty()) named.withHint(error.hint());
                throw named;
            }
        }
    });
    return results;
}

}  // namespace

protocol::Job makeBackupFileJob(std::string key, const storage::StorageSpec& repo, const storage::StorageSpec& pg,
                                const BackupJob& job) {
    protocol::Job out{.key = std::move(key), .command = kJobBackupFile, .payload = {}};
    addStorageSpec(out.payload, repo);
    addStorageSpec(out.payload, pg);
    out.payload.addOptional(job.bundlePath).addU64(job.files.size());
    for (const BackupFileRequest& request : job.files) addRequest(out.payload, request);
    return out;
}

std::vector<BackupFileResult> readBackupFileResults(const protocol::JobResult& result) {
    protocol::MessageReader in = result.output().reader();
    std::vector<BackupFileResult> results(in.readU64());
    for (BackupFileResult& one : results) one = readResult(in);
    in.expectEnd();
    return results;
}

std::vector<BackupFileResult> runBackupJob(storage::Storage& pg, storage::Storage& repo, const BackupJob& job) {
    std::vector<BackupFileResult> results;
    results.reserve(job.files.size());
    if (!job.bundlePath) {
        if (job.files.size() > 1) return runFileGroup(pg, repo, job.files);
        for (const BackupFileRequest& request : job.files) results.push_back(backupFile(pg, repo, request));
        return results;
    }
    // The bundle becomes visible only on commit; an exception destroys the stream uncommitted.
    auto stream = repo.openWrite(*job.bundlePath, {.syncPath = false});
    BundleSink sink{*stream, 0};
    for (const BackupFileRequest& request : job.files) results.push_back(backupFile(pg, repo, request, &sink));
    // Every file vanished or was unchanged: an empty bundle would only be litter.
    if (sink.offset == 0) {
        stream->abort();
        return results;
    }
    stream->commit();
    return results;
}

protocol::HandlerEntry backupFileHandler() {
    return {kJobBackupFile, [](protocol::MessageReader& in) {
                storage::Storage& repo = workerStorage(readStorageSpec(in));
                storage::Storage& pg = workerStorage(readStorageSpec(in));
                BackupJob job;
                job.bundlePath = in.readOptionalString();
                job.files.resize(in.readU64());
                for (BackupFileRequest& request : job.files) request = readRequest(in);
                in.expectEnd();
                std::vector<BackupFileResult> results;
                try {
                    results = runBackupJob(pg, repo, job);
                } catch (const Error& error) {
                    if (error.retryable() || !transient(error.code())) throw;
                    Error retry(error.code(), error.message(), Retry::Yes);
                    if (!error.hint().empty()) retry.withHint(error.hint());
                    throw retry;
                }
                protocol::Message reply;
                reply.addU64(results.size());
                for (const BackupFileResult& result : results) addResult(reply, result);
                return reply;
            }};
}

}  // namespace pgark::command::backup
