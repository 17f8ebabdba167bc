# -*- coding: utf-8 -*-
"""No secret in what a run leaves behind: the playbooks and every module, at -vvvv, failures
included, through ansible-playbook and ansible-runner.

The secrets are known from the emulator: the client secret, every bearer token its Azure AD issued
(``GET /_emulator/tokens``; the request log redacts them) and every cross-region restore access
token it handed out or was sent (from the request log). None of them, and nothing shaped like a JWT,
may appear in the output, the results a callback plugin receives (with each module's
``invocation``), or ansible-runner's job events, stdout and artifacts. One documented exception:
ansible-runner writes the process environment, an ``AZURE_SECRET`` passed through
``env/envvars`` included, to ``artifacts/<ident>/command`` (see docs/reliability.md).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import json
import os
import re
import shutil
import stat
import sys

import pytest
import yaml

from playbook import REPO, collections_path, run_playbook

PLAYBOOKS = os.path.join(REPO, "playbooks")
JWT_RE = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{8,}")
MASK = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
WRONG_SECRET = "a-wrong-client-secret-0123"
# Looks like a CRR access token; Azure refuses it, so the module fetches a real one.
FAKE_CRR_TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJmYWtlIjoidG9rZW4ifQ.bm90LWEtcmVhbC1zaWduYXR1cmU"


def secrets(emu, *extra):
    """name -> value of every secret in play so far."""
    found = {"client secret": emu.client_secret}
    for i, issued in enumerate(emu.control.issued_tokens()):
        found["bearer token %d" % i] = issued["token"]
    for e in emu.control.requests():
        for doc in (e.get("request_body"), e.get("response_body")):
            for token in re.findall(r'"accessTokenString": "([^"]+)"', json.dumps(doc)):
                found["CRR access token %s" % token[-8:]] = token
    for i, value in enumerate(extra):
        found["extra secret %d" % i] = value
    return found


def assert_clean(text, known, where):
    for name, value in known.items():
        assert value not in text, "%s found in %s" % (name, where)
    assert not JWT_RE.search(text), "a JWT-shaped string in %s: %s" % (where, JWT_RE.search(text).group(0)[:40])


def assert_invocations_masked(result):
    """Every task result's invocation shows the no_log options masked (and the tasks ran)."""
    invocations = [r["invocation"]["module_args"] for dummy, r in result.tasks() if r.get("invocation")]
    assert invocations
    for args in invocations:
        if args.get("secret") is not None:
            assert args["secret"] == MASK, args
        details = args.get("access_details")
        if details:
            assert details.get("accessTokenString") == MASK, details
    return invocations


def with_auth_options(emu):
    """Module options that pass the credentials explicitly (the option path, not the environment).

    Secrets come from variables, never written in a playbook: ansible-core prints the playbook lines
    around a failed task's origin, neighbouring tasks' literal values included.
    """
    return dict(client_id=emu.client_id, secret="{{ azure_secret }}", tenant=emu.tenant_id)


@pytest.mark.parametrize("name,extra_vars", [
    ("restore_disks", {"vm_names": "vm-web-01"}),
    ("replace_disks", {}),
])
def test_playbook_at_vvvv_shows_no_secret(emu, emu_env, name, extra_vars):
    emu.control.update_settings(job_durations={"RestoreDisks": 1, "OriginalLocation": 1})
    # The credentials go to the role as its auth variable (module options), from a vars file.
    variables = dict(extra_vars, poll_interval=1, azure_secret=emu.client_secret)
    variables["%s_auth" % name] = dict(client_id=emu.client_id, secret="{{ azure_secret }}", tenant=emu.tenant_id)
    result = run_playbook(os.path.join(PLAYBOOKS, name + ".yml"), emu_env, verbosity=4, extra_vars=variables,
                          extra_args=["-e", "@" + os.path.join(PLAYBOOKS, "vars", name + ".yml")])
    assert result.rc == 0, result
    assert len(emu.control.state()["jobs"]) >= 1
    known = secrets(emu)
    assert len(known) >= 2  # the client secret and at least one bearer token
    assert_clean(result.output, known, "the -vvvv output")
    assert_clean(json.dumps(result.data), known, "the results a callback receives")
    assert any(args.get("secret") == MASK for args in assert_invocations_masked(result))


