// In-memory Storage. Each operation mirrors the system calls PosixStorage makes (open, rename,
// unlink, rmdir, mkdir, link, symlink) so that a test passing here behaves the same on disk.
#include "fake/mem_storage.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <ctime>

#include "common/error.h"
#include "storage/posix/posix_storage.h"
#include "storage/posix/storage_path.h"

namespace pgark::test {

using storage::FileInfo;
using storage::FileType;
using storage::InfoLevel;
using storage::joinPath;
using storage::normalizePath;
using storage::parentPath;

namespace {

std::string_view lastComponent(std::string_view normalized) noexcept {
    const std::size_t slash = normalized.rfind('/');
    return slash == std::string_view::npos ? normalized : normalized.substr(slash + 1);
}

std::string userNameOf(uid_t id) {
    std::vector<char> scratch(1024);
    passwd entry;
    passwd* result = nullptr;
    while (::getpwuid_r(id, &entry, scratch.data(), scratch.size(), &result) == ERANGE) scratch.resize(scratch.size() * 2);
    return result != nullptr ? std::string(result->pw_name) : std::string();
}

std::string groupNameOf(gid_t id) {
    std::vector<char> scratch(1024);
    group entry;
    group* result = nullptr;
    while (::getgrgid_r(id, &entry, scratch.data(), scratch.size(), &result) == ERANGE) scratch.resize(scratch.size() * 2);
    return result != nullptr ? std::string(result->gr_name) : std::string();
}

}  // namespace

class MemStorage::ReadStream final : public io::ReadStream {
public:
    ReadStream(std::shared_ptr<Inode> inode, std::uint64_t offset, std::optional<std::uint64_t> limit)
        : inode_(std::move(inode)), position_(offset), remaining_(limit) {}

    std::size_t read(io::MutableByteView out) override {
        const std::string& data = inode_->data;
        if (position_ >= data.size()) return 0;
        std::uint64_t n = std::min<std::uint64_t>(out.size(), data.size() - position_);
        if (remaining_) n = std::min(n, *remaining_);
        std::memcpy(out.data(), data.data() + position_, static_cast<std::size_t>(n));
        position_ += n;
        if (remaining_) *remaining_ -= n;
        return static_cast<std::size_t>(n);
    }

private:
    std::shared_ptr<Inode> inode_;  // shared: like an open descriptor, reading survives an unlink
    std::uint64_t position_;
    std::optional<std::uint64_t> remaining_;
};

class MemStorage::WriteStream final : public io::WriteStream {
public:
    WriteStream(MemStorage& storage, std::string writeKey, std::string finalKey, std::shared_ptr<Inode> inode,
                std::optional<std::int64_t> mtime)
        : storage_(storage), writeKey_(std::move(writeKey)), finalKey_(std::move(finalKey)), inode_(std::move(inode)),
          mtime_(mtime) {}
    ~WriteStream() override { abort(); }
    WriteStream(const WriteStream&) = delete;
    WriteStream& operator=(const WriteStream&) = delete;

    void write(io::ByteView data) override {
        if (ended_) throwError(ErrorCode::Assert, "write to file '{}' after commit or abort", storage_.describe(finalKey_));
        inode_->data.append(io::asText(data));
        inode_->mtime = storage_.now();
    }

    void commit() override {
        if (ended_) throwError(ErrorCode::Assert, "commit of file '{}' after commit or abort", storage_.describe(finalKey_));
        if (mtime_) inode_->mtime = *mtime_;
        if (writeKey_ != finalKey_) {
            // rename(2) of the temp file over the final name.
            auto& nodes = storage_.nodes_;
            const auto temp = nodes.find(writeKey_);
            const Node* parent = storage_.find(std::string(parentPath(finalKey_)));
            const auto existing = nodes.find(finalKey_);
            const char* problem = nullptr;
            if (temp == nodes.end())
                problem = "the temporary file is gone";
            else if (parent == nullptr || parent->type != FileType::Path)
                problem = "its path is gone";
            else if (existing != nodes.end() && existing->second.type == FileType::Path)
                problem = "a path has the name";
            if (problem != nullptr) {
                abort();
                throwError(ErrorCode::FileMove, "unable to move '{}' to '{}': {}", storage_.describe(writeKey_),
                           storage_.describe(finalKey_), problem);
            }
            Node moved = std::move(temp->second);
            nodes.erase(temp);
            nodes[finalKey_] = std::move(moved);
        }
        ended_ = true;
    }

