"""Restored VMs booting on the emulator clock, and Managed Run Command (runcommand.py)."""

import re

import pytest
import requests

from emulator_testlib import Api

pytestmark = pytest.mark.emulator

COMPUTE = "2024-03-01"
SECRET = "s3cr3t-protected-value"
AGENT_ERROR = ("VM '%s' has not reported status for VM agent or extensions. Verify that the OS is up and healthy, "
               "the VM has a running VM agent, and that it can establish outbound connections to Azure storage. "
               "Please refer to https://aka.ms/vmextensionlinuxtroubleshoot for additional VM agent "
               "troubleshooting information.")


def restore_new_vm(api, emu, name="vm-drill-01", rg="rg-drill"):
    """Restore vm-web-01 as a new VM in rg-drill (subnet vnet-drill/default) and let the job end."""
    vnet = api.vnet_id("vnet-drill", "rg-drill-net")
    job = api.job_of(api.restore("vm-web-01", api.rps("vm-web-01")[1]["name"], recovery_type="AlternateLocation",
                                 target_rg=rg, virtualNetworkId=vnet, subnetId=vnet + "/subnets/default",
                                 targetVirtualMachineId=api.vm_id(name, rg)))
    emu.control.advance(10)
    assert api.get(api.vm_id(name, rg), COMPUTE).status_code == 200
    return api.vm_id(name, rg), job


def view(api, vm):
    r = api.get(vm, COMPUTE, **{"$expand": "instanceView"})
    assert r.status_code == 200, r.text
    return r.json()["properties"]["instanceView"]


def power(iv):
    return [s["code"] for s in iv["statuses"]]


def run_command_body(api, vm="vm-web-01", **props):
    body = {"location": "westeurope", "properties": dict({
        "source": {"script": "echo hello"}, "parameters": [{"name": "greeting", "value": "hi"}],
        "protectedParameters": [{"name": "token", "value": SECRET}], "asyncExecution": False,
        "timeoutInSeconds": 300, "treatFailureAsDeploymentFailure": False}, **props)}
    return body


def put_rc(api, vm, name, body):
    return api.send("PUT", "%s/runCommands/%s" % (vm, name), body, COMPUTE)


def get_rc(api, vm, name):
    r = api.get("%s/runCommands/%s" % (vm, name), COMPUTE, **{"$expand": "instanceView"})
    assert r.status_code == 200, r.text
    return r.json()


def op_status(api, resp):
    r = api.s.get(resp.headers["Azure-AsyncOperation"])
    assert r.status_code == 200, r.text
    return r.json()


# ------------------------------------------------------------------------------ boot timeline

def test_restored_vm_boots_on_the_clock(api, emu):
    vm, job = restore_new_vm(api, emu)
    iv = view(api, vm)
    assert power(iv) == ["ProvisioningState/succeeded", "PowerState/starting"]
    assert iv["statuses"][1]["displayStatus"] == "VM starting"
    agent = iv["vmAgent"]
    assert agent["vmAgentVersion"] == "Unknown"
    (status,) = agent["statuses"]
    assert {k: status[k] for k in ("code", "level", "displayStatus", "message")} == {
        "code": "ProvisioningState/Unavailable", "level": "Warning", "displayStatus": "Not Ready",
        "message": "VM status blob is found but not yet populated."}
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", status["time"])
    assert "computerName" not in iv
    emu.control.advance(2.5)
    iv = api.get(vm + "/instanceView", COMPUTE).json()
    assert power(iv) == ["ProvisioningState/succeeded", "PowerState/running"]
    assert iv["statuses"][1]["displayStatus"] == "VM running"
    assert iv["vmAgent"]["statuses"][0]["displayStatus"] == "Not Ready"
    emu.control.advance(2)
    agent = view(api, vm)["vmAgent"]
    assert agent["vmAgentVersion"] == "2.9.1.1"
    assert {k: agent["statuses"][0][k] for k in ("code", "level", "displayStatus", "message")} == {
        "code": "ProvisioningState/succeeded", "level": "Info", "displayStatus": "Ready",
        "message": "Guest Agent is running"}
    # the creation time is not in the ARM body
    body = api.get(vm, COMPUTE).json()
    assert "instanceView" not in body["properties"] and body["tags"] == {"RSVaultBackup": job}


