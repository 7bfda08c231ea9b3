// The S3 write stream: buffers up to the upload chunk size, sends small objects with one PUT and
// larger ones as a multipart upload (started when the first chunk fills, completed on commit,
// aborted on abort(), on destruction without commit and on any failure), so no partial object
// ever becomes visible under its key. Internal to storage/s3.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "common/io/stream.h"
#include "common/crypto/content_digests.h"
#include "storage/s3/s3_client.h"
#include "storage/storage.h"

namespace pgark::storage::s3 {

// `key` is the object key, `name` the path for messages (Storage::describe).
// From WriteOptions: `sizeHint` (the object's size when the caller knows it up front), `digests`
// (those of the whole object, when the caller has them) and `writesStayValid`.
std::unique_ptr<io::WriteStream> makeS3WriteStream(std::shared_ptr<S3Client> client, std::string key, std::string name,
                                                   const WriteOptions& options = {});

}  // namespace pgark::storage::s3
