// LibCurl and LibXml2: the functions of libcurl and libxml2, loaded with dlopen() the first time
// a command talks to S3. archive_command and restore_command start pgark once per WAL segment and
// most repositories are local: linking libcurl (and through it GnuTLS, Kerberos, LDAP, ICU ...)
// into every start cost about 5 ms of each archive-push and archive-get. Loaded once per process,
// then read-only: safe from any thread. Same pattern as db/libpq_loader.h.
#pragma once

// Calls go through function pointers: curl's type-checking macros would rewrite them.
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

namespace pgark::http {

struct LibCurl {
#define PGARK_LIBCURL_FUNCTIONS(X)                                                                        \
    X(curl_global_init) X(curl_share_init) X(curl_share_setopt) X(curl_easy_init) X(curl_easy_cleanup)    \
    X(curl_easy_reset) X(curl_easy_setopt) X(curl_easy_perform) X(curl_easy_getinfo) X(curl_easy_strerror) \
    X(curl_slist_append) X(curl_slist_free_all)
#define PGARK_LIB_POINTER(name) decltype(&::name) name = nullptr;
    PGARK_LIBCURL_FUNCTIONS(PGARK_LIB_POINTER)
};

struct LibXml2 {
#define PGARK_LIBXML2_FUNCTIONS(X) X(xmlReadMemory) X(xmlDocGetRootElement) X(xmlFreeDoc) X(xmlNodeGetContent)
    PGARK_LIBXML2_FUNCTIONS(PGARK_LIB_POINTER)
#undef PGARK_LIB_POINTER
    xmlFreeFunc* xmlFree = nullptr;  // libxml2 exports xmlFree as a variable holding the function
};

// The loaded libraries; throw Error(FeatureNotSupported) with a hint when a library or one of its
// functions cannot be loaded.
const LibCurl& libcurl();
const LibXml2& libxml2();

}  // namespace pgark::http