def test_every_module_at_vvvv_failures_included(emu, emu_env):
    emu.control.update_settings(job_durations={"RestoreDisks": 1, "CrossRegionRestore": 1})
    # Azure's error text echoes the secret and an Authorization header: both are masked in what the
    # task reports, the rest of Azure's words are passed on.
    emu.control.add_fault(method="GET", path=r"vm-db-01/recoveryPoints$", action="status", status=400,
                          code="BadRequestEcho", message="Request rejected: client_secret=%s, Authorization: "
                          "Bearer %s, see the docs." % (emu.client_secret, FAKE_CRR_TOKEN))
    # the bearer token expires once on the way: a second one is fetched (and must not show either)
    emu.control.add_fault(method="GET", path=r"/backupJobs/[^/]+$", action="expire_tokens", count=1)
    vm = dict(vault_name="rsv-prod", vault_resource_group="rg-vault", vm_name="vm-web-01", vm_resource_group="rg-prod")
    auth = with_auth_options(emu)
    restore = dict(vm, restore_type="restore_disks", staging_storage_account="strestorewe",
                   staging_storage_account_resource_group="rg-restore", target_resource_group="rg-restore")
    crr = dict(restore, staging_storage_account="strestorene", staging_storage_account_resource_group="rg-dr",
               target_resource_group="rg-dr")
    play = [
        {"name": "vm_info", "azbackup.restore.vm_info": dict(vm_name="vm-web-01", vm_resource_group="rg-prod", **auth)},
        {"name": "points", "register": "points",
         "azbackup.restore.recovery_point_info": dict(vm, region="secondary", **auth)},
        {"name": "token", "register": "token", "no_log": True,
         "azbackup.restore.crr_access_token": dict(vm, recovery_point_id="{{ points.recovery_points[0].name }}",
                                                   **auth)},
        {"name": "crr_restore", "azbackup.restore.crr_restore": dict(
            crr, access_details="{{ token.access_details }}", wait="job", poll_interval=1, **auth)},
        {"name": "vm_restore", "register": "restored",
         "azbackup.restore.vm_restore": dict(restore, wait="job", poll_interval=1, **auth)},
        {"name": "restore_job_info", "azbackup.restore.restore_job_info": dict(
            vault_name="rsv-prod", vault_resource_group="rg-vault", job_id="{{ restored.job_id }}", **auth)},
        # failures
        {"name": "Azure echoes secrets", "ignore_errors": True,
         "azbackup.restore.recovery_point_info": dict(vm, vm_name="vm-db-01", **auth)},
        {"name": "wrong secret", "ignore_errors": True,
         "azbackup.restore.recovery_point_info": dict(vm, secret="{{ wrong_secret }}")},
        {"name": "refused restore with a token", "ignore_errors": True,
         "azbackup.restore.crr_restore": dict(crr, vault_name="rsv-lrs", vm_name="vm-lrs-01",
                                              access_details="{{ token.access_details }}", **auth)},
        {"name": "restore with a token Azure refuses", "ignore_errors": True,
         "azbackup.restore.crr_restore": dict(crr, vm_name="vm-db-01", recovery_point_id="{{ points_db }}",
                                              access_details={"objectType": "CrrAccessToken",
                                                              "accessTokenString": FAKE_CRR_TOKEN}, **auth)},
        {"name": "Azure refuses the restore", "ignore_errors": True,
         "azbackup.restore.vm_restore": dict(restore, vm_name="vm-app-001", target_zone="7", **auth)},
    ]
    result = run_playbook(play, emu_env, verbosity=4, extra_vars=dict(
        azure_secret=emu.client_secret, wrong_secret=WRONG_SECRET, points_db=replicated_point(emu, "vm-db-01")))
    log = emu.control.requests()

    ok = ("vm_info", "points", "token", "crr_restore", "vm_restore", "restore_job_info")
    for name in ok:
        assert result.task(name).get("_state") == "ok", (name, result.task(name))
    for name in ("Azure echoes secrets", "wrong secret", "refused restore with a token", "Azure refuses the restore"):
        assert result.task(name).get("_state") == "failed", (name, result.task(name))
    fixed = result.task("restore with a token Azure refuses")
    assert fixed.get("_state") == "ok" and fixed["access_token_source"] == "refreshed", fixed
    assert [e["status"] for e in log if e["path"].lower().endswith("/backupcrossregionrestore")] == [202, 400, 202]
    assert len([e for e in log if e["kind"] == "aad" and e["method"] == "POST" and e["status"] == 200]) >= 2

    echoed = result.task("Azure echoes secrets")
    assert echoed["error_code"] == "BadRequestEcho" and echoed["correlation_id"] in echoed["msg"]
    assert "Request rejected: client_secret=********, Authorization: Bearer ********, see the docs." in echoed["msg"]
    assert result.task("wrong secret")["error_code"] == "AADSTS7000215"

    known = secrets(emu, WRONG_SECRET, FAKE_CRR_TOKEN)
    assert len([n for n in known if n.startswith("CRR access token")]) >= 3
    assert_clean(result.output, known, "the -vvvv output")
    assert_clean(json.dumps(result.data), known, "the results a callback receives")
    invocations = assert_invocations_masked(result)
    assert sum(1 for args in invocations if args.get("access_details")) >= 3
    assert "accessTokenString" in json.dumps(result.task("restore with a token Azure refuses")["request"])


