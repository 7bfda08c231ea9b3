// backup.info reconstruction. See reconstruct.h. First every listed backup without
// backup.manifest goes (with its dependents, newest first), then unlisted directories with a
// manifest come back in label order, so a set whose full backup was re-added can bring its
// dependents along.
#include "command/expire/reconstruct.h"

#include <algorithm>

#include "command/expire/retention.h"
#include "common/log.h"
#include "info/manifest.h"

namespace pgark::command::expire {

bool reconstructBackupInfo(storage::Storage& repo, const std::string& stanza, info::BackupInfo& backupInfo) {
    const std::string backupDir = "backup/" + stanza;
    auto hasManifest = [&](const std::string& label) {
        return repo.info(backupDir + "/" + label + "/backup.manifest", storage::InfoLevel::Exists).has_value();
    };
    bool changed = false;

    for (const std::string& label : backupInfo.labels()) {
        if (!backupInfo.backup(label) || hasManifest(label)) continue;
        std::vector<std::string> gone = dependents(backupRefs(backupInfo), label);
        for (auto it = gone.rbegin(); it != gone.rend(); ++it) {
            log::warn("backup '{}' missing manifest removed from backup.info", *it);
            backupInfo.backupRemove(*it);
        }
        changed = true;
    }

    std::vector<std::string> onDisk;
    repo.list(backupDir, {.level = storage::InfoLevel::Basic}, [&](const storage::FileInfo& entry) {
        if (entry.type == storage::FileType::Path && info::backupLabelValid(entry.name)) onDisk.push_back(entry.name);
    });
    std::sort(onDisk.begin(), onDisk.end());
    for (const std::string& label : onDisk) {
        if (backupInfo.backup(label) || !hasManifest(label)) continue;
        const info::Manifest manifest =
            info::loadManifest(repo, info::manifestPath(stanza, label), backupInfo.cipherPass());
        const info::ManifestData& data = manifest.data();
        const bool knownCluster = std::any_of(backupInfo.history().begin(), backupInfo.history().end(),
                                              [&](const info::InfoPgData& pg) {
                                                  return pg.systemId == data.pg.systemId && pg.version == data.pg.version;
                                              });
        if (knownCluster && (!data.prior || backupInfo.backup(*data.prior))) {
            backupInfo.backupAdd(info::makeBackupEntry(manifest.summary()));
            log::warn("backup '{}' found in repository added to backup.info", label);
            changed = true;
        } else {
            log::warn("invalid backup '{}' cannot be added to current backups", data.label);
        }
    }
    return changed;
}

}  // namespace pgark::command::expire
