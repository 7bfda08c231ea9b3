// The restore file job on the wire. See file_job_protocol.h.
#include "command/restore/file_job_protocol.h"

#include "command/local/job_codec.h"
#include "command/local/local_pool.h"
#include "common/error.h"

namespace pgark::command::restore {

protocol::Job makeRestoreFileJob(std::string key, const storage::StorageSpec& repo, const storage::StorageSpec& pg,
                                 const RestoreFileRequest& request) {
    protocol::Job job{.key = std::move(key), .command = kJobRestoreFile, .payload = {}};
    protocol::Message& out = job.payload;
    addStorageSpec(out, repo);
    addStorageSpec(out, pg);
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
    in.expectEnd();
    return request;
}

}  // namespace

RestoreFileResult readRestoreFileResult(const protocol::JobResult& result) {
    protocol::MessageReader in = result.output().reader();
    RestoreFileResult out;
    const std::uint64_t kind = in.readU64();
    if (kind > static_cast<std::uint64_t>(RestoreCopyResult::Kept))
        throwError(ErrorCode::Protocol, "restore file job replied with an unknown result {}", kind);
    out.result = static_cast<RestoreCopyResult>(kind);
    out.truncated = in.readBool();
    in.expectEnd();
    return out;
}

protocol::HandlerEntry restoreFileHandler() {
    return {kJobRestoreFile, [](protocol::MessageReader& in) {
                storage::Storage& repo = workerStorage(readStorageSpec(in));
                storage::Storage& pg = workerStorage(readStorageSpec(in));
                const RestoreFileRequest request = readRequest(in);
                const RestoreFileResult result = restoreFile(repo, pg, request);
                protocol::Message reply;
                reply.addU64(static_cast<std::uint64_t>(result.result)).addBool(result.truncated);
                return reply;
            }};
}

}  // namespace pgark::command::restore
