# Microsoft Azure VM Backup - File Recovery (emulated).
#
# The client script the Azure Backup emulator hands out for a file recovery session. It behaves like
# Azure's Linux script where a caller can see it: it asks for the password on its standard input (or
# takes TargetPassword), refuses a wrong one, "mounts" the volumes of one recovery point under a
# folder named after the VM and the time in the current directory, prints the volume list, waits
# for 'q', and removes its mount paths when run with -clean. It never touches iSCSI or block
# devices: the volumes are plain folders written from the tree below.
# AZBACKUP_EMULATOR_ILR_BASE, when set, replaces the current directory.

import base64
import hashlib
import json
import os
import shutil
import sys
import time

TargetPassword = "__TARGET_PASSWORD__"  # handed out as TargetPassword="...", Azure's spelling
SESSION = "__SESSION__"

MARKER = ".azbackup-emulator-ilr.json"


def config():
    return json.loads(base64.b64decode(SESSION).decode("utf-8"))


def base_dir():
    return os.environ.get("AZBACKUP_EMULATOR_ILR_BASE") or os.getcwd()


def mount_roots(cfg):
    base = base_dir()
    out = []
    for name in sorted(os.listdir(base)) if os.path.isdir(base) else []:
        marker = os.path.join(base, name, MARKER)
        try:
            with open(marker) as f:
                info = json.load(f)
        except (OSError, ValueError):
            continue
        if info.get("recovery_point") == cfg["recovery_point"] and info.get("vm") == cfg["vm"]:
            out.append(os.path.join(base, name))
    return out


def write_volume(root, volume):
    os.makedirs(root)
    for rel in volume.get("folders") or []:
        os.makedirs(os.path.join(root, rel), exist_ok=True)
    for rel, entry in sorted((volume.get("files") or {}).items()):
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(base64.b64decode(entry["content"]))
        os.chmod(path, int(entry.get("mode") or "0644", 8))
    for rel, target in sorted((volume.get("links") or {}).items()):
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        os.symlink(target, path)


def mount(cfg):
    stamp = time.strftime("%Y%m%d%H%M%S")
    root = os.path.join(base_dir(), "%s-%s" % (cfg["vm"], stamp))
    n = 1
    while os.path.exists(root):
        n += 1
        root = os.path.join(base_dir(), "%s-%s-%d" % (cfg["vm"], stamp, n))
    os.makedirs(root)
    with open(os.path.join(root, MARKER), "w") as f:
        json.dump({"vm": cfg["vm"], "recovery_point": cfg["recovery_point"]}, f)
    rows = []
    for i, volume in enumerate(cfg["volumes"], 1):
        path = os.path.join(root, "Volume%d" % i)
        write_volume(path, volume)
        disk = "/dev/sd%s" % chr(ord("c") + i - 1)
        rows.append("%d)  | %s  |  %s1  |  %s  |  %s" % (i, disk, disk, volume.get("label") or "", path))
    return rows


def clean(cfg):
    roots = mount_roots(cfg)
    for root in roots:
        shutil.rmtree(root)
    print("Removed the mount paths of the recovery point from this machine: %s"
          % (", ".join(roots) or "none were left"))
    return 0


def ask_password():
    if TargetPassword != "UserInput012345":
        return TargetPassword
    sys.stdout.write("Please enter the password as shown on the portal to securely connect to the recovery point. : ")
    sys.stdout.flush()
    return sys.stdin.readline().strip()


def main(argv):
    cfg = config()
    if any(a.lstrip("-").lower() == "clean" for a in argv[1:]):
        return clean(cfg)
    print("Microsoft Azure VM Backup - File Recovery")
    print("______________________________________________")
    password = ask_password()
    print("")
    if hashlib.sha256(password.encode("utf-8")).hexdigest() != cfg["password_sha256"]:
        print("Unable to connect to the recovery point: the password entered is not correct. Enter the password "
              "shown on the portal when the script was downloaded.")
        return 1
    if time.time() > cfg["expires_at"]:
        print("Unable to connect to the recovery point: the file recovery session has expired. Download a new "
              "script.")
        return 1
    print("Connecting to recovery point using ISCSI service...")
    print("")
    print("Connection succeeded!")
    print("")
    print("Please wait while we attach volumes of the recovery point to this machine...")
    rows = mount(cfg)
    print("")
    print("************ Volumes of the recovery point and their mount paths on this machine ************")
    print("")
    print("Sr.No.  |  Disk  |  Volume  |  Label  |  MountPath ")
    print("")
    for row in rows:
        print(row)
    print("")
    print("************ Open File Explorer to browse for files. ************")
    print("")
    print("After recovery, remove the disks and close the connection to the recovery point by clicking the "
          "'Unmount Disks' button from the portal or by using the relevant unmount command in case of powershell "
          "or CLI.")
    print("")
    print("After unmounting disks, run the script with the parameter 'clean' to remove the mount paths of the "
          "recovery point from this machine.")
    print("")
    print("Please enter 'q/Q' to exit...")
    sys.stdout.flush()
    sys.stdin.readline()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
