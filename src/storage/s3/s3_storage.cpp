// S3 storage driver. See s3_storage.h. Object keys: "<root without leading '/'>/<path>".
#include "storage/s3/s3_storage.h"

#include <algorithm>
#include <cstring>
#include <ctime>

#include "common/error.h"
#include "common/http/xml.h"
#include "storage/posix/storage_path.h"
#include "storage/s3/s3_auth.h"
#include "storage/s3/s3_client.h"
#include "storage/s3/s3_write.h"

namespace pgark::storage {
namespace {

using s3::S3Call;
using s3::S3Client;

// Bytes per ranged GET: the first range is small (most repository files are small, and a missing
// file should cost little), later ones double up to the cap, so a large file costs few requests
// while memory stays bounded by one range.
constexpr std::uint64_t kFirstRange = 4 * 1024 * 1024;
constexpr std::uint64_t kMaxRange = 16 * 1024 * 1024;
constexpr std::size_t kDeleteBatch = 1000;              // S3's limit of keys per DeleteObjects

// "2026-12-04T17:30:00.000Z" (ListObjects) -> seconds since the epoch; 0 if unparsable.
std::int64_t parseIsoTime(const std::string& text) {
    std::tm tm{};
    if (::strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm) == nullptr) return 0;
    return static_cast<std::int64_t>(::timegm(&tm));
}

// "Fri, 04 Dec 2026 17:30:00 GMT" (Last-Modified) -> seconds since the epoch; 0 if unparsable.
std::int64_t parseHttpTime(const std::string& text) {
    std::tm tm{};
    if (::strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S", &tm) == nullptr) return 0;
    return static_cast<std::int64_t>(::timegm(&tm));
}

// Reads an object as a run of ranged GETs, so memory stays bounded by one range and each range is
// retried on its own. The first range is fetched when the stream opens, to report a missing file.
class S3ReadStream final : public io::ReadStream {
public:
    S3ReadStream(std::shared_ptr<S3Client> client, std::string key, std::string name, std::uint64_t offset,
                 std::optional<std::uint64_t> limit)
        : client_(std::move(client)), key_(std::move(key)), name_(std::move(name)), next_(offset),
          end_(limit ? std::optional<std::uint64_t>(offset + *limit) : std::nullopt) {}

    // False when the object is missing.
    bool open() {
        if (end_ && *end_ == next_) {
            // Nothing to read; S3 cannot serve an empty range, so ask whether the object exists.
            const S3Call call{.method = "HEAD", .key = key_};
            const http::HttpResponse response = client_->send(call);
            if (response.status == 404) return false;
            if (response.status != 200) throw client_->failure(ErrorCode::FileOpen, what(), call, response);
            done_ = true;
            return true;
        }
        return fetch();
    }

    std::size_t read(io::MutableByteView out) override {
        while (position_ == chunk_.size()) {
            if (done_) return 0;
            if (!fetch()) throwError(ErrorCode::FileMissing, "file '{}' vanished while being read", name_);
        }
        const std::size_t n = std::min(out.size(), chunk_.size() - position_);
        std::memcpy(out.data(), chunk_.data() + position_, n);
        position_ += n;
        return n;
    }

private:
    std::string what() const { return fmt::format("unable to open file '{}' for read", name_); }

    bool fetch() {
        std::uint64_t last = next_ + rangeSize_ - 1;
        rangeSize_ = std::min(rangeSize_ * 2, kMaxRange);
        if (end_) last = std::min(last, *end_ - 1);
        const S3Call call{.method = "GET", .key = key_, .headers = {{"range", fmt::format("bytes={}-{}", next_, last)}}};
        http::HttpResponse response = client_->send(call);
        chunk_.clear();
        position_ = 0;
        if (response.status == 404) return false;
        if (response.status == 416) {
            // The range starts at or past the end (an empty object, or an offset beyond the size).
            done_ = true;
            return true;
        }
        if (response.status == 200) {
            // The server ignored the range and sent the whole object: cut the window out of it.
            chunk_ = std::move(response.body);
            const std::size_t from = static_cast<std::size_t>(std::min<std::uint64_t>(next_, chunk_.size()));
            std::size_t to = chunk_.size();
            if (end_) to = static_cast<std::size_t>(std::min<std::uint64_t>(*end_, to));
            chunk_ = chunk_.substr(from, to > from ? to - from : 0);
            done_ = true;
            return true;
        }
        if (response.status != 206) throw client_->failure(ErrorCode::FileRead, what(), call, response);
        chunk_ = std::move(response.body);
        // Content-Range: "bytes <first>-<last>/<total>"
        const std::string range = response.header("content-range");
        const std::size_t slash = range.rfind('/');
        std::uint64_t total = 0;
        if (slash != std::string::npos && range.compare(slash + 1, std::string::npos, "*") != 0)
            total = std::stoull(range.substr(slash + 1));
        next_ += chunk_.size();
        if (chunk_.empty() || next_ >= total || (end_ && next_ >= *end_)) done_ = true;
        return true;
    }

    std::shared_ptr<S3Client> client_;
    std::string key_;
    std::string name_;
    std::uint64_t next_;                  // object offset of the next range to fetch
    std::optional<std::uint64_t> end_;    // object offset to stop at (offset + limit)
    std::string chunk_;                   // the current range
    std::size_t position_ = 0;            // bytes of chunk_ already handed out
    bool done_ = false;                   // no range left to fetch
    std::uint64_t rangeSize_ = kFirstRange;  // bytes the next GET asks for
};

class S3Storage final : public Storage {
public:
    explicit S3Storage(S3Options options) {
        for (const auto& [value, name] : {std::pair{&options.bucket, "repo-s3-bucket"}, {&options.endpoint, "repo-s3-endpoint"},
                                          {&options.region, "repo-s3-region"}, {&options.accessKey, "repo-s3-key"},
                                          {&options.secretKey, "repo-s3-key-secret"}})
            if (value->empty()) throwError(ErrorCode::OptionRequired, "an S3 repository needs {}", name);
        rootKey_ = normalizePath(options.root);
        root_ = "/" + rootKey_;
        client_ = std::make_shared<S3Client>(std::move(options));
    }

    std::string_view type() const noexcept override { return "s3"; }
    bool has(Feature) const noexcept override { return false; }

    std::string describe(std::string_view path) const override {
        const std::string normalized = normalizePath(path);
        if (normalized.empty()) return root_;
        return root_ == "/" ? "/" + normalized : root_ + "/" + normalized;
    }

    std::optional<FileInfo> info(std::string_view path, InfoLevel) override {
        const std::string normalized = normalizePath(path);
        if (normalized.empty()) return std::nullopt;  // the root is no object
        const S3Call call{.method = "HEAD", .key = key(normalized)};
        const http::HttpResponse response = client_->send(call);
        if (response.status == 404) return std::nullopt;
        if (response.status != 200)
            throw client_->failure(ErrorCode::FileInfo, fmt::format("unable to get info for '{}'", describe(normalized)), call, response);
        FileInfo info;
        info.name = normalized;
        info.type = FileType::File;
        const std::string length = response.header("content-length");
        info.size = length.empty() ? 0 : std::stoull(length);
        info.mtime = parseHttpTime(response.header("last-modified"));
        return info;
    }

    void list(std::string_view path, const ListOptions& options,
              const std::function<void(const FileInfo&)>& onEntry) override {
        const std::string normalized = normalizePath(path);
        const std::string base = prefixOf(normalized);
        bool any = false;
        listKeys(base + options.prefix, !options.recurse, [&](const FileInfo& entry) {
            any = true;
            onEntry(entry);
        }, base.size());
        if (!any && options.errorOnMissing && !exists(base))
            throwError(ErrorCode::PathMissing, "unable to list missing path '{}'", describe(normalized));
    }

    std::unique_ptr<io::ReadStream> openRead(std::string_view path, const ReadOptions& options) override {
        const std::string normalized = normalizePath(path);
        auto stream = std::make_unique<S3ReadStream>(client_, key(normalized), describe(normalized), options.offset, options.limit);
        if (stream->open()) return stream;
        if (options.ignoreMissing) return nullptr;
        throwError(ErrorCode::FileMissing, "unable to open missing file '{}' for read", describe(normalized));
    }

    std::unique_ptr<io::WriteStream> openWrite(std::string_view path, const WriteOptions& options) override {
        const std::string normalized = normalizePath(path);
        if (normalized.empty()) throwError(ErrorCode::Assert, "unable to write the root of '{}' as a file", root_);
        return s3::makeS3WriteStream(client_, key(normalized), describe(normalized), options);
    }

    void remove(std::string_view path, const RemoveOptions& options) override {
        const std::string normalized = normalizePath(path);
        if (normalized.empty()) throwError(ErrorCode::Assert, "unable to remove the root of '{}' as a file", root_);
        // S3 deletes a missing key without complaint: ask first only when the caller cares.
        if (options.errorOnMissing && !info(normalized, InfoLevel::Exists))
            throwError(ErrorCode::FileMissing, "unable to remove missing file '{}'", describe(normalized));
        const S3Call call{.method = "DELETE", .key = key(normalized)};
        const http::HttpResponse response = client_->send(call);
        if (response.status != 204 && response.status != 200)
            throw client_->failure(ErrorCode::FileRemove, fmt::format("unable to remove file '{}'", describe(normalized)), call, response);
    }

    void removePath(std::string_view path, const RemoveOptions& options) override {
        const std::string normalized = normalizePath(path);
        const std::string base = prefixOf(normalized);
        if (!options.recurse) {
            // No directories to remove; a path exists only while keys are below it.
            if (options.errorOnMissing && !exists(base))
                throwError(ErrorCode::PathMissing, "unable to remove missing path '{}'", describe(normalized));
            return;
        }
        bool any = false;
        // List from the start after each batch: the deleted keys are gone, so this ends, and it
        // does not lean on continuation tokens staying valid while keys disappear.
        for (;;) {
            std::vector<std::string> keys;
            listPage(base, false, "", [&](const FileInfo& entry) { keys.push_back(base + entry.name); }, base.size(), nullptr);
            if (keys.empty()) break;
            any = true;
            for (std::size_t from = 0; from < keys.size(); from += kDeleteBatch)
                deleteBatch(normalized, std::vector<std::string>(keys.begin() + static_cast<std::ptrdiff_t>(from),
                                                                 keys.begin() + static_cast<std::ptrdiff_t>(std::min(keys.size(), from + kDeleteBatch))));
        }
        if (!any && options.errorOnMissing)
            throwError(ErrorCode::PathMissing, "unable to remove missing path '{}'", describe(normalized));
    }

    // Object stores have no directories: creating or syncing one has nothing to do.
    void pathCreate(std::string_view, std::optional<mode_t>) override {}
    void pathSync(std::string_view) override {}

private:
    std::string key(const std::string& normalized) const { return joinPath(rootKey_, normalized); }
    // The key prefix of everything below `normalized` ("" for a root at the bucket's top).
    std::string prefixOf(const std::string& normalized) const {
        const std::string k = key(normalized);
        return k.empty() ? k : k + "/";
    }

    bool exists(const std::string& prefix) {
        bool any = false;
        const S3Call call{.method = "GET", .key = "", .query = {{"list-type", "2"}, {"prefix", prefix}, {"max-keys", "1"}}};
        const http::HttpResponse response = client_->send(call);
        if (response.status != 200)
            throw client_->failure(ErrorCode::PathOpen, fmt::format("unable to list path '/{}'", prefix), call, response);
        const http::XmlDocument reply = http::XmlDocument::parse(response.body, "S3 list reply");
        any = reply.root().child("Contents").valid();
        return any;
    }

    // Every key below `prefix`, with names cut `strip` characters in (relative to the listed
    // path); with `delimited`, one level only and the common prefixes as Path entries.
    void listKeys(const std::string& prefix, bool delimited, const std::function<void(const FileInfo&)>& onEntry,
                  std::size_t strip) {
        std::string token;
        do {
            std::string next;
            listPage(prefix, delimited, token, onEntry, strip, &next);
            token = std::move(next);
        } while (!token.empty());
    }

    void listPage(const std::string& prefix, bool delimited, const std::string& token,
                  const std::function<void(const FileInfo&)>& onEntry, std::size_t strip, std::string* nextToken) {
        S3Call call{.method = "GET", .key = "", .query = {{"list-type", "2"}, {"prefix", prefix}}};
        if (delimited) call.query.emplace_back("delimiter", "/");
        if (!token.empty()) call.query.emplace_back("continuation-token", token);
        const http::HttpResponse response = client_->send(call);
        if (response.status != 200)
            throw client_->failure(ErrorCode::PathOpen, fmt::format("unable to list path '/{}'", prefix), call, response);
        const http::XmlDocument reply = http::XmlDocument::parse(response.body, "S3 list reply");
        const http::XmlNode root = reply.root();
        for (const http::XmlNode& contents : root.children("Contents")) {
            const std::string objectKey = contents.childText("Key");
            if (objectKey.size() <= strip) continue;
            FileInfo entry;
            entry.name = objectKey.substr(strip);
            entry.type = FileType::File;
            const std::string size = contents.childText("Size");
            entry.size = size.empty() ? 0 : std::stoull(size);
            entry.mtime = parseIsoTime(contents.childText("LastModified"));
            onEntry(entry);
        }
        for (const http::XmlNode& common : root.children("CommonPrefixes")) {
            std::string name = common.childText("Prefix");
            if (name.size() <= strip) continue;
            name = name.substr(strip);
            if (name.ends_with('/')) name.pop_back();
            if (name.empty()) continue;
            FileInfo entry;
            entry.name = std::move(name);
            entry.type = FileType::Path;
            onEntry(entry);
        }
        if (nextToken != nullptr)
            *nextToken = root.childText("IsTruncated") == "true" ? root.childText("NextContinuationToken") : "";
    }

    void deleteBatch(const std::string& normalized, const std::vector<std::string>& keys) {
        std::string body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Delete><Quiet>true</Quiet>";
        for (const std::string& k : keys) body += "<Object><Key>" + http::xmlEscape(k) + "</Key></Object>";
        body += "</Delete>";
        const S3Call call{.method = "POST", .key = "", .query = {{"delete", ""}}, .headers = {{"content-md5", s3::md5Base64(body)}}, .body = body};
        const http::HttpResponse response = client_->send(call);
        const std::string what = fmt::format("unable to remove path '{}'", describe(normalized));
        if (response.status != 200) throw client_->failure(ErrorCode::PathRemove, what, call, response);
        // Quiet mode lists only the keys that could not be deleted.
        const http::XmlDocument reply = http::XmlDocument::parse(response.body, "S3 delete reply");
        const http::XmlNode error = reply.root().child("Error");
        if (error.valid())
            throwError(ErrorCode::PathRemove, "{}: S3 could not delete '{}': {}: {}", what, error.childText("Key"),
                       error.childText("Code"), error.childText("Message"));
    }

    std::string rootKey_;   // repo-path without the leading '/': "pgbackrest", "" for the bucket's top
    std::string root_;      // "/" + rootKey_, for messages
    std::shared_ptr<S3Client> client_;
};

}  // namespace

std::unique_ptr<Storage> makeS3Storage(S3Options options) { return std::make_unique<S3Storage>(std::move(options)); }

}  // namespace pgark::storage
