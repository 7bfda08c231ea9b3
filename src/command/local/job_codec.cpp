// StorageSpec codec and the worker's storage cache. See job_codec.h.
#include "command/local/job_codec.h"

#include <map>
#include <memory>

namespace pgark::command {

void addStorageSpec(protocol::Message& message, const storage::StorageSpec& spec) {
    message.addString(spec.type).addU64(spec.fields.size());
    for (const auto& [name, value] : spec.fields) message.addString(name).addString(value);
}

storage::StorageSpec readStorageSpec(protocol::MessageReader& reader) {
    storage::StorageSpec spec;
    spec.type = reader.readString();
    const std::uint64_t count = reader.readU64();
    for (std::uint64_t i = 0; i < count; ++i) {
        std::string name = reader.readString();
        spec.fields[std::move(name)] = reader.readString();
    }
    return spec;
}

storage::Storage& workerStorage(const storage::StorageSpec& spec) {
    // Keyed by the whole spec: a changed field (another path, another key) opens another storage.
    // One cache per thread: a `pgark local` process serves its jobs on one thread, but the unit
    // tests run workers as threads of one process (InProcessChannel), and a shared map written by
    // two of them at once was corrupted (a storage freed while in use: a crash, 1 run in ~10).
    static thread_local std::map<std::pair<std::string, std::map<std::string, std::string>>, std::unique_ptr<storage::Storage>> cache;
    auto& slot = cache[{spec.type, spec.fields}];
    if (!slot) slot = storage::makeStorage(spec);
    return *slot;
}

}  // namespace pgark::command
