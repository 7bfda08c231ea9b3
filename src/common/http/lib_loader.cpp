// LibCurl / LibXml2 loaders: see lib_loader.h.
#include "common/http/lib_loader.h"

#include <dlfcn.h>

#include <mutex>
#include <string_view>

#include "common/error.h"

namespace pgark::http {
namespace {

// RTLD_LAZY: libcurl brings about 30 libraries (ssh, ldap, kerberos, ...) whose functions an S3
// request mostly never calls; binding them all up front cost 6-8 ms of each archive-push here,
// lazily 3.7-3.9 ms. The functions pgark calls are looked up below, so a missing one still fails
// at load with a clear error.
void* open(const char* file, std::string_view package) {
    void* handle = dlopen(file, RTLD_LAZY | RTLD_LOCAL);
    if (handle == nullptr) {
        throw Error(ErrorCode::FeatureNotSupported, fmt::format("unable to load {}: {}", file, dlerror()))
            .withHint(fmt::format("S3 repositories need it: install the Debian package {}", package));
    }
    return handle;  // stays open for the life of the process
}

void* symbol(void* handle, const char* file, const char* name) {
    void* found = dlsym(handle, name);
    if (found == nullptr) throwError(ErrorCode::FeatureNotSupported, "{} has no symbol '{}'", file, name);
    return found;
}

#define PGARK_LIB_RESOLVE(name) lib.name = reinterpret_cast<decltype(&::name)>(symbol(handle, file, #name));

LibCurl loadCurl() {
    constexpr const char* file = "libcurl.so.4";
    void* handle = open(file, "libcurl4");
    LibCurl lib;
    PGARK_LIBCURL_FUNCTIONS(PGARK_LIB_RESOLVE)
    return lib;
}

LibXml2 loadXml() {
    constexpr const char* file = "libxml2.so.2";
    void* handle = open(file, "libxml2");
    LibXml2 lib;
    PGARK_LIBXML2_FUNCTIONS(PGARK_LIB_RESOLVE)
    lib.xmlFree = static_cast<xmlFreeFunc*>(symbol(handle, file, "xmlFree"));
    return lib;
}

#undef PGARK_LIB_RESOLVE

}  // namespace

const LibCurl& libcurl() {
    static std::once_flag once;
    static LibCurl lib;
    std::call_once(once, [] { lib = loadCurl(); });
    return lib;
}

const LibXml2& libxml2() {
    static std::once_flag once;
    static LibXml2 lib;
    std::call_once(once, [] { lib = loadXml(); });
    return lib;
}

}  // namespace pgark::http