def test_world_vms_are_running_and_ready(api):
    iv = view(api, api.vm_id("vm-web-01"))
    assert power(iv) == ["ProvisioningState/succeeded", "PowerState/running"]
    assert iv["vmAgent"] == {"vmAgentVersion": "2.9.1.1", "statuses": [{
        "code": "ProvisioningState/succeeded", "level": "Info", "displayStatus": "Ready"}]}
    assert iv["computerName"] == "vm-web-01"


def test_agent_never_ready(api, emu):
    r = requests.post(emu.control_url + "/settings", json={"guest": {"agent_never_ready": ["VM-DRILL-*"]}},
                      verify=emu.ca_bundle)
    assert r.status_code == 200 and r.json()["guest"]["agent_never_ready"] == ["VM-DRILL-*"]
    assert r.json()["guest"]["boot_seconds"] == 2      # deep merge: the other guest settings stay
    vm, _unused = restore_new_vm(api, emu)
    emu.control.advance(3600)
    iv = view(api, vm)
    assert power(iv)[1] == "PowerState/running" and iv["vmAgent"]["statuses"][0]["displayStatus"] == "Not Ready"
    resp = put_rc(api, vm, "drill-check", run_command_body(api))
    assert resp.status_code == 201, resp.text
    assert op_status(api, resp)["status"] == "InProgress"
    assert get_rc(api, vm, "drill-check")["properties"]["instanceView"]["executionState"] == "Pending"
    emu.control.advance(2.5)
    st = op_status(api, resp)
    assert st["status"] == "Failed" and st["error"] == {"code": "VMAgentStatusCommunicationError",
                                                        "message": AGENT_ERROR % "vm-drill-01"}
    rc = get_rc(api, vm, "drill-check")
    assert rc["properties"]["provisioningState"] == "Failed"
    assert rc["properties"]["instanceView"]["executionState"] == "Unknown"


def test_settings_patch_validation_and_reset(emu):
    s = emu.control.update_settings(guest={"run_command_outcomes": [{"vm": "a*", "exit_code": 1}]}, delete_seconds=5)
    assert s["guest"]["run_command_outcomes"] == [{"vm": "a*", "exit_code": 1}] and s["delete_seconds"] == 5
    s = emu.control.update_settings(guest={"run_command_outcomes": [{"vm": "b*"}]})
    assert s["guest"]["run_command_outcomes"] == [{"vm": "b*"}]      # lists replace
    for bad in ({"guest": {"nonsense": 1}}, {"guest": {"boot_seconds": -1}}, {"delete_seconds": "x"},
                {"guest": {"run_command_outcomes": [{"vm": "x", "exit_code": "1"}]}},
                {"guest": {"agent_never_ready": "vm-*"}}):
        with pytest.raises(ValueError):
            emu.control.update_settings(bad)
    emu.control.reset()
    assert emu.control.settings()["guest"] == {"boot_seconds": 2, "agent_ready_seconds": 4, "agent_never_ready": [],
                                               "run_command_seconds": 2, "run_command_outcomes": []}
    assert emu.control.settings()["delete_seconds"] == 2


# ------------------------------------------------------------------------------ run command

