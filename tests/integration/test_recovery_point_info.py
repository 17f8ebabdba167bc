# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""recovery_point_info in real playbooks against the emulator; the emulator's state and request log
are the oracle."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

from playbook import run_playbook

VAULT = dict(vault_name="rsv-prod", vault_resource_group="rg-vault")
WEB = dict(VAULT, vm_name="vm-web-01", vm_resource_group="rg-prod")


def task(name, register=None, ignore_errors=False, **args):
    t = {"name": name, "azbackup.restore.recovery_point_info": args}
    if ignore_errors:
        t["ignore_errors"] = True
    return t


def truth(emu, vm="vm-web-01", vault="rsv-prod"):
    """The emulator's own recovery points of a VM, newest first."""
    rps = emu.control.state()["vaults"][vault]["items"][vm]["recovery_points"]
    return sorted(rps, key=lambda r: r["time"], reverse=True)


def rp_requests(emu):
    return [e for e in emu.control.requests() if "/recoverypoints" in e["path"].lower()]


def parse(value):
    return datetime.datetime.strptime(value[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc)


def failed(res):
    return res.get("_state") == "failed" or bool(res.get("failed"))


def test_list_latest_type_tier_window_secondary_and_by_id(emu, emu_env):
    points = truth(emu)
    newest = points[0]
    archived = [p for p in points if [t["type"] for t in p["tiers"]] == ["ArchivedRP"]]
    crash = [p for p in points if p["type"] == "CrashConsistent" and any(
        t["status"] == "Valid" for t in p["tiers"])]
    replicated = [p for p in points if p["replicated"]]
    assert not newest["replicated"] and archived and crash
    # a window around the 3rd and 4th newest points
    start = parse(points[3]["time"]) - datetime.timedelta(minutes=5)
    end = parse(points[2]["time"]) + datetime.timedelta(minutes=5)

    result = run_playbook([
        task("all", **WEB),
        task("latest", select="latest", **WEB),
        task("crash", recovery_point_type="crashconsistent", **WEB),
        task("archive", tier="archive", **WEB),
        task("window", start_time=start.strftime("%Y-%m-%dT%H:%M:%SZ"), end_time=end.strftime("%Y-%m-%dT%H:%M:%SZ"),
             **WEB),
        task("secondary", region="secondary", **WEB),
        task("by id", recovery_point_id=points[2]["name"], **WEB),
        task("secondary latest", region="secondary", select="latest", **WEB),
    ], emu_env)
    assert result.rc == 0, result

    listed = result.task("all")
    assert listed["changed"] is False
    assert [p["name"] for p in listed["recovery_points"]] == [p["name"] for p in points]
    assert listed["protected_item"]["protected_item_name"] == "vm;iaasvmcontainerv2;rg-prod;vm-web-01"
    assert listed["recovery_points"][0]["disk_luns"] == newest["luns"]
    assert [p["name"] for p in result.task("latest")["recovery_points"]] == [newest["name"]]
    assert [p["name"] for p in result.task("crash")["recovery_points"]] == [p["name"] for p in crash]
    assert [p["name"] for p in result.task("archive")["recovery_points"]] == [p["name"] for p in archived]
    assert [p["name"] for p in result.task("window")["recovery_points"]] == [points[2]["name"], points[3]["name"]]
    secondary = [p["name"] for p in result.task("secondary")["recovery_points"]]
    assert secondary == [p["name"] for p in replicated] and newest["name"] not in secondary
    assert [p["name"] for p in result.task("by id")["recovery_points"]] == [points[2]["name"]]
    assert [p["name"] for p in result.task("secondary latest")["recovery_points"]] == [replicated[0]["name"]]

    # The oracle: one read per task, in order, nothing but GETs, the CRR api-version for the
    # secondary region, and the window as Azure's $filter.
    log = rp_requests(emu)
    assert [(e["method"], e["api_version"]) for e in log] == [("GET", "2024-04-01")] * 5 + [
        ("GET", "2023-01-15"), ("GET", "2024-04-01"), ("GET", "2023-01-15")]
    assert [bool(e["query"].get("$filter")) for e in log] == [False] * 4 + [True] + [False] * 3
    assert log[4]["query"]["$filter"] == "endDate eq '%s' and startDate eq '%s'" % (
        end.strftime("%Y-%m-%d %I:%M:%S %p"), start.strftime("%Y-%m-%d %I:%M:%S %p"))
    assert log[6]["path"].endswith("/recoveryPoints/" + points[2]["name"])
    assert all(e["status"] == 200 for e in log)
    assert not [e for e in emu.control.requests() if e["method"] != "GET" and e["kind"] != "aad"]


def test_failures_name_what_is_missing(emu, emu_env):
    result = run_playbook([
        task("no vault", ignore_errors=True, vault_name="rsv-nope", vault_resource_group="rg-vault",
             vm_name="vm-web-01", vm_resource_group="rg-prod"),
        task("no vm", ignore_errors=True, vm_name="vm-nope", vm_resource_group="rg-prod", **VAULT),
        task("no point", ignore_errors=True, recovery_point_id="12345", **WEB),
        task("not replicated", ignore_errors=True, recovery_point_id=truth(emu)[0]["name"], region="secondary",
             **WEB),
        task("bad window", ignore_errors=True, start_time="2026-11-05T00:00:00Z", end_time="2026-11-01T00:00:00Z",
             **WEB),
    ], emu_env)
    assert result.rc == 0 and result.stats["localhost"]["ignored"] == 5, result
    no_vault = result.task("no vault")
    assert failed(no_vault) and no_vault["msg"].startswith("Vault rsv-nope was not found in resource group rg-vault")
    assert no_vault["error_code"] == "ResourceNotFound" and no_vault["status_code"] == 404
    assert no_vault["correlation_id"] and no_vault["correlation_id"] in no_vault["msg"]
    no_vm = result.task("no vm")
    assert "VM vm-nope (resource group rg-prod) in vault rsv-prod" in no_vm["msg"]
    assert no_vm["error_code"] == "BMSUserErrorObjectNotFound"
    no_point = result.task("no point")
    assert "12345" in no_point["msg"] and no_point["error_code"] == "BMSUserErrorObjectNotFound"
    assert "not replicated to the secondary region yet" in result.task("not replicated")["msg"]
    bad = result.task("bad window")
    assert failed(bad) and bad["option"] == "end_time" and "before" in bad["msg"]

    log = emu.control.requests()
    # Each failure is what the emulator answered, not a guess (the unreplicated point was then found
    # in the primary region)...
    assert [e["status"] for e in rp_requests(emu)] == [404, 404, 404, 404, 200]
    # ... and the bad window sent nothing at all: four of the five tasks reached the emulator.
    assert len([e for e in log if e["kind"] == "metadata"]) == 4
    assert len([e for e in log if e["kind"] == "aad" and e["method"] == "POST"]) == 4
