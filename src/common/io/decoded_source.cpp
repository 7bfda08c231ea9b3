// DecodedSource: see decoded_source.h.
#include "common/io/decoded_source.h"

#include "common/crypto/cipher.h"
#include "common/error.h"

namespace pgark::io {

DecodedSource::DecodedSource(std::unique_ptr<ReadStream> file, std::string_view cipherPass,
                             compress::CompressType compressType, std::size_t inputSize)
    : file_(std::move(file)), input_(inputSize) {
    if (!cipherPass.empty())
        decrypt_.add(crypto::makeCipherFilter(crypto::CipherMode::Decrypt, std::string(cipherPass)));
    source_ = decrypt_.empty() ? std::move(file_) : decrypt_.reader(*file_);
    if (compressType != compress::CompressType::None) decompress_ = compress::makeDecompressFilter(compressType);
}

bool DecodedSource::fill(Buffer& out) {
    const std::size_t start = out.size();
    while (!ended_ && !out.full()) {
        if (!decompress_) {
            const std::size_t n = source_->read(out.tail());
            if (n == 0) ended_ = true;
            out.grow(n);
            continue;
        }
        if (pos_ == input_.size() && !sourceEnded_) {
            input_.clear();
            pos_ = 0;
            const std::size_t n = source_->read(input_.tail());
            input_.grow(n);
            sourceEnded_ = n == 0;
        }
        if (pos_ == input_.size() && decompress_->flushed()) {  // implies sourceEnded_
            ended_ = true;
            break;
        }
        // An empty input after the source ended asks the filter to finish (and to refuse a
        // truncated stream).
        const std::size_t before = out.size();
        const std::size_t consumed = decompress_->process(input_.view().subspan(pos_), out);
        if (consumed == 0 && out.size() == before && !out.full() && !(pos_ == input_.size() && decompress_->flushed()))
            throwError(ErrorCode::Assert, "filter '{}' made no progress", filterTypeName(decompress_->type()));
        pos_ += consumed;
    }
    return !ended_ || out.size() != start;
}

}  // namespace pgark::io