def test_run_command_success_then_failure(api, emu):
    vm = api.vm_id("vm-web-01")
    emu.control.update_settings(guest={"run_command_outcomes": [
        {"vm": "vm-db-*", "exit_code": 9}, {"vm": "VM-WEB-*", "exit_code": 0, "stdout": "hello\n"}]})
    resp = put_rc(api, vm, "drill-check", run_command_body(api))
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["id"] == vm + "/runCommands/drill-check" and body["type"] == "Microsoft.Compute/virtualMachines/runCommands"
    assert body["location"] == "westeurope" and body["properties"]["provisioningState"] == "Creating"
    assert body["properties"]["parameters"] == [{"name": "greeting", "value": "hi"}]
    assert body["properties"]["timeoutInSeconds"] == 300 and body["properties"]["asyncExecution"] is False
    assert "protectedParameters" not in body["properties"] and "Location" not in resp.headers
    assert re.match(r"^https://[^/]+/subscriptions/%s/providers/Microsoft.Compute/locations/westeurope/operations/"
                    r"[0-9a-f-]{36}\?api-version=%s$" % (api.sub, COMPUTE), resp.headers["Azure-AsyncOperation"])
    st = op_status(api, resp)
    assert st["status"] == "InProgress" and "endTime" not in st and st["name"] in resp.headers["Azure-AsyncOperation"]
    iv = get_rc(api, vm, "drill-check")["properties"]["instanceView"]
    assert iv["executionState"] == "Running" and "startTime" in iv and "endTime" not in iv
    emu.control.advance(2.5)
    st = op_status(api, resp)
    assert st["status"] == "Succeeded" and st["endTime"] > st["startTime"] and "error" not in st
    rc = get_rc(api, vm, "drill-check")
    assert rc["properties"]["provisioningState"] == "Succeeded"
    iv = rc["properties"]["instanceView"]
    assert {k: iv[k] for k in ("executionState", "executionMessage", "exitCode", "output", "error", "statuses")} == {
        "executionState": "Succeeded", "executionMessage": "", "exitCode": 0, "output": "hello\n", "error": "",
        "statuses": []}
    emu.control.update_settings(guest={"run_command_outcomes": [
        {"vm": "vm-web-*", "exit_code": 3, "stdout": "", "stderr": "disk full\n"}]})
    resp = put_rc(api, vm, "drill-check", run_command_body(api))
    assert resp.status_code == 200 and resp.json()["properties"]["provisioningState"] == "Updating"
    emu.control.advance(2.5)
    assert op_status(api, resp)["status"] == "Succeeded"       # treatFailureAsDeploymentFailure: false
    iv = get_rc(api, vm, "drill-check")["properties"]["instanceView"]
    assert (iv["executionState"], iv["exitCode"], iv["error"]) == ("Failed", 3, "disk full\n")
    listed = api.get(vm + "/runCommands", COMPUTE).json()["value"]
    assert [x["name"] for x in listed] == ["drill-check"] and "instanceView" not in listed[0]["properties"]
    for entry in emu.control.requests():       # the protected value is never answered
        assert SECRET not in repr(entry["response_body"])


def test_run_command_failure_as_deployment_failure(api, emu):
    vm = api.vm_id("vm-web-01")
    emu.control.update_settings(guest={"run_command_outcomes": [{"vm": "*", "exit_code": 1}]})
    resp = put_rc(api, vm, "strict", run_command_body(api, treatFailureAsDeploymentFailure=True))
    emu.control.advance(2.5)
    st = op_status(api, resp)
    assert st["status"] == "Failed" and st["error"]["code"] == "VMExtensionProvisioningError"
    assert get_rc(api, vm, "strict")["properties"]["provisioningState"] == "Failed"


def test_run_command_timeout_and_async(api, emu):
    vm = api.vm_id("vm-web-01")
    emu.control.update_settings(guest={"run_command_outcomes": [{"vm": "*", "exit_code": 0, "stdout": "x",
                                                                 "seconds": 10}]})
    resp = put_rc(api, vm, "slow", run_command_body(api, timeoutInSeconds=3))
    busy = put_rc(api, vm, "slow", run_command_body(api))
    assert busy.status_code == 409 and busy.json()["error"]["code"] == "Conflict"
    assert resp.headers["Azure-AsyncOperation"] in busy.json()["error"]["message"]
    emu.control.advance(2)
    assert op_status(api, resp)["status"] == "InProgress"
    emu.control.advance(1.5)
    assert op_status(api, resp)["status"] == "Succeeded"
    iv = get_rc(api, vm, "slow")["properties"]["instanceView"]
    assert (iv["executionState"], iv["exitCode"]) == ("TimedOut", -1)
    resp = put_rc(api, vm, "background", run_command_body(api, asyncExecution=True))
    assert op_status(api, resp)["status"] == "Succeeded"       # async: the operation ends when the script starts
    assert get_rc(api, vm, "background")["properties"]["instanceView"]["executionState"] == "Running"
    emu.control.advance(10.5)
    assert get_rc(api, vm, "background")["properties"]["instanceView"]["executionState"] == "Succeeded"


