# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Copy files out of a mounted Azure Backup recovery point (the azbackup.restore.restore_files role).

Runs on the host that mounted the point, with python3 only. Reads one JSON object on stdin:
  listing   the output of Azure's file recovery script (its table of volumes and mount paths)
  volume    the volume to copy from: its number in that table, or its label / mount folder name
  paths     files, folders or glob patterns relative to the volume
  dest      the folder to copy them to (created when missing); their relative paths are kept
  check     true: resolve and check everything, copy nothing
and prints one JSON object: changed, failed, msg, volume, copied [{path, dest, type, size, mode, checksum}].

Every path is resolved inside the volume and the destination before anything is copied: absolute
paths, '..' and symbolic links that lead out of the volume (or out of the destination) are refused,
naming the path. Files keep their mode and times, and their owner when run as root.
"""

import glob
import hashlib
import json
import os
import re
import shutil
import stat
import sys

ROW = re.compile(r"^\s*(\d+)\)\s*\|")


class Refused(Exception):
    pass


def parse_volumes(listing):
    """[{number, label, mount_path}] from the script's volume table."""
    out = []
    for line in (listing or "").splitlines():
        if not ROW.match(line):
            continue
        fields = [f.strip() for f in line.split("|")]
        out.append({"number": int(fields[0].rstrip(")").strip()), "mount_path": fields[-1],
                    "label": fields[3] if len(fields) >= 5 else ""})
    return out


def choose_volume(volumes, wanted):
    wanted = str(wanted).strip()
    for vol in volumes:
        names = (vol["label"].lower(), os.path.basename(vol["mount_path"].rstrip("/")).lower())
        if (wanted.isdigit() and vol["number"] == int(wanted)) or wanted.lower() in names:
            return vol
    raise Refused("restore_files_volume: no volume %s among the volumes the recovery point's script mounted (%s)"
                  % (wanted, ", ".join("%d %s %s" % (v["number"], v["label"] or "-", v["mount_path"])
                                       for v in volumes) or "the script listed none"))


def inside(path, root):
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def check_pattern(pattern):
    if not isinstance(pattern, str) or not pattern.strip():
        raise Refused("restore_files_paths: %r is not a path" % (pattern,))
    if pattern.startswith("/") or pattern.startswith("\\") or re.match(r"^[A-Za-z]:", pattern):
        raise Refused("restore_files_paths: %s is absolute; give paths relative to the volume" % pattern)
    if ".." in re.split(r"[/\\]+", pattern):
        raise Refused("restore_files_paths: %s leaves the volume ('..' is not allowed)" % pattern)


def check_link(path, root, rel):
    target = os.path.realpath(path)
    if not inside(target, root):
        raise Refused("restore_files_paths: %s is a symbolic link in the recovery point that leads out of the "
                      "volume (to %s); refusing to copy it" % (rel, os.readlink(path) if os.path.islink(path)
                                                               else target))


def expand(pattern, root):
    """The entries (paths relative to root) a pattern names, each checked, folders walked."""
    check_pattern(pattern)
    matches = sorted(glob.glob(os.path.join(root, pattern)))
    if not matches and not glob.has_magic(pattern) and os.path.lexists(os.path.join(root, pattern)):
        matches = [os.path.join(root, pattern)]
    if not matches:
        raise Refused("restore_files_paths: %s does not exist in the volume mounted at %s" % (pattern, root))
    out = []
    for match in matches:
        rel = os.path.relpath(match, root)
        check_link(os.path.dirname(match), root, os.path.dirname(rel) or ".")
        check_link(match, root, rel)
        out.append(rel)
        if os.path.isdir(match) and not os.path.islink(match):
            for dirpath, dirnames, filenames in os.walk(match):
                for name in sorted(dirnames) + sorted(filenames):
                    full = os.path.join(dirpath, name)
                    sub = os.path.relpath(full, root)
                    check_link(full, root, sub)
                    out.append(sub)
    return out


