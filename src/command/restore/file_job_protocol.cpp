// The restore file job on the wire. See file_job_protocol.h.
#include "command/restore/file_job_protocol.h"

#include "command/local/job_codec.h"
#include "command/local/local_pool.h"
#include "common/error.h"

namespace pgark::command::restore {

protocol::Job makeRestoreFilesJob(std::string key, const storage::StorageSpec& repo, const storage::StorageSpec& pg,
                                  const std::vector<RestoreFileRequest>& requests) {
    if (requests.empty()) throwError(ErrorCode::Assert, "restore job '{}' has no file", key);
    protocol::Job job{.key = std::move(key), .command = kJobRestoreFile, .payload = {}};
    protocol::Message& out = job.payload;
    addStorageSpec(out, repo);
    addStorageSpec(out, pg);
    out.addU64(requests.size());
    for (const RestoreFileRequest& request : requests)
        out.addString(request.repoPath)
            .addU64(request.repoOffset)
            .addOptional(request.repoSize)
            .addU64(static_cast<std::uint64_t>(request.compressType))
            .addString(request.cipherPass)
            .addString(request.pgPath)
            .addU64(request.size)
            .addString(request.sha1)
            .addI64(request.mtime)
            .addU64(request.mode)
            .addBool(request.zero)
            .addU64(static_cast<std::uint64_t>(request.delta))
            .addI64(request.copyStartTime)
            .addBool(request.syncFile)
            .addBool(request.syncPath);
    return job;
}

namespace {

RestoreFileRequest readRequest(protocol::MessageReader& in) {
    RestoreFileRequest request;
    request.repoPath = in.readString();
    request.repoOffset = in.readU64();
    request.repoSize = in.readOptionalU64();
    request.compressType = static_cast<compress::CompressType>(in.readU64());
    request.cipherPass = in.readString();
    request.pgPath = in.readString();
    request.size = in.readU64();
    request.sha1 = in.readString();
    request.mtime = in.readI64();
    request.mode = static_cast<mode_t>(in.readU64());
    request.zero = in.readBool();
    const std::uint64_t delta = in.readU64();
    if (delta > static_cast<std::uint64_t>(RestoreDelta::Timestamp))
        throwError(ErrorCode::Protocol, "restore file job has an unknown delta mode {}", delta);
    request.delta = static_cast<RestoreDelta>(delta);
    request.copyStartTime = in.readI64();
    request.syncFile = in.readBool();
    request.syncPath = in.readBool();
    return request;
}

}  // namespace

std::vector<RestoreFileResult> readRestoreFilesResult(const protocol::JobResult& result, std::size_t expected) {
    protocol::MessageReader in = result.output().reader();
    const std::uint64_t count = in.readU64();
    if (count != expected)
        throwError(ErrorCode::Protocol, "restore job '{}' replied with {} results for {} files", result.key, count,
                   expected);
    std::vector<RestoreFileResult> results(count);
    for (RestoreFileResult& out : results) {
        const std::uint64_t kind = in.readU64();
        if (kind > static_cast<std::uint64_t>(RestoreCopyResult::Kept))
            throwError(ErrorCode::Protocol, "restore file job replied with an unknown result {}", kind);
        out.result = static_cast<RestoreCopyResult>(kind);
        out.truncated = in.readBool();
    }
    in.expectEnd();
    return results;
}

protocol::HandlerEntry restoreFileHandler() {
    return {kJobRestoreFile, [](protocol::MessageReader& in) {
                storage::Storage& repo = workerStorage(readStorageSpec(in));
                storage::Storage& pg = workerStorage(readStorageSpec(in));
                const std::uint64_t count = in.readU64();
                if (count == 0) throwError(ErrorCode::Protocol, "restore file job has no file");
                // A broken count runs into the end of the message (Error(Protocol)) long before memory.
                std::vector<RestoreFileRequest> requests;
                for (std::uint64_t i = 0; i < count; i++) requests.push_back(readRequest(in));
                in.expectEnd();
                const std::vector<RestoreFileResult> results = restoreFiles(repo, pg, requests);
                protocol::Message reply;
                reply.addU64(results.size());
                for (const RestoreFileResult& result : results)
                    reply.addU64(static_cast<std::uint64_t>(result.result)).addBool(result.truncated);
                return reply;
            }};
}

}  // namespace pgark::command::restore
