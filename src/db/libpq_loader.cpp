// LibPq loader: see libpq_loader.h.
#include "db/libpq_loader.h"

#include <dlfcn.h>

#include <mutex>

#include "common/error.h"

namespace pgark::db {
namespace {

LibPq load() {
    void* handle = dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
        throw Error(ErrorCode::DbConnect, fmt::format("unable to load libpq: {}", dlerror()))
            .withHint("install the PostgreSQL client library (Debian package libpq5)");
    }
    LibPq lib;
#define PGARK_LIBPQ_RESOLVE(name)                                                                      \
    lib.name = reinterpret_cast<decltype(&::name)>(dlsym(handle, #name));                              \
    if (lib.name == nullptr) throwError(ErrorCode::DbConnect, "libpq has no function '{}'", #name);
    PGARK_LIBPQ_FUNCTIONS(PGARK_LIBPQ_RESOLVE)
#undef PGARK_LIBPQ_RESOLVE
    return lib;  // the handle stays open for the life of the process
}

}  // namespace

const LibPq& libpq() {
    static std::once_flag once;
    static LibPq lib;
    std::call_once(once, [] { lib = load(); });
    return lib;
}

}  // namespace pgark::db
