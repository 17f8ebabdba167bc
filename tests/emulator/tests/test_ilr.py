"""Item-level (file) recovery: provision / revoke, the session flag, expiry, and the client script."""

import base64
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.emulator

PASSWORD_OFFSET, PASSWORD_LENGTH = 33, 15


def provision(api, vm, rp, **props):
    body = {"properties": dict({"objectType": "IaasVMILRRegistrationRequest", "recoveryPointId": rp,
                                "virtualMachineId": api.vm_id(vm), "renewExistingRegistration": False}, **props)}
    return api.post(api.item(vm) + "/recoveryPoints/%s/provisionInstantItemRecovery" % rp, json=body)


def session_flag(api, vm, rp):
    return api.get(api.item(vm) + "/recoveryPoints/" + rp).json()["properties"]["isInstantIlrSessionActive"]


def open_session(api, vm="vm-web-01", index=0):
    rp = api.rps(vm)[index]["name"]
    r = provision(api, vm, rp)
    assert r.status_code == 202 and r.content == b"", r.text
    status = api.s.get(r.headers["Azure-AsyncOperation"]).json()
    assert status["status"] == "Succeeded"
    return rp, status["properties"]["recoveryTarget"]["clientScripts"], r


def split(suffix):
    start = suffix.rfind("_") + PASSWORD_OFFSET
    return suffix[:start] + suffix[start + PASSWORD_LENGTH:], suffix[start:start + PASSWORD_LENGTH]


def write_script(tmp_path, script):
    name, password = split(script["scriptNameSuffix"])
    path = tmp_path / (name + script["scriptExtension"])
    content = base64.b64decode(script["scriptContent"]).decode("utf-8")
    path.write_text(content.replace('TargetPassword="%s"' % password, 'TargetPassword="UserInput012345"'))
    return path, password


def run_script(path, base, stdin, *args):
    env = dict(os.environ, AZBACKUP_EMULATOR_ILR_BASE=str(base))
    return subprocess.run([sys.executable, str(path)] + list(args), input=stdin, capture_output=True, text=True,
                          check=False, env=env, timeout=60)


def volumes(stdout):
    rows = [line.split("|") for line in stdout.splitlines() if line[:1].isdigit() and ")" in line.split("|")[0]]
    return {r[3].strip(): r[-1].strip() for r in rows}


def test_provision_follows_azure_shapes_and_sets_the_session_flag(api, emu):
    rp = api.rps("vm-web-01")[0]["name"]
    assert session_flag(api, "vm-web-01", rp) is False
    rp, scripts, r = open_session(api)
    item_url = emu.endpoint + api.item("vm-web-01", encoded=False)
    assert r.headers["Azure-AsyncOperation"].startswith(item_url + "/operationsStatus/")
    assert api.s.get(r.headers["Location"]).status_code == 204
    (script,) = scripts
    assert (script["osType"], script["scriptExtension"]) == ("Linux", ".py")
    name, password = split(script["scriptNameSuffix"])
    assert len(password) == 15 and password.isalnum() and name.startswith("vm-web-01_")
    assert session_flag(api, "vm-web-01", rp) is True
    (session,) = emu.control.state()["ilr_sessions"]
    assert (session["vm_name"], session["recovery_point"], session["renewed"]) == ("vm-web-01", rp, False)


def test_revoke_clears_the_flag_and_sessions_expire_on_the_clock(api, emu):
    rp, _scripts, _r = open_session(api)
    r = api.post(api.item("vm-web-01") + "/recoveryPoints/%s/revokeInstantItemRecovery" % rp)
    assert r.status_code == 202 and "Azure-AsyncOperation" in r.headers
    assert api.s.get(r.headers["Azure-AsyncOperation"]).json()["status"] == "Succeeded"
    assert session_flag(api, "vm-web-01", rp) is False
    open_session(api)
    emu.control.advance(12 * 3600 + 1)
    assert session_flag(api, "vm-web-01", rp) is False


@pytest.mark.invalid_traffic
def test_bad_requests_are_refused(api):
    rps = api.rps("vm-web-01")
    rp = rps[0]["name"]
    r = provision(api, "vm-web-01", rp, objectType="IaasVMRestoreRequest")
    assert r.status_code == 400 and r.json()["error"]["code"] == "BMSUserErrorInvalidInput"
    r = provision(api, "vm-web-01", rp, virtualMachineId=api.vm_id("vm-db-01"))
    assert r.status_code == 400 and "virtualMachineId" in r.json()["error"]["message"]
    archived = [p["name"] for p in rps
                if [t["type"] for t in p["properties"]["recoveryPointTierDetails"]] == ["ArchivedRP"]]
    r = provision(api, "vm-web-01", archived[0])
    assert r.status_code == 400 and r.json()["error"]["code"] == "UserErrorRecoveryPointNotUsable"
    r = provision(api, "vm-web-01", "99999999999999")
    assert r.status_code == 404


def test_windows_vms_get_a_url(api):
    _rp, scripts, _r = open_session(api, "vm-legacy-01")
    assert scripts[0]["osType"] == "Windows" and scripts[0]["url"].startswith("https://")
    assert "scriptContent" not in scripts[0]


def test_script_refuses_a_wrong_password(api, tmp_path):
    _rp, scripts, _r = open_session(api)
    path, _password = write_script(tmp_path, scripts[0])
    out = run_script(path, tmp_path, "wrong-password\nq\n")
    assert out.returncode == 1 and "password" in out.stdout and "MountPath" not in out.stdout
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_script_mounts_the_tree_of_its_point_and_cleans(api, tmp_path):
    rp, scripts, _r = open_session(api)
    older, older_scripts, _r2 = open_session(api, index=1)
    path, password = write_script(tmp_path, scripts[0])
    out = run_script(path, tmp_path, password + "\nq\n")
    assert out.returncode == 0, out.stdout + out.stderr
    vols = volumes(out.stdout)
    assert set(vols) == {"rootfs", "data"}
    root = vols["rootfs"]
    assert os.path.basename(root) == "Volume1" and os.path.dirname(os.path.dirname(root)) == str(tmp_path)
    conf = open(os.path.join(root, "etc/app/app.conf")).read()
    assert "recovery_point=%s" % rp in conf and older not in conf
    assert oct(os.stat(os.path.join(root, "home/deploy/notes.txt")).st_mode & 0o777) == "0o600"
    assert os.readlink(os.path.join(root, "var/www/html/passwd")) == "/etc/passwd"
    assert os.path.isdir(os.path.join(root, "tmp"))
    assert open(os.path.join(vols["data"], "reports/summary.txt")).read() == "summary of %s\n" % rp
    # the older point's script mounts the older tree next to it
    path2, password2 = write_script(tmp_path, older_scripts[0])
    out2 = run_script(path2, tmp_path, password2 + "\nq\n")
    assert "recovery_point=%s" % older in open(os.path.join(volumes(out2.stdout)["rootfs"], "etc/app/app.conf")).read()
    clean = run_script(path, tmp_path, "", "-clean")
    assert clean.returncode == 0 and not os.path.exists(root)
    assert os.path.exists(volumes(out2.stdout)["rootfs"])
