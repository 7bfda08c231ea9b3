// S3 write stream: single PUT or multipart upload. See s3_write.h.
#include "storage/s3/s3_write.h"

#include <algorithm>
#include <array>
#include <mutex>
#include <optional>
#include <vector>

#include "common/http/xml.h"
#include "common/log.h"
#include "common/serial_worker.h"
#include "storage/s3/s3_auth.h"

namespace pgark::storage::s3 {
namespace {

// An object whose size the caller knows up front (a WAL segment compressed in memory) and that is
// at most this big goes up in one PUT whatever the chunk size: one request instead of starting an
// upload, sending parts and completing it, and the server writes the object once (completing an
// upload makes it copy the parts). The slack covers a hint taken before encryption (at most 32
// bytes more); a hint that is still short only means parts of the hinted size.
constexpr std::uint64_t kOnePutMax = 64 * 1024 * 1024;
constexpr std::size_t kHintSlack = 64 * 1024;

// A multipart upload sends each full part from a thread of its own while the caller fills the next
// one: the part's MD5 (Content-MD5; and its SHA-256 for the signature when TLS is not verified,
// s3_client.cpp), its transfer and the server's work on it overlap the compression of what follows. Two parts are in flight at most,
// each on its own connection: one part's round trip (the server stores it before it answers) then
// no longer holds back the file, which made the largest file of a backup its tail. Memory stays at
// three parts. The upload is started before the first part is handed over, and completed, or
// aborted, only after the last part has ended.
constexpr std::size_t kPartsInFlight = 2;

class S3WriteStream final : public io::WriteStream {
public:
    S3WriteStream(std::shared_ptr<S3Client> client, std::string key, std::string name, const WriteOptions& options)
        : client_(std::move(client)), key_(std::move(key)), name_(std::move(name)),
          chunkSize_(std::max<std::size_t>(client_->options().uploadChunkSize, 1)), digests_(options.digests),
          writesStayValid_(options.writesStayValid) {
        if (options.sizeHint && *options.sizeHint <= kOnePutMax) {
            chunkSize_ = std::max<std::size_t>(chunkSize_, static_cast<std::size_t>(*options.sizeHint) + kHintSlack);
            // The size is known: no doubling of the buffer on the way (none at all for a file
            // that comes in one write the caller keeps valid).
            if (!writesStayValid_) buffer_.reserve(chunkSize_);
        }
    }
    ~S3WriteStream() override { abort(); }
    S3WriteStream(const S3WriteStream&) = delete;
    S3WriteStream& operator=(const S3WriteStream&) = delete;

    void write(io::ByteView data) override {
        if (ended_) throwError(ErrorCode::Assert, "write to file '{}' after commit or abort", name_);
        try {
            // A whole file of at most one chunk in the caller's memory, kept valid until the end:
            // sent from there. Anything written after it is copied, and so is it first.
            if (writesStayValid_ && parts_ == 0 && buffer_.empty() && borrowed_.empty() && data.size() <= chunkSize_) {
                borrowed_ = data;
                return;
            }
            if (!borrowed_.empty()) {
                buffer_.reserve(std::min(chunkSize_, borrowed_.size() + data.size()));
                buffer_.append(reinterpret_cast<const char*>(borrowed_.data()), borrowed_.size());
                borrowed_ = {};
            }
            while (!data.empty()) {
                // Grown as data comes: a small file never holds a whole chunk of memory.
                const std::size_t n = std::min(data.size(), chunkSize_ - buffer_.size());
                buffer_.append(reinterpret_cast<const char*>(data.data()), n);
                data = data.subspan(n);
                // A full chunk goes up only once more data follows: a file of exactly one chunk
                // is still a single PUT.
                if (buffer_.size() == chunkSize_ && !data.empty()) uploadPart();
            }
        } catch (...) {
            failed_ = true;
            abort();
            throw;
        }
    }

    void commit() override {
        if (failed_) throwError(ErrorCode::FileWrite, "unable to commit file '{}' after a failed write", name_);
        if (ended_) throwError(ErrorCode::Assert, "commit of file '{}' after commit or abort", name_);
        try {
            if (parts_ == 0) {
                const std::string_view body =
                    borrowed_.empty() ? std::string_view(buffer_)
                                      : std::string_view(reinterpret_cast<const char*>(borrowed_.data()), borrowed_.size());
                // The caller's digests, when they are of what was written (its size, at least).
                const bool known = digests_ && digests_->size == body.size();
                S3Call call{.method = "PUT",
                            .key = key_,
                            .headers = {{"content-md5", known ? digests_->md5Base64 : md5Base64(body)}},
                            .body = body};
                addEncryption(call);
                const http::HttpResponse response = client_->send(call);
                if (response.status != 200) throw client_->failure(ErrorCode::FileWrite, fmt::format("unable to write file '{}'", name_), call, response);
            } else {
                if (!buffer_.empty()) uploadPart();
                for (SerialWorker& uploader : *uploaders_) uploader.finish();
                complete();
            }
        } catch (...) {
            abort();
            throw;
        }
        ended_ = true;
        buffer_ = std::string();
        borrowed_ = {};
    }

