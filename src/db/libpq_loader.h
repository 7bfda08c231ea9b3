// LibPq: libpq's functions, loaded with dlopen() the first time a command connects to PostgreSQL.
// archive_command and restore_command start pgark once per WAL segment and never connect; linking
// libpq (and through it LDAP, Kerberos and GnuTLS) into every start would cost them several
// milliseconds each. Loaded once per process, then read-only: safe from any thread.
#pragma once

#include <libpq-fe.h>

namespace pgark::db {

struct LibPq {
#define PGARK_LIBPQ_FUNCTIONS(X)                                                                            \
    X(PQcancel) X(PQclear) X(PQconnectdbParams) X(PQconsumeInput) X(PQerrorMessage) X(PQfinish) X(PQfname) \
    X(PQfreeCancel) X(PQgetCancel) X(PQgetResult) X(PQgetisnull) X(PQgetlength) X(PQgetvalue) X(PQisBusy)   \
    X(PQnfields) X(PQntuples) X(PQresultErrorMessage) X(PQresultStatus) X(PQsendQuery)                      \
    X(PQsendQueryParams) X(PQsetNoticeProcessor) X(PQsocket) X(PQstatus)
#define PGARK_LIBPQ_POINTER(name) decltype(&::name) name = nullptr;
    PGARK_LIBPQ_FUNCTIONS(PGARK_LIBPQ_POINTER)
#undef PGARK_LIBPQ_POINTER
};

// The loaded library; throws Error(DbConnect) with a hint when libpq.so.5 or one of its functions
// cannot be loaded.
const LibPq& libpq();

}  // namespace pgark::db