def test_run_command_refusals(api, emu):
    vm, _unused = restore_new_vm(api, emu)
    r = put_rc(api, vm, "too-early", run_command_body(api))        # still starting
    assert r.status_code == 409 and r.json()["error"] == {
        "code": "OperationNotAllowed",
        "message": "Operation 'Create or update run command' is not allowed on VM 'vm-drill-01' since the VM is "
                   "not running."}
    missing = api.vm_id("vm-nope")
    for method in ("GET", "PUT", "DELETE"):
        r = api.send(method, missing + "/runCommands/x", run_command_body(api) if method == "PUT" else None, COMPUTE)
        assert r.status_code == 404 and r.json()["error"] == {
            "code": "ParentResourceNotFound",
            "message": "Can not perform requested operation on nested resource. Parent resource 'vm-nope' not found."}
    r = api.get(api.vm_id("vm-web-01") + "/runCommands/never", COMPUTE)
    assert r.status_code == 404 and r.json()["error"]["code"] == "ResourceNotFound"
    body = run_command_body(api)
    del body["location"]
    r = put_rc(api, api.vm_id("vm-web-01"), "x", body)
    assert r.status_code == 400 and r.json()["error"]["code"] == "LocationRequired"
    r = put_rc(api, api.vm_id("vm-web-01"), "x", {"location": "westeurope", "properties": {}})
    assert r.status_code == 400 and r.json()["error"]["code"] == "InvalidParameter"


def test_run_command_delete(api, emu):
    vm = api.vm_id("vm-web-01")
    put_rc(api, vm, "drill-check", run_command_body(api))
    emu.control.advance(2.5)
    r = api.send("DELETE", vm + "/runCommands/drill-check", None, COMPUTE)
    assert r.status_code == 202 and not r.content
    assert "/providers/Microsoft.Compute/locations/westeurope/operationResults/" in r.headers["Location"]
    assert get_rc(api, vm, "drill-check")["properties"]["provisioningState"] == "Deleting"
    assert api.s.get(r.headers["Location"]).status_code == 202
    emu.control.advance(2.5)
    assert api.s.get(r.headers["Location"]).status_code == 204
    assert api.s.get(r.headers["Azure-AsyncOperation"]).json()["status"] == "Succeeded"
    assert api.get(vm + "/runCommands/drill-check", COMPUTE).status_code == 404
    assert api.send("DELETE", vm + "/runCommands/drill-check", None, COMPUTE).status_code == 204


def test_operation_urls_are_checked(api, emu):
    resp = put_rc(api, api.vm_id("vm-web-01"), "x", run_command_body(api))
    url = resp.headers["Azure-AsyncOperation"]
    assert api.s.get(url.replace("westeurope", "northeurope")).status_code == 404
    assert api.s.get(url.replace("Microsoft.Compute", "Microsoft.Network")).status_code == 404
    assert Api(emu).s.get(url.split("?")[0]).status_code == 400      # no api-version


def test_run_command_preempted_by_vm_deletion(api, emu):
    vm = api.vm_id("vm-app-004")
    emu.control.update_settings(guest={"run_command_outcomes": [{"vm": "*", "seconds": 5}]})
    resp = put_rc(api, vm, "drill-check", run_command_body(api))
    assert api.send("DELETE", vm, None, COMPUTE).status_code == 202
    emu.control.advance(5.5)
    st = op_status(api, resp)
    assert st["status"] == "Failed" and st["error"]["code"] == "OperationPreempted"
    assert api.get(vm, COMPUTE).status_code == 404
