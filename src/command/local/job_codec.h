// Pieces every file job shares on the wire: a StorageSpec as message fields, and the worker-side
// cache of storages opened from specs (a worker keeps its S3 connections and POSIX drivers
// across jobs; the specs themselves travel with every job, so the worker holds no other state).
// The cache is per process and not thread-safe: workers run one job at a time.
#pragma once

#include "protocol/message.h"
#include "storage/factory.h"

namespace pgark::command {

void addStorageSpec(protocol::Message& message, const storage::StorageSpec& spec);
storage::StorageSpec readStorageSpec(protocol::MessageReader& reader);

// The storage for `spec`, opened on first use and kept for the life of the process.
storage::Storage& workerStorage(const storage::StorageSpec& spec);

}  // namespace pgark::command