    void abort() noexcept override {
        if (ended_) return;
        ended_ = true;
        if (uploaders_) {
            // Let the parts in flight end first: they could otherwise land after the abort.
            for (SerialWorker& uploader : *uploaders_) {
                try {
                    uploader.finish();
                } catch (...) {
                    // The failure was (or is being) reported by write() or commit().
                }
            }
        }
        buffer_ = std::string();
        borrowed_ = {};
        inFlight_ = {};
        if (uploadId_.empty()) return;
        // Best effort: an upload left behind is invisible (no object appears) and a bucket
        // lifecycle rule can reap it; the failure that led here is what the caller must see.
        try {
            const S3Call call{.method = "DELETE", .key = key_, .query = {{"uploadId", uploadId_}}};
            const http::HttpResponse response = client_->send(call);
            if (response.status == 405 || response.status == 501)
                log::detail("the S3 server cannot abort the upload of file '{}' (HTTP {}); its parts stay unlisted",
                            name_, response.status);
            else if (response.status != 204 && response.status != 200 && response.status != 404)
                log::warn("{}", client_->failure(ErrorCode::FileWrite, fmt::format("unable to abort upload of file '{}'", name_), call, response).message());
        } catch (const std::exception& error) {
            log::warn("unable to abort upload of file '{}': {}", name_, error.what());
        }
        uploadId_.clear();
    }

private:
    // SSE-KMS is asked for when an object is created: on the PUT or when a multipart upload starts.
    void addEncryption(S3Call& call) const {
        const std::string& kmsKeyId = client_->options().kmsKeyId;
        if (kmsKeyId.empty()) return;
        call.headers["x-amz-server-side-encryption"] = "aws:kms";
        call.headers["x-amz-server-side-encryption-aws-kms-key-id"] = kmsKeyId;
    }

    void start() {
        S3Call call{.method = "POST", .key = key_, .query = {{"uploads", ""}}};
        addEncryption(call);
        const http::HttpResponse response = client_->send(call);
        if (response.status != 200)
            throw client_->failure(ErrorCode::FileWrite, fmt::format("unable to start upload of file '{}'", name_), call, response);
        uploadId_ = http::XmlDocument::parse(response.body, "S3 upload reply").root().childText("UploadId");
        if (uploadId_.empty()) throwError(ErrorCode::Format, "S3 started an upload of file '{}' without an upload id", name_);
    }

    // Hands the full buffer to an uploader thread and goes on with an empty one, once the part
    // that used that slot before is up. Rethrows that part's failure.
    void uploadPart() {
        if (!uploaders_) {
            start();
            uploaders_.emplace();
        }
        const std::size_t slot = parts_ % kPartsInFlight;
        SerialWorker& uploader = (*uploaders_)[slot];
        uploader.waitFor(lastTicket_[slot]);
        std::swap(buffer_, inFlight_[slot]);
        buffer_.clear();
        const std::size_t number = ++parts_;
        const std::string& body = inFlight_[slot];
        lastTicket_[slot] = uploader.submit([this, number, &body] { sendPart(number, body); });
    }

    // On an uploader thread; the caller touches neither `body` nor the upload id meanwhile.
    void sendPart(std::size_t partNumber, const std::string& body) {
        const std::string number = std::to_string(partNumber);
        const S3Call call{.method = "PUT",
                          .key = key_,
                          .query = {{"partNumber", number}, {"uploadId", uploadId_}},
                          .headers = {{"content-md5", md5Base64(body)}},
                          .body = body};
        const http::HttpResponse response = client_->send(call);
        if (response.status != 200)
            throw client_->failure(ErrorCode::FileWrite, fmt::format("unable to upload part {} of file '{}'", number, name_), call, response);
        const std::string etag = response.header("etag");
        if (etag.empty()) throwError(ErrorCode::Format, "S3 returned no ETag for part {} of file '{}'", number, name_);
        const std::lock_guard lock(etagsMutex_);
        if (etags_.size() < partNumber) etags_.resize(partNumber);
        etags_[partNumber - 1] = etag;
    }

    void complete() {
        std::string body = "<CompleteMultipartUpload>";
        for (std::size_t i = 0; i < etags_.size(); ++i)
            body += fmt::format("<Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>", i + 1, http::xmlEscape(etags_[i]));
        body += "</CompleteMultipartUpload>";
        const S3Call call{.method = "POST", .key = key_, .query = {{"uploadId", uploadId_}}, .body = body};
        const http::HttpResponse response = client_->send(call);
        // S3 may answer 200 and still report an error in the body (the reply streams while it works).
        bool failed = response.status != 200;
        if (!failed) failed = http::XmlDocument::parse(response.body, "S3 completion reply").root().name() == "Error";
        if (failed)
            throw client_->failure(ErrorCode::FileWrite, fmt::format("unable to complete upload of file '{}'", name_), call, response);
        uploadId_.clear();
    }

    std::shared_ptr<S3Client> client_;
    std::string key_;
    std::string name_;
    std::size_t chunkSize_;
    std::optional<crypto::ContentDigests> digests_;  // of the whole file, from the caller (WriteOptions)
    bool writesStayValid_;             // from WriteOptions
    io::ByteView borrowed_;            // the file's only write so far, in the caller's memory (writesStayValid_)
    std::string buffer_;               // the part being filled
    std::array<std::string, kPartsInFlight> inFlight_;       // parts in flight (or sent), by slot
    std::array<std::uint64_t, kPartsInFlight> lastTicket_{};  // each slot's last part, as its uploader's ticket
    std::size_t parts_ = 0;            // parts handed to the uploaders; 0: commit() is a single PUT
    std::string uploadId_;             // "" until a multipart upload starts
    std::mutex etagsMutex_;
    std::vector<std::string> etags_;   // by part number - 1, set by the uploaders
    bool ended_ = false;
    bool failed_ = false;              // a write failed: the upload is gone and commit must fail
    // Last: stopped before the buffers they use go away. Slot i's parts go to uploader i.
    std::optional<std::array<SerialWorker, kPartsInFlight>> uploaders_;
};

}  // namespace

std::unique_ptr<io::WriteStream> makeS3WriteStream(std::shared_ptr<S3Client> client, std::string key, std::string name,
                                                   const WriteOptions& options) {
    return std::make_unique<S3WriteStream>(std::move(client), std::move(key), std::move(name), options);
}

}  // namespace pgark::storage::s3