def replicated_point(emu, vm):
    points = emu.control.state()["vaults"]["rsv-prod"]["items"][vm]["recovery_points"]
    return next(p["name"] for p in points if p["replicated"] and any(
        t["type"] == "HardenedRP" for t in p["tiers"]))


# --------------------------------------------------------------------------------------------
# ansible-runner


ansible_runner = pytest.importorskip("ansible_runner")


def test_crr_playbook_through_ansible_runner(emu, emu_env, tmp_path, monkeypatch):
    """The CRR playbook the way AWX runs a job template, at -vvvv: events and stdout are clean.

    The credentials come in ``env/envvars``, as an AWX Azure credential injects them. ansible-runner
    writes the process environment to ``artifacts/<ident>/command`` (mode 0600): the client secret
    is there, and only there, by ansible-runner's design (what the test pins down).
    """
    for name in list(os.environ):
        if name.startswith(("AZURE_", "ANSIBLE_")):
            monkeypatch.delenv(name)
    emu.control.update_settings(job_durations={"CrossRegionRestore": 1})
    pdd = tmp_path / "job"
    for sub in ("project", "env", "inventory"):
        (pdd / sub).mkdir(parents=True)
    for path in glob.glob(os.path.join(PLAYBOOKS, "*.yml")):
        shutil.copy(path, str(pdd / "project"))
    (pdd / "inventory" / "hosts").write_text(
        "localhost ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable)
    envvars = dict(emu_env, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""),
                   ANSIBLE_COLLECTIONS_PATH=collections_path(), ANSIBLE_PYTHON_INTERPRETER=sys.executable,
                   ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"), ANSIBLE_HOME=str(tmp_path / "ansible-home"))
    (pdd / "env" / "envvars").write_text(yaml.safe_dump(envvars))
    with open(os.path.join(PLAYBOOKS, "vars", "secondary_region_restore.yml")) as f:
        survey = yaml.safe_load(f)
    survey["poll_interval"] = 1
    (pdd / "env" / "extravars").write_text(yaml.safe_dump(survey))

    runner = ansible_runner.run(private_data_dir=str(pdd), playbook="secondary_region_restore.yml", ident="job",
                                quiet=True, verbosity=4)
    stdout = runner.stdout.read()
    assert runner.status == "successful" and runner.rc == 0, stdout[-3000:]
    crr = [e for e in emu.control.requests() if e["path"].lower().endswith("/backupcrossregionrestore")]
    assert [e["status"] for e in crr] == [202]

    known = secrets(emu)
    assert [n for n in known if n.startswith("CRR access token")] and [n for n in known if n.startswith("bearer")]
    assert "-vvvv" in json.dumps(runner.config.command)
    assert_clean(stdout, known, "the runner's stdout")
    assert_clean(json.dumps(list(runner.events)), known, "the job events")
    artifacts = str(pdd / "artifacts" / "job")
    files = [p for p in glob.glob(os.path.join(artifacts, "**"), recursive=True) if os.path.isfile(p)]
    assert [p for p in files if "job_events" in p]
    for path in files:
        with open(path, errors="replace") as f:
            text = f.read()
        if os.path.basename(path) == "command":
            # ansible-runner's record of the process environment: the client secret of env/envvars
            # is in it, readable by the owner only; no token ever is.
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
            assert json.loads(text)["env"]["AZURE_SECRET"] == emu.client_secret
            assert_clean(text, dict((k, v) for k, v in known.items() if k != "client secret"), path)
        else:
            assert_clean(text, known, path)
