// Fault-injecting Storage wrapper.
#include "fake/fault_storage.h"

#include <algorithm>

namespace pgark::test {

namespace {

bool pathMatches(std::string_view pathContains, std::string_view path) {
    return pathContains.empty() || path.find(pathContains) != std::string_view::npos;
}

// Inner write streams of "crashed" writes. A crashed process runs no destructor, so these are
// never destroyed: destroying one would abort it and clean up what the crash must leave behind.
// Reachable from a static, so leak checkers do not report them.
std::vector<std::unique_ptr<io::WriteStream>>& graveyard() {
    static auto* streams = new std::vector<std::unique_ptr<io::WriteStream>>();
    return *streams;
}

}  // namespace

class FaultStorage::ReadStream final : public io::ReadStream {
public:
    ReadStream(FaultStorage& owner, std::unique_ptr<io::ReadStream> inner, std::string path)
        : owner_(owner), inner_(std::move(inner)), path_(std::move(path)) {
        for (const ReadFault& fault : owner_.readFaults_) {
            if (!pathMatches(fault.pathContains, path_)) continue;
            if (fault.maxBytes != 0) maxBytes_ = maxBytes_ == 0 ? fault.maxBytes : std::min(maxBytes_, fault.maxBytes);
            if (fault.flipOffset) flips_.emplace_back(*fault.flipOffset, fault.mask);
        }
    }

    std::size_t read(io::MutableByteView out) override {
        owner_.check(FaultOp::Read, path_);
        if (maxBytes_ != 0 && out.size() > maxBytes_) out = out.first(maxBytes_);
        const std::size_t n = inner_->read(out);
        for (const auto& [offset, mask] : flips_) {
            if (offset >= position_ && offset < position_ + n) out[static_cast<std::size_t>(offset - position_)] ^= mask;
        }
        position_ += n;
        return n;
    }

private:
    FaultStorage& owner_;
    std::unique_ptr<io::ReadStream> inner_;
    std::string path_;
    std::size_t maxBytes_ = 0;  // 0 = no limit
    std::vector<std::pair<std::uint64_t, std::byte>> flips_;
    std::uint64_t position_ = 0;  // bytes returned so far
};

class FaultStorage::WriteStream final : public io::WriteStream {
public:
    WriteStream(FaultStorage& owner, std::unique_ptr<io::WriteStream> inner, std::string path, bool crashOnCommit)
        : owner_(owner), inner_(std::move(inner)), path_(std::move(path)), crashOnCommit_(crashOnCommit) {}

    void write(io::ByteView data) override {
        if (!inner_) throwCrashed();
        owner_.check(FaultOp::Write, path_);
        inner_->write(data);
    }

    void commit() override {
        if (!inner_) throwCrashed();
        owner_.check(FaultOp::Commit, path_);
        if (crashOnCommit_) {
            bury();
            throwCrashed();
        }
        inner_->commit();
    }

    void abort() noexcept override {
        if (inner_) inner_->abort();
    }

    void bury() {
        if (inner_) graveyard().push_back(std::move(inner_));
    }

private:
    [[noreturn]] void throwCrashed() const {
        throwError(ErrorCode::Term, "simulated crash before commit of '{}'", path_);
    }

