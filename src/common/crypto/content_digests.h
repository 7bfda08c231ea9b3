// ContentDigests: the size and MD5 (base64) of a request body, as an S3 upload carries them
// (Content-MD5; the payload itself goes unsigned over verified TLS, see s3_client.cpp):
// contentDigests() of a body in memory, and BackgroundContentDigester of one given in pieces, on a
// thread of its own, so that a caller producing a body piece by piece (archive-push compressing a
// segment) has it hashed while it works instead of after, when the request is waiting for it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/io/stream.h"

namespace pgark::crypto {

struct ContentDigests {
    std::uint64_t size = 0;
    std::string md5Base64;  // 24 characters
};

// The digests of a body given in pieces, taken on a thread of its own while the caller goes on.
// update() only queues a piece: its bytes must stay valid and unchanged until wait() or finish()
// has returned. One owner thread.
class BackgroundContentDigester {
public:
    BackgroundContentDigester();
    ~BackgroundContentDigester();  // waits for the piece being hashed; drops the rest
    BackgroundContentDigester(const BackgroundContentDigester&) = delete;
    BackgroundContentDigester& operator=(const BackgroundContentDigester&) = delete;
    void update(io::ByteView data);
    // Returns once every piece given so far is hashed: their bytes may then change.
    void wait();
    // The digests of every piece given; the digester may not be updated afterwards.
    ContentDigests finish();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// The digests of `data` in one go.
ContentDigests contentDigests(io::ByteView data);

}  // namespace pgark::crypto
