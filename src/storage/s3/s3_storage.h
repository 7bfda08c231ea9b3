// S3Storage: the Storage driver for Amazon S3 and S3-compatible object stores. The repository
// lives below the key prefix `root` (repo-path without its leading '/': "/pgbackrest" -> keys
// "pgbackrest/archive/..."), exactly where pgBackRest 2.45 puts its objects, so either tool reads
// what the other wrote. S3 has no directories, links, modes or owners: has() reports no Feature,
// pathCreate and pathSync do nothing, and a "path" is the set of keys below a prefix.
//
// Writes are atomic by S3's nature: a PUT (or a multipart upload's completion) shows the whole
// object or nothing; objects larger than the upload chunk size go up in parts, and a write that is
// aborted or fails aborts its upload. Reads fetch byte ranges (4 MiB, growing to 16 MiB). Requests
// are signed with SigV4 and retried on 5xx/429/SlowDown and network failures (http/retry.h).
// Not thread-safe: each process or worker opens its own.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "common/clock.h"
#include "common/http/http.h"
#include "common/http/retry.h"
#include "storage/storage.h"

namespace pgark::storage {

struct S3Options {
    std::string bucket;
    std::string endpoint;          // "s3.eu-west-1.amazonaws.com", "localhost"
    std::string region;            // "us-east-1"
    std::string accessKey;
    std::string secretKey;         // never logged or put in a message
    std::string securityToken;     // temporary credentials' session token, "" = none
    std::string kmsKeyId;          // "" = no SSE-KMS; else new objects are encrypted with this KMS key
    bool pathStyle = false;        // true: https://endpoint/bucket/key; false: https://bucket.endpoint/key
    unsigned port = 443;
    std::string root = "/";        // repo-path
    std::size_t uploadChunkSize = 5 * 1024 * 1024;  // bytes per multipart part; smaller files are one PUT
    http::HttpOptions http;        // TLS, CA, timeout, another host to connect to
    http::RetryPolicy retry;
    std::shared_ptr<http::HttpTransport> transport;  // nullptr = libcurl with `http`; tests pass a script
    // Without `transport`: makes a transport for a request that starts while the others are busy
    // (concurrent requests each have one; s3_client.h). nullptr = libcurl with `http`; tests pass a
    // thread-safe fake to watch requests overlap.
    std::function<std::shared_ptr<http::HttpTransport>()> transportFactory;
    Clock* clock = nullptr;        // request times and back-off sleeps; nullptr = systemClock()
};

// Throws Error(OptionRequired) when bucket, endpoint, region or the key pair is empty.
[[nodiscard]] std::unique_ptr<Storage> makeS3Storage(S3Options options);

}  // namespace pgark::storage