def sha1(path):
    digest = hashlib.sha1()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_dest(dest, rel):
    target = os.path.join(dest, rel)
    parent = os.path.realpath(os.path.dirname(target))
    if not inside(parent, dest):
        raise Refused("restore_files_dest: %s would be written outside %s (a symbolic link in the destination "
                      "leads to %s)" % (rel, dest, parent))
    if os.path.islink(target) and not inside(os.path.realpath(target), dest):
        raise Refused("restore_files_dest: %s is a symbolic link that leads out of %s" % (target, dest))
    return target


def own(src_stat, target, follow=True):
    if os.geteuid() == 0:
        if follow:
            os.chown(target, src_stat.st_uid, src_stat.st_gid)
        else:
            os.lchown(target, src_stat.st_uid, src_stat.st_gid)


def copy_entry(src, target, root, dest):
    """Copy one entry; (kind, changed)."""
    st = os.lstat(src)
    if stat.S_ISLNK(st.st_mode):
        link = os.readlink(src)
        if os.path.isabs(link):
            link = os.path.join(dest, os.path.relpath(os.path.realpath(src), root))
        same = os.path.islink(target) and os.readlink(target) == link
        if not same:
            if os.path.lexists(target):
                os.unlink(target)
            os.symlink(link, target)
            own(st, target, follow=False)
        return "link", not same
    if stat.S_ISDIR(st.st_mode):
        existed = os.path.isdir(target)
        os.makedirs(target, exist_ok=True)
        changed = not existed or stat.S_IMODE(os.stat(target).st_mode) != stat.S_IMODE(st.st_mode)
        shutil.copystat(src, target)
        own(st, target)
        return "directory", changed
    changed = not os.path.isfile(target) or sha1(target) != sha1(src) or \
        stat.S_IMODE(os.stat(target).st_mode) != stat.S_IMODE(st.st_mode)
    if changed:
        if os.path.islink(target):
            os.unlink(target)
        shutil.copy2(src, target)
    own(st, target)
    return "file", changed


def describe(src, target, rel, kind):
    st = os.lstat(src)
    entry = {"path": rel, "dest": target, "type": kind, "size": st.st_size if kind == "file" else 0,
             "mode": "%04o" % stat.S_IMODE(st.st_mode), "checksum": sha1(src) if kind == "file" else None}
    return entry


def plan(request):
    volume = choose_volume(parse_volumes(request.get("listing")), request.get("volume", "1"))
    root = os.path.realpath(volume["mount_path"])
    if not os.path.isdir(root):
        raise Refused("the volume %d is listed at %s, which is not a folder on this host" % (volume["number"], root))
    dest = os.path.realpath(request["dest"])
    if inside(dest, root) or inside(root, dest):
        raise Refused("restore_files_dest: %s and the mounted volume %s must not contain each other" % (dest, root))
    entries = []
    for pattern in request.get("paths") or []:
        for rel in expand(pattern, root):
            if rel not in entries:
                entries.append(rel)
    return volume, root, dest, [(rel, os.path.join(root, rel), check_dest(dest, rel)) for rel in entries]


def run(request):
    volume, root, dest, entries = plan(request)
    copied, changed = [], False
    for rel, src, target in entries:
        kind = "link" if os.path.islink(src) else "directory" if os.path.isdir(src) else "file"
        if not request.get("check"):
            os.makedirs(os.path.dirname(target), exist_ok=True)
            kind, did = copy_entry(src, target, root, dest)
            changed = changed or did
        copied.append(describe(src, target, rel, kind))
    return {"changed": changed if not request.get("check") else bool(copied), "failed": False,
            "msg": "%d entries from volume %d (%s) to %s" % (len(copied), volume["number"], volume["label"] or "-",
                                                             dest),
            "volume": volume, "dest": dest, "copied": copied}


def main():
    try:
        result = run(json.load(sys.stdin))
    except Refused as e:
        result = {"changed": False, "failed": True, "msg": str(e), "copied": []}
    except (OSError, ValueError, KeyError) as e:
        result = {"changed": False, "failed": True, "msg": "copying the recovered files failed: %s" % e,
                  "copied": []}
    sys.stdout.write(json.dumps(result) + "\n")
    return 1 if result["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
