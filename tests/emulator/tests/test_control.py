import pytest
import requests

from emulator_testlib import Api

pytestmark = pytest.mark.emulator


_SESSION = requests.Session()
_SESSION.trust_env = False


def _c(emu, method, path, **kw):
    return _SESSION.request(method, emu.control_url + path, verify=emu.ca_bundle, **kw)


def test_request_log_format(api, emu):
    api.s.get(api.url(api.item("vm-web-01")), params={"api-version": "2024-04-01"},
              headers={"x-ms-correlation-request-id": "abc"})
    api.restore("vm-web-01")
    log = _c(emu, "GET", "/requests").json()
    assert isinstance(log, list)
    keys = {"seq", "time", "method", "url", "path", "query", "api_version", "kind", "request_headers",
            "request_body", "status", "response_headers", "response_body"}
    for e in log:
        assert keys <= set(e), e.keys()
    token = log[0]
    assert token["kind"] == "aad" and token["request_body"]["client_secret"] == "<redacted>"
    get = [e for e in log if e["method"] == "GET"][0]
    assert "%3B" in get["url"] and ";" in get["path"] and "%3B" not in get["path"]
    assert get["query"] == {"api-version": "2024-04-01"} and get["api_version"] == "2024-04-01"
    assert get["request_headers"]["Authorization"] == "Bearer <redacted>"
    assert get["response_headers"]["x-ms-correlation-request-id"] == "abc"
    assert get["response_body"]["properties"]["friendlyName"] == "vm-web-01"
    post = [e for e in log if e["method"] == "POST" and e["kind"] == "arm"][0]
    assert post["status"] == 202 and post["response_body"] is None
    assert post["request_body"]["properties"]["recoveryType"] == "RestoreDisks"
    seqs = [e["seq"] for e in log]
    assert seqs == sorted(seqs)
    assert not any("_emulator" in e["path"] for e in log)
    since = _c(emu, "GET", "/requests", params={"since": seqs[-2]}).json()
    assert [e["seq"] for e in since] == [seqs[-1]]
    assert _c(emu, "DELETE", "/requests").status_code == 200
    assert emu.control.requests() == []


def test_fault_crud(emu):
    r = _c(emu, "POST", "/faults", json={"path": "/locations$", "status": 500})
    assert r.status_code == 201
    rid = r.json()["id"]
    r = _c(emu, "POST", "/faults", json=[{"path": "/a", "action": "drop"}, {"path": "/b", "action": "delay", "seconds": 1}])
    assert len(r.json()) == 2
    assert len(_c(emu, "GET", "/faults").json()) == 3
    assert _c(emu, "DELETE", "/faults/" + rid).status_code == 200
    assert _c(emu, "DELETE", "/faults/" + rid).status_code == 404
    assert len(_c(emu, "GET", "/faults").json()) == 2
    assert _c(emu, "DELETE", "/faults").status_code == 200
    assert _c(emu, "GET", "/faults").json() == []
    r = _c(emu, "POST", "/faults", json={"path": "/x", "action": "explode"})
    assert r.status_code == 400


def test_state_settings_finish_reset(api, emu):
    st = _c(emu, "GET", "/state").json()
    assert st["vms"]["vm-web-01"]["data_disks"][0]["lun"] == 0
    assert st["counts"]["vms"] == 34
    assert st["vaults"]["rsv-prod"]["cross_region_restore"] is True
    job = api.job_of(api.restore("vm-web-01"))
    r = _c(emu, "POST", "/jobs/%s/finish" % job, json={"status": "Completed"})
    assert r.status_code == 200 and r.json()["status"] == "Completed"
    assert _c(emu, "POST", "/jobs/%s/finish" % job, json={"status": "Failed"}).status_code == 409
    assert _c(emu, "POST", "/jobs/nope/finish", json={}).status_code == 404
    st = _c(emu, "GET", "/state").json()
    assert st["jobs"][0]["status"] == "Completed" and st["counts"]["disks"] > 69
    r = _c(emu, "POST", "/settings", json={"page_size": 5, "retry_after": 2})
    assert r.json()["page_size"] == 5 and r.json()["retry_after"] == 2
    assert _c(emu, "POST", "/settings", json={"nonsense": 1}).status_code == 400
    assert _c(emu, "POST", "/tokens/expire").status_code == 200
    assert api.get(api.vault + "/backupJobs").status_code == 401
    assert _c(emu, "POST", "/reset").status_code == 200
    st = _c(emu, "GET", "/state").json()
    assert st["counts"]["jobs"] == 0 and st["settings"]["page_size"] == 200 and st["counts"]["requests"] == 0
    assert Api(emu).get(api.vault + "/backupJobs").status_code == 200
    assert _c(emu, "GET", "/nope").status_code == 404
    r = _c(emu, "POST", "/clock/advance", json={"seconds": 10})
    assert r.status_code == 200


def test_python_control_reset_restores_world(api, emu):
    job = api.job_of(api.restore("vm-web-01", recovery_type="OriginalLocation", target_rg=None))
    emu.control.finish_job(job)
    changed = emu.control.state()["vms"]["vm-web-01"]["os_disk"]["name"]
    emu.control.reset()
    assert emu.control.state()["vms"]["vm-web-01"]["os_disk"]["name"] != changed
    assert emu.control.requests() == []
