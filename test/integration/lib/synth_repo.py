#!/usr/bin/env python3
"""Writes a synthetic pgBackRest 2.45 repository for expire tests: archive.info and backup.info
(with their .copy twins and real checksums, spec 2.4), one directory per backup holding an empty
backup.manifest (+ .copy: expire only checks that it exists), history manifests, WAL segment
names (contents are never read by expire) and stray label directories. Usage:

    synth_repo.py REPO_DIR STANZA SPEC.json

SPEC: {"history": [[id, "15", system_id], ...]          ascending id, the last is current
       "backups": [[label, db_id, archive_start|null, archive_stop|null, timestamp_stop], ...]
                                                           (timestamp_stop <= 0: that many seconds ago)
       "wal": {"15-1": ["000000010000000000000001", "00000002.history", ...], ...}
       "history_manifests": [label, ...],                  backup.history/<YYYY>/<label>.manifest.gz
       "stray": {label: ["backup.manifest.copy", ...]}}    directories not in backup.info
The type and prior of each backup come from its label (F, D, I; the prior is the previous backup
of the same set that the type allows).

    synth_repo.py --age INFO_FILE SECONDS LABEL...

moves backup-timestamp-start/-stop of LABELs SECONDS into the past in an existing backup.info
(and rewrites its checksum), so time-based retention can be tested on fresh backups.

    synth_repo.py --drop INFO_FILE LABEL...

removes LABELs from an existing backup.info (a backup.info that lost track of backups)."""
import hashlib
import json
import os
import sys
import time


def render_info(sections):
    """sections: list of (name, [(key, value_text)]); returns the file text with its checksum."""
    h = hashlib.sha1()
    h.update(b"{")
    first = True
    for name, pairs in sections:
        if not first:
            h.update(b"},")
        h.update(('"' + name + '":{').encode())
        first = False
        for i, (key, value) in enumerate(pairs):
            if i:
                h.update(b",")
            h.update((json.dumps(key) + ":" + value).encode())
    h.update(b"}}")
    out = []
    for name, pairs in sections:
        out.append("[" + name + "]")
        out.extend(k + "=" + v for k, v in pairs)
        out.append("")
    out.append("[backrest]")
    out.append('backrest-checksum="' + h.hexdigest() + '"')
    return "\n".join(out) + "\n"


def dump(value):
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def write(path, text):
    """Replaces `path` (a new inode: the file may be hard-linked into another copy)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


def backup_type(label):
    return {"F": "full", "D": "diff", "I": "incr"}[label[-1]]


def age(path, seconds, labels, drop=False):
    """Ages (or with `drop` removes) the backup.info entries of `labels`."""
    sections = []
    for line in open(path).read().split("\n"):
        if line.startswith("[") and line.endswith("]"):
            sections.append((line[1:-1], []))
        elif "=" in line:
            key, value = line.split("=", 1)
            if sections[-1][0] == "backup:current" and key in labels and drop:
                continue
            if sections[-1][0] == "backup:current" and key in labels:
                entry = json.loads(value)
                for name in ("backup-timestamp-start", "backup-timestamp-stop"):
                    entry[name] -= seconds
                value = dump(entry)
            sections[-1][1].append((key, value))
    sections = [s for s in sections if not (s[0] == "backrest" and s[1][0][0] == "backrest-checksum")]
    write(path, render_info(sections))


def main():
    if sys.argv[1] == "--age":
        return age(sys.argv[2], int(sys.argv[3]), sys.argv[4:])
    if sys.argv[1] == "--drop":
        return age(sys.argv[2], 0, sys.argv[3:], drop=True)
    repo, stanza, spec_path = sys.argv[1:4]
    spec = json.load(open(spec_path))
    history = spec["history"]
    cur = history[-1]
    header = ("backrest", [("backrest-format", "5"), ('backrest-version', '"2.45"')])

    archive = [header,
               ("db", [("db-id", str(cur[0])), ("db-system-id", str(cur[2])), ("db-version", dump(cur[1]))]),
               ("db:history", [(str(i), dump({"db-id": s, "db-version": v})) for i, v, s in history])]
    text = render_info(archive)
    for name in ("archive.info", "archive.info.copy"):
        write(f"{repo}/archive/{stanza}/{name}", text)

    current = []
    labels = []
    now = int(time.time())
    for label, db_id, start, stop, ts_stop in spec["backups"]:
        if ts_stop <= 0:
            ts_stop += now
        kind = backup_type(label)
        entry = {"backrest-format": 5, "backrest-version": "2.45", "backup-archive-start": start,
                 "backup-archive-stop": stop, "backup-error": False, "backup-info-repo-size": 100,
                 "backup-info-repo-size-delta": 100, "backup-info-size": 1000, "backup-info-size-delta": 1000,
                 "backup-timestamp-start": ts_stop - 10, "backup-timestamp-stop": ts_stop, "backup-type": kind,
                 "db-id": db_id, "option-archive-check": True, "option-archive-copy": False,
                 "option-backup-standby": False, "option-checksum-page": True, "option-compress": True,
                 "option-hardlink": False, "option-online": start is not None}
        if kind != "full":
            full = label.split("_")[0]
            if kind == "diff":
                prior = full
            else:
                prior = [x for x in labels if x.startswith(full)][-1]
            refs = sorted(x for x in labels if x.startswith(full) and (x == full or x <= prior)
                          and (backup_type(x) != "incr" or kind == "incr"))
            entry["backup-prior"] = prior
            entry["backup-reference"] = refs
        labels.append(label)
        current.append((label, dump(entry)))
        for name in ("backup.manifest", "backup.manifest.copy"):
            write(f"{repo}/backup/{stanza}/{label}/{name}", "")
    backup = [header]
    if current:
        backup.append(("backup:current", current))
    backup.append(("db", [("db-catalog-version", "202209061"), ("db-control-version", "1300"),
                          ("db-id", str(cur[0])), ("db-system-id", str(cur[2])), ("db-version", dump(cur[1]))]))
    backup.append(("db:history", [(str(i), dump({"db-catalog-version": 202209061, "db-control-version": 1300,
                                                  "db-system-id": s, "db-version": v})) for i, v, s in history]))
    text = render_info(backup)
    for name in ("backup.info", "backup.info.copy"):
        write(f"{repo}/backup/{stanza}/{name}", text)

    for archive_id, names in spec.get("wal", {}).items():
        for name in names:
            if name.endswith(".history"):
                write(f"{repo}/archive/{stanza}/{archive_id}/{name}", "h")
            elif len(name) == 24:
                write(f"{repo}/archive/{stanza}/{archive_id}/{name[:16]}/{name}-{'0' * 40}.gz", "w")
            else:
                write(f"{repo}/archive/{stanza}/{archive_id}/{name[:16]}/{name}", "b")
    for label in spec.get("history_manifests", []):
        write(f"{repo}/backup/{stanza}/backup.history/{label[:4]}/{label}.manifest.gz", "m")
    for label, files in spec.get("stray", {}).items():
        os.makedirs(f"{repo}/backup/{stanza}/{label}", exist_ok=True)
        for name in files:
            write(f"{repo}/backup/{stanza}/{label}/{name}", "")


if __name__ == "__main__":
    main()