    FaultStorage& owner_;
    std::unique_ptr<io::WriteStream> inner_;  // null once crashed
    std::string path_;
    bool crashOnCommit_;
};

FaultStorage::FaultStorage(std::unique_ptr<storage::Storage> inner) : inner_(std::move(inner)) {}
FaultStorage::~FaultStorage() = default;

FaultStorage& FaultStorage::failCall(FaultOp op, Error error, FaultTrigger trigger) {
    if (trigger.nth == 0) throwError(ErrorCode::Assert, "fault trigger nth starts at 1");
    faults_.push_back({op, std::move(error), std::move(trigger)});
    return *this;
}

FaultStorage& FaultStorage::shortReads(std::size_t maxBytes, std::string pathContains) {
    if (maxBytes == 0) throwError(ErrorCode::Assert, "short reads need at least one byte per read");
    readFaults_.push_back({std::move(pathContains), maxBytes, std::nullopt, std::byte{0}});
    return *this;
}

FaultStorage& FaultStorage::flipByte(std::uint64_t offset, std::string pathContains, std::byte mask) {
    readFaults_.push_back({std::move(pathContains), 0, offset, mask});
    return *this;
}

FaultStorage& FaultStorage::crashBeforeCommit(std::string pathContains) {
    crashPaths_.push_back(std::move(pathContains));
    return *this;
}

void FaultStorage::crash(io::WriteStream& stream) {
    auto* faultStream = dynamic_cast<WriteStream*>(&stream);
    if (faultStream == nullptr) throwError(ErrorCode::Assert, "crash() needs a stream opened through a FaultStorage");
    faultStream->bury();
}

void FaultStorage::clearFaults() noexcept {
    faults_.clear();
    readFaults_.clear();
    crashPaths_.clear();
}

unsigned FaultStorage::calls(FaultOp op) const noexcept { return calls_[static_cast<std::size_t>(op)]; }

void FaultStorage::check(FaultOp op, std::string_view path, std::string_view otherPath) {
    ++calls_[static_cast<std::size_t>(op)];
    for (ArmedFault& fault : faults_) {
        if (fault.op != op) continue;
        if (!pathMatches(fault.trigger.pathContains, path) &&
            (otherPath.empty() || !pathMatches(fault.trigger.pathContains, otherPath)))
            continue;
        ++fault.seen;
        if (fault.seen == fault.trigger.nth || (fault.trigger.repeat && fault.seen > fault.trigger.nth))
            throw Error(fault.error);
    }
}

std::optional<storage::FileInfo> FaultStorage::info(std::string_view path, storage::InfoLevel level) {
    check(FaultOp::Info, path);
    return inner_->info(path, level);
}

void FaultStorage::list(std::string_view path, const storage::ListOptions& options,
                        const std::function<void(const storage::FileInfo&)>& onEntry) {
    check(FaultOp::List, path);
    inner_->list(path, options, onEntry);
}

std::unique_ptr<io::ReadStream> FaultStorage::openRead(std::string_view path, const storage::ReadOptions& options) {
    check(FaultOp::OpenRead, path);
    auto stream = inner_->openRead(path, options);
    if (!stream) return nullptr;
    return std::make_unique<ReadStream>(*this, std::move(stream), std::string(path));
}

std::unique_ptr<io::WriteStream> FaultStorage::openWrite(std::string_view path, const storage::WriteOptions& options) {
    check(FaultOp::OpenWrite, path);
    const bool crashOnCommit = std::any_of(crashPaths_.begin(), crashPaths_.end(),
                                           [&](const std::string& contains) { return pathMatches(contains, path); });
    return std::make_unique<WriteStream>(*this, inner_->openWrite(path, options), std::string(path), crashOnCommit);
}

void FaultStorage::remove(std::string_view path, const storage::RemoveOptions& options) {
    check(FaultOp::Remove, path);
    inner_->remove(path, options);
}

void FaultStorage::removePath(std::string_view path, const storage::RemoveOptions& options) {
    check(FaultOp::RemovePath, path);
    inner_->removePath(path, options);
}

void FaultStorage::pathCreate(std::string_view path, std::optional<mode_t> mode) {
    check(FaultOp::PathCreate, path);
    inner_->pathCreate(path, mode);
}

void FaultStorage::pathSync(std::string_view path) {
    check(FaultOp::PathSync, path);
    inner_->pathSync(path);
}

void FaultStorage::linkCreate(std::string_view target, std::string_view linkPath, bool hard) {
    check(FaultOp::LinkCreate, linkPath);
    inner_->linkCreate(target, linkPath, hard);
}

void FaultStorage::move(std::string_view from, std::string_view to) {
    check(FaultOp::Move, from, to);
    inner_->move(from, to);
}

}  // namespace pgark::test
