// DecodedSource: a stored file's content, decrypted and decompressed straight into the caller's
// buffers: the decompressor writes into them itself, so no byte is copied between filters on the
// way (archive-get and restore read repository files this way). Single-threaded; owns the file.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

#include "common/compress/compress.h"
#include "common/io/buffer.h"
#include "common/io/filter.h"
#include "common/io/stream.h"

namespace pgark::io {

class DecodedSource {
public:
    // `cipherPass` "" = not encrypted; `inputSize`: bytes per read of the stored file.
    DecodedSource(std::unique_ptr<ReadStream> file, std::string_view cipherPass, compress::CompressType compressType,
                  std::size_t inputSize = 256 * 1024);
    // The decrypting reader refers to decrypt_ and the file: the object stays where it was made.
    DecodedSource(const DecodedSource&) = delete;
    DecodedSource& operator=(const DecodedSource&) = delete;

    // Appends to `out` until it is full or the content ends; false once it has ended and nothing
    // was appended. Throws Error for a corrupt, truncated or wrongly keyed file.
    bool fill(Buffer& out);

    // See Filter::contentChecksummed(); false for a file stored uncompressed.
    bool contentChecksummed() const noexcept { return decompress_ && decompress_->contentChecksummed(); }

private:
    FilterChain decrypt_;
    std::unique_ptr<ReadStream> file_;
    std::unique_ptr<ReadStream> source_;  // the file, or decrypt_ reading it
    std::unique_ptr<Filter> decompress_;  // null: stored uncompressed
    Buffer input_;                        // stored bytes read, consumed up to pos_
    std::size_t pos_ = 0;
    bool sourceEnded_ = false;
    bool ended_ = false;
};

}  // namespace pgark::io
