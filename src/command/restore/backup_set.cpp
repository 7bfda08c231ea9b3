// Backup set selection. See backup_set.h.
#include "command/restore/backup_set.h"

#include <ctime>
#include <fmt/format.h>
#include <regex>

#include "common/error.h"
#include "common/log.h"
#include "postgres/wal.h"

namespace pgark::command::restore {
namespace {

std::optional<std::string> lsnStop(const pgark::info::BackupEntry& entry) {
    const pgark::info::json::Value* value = entry.find("backup-lsn-stop");
    if (value == nullptr || !value->isString()) return std::nullopt;
    return value->asString();
}

}  // namespace

std::optional<std::int64_t> parseTargetTime(std::string_view text) {
    static const std::regex kTime(
        R"(^([0-9]{4})-([0-9]{2})-([0-9]{2}) ([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?(([+-])([0-9]{2})(:?([0-9]{2}))?)?$)");
    std::cmatch match;
    if (!std::regex_match(text.begin(), text.end(), match, kTime)) return std::nullopt;
    std::tm parts{};
    parts.tm_year = std::stoi(match[1]) - 1900;
    parts.tm_mon = std::stoi(match[2]) - 1;
    parts.tm_mday = std::stoi(match[3]);
    parts.tm_hour = std::stoi(match[4]);
    parts.tm_min = std::stoi(match[5]);
    parts.tm_sec = std::stoi(match[6]);
    if (parts.tm_mon > 11 || parts.tm_mday < 1 || parts.tm_mday > 31 || parts.tm_hour > 23 || parts.tm_min > 59 ||
        parts.tm_sec > 60)
        return std::nullopt;
    if (!match[8].matched) {
        parts.tm_isdst = -1;
        return static_cast<std::int64_t>(std::mktime(&parts));
    }
    const int hours = std::stoi(match[10]);
    const int minutes = match[12].matched ? std::stoi(match[12]) : 0;
    const std::int64_t offset = (hours * 3600 + minutes * 60) * (match[9] == "-" ? -1 : 1);
    return static_cast<std::int64_t>(::timegm(&parts)) - offset;
}

BackupSetChoice chooseBackupSet(const std::vector<RepoBackups>& repos, const BackupSetRequest& request) {
    if (request.set != "latest") {
        for (std::size_t i = 0; i < repos.size(); i++)
            if (repos[i].info && repos[i].info->backup(request.set)) return {i, request.set};
        throw Error(ErrorCode::BackupSetInvalid, fmt::format("backup set {} is not valid", request.set))
            .withHint("run the info command to list the backups, or leave out --set to restore the latest");
    }

    if (request.type == "time" && request.target) {
        const std::optional<std::int64_t> target = parseTargetTime(*request.target);
        if (!target)
            throw Error(ErrorCode::Format,
                        fmt::format("automatic backup set selection cannot be performed with provided time '{}'",
                                    *request.target))
                .withHint("time format must be YYYY-MM-DD HH:MM:SS with optional fraction and optional time zone "
                          "(+/- HH or HHMM or HH:MM) - if the time zone is omitted, local time is assumed (for UTC "
                          "use +00)");
        for (std::size_t i = 0; i < repos.size(); i++) {
            if (!repos[i].info) continue;
            const auto& backups = repos[i].info->backups();
            for (auto entry = backups.rbegin(); entry != backups.rend(); ++entry)
                if (entry->timestampStop() < *target) return {i, entry->label()};
        }
        // Nothing ends before the target: the latest backup is restored, as pgBackRest does, but
        // PostgreSQL will refuse to stop recovery before that backup's end, so say so now rather
        // than leave the DBA to find out from the server log after the restore.
        log::warn("unable to find backup set with stop time less than '{}', latest backup set will be used; "
                  "recovery cannot stop before the end of that backup, so if it is later than the target PostgreSQL "
                  "will refuse to start: choose a later --target or a repository with an older backup",
                  *request.target);
    } else if (request.type == "lsn" && request.target) {
        const postgres::Lsn target = postgres::lsnFromString(*request.target);
        for (std::size_t i = 0; i < repos.size(); i++) {
            if (!repos[i].info) continue;
            const auto& backups = repos[i].info->backups();
            for (auto entry = backups.rbegin(); entry != backups.rend(); ++entry) {
                const std::optional<std::string> stop = lsnStop(*entry);
                if (stop && postgres::lsnFromString(*stop) <= target) return {i, entry->label()};
            }
        }
        throw Error(ErrorCode::BackupSetInvalid,
                    fmt::format("unable to find backup set with stop lsn less than or equal to '{}'", *request.target))
            .withHint("choose a later --target, or a backup with --set");
    }

    for (std::size_t i = 0; i < repos.size(); i++) {
        if (!repos[i].info || repos[i].info->backups().empty()) continue;
        const pgark::info::BackupInfo& info = *repos[i].info;
        const pgark::info::BackupEntry& latest = info.backups().back();
        if (latest.dbId() != info.current().id)
            throw Error(ErrorCode::BackupSetInvalid,
                        fmt::format("the latest backup set found '{}' is from a prior version of PostgreSQL",
                                    latest.label()))
                .withHint("use --set to restore it, or take a backup of the current cluster first");
        return {i, latest.label()};
    }
    throw Error(ErrorCode::BackupSetInvalid, "no backup set found to restore")
        .withHint("take a backup first, or check --repo and the stanza name");
}

}  // namespace pgark::command::restore
