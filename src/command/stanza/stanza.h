// stanza-create, stanza-upgrade and stanza-delete on a set of repositories (spec §13.1, §2.7).
// The config glue (stanza_command.cpp) reads pg_control and the options; these functions only
// need the facts, so they are tested on in-memory repositories too.
#pragma once

#include <span>
#include <string>

#include "command/repo.h"
#include "info/info_pg.h"
#include "postgres/pg_control.h"

namespace pgark::command::stanza {

// Creates archive.info and backup.info (and their copies) in every repository that has neither;
// validates and repairs (a missing main file or copy) a repository that has both. Throws
// Error(PathNotEmpty) when a new stanza's directories hold files, Error(FileMissing) when only one of
// the two info files exists, Error(FileInvalid) when the existing stanza belongs to another cluster.
void stanzaCreate(std::span<Repo> repos, const std::string& stanza, const postgres::PgControl& control);

// After a major version upgrade (or a new system id): adds a history entry to both info files in
// every repository. A repository already current is left alone. Throws Error(FileMissing) when the
// stanza does not exist.
void stanzaUpgrade(std::span<Repo> repos, const std::string& stanza, const postgres::PgControl& control);

// Removes archive/<stanza> and backup/<stanza> from every repository. The caller checks that the
// stanza is stopped and PostgreSQL is not running.
void stanzaDelete(std::span<Repo> repos, const std::string& stanza);

// The local cluster must be the one the stanza's current history entry describes. Throws
// Error(ArchiveMismatch) naming both, with a hint about stanza-upgrade.
void checkCluster(const info::InfoPgData& current, const postgres::PgControl& control, const Repo& repo);

// Loads both info files of one repository and checks they describe the same cluster history and
// that the current entry matches `control`; returns the archive id WAL goes to ("15-1"). Throws
// Error(FileInvalid) or Error(ArchiveMismatch).
std::string stanzaCheck(Repo& repo, const std::string& stanza, const postgres::PgControl& control);

}  // namespace pgark::command::stanza