    void abort() noexcept override {
        if (ended_) return;
        ended_ = true;
        // unlink(2) by name, as the POSIX driver does.
        const auto found = storage_.nodes_.find(writeKey_);
        if (found != storage_.nodes_.end() && found->second.type == FileType::File) storage_.nodes_.erase(found);
    }

private:
    MemStorage& storage_;
    std::string writeKey_;  // the temp name (atomic) or the final name
    std::string finalKey_;
    std::shared_ptr<Inode> inode_;  // written through even if the name is removed meanwhile, like a descriptor
    std::optional<std::int64_t> mtime_;
    bool ended_ = false;
};

MemStorage::MemStorage(MemOptions options)
    : options_(std::move(options)), userId_(::geteuid()), groupId_(::getegid()), user_(userNameOf(userId_)),
      group_(groupNameOf(groupId_)) {
    nodes_.emplace("", Node{FileType::Path, newInode(options_.pathMode), {}});
}

MemStorage::~MemStorage() = default;

bool MemStorage::has(storage::Feature feature) const noexcept {
    return (options_.features & static_cast<std::uint32_t>(feature)) != 0;
}

std::string MemStorage::describe(std::string_view path) const { return "mem:/" + normalizePath(path); }

std::int64_t MemStorage::now() const { return options_.now ? options_.now() : static_cast<std::int64_t>(std::time(nullptr)); }

std::shared_ptr<MemStorage::Inode> MemStorage::newInode(mode_t mode) const {
    auto inode = std::make_shared<Inode>();
    inode->mode = mode;
    inode->mtime = now();
    return inode;
}

const MemStorage::Node* MemStorage::find(const std::string& key) const {
    const auto found = nodes_.find(key);
    return found == nodes_.end() ? nullptr : &found->second;
}

bool MemStorage::hasChildren(const std::string& key) const {
    const std::string prefix = key.empty() ? std::string() : key + "/";
    auto it = nodes_.lower_bound(prefix);
    if (it != nodes_.end() && it->first.empty()) ++it;  // the root is not its own child
    return it != nodes_.end() && it->first.starts_with(prefix);
}

std::string MemStorage::resolve(const std::string& normalized, bool followLast, unsigned hops) const {
    if (normalized.empty()) return normalized;
    std::string current;
    std::size_t start = 0;
    for (;;) {
        const std::size_t end = normalized.find('/', start);
        const bool last = end == std::string::npos;
        std::string candidate = joinPath(current, normalized.substr(start, last ? std::string::npos : end - start));
        const Node* node = find(candidate);
        if (node != nullptr && node->type == FileType::Link && (!last || followLast)) {
            if (hops >= 40)
                throwError(ErrorCode::FileOpen, "too many levels of symbolic links in '{}'", describe(normalized));
            const std::string& destination = node->linkDestination;
            std::string target = destination.starts_with('/') ? destination : joinPath(current, destination);
            if (!last) target = joinPath(target, normalized.substr(end + 1));
            return resolve(normalizePath(target), followLast, hops + 1);
        }
        current = std::move(candidate);
        if (last) return current;
        start = end + 1;
    }
}

FileInfo MemStorage::fileInfo(std::string name, const Node& node, InfoLevel level) const {
    FileInfo result;
    result.name = std::move(name);
    result.type = node.type;
    if (level == InfoLevel::Exists) return result;
    if (node.type == FileType::File) result.size = node.inode->data.size();
    result.mtime = node.inode->mtime;
    if (level != InfoLevel::Detail) return result;
    result.mode = node.inode->mode;
    result.userId = userId_;
    result.groupId = groupId_;
    result.user = user_;
    result.group = group_;
    result.linkDestination = node.linkDestination;
    return result;
}

std::optional<FileInfo> MemStorage::info(std::string_view path, InfoLevel level) {
    const Node* node = find(resolve(normalizePath(path), false));
    if (node == nullptr) return std::nullopt;
    return fileInfo(std::string(path), *node, level);
}

void MemStorage::list(std::string_view path, const storage::ListOptions& options,
                      const std::function<void(const FileInfo&)>& onEntry) {
    const std::string key = resolve(normalizePath(path), true);
    const Node* node = find(key);
    if (node == nullptr || node->type != FileType::Path) {
        if (options.errorOnMissing) throwError(ErrorCode::PathMissing, "unable to list missing path '{}'", describe(path));
        return;
    }
    // Collected first: the callback may change the storage (remove what it is shown).
    std::vector<FileInfo> found;
    const std::string from = key.empty() ? std::string() : key + "/";
    for (auto it = nodes_.lower_bound(from); it != nodes_.end() && it->first.starts_with(from); ++it) {
        if (it->first == key) continue;
        std::string name = it->first.substr(from.size());
        if (!options.recurse && name.find('/') != std::string::npos) continue;
        if (!name.starts_with(options.prefix)) continue;
        found.push_back(fileInfo(std::move(name), it->second, options.level));
    }
    for (const FileInfo& entry : found) onEntry(entry);
}

std::unique_ptr<io::ReadStream> MemStorage::openRead(std::string_view path, const storage::ReadOptions& options) {
    const Node* node = find(resolve(normalizePath(path), true));
    if (node == nullptr) {
        if (options.ignoreMissing) return nullptr;
        throwError(ErrorCode::FileMissing, "unable to open missing file '{}' for read", describe(path));
    }
    if (node->type != FileType::File)
        throwError(ErrorCode::FileOpen, "unable to open file '{}' for read: it is not a file", describe(path));
    return std::make_unique<ReadStream>(node->inode, options.offset, options.limit);
}

std::unique_ptr<io::WriteStream> MemStorage::openWrite(std::string_view path, const storage::WriteOptions& options) {
    const std::string normalized = normalizePath(path);
    if (normalized.empty()) throwError(ErrorCode::FileOpen, "unable to open file '{}' for write: it is a path", describe(path));
    const std::string parentKey = resolve(std::string(parentPath(normalized)), true);
    const Node* parent = find(parentKey);
    if (parent == nullptr) {
        if (!options.createPath)
            throwError(ErrorCode::PathMissing, "unable to open file '{}' for write: its path is missing", describe(path));
        makePath(parentKey, options_.pathMode);
    } else if (parent->type != FileType::Path) {
        throwError(ErrorCode::FileOpen, "unable to open file '{}' for write: a parent is not a path", describe(path));
    }

    std::string finalKey = joinPath(parentKey, lastComponent(normalized));
    std::string writeKey = options.atomic ? finalKey + std::string(storage::kTempFileSuffix) : finalKey;
    if (!options.atomic) {
        // open(2) follows a symlink at the final name; rename(2) of an atomic write replaces it.
        writeKey = resolve(writeKey, true);
        finalKey = writeKey;
        const Node* targetParent = find(std::string(parentPath(writeKey)));
        if (targetParent == nullptr || targetParent->type != FileType::Path)
            throwError(ErrorCode::PathMissing, "unable to open file '{}' for write: its path is missing", describe(path));
    }

    const mode_t mode = options.mode.value_or(options_.fileMode);
    std::shared_ptr<Inode> inode;
    const auto existing = nodes_.find(writeKey);
    if (existing != nodes_.end()) {
        if (existing->second.type == FileType::Path)
            throwError(ErrorCode::FileOpen, "unable to open file '{}' for write: it is a path", describe(path));
        if (existing->second.type == FileType::File) {
            // O_TRUNC: the same inode, so hard links see the new contents too.
            inode = existing->second.inode;
            inode->data.clear();
            inode->mode = mode;
            inode->mtime = now();
        }
    }
    if (!inode) {
        inode = newInode(mode);
        nodes_[writeKey] = Node{FileType::File, inode, {}};
    }
    return std::make_unique<WriteStream>(*this, std::move(writeKey), std::move(finalKey), std::move(inode), options.mtime);
}

void MemStorage::remove(std::string_view path, const storage::RemoveOptions& options) {
    const std::string key = resolve(normalizePath(path), false);
    const Node* node = find(key);
    if (node == nullptr) {
        if (options.errorOnMissing) throwError(ErrorCode::FileMissing, "unable to remove missing file '{}'", describe(path));
        return;
    }
    if (node->type == FileType::Path)
        throwError(ErrorCode::FileRemove, "unable to remove file '{}': it is a path", describe(path));
    nodes_.erase(key);
}

void MemStorage::removePath(std::string_view path, const storage::RemoveOptions& options) {
    const std::string key = resolve(normalizePath(path), false);
    const Node* node = find(key);
    if (node == nullptr) {
        if (options.errorOnMissing) throwError(ErrorCode::PathMissing, "unable to remove missing path '{}'", describe(path));
        return;
    }
    if (node->type != FileType::Path)
        throwError(ErrorCode::PathRemove, "unable to remove path '{}': it is not a path", describe(path));
    if (!options.recurse && hasChildren(key))
        throwError(ErrorCode::PathRemove, "unable to remove path '{}': it is not empty", describe(path));
    const std::string from = key.empty() ? std::string() : key + "/";
    for (auto it = nodes_.lower_bound(from); it != nodes_.end() && it->first.starts_with(from);) {
        it = it->first.empty() ? std::next(it) : nodes_.erase(it);
    }
    // The root itself stays: it stands for the storage, which always exists in memory.
    if (!key.empty()) nodes_.erase(key);
}

void MemStorage::makePath(const std::string& key, mode_t mode) {
    if (key.empty()) return;
    if (const Node* node = find(key)) {
        if (node->type == FileType::Path) return;
        throwError(ErrorCode::PathCreate, "unable to create path '{}': a file has the name", describe(key));
    }
    makePath(std::string(parentPath(key)), options_.pathMode);
    nodes_.emplace(key, Node{FileType::Path, newInode(mode), {}});
}

void MemStorage::pathCreate(std::string_view path, std::optional<mode_t> mode) {
    if (!has(storage::Feature::Path)) return Storage::pathCreate(path, mode);
    makePath(resolve(normalizePath(path), true), mode.value_or(options_.pathMode));
}

void MemStorage::pathSync(std::string_view path) {
    if (!has(storage::Feature::PathSync)) return Storage::pathSync(path);
    const Node* node = find(resolve(normalizePath(path), true));
    if (node == nullptr) throwError(ErrorCode::PathMissing, "unable to open missing path '{}' for sync", describe(path));
    if (node->type != FileType::Path)
        throwError(ErrorCode::PathOpen, "unable to open path '{}' for sync: it is not a path", describe(path));
}

void MemStorage::linkCreate(std::string_view target, std::string_view linkPath, bool hard) {
    if (!has(hard ? storage::Feature::HardLink : storage::Feature::SymLink))
        return Storage::linkCreate(target, linkPath, hard);
    const std::string normalized = normalizePath(linkPath);
    const std::string parentKey = resolve(std::string(parentPath(normalized)), true);
    const Node* parent = find(parentKey);
    if (normalized.empty() || parent == nullptr || parent->type != FileType::Path)
        throwError(ErrorCode::FileOpen, "unable to create link '{}': its path is missing", describe(linkPath));
    const std::string key = joinPath(parentKey, lastComponent(normalized));
    if (find(key) != nullptr) throwError(ErrorCode::FileOpen, "unable to create link '{}': the name exists", describe(linkPath));

    if (hard) {
        const Node* original = find(resolve(normalizePath(target), false));
        if (original == nullptr || original->type == FileType::Path)
            throwError(ErrorCode::FileOpen, "unable to create hard link '{}' to '{}': no such file", describe(linkPath),
                       describe(target));
        const Node copy = *original;  // shares the inode
        nodes_[key] = copy;
        return;
    }
    const std::string destination(target);
    if (destination.empty() || destination.find('\0') != std::string::npos)
        throwError(ErrorCode::Assert, "invalid destination for link '{}'", describe(linkPath));
    nodes_[key] = Node{FileType::Link, newInode(0777), destination};
}

void MemStorage::move(std::string_view from, std::string_view to) {
    const std::string source = resolve(normalizePath(from), false);
    const Node* sourceNode = find(source);
    if (sourceNode == nullptr) throwError(ErrorCode::FileMissing, "unable to move missing file '{}'", describe(from));
    const std::string normalizedTo = normalizePath(to);
    const std::string destinationParent = resolve(std::string(parentPath(normalizedTo)), true);
    const std::string destination = joinPath(destinationParent, lastComponent(normalizedTo));
    if (source == destination) return;

    const auto refuse = [&](const char* why) {
        throwError(ErrorCode::FileMove, "unable to move '{}' to '{}': {}", describe(from), describe(to), why);
    };
    if (source.empty() || destination.empty()) refuse("the root cannot move");
    if (destination.starts_with(source + "/")) refuse("a path cannot move below itself");
    const Node* parent = find(destinationParent);
    if (parent == nullptr)
        makePath(destinationParent, options_.pathMode);
    else if (parent->type != FileType::Path)
        refuse("a parent is not a path");
    if (const Node* existing = find(destination)) {
        const bool sourceIsPath = sourceNode->type == FileType::Path;
        if (existing->type == FileType::Path && (!sourceIsPath || hasChildren(destination)))
            refuse("the destination is a path");
        if (existing->type != FileType::Path && sourceIsPath) refuse("the destination is not a path");
        nodes_.erase(destination);
    }

    // Rename the node and, for a path, everything below it.
    std::vector<std::pair<std::string, Node>> moved;
    const std::string below = source + "/";
    // The children are looked up from source + "/": "a.b" sorts between "a" and "a/c".
    const auto self = nodes_.find(source);
    moved.emplace_back(destination, std::move(self->second));
    nodes_.erase(self);
    for (auto it = nodes_.lower_bound(below); it != nodes_.end() && it->first.starts_with(below);) {
        moved.emplace_back(destination + it->first.substr(source.size()), std::move(it->second));
        it = nodes_.erase(it);
    }
    for (auto& [key, node] : moved) nodes_[key] = std::move(node);
}

std::vector<std::string> MemStorage::names() const {
    std::vector<std::string> result;
    for (const auto& [key, node] : nodes_)
        if (!key.empty()) result.push_back(key);
    return result;
}

}  // namespace pgark::test
