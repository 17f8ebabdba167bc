import time
import urllib.parse

import pytest
import requests

from azbackup_emulator import Emulator, faults
from azbackup_emulator.core_types import Response
from emulator_testlib import Api

pytestmark = pytest.mark.emulator


def test_429_after_n_calls(api, emu):
    emu.control.add_fault(method="GET", path=r"/recoveryPoints$", after=2, count=1, action="status", status=429,
                          retry_after=7)
    url = api.item("vm-web-01") + "/recoveryPoints"
    codes = [api.get(url) for _unused in range(4)]
    assert [r.status_code for r in codes] == [200, 200, 429, 200]
    assert codes[2].headers["Retry-After"] == "7"
    assert codes[2].json()["error"]["code"] == "TooManyRequests"
    assert "x-ms-request-id" in codes[2].headers
    rule = emu.control.faults()[0]
    assert rule["matched"] == 4 and rule["applied"] == 1


def test_retry_after_http_date(api, emu):
    emu.control.add_fault(path="/resourcegroups/rg-prod$", status=503, retry_after="http-date", count=1)
    r = api.get("/subscriptions/%s/resourcegroups/rg-prod" % api.sub, "2021-04-01")
    assert r.status_code == 503 and r.headers["Retry-After"].endswith("GMT")
    assert r.json()["error"]["code"] == "ServiceUnavailable"


def test_503_once_on_restore(api, emu):
    emu.control.add_fault(method="POST", path="/restore$", action="status", status=503, count=1)
    r = api.restore("vm-web-01")
    assert r.status_code == 503
    assert emu.control.state()["counts"]["jobs"] == 0
    r = api.restore("vm-web-01")
    assert r.status_code == 202
    assert emu.control.state()["counts"]["jobs"] == 1


def test_drop(api, emu):
    emu.control.add_fault(method="GET", path="/backupJobs$", action="drop", count=1)
    with pytest.raises(requests.exceptions.ConnectionError):
        api.get(api.vault + "/backupJobs")
    assert api.get(api.vault + "/backupJobs").status_code == 200
    entries = [e for e in emu.control.requests() if e["path"].endswith("/backupJobs")]
    assert [e["status"] for e in entries] == [0, 200]
    assert "committed_status" not in entries[0]


def test_drop_after_commit(api, emu):
    emu.control.add_fault(method="POST", path="/restore$", action="drop_after_commit", count=1)
    rp = api.rps("vm-web-01")[0]["name"]
    with pytest.raises(requests.exceptions.ConnectionError):
        api.restore("vm-web-01", rp)
    state = emu.control.state()
    assert state["counts"]["jobs"] == 1 and state["jobs"][0]["status"] == "InProgress"
    entry = [e for e in emu.control.requests() if e["path"].endswith("/restore")][0]
    assert entry["status"] == 0 and entry["committed_status"] == 202
    # the lost response: a blind retry is refused while the first restore runs
    r = api.restore("vm-web-01", rp)
    assert r.status_code == 400 and r.json()["error"]["code"] == "UserErrorAnotherOperationInProgress"
    jobs = api.get(api.vault + "/backupJobs", **{"$filter": "operation eq 'Restore' and status eq 'InProgress'"})
    assert [j["properties"]["entityFriendlyName"] for j in jobs.json()["value"]] == ["vm-web-01"]


def test_delay(api, emu):
    emu.control.add_fault(method="GET", path="/resourcegroups/rg-prod$", action="delay", seconds=0.4, count=2)
    t = time.time()
    assert api.get("/subscriptions/%s/resourcegroups/rg-prod" % api.sub, "2021-04-01").status_code == 200
    assert time.time() - t >= 0.4
    with pytest.raises(requests.exceptions.ReadTimeout):
        api.s.get(api.url("/subscriptions/%s/resourcegroups/rg-prod" % api.sub), params={"api-version": "2021-04-01"},
                  timeout=0.1)


def test_job_outcome_failed(api, emu):
    emu.control.add_fault(method="POST", path="vm-web-01.*/restore$", action="job_outcome", status="Failed",
                          error_code=320001, error_title="Restore failed",
                          error_string="The staging storage account could not be accessed.",
                          recommendations=["Check the firewall of the storage account."])
    job = api.job_of(api.restore("vm-web-01"))
    emu.control.advance(7)
    p = api.job(job)["properties"]
    assert p["status"] == "Failed"
    assert p["errorDetails"] == [{"errorCode": 320001, "errorTitle": "Restore failed",
                                  "errorString": "The staging storage account could not be accessed.",
                                  "recommendations": ["Check the firewall of the storage account."]}]
    assert p["extendedInfo"]["tasksList"][0]["status"] == "Failed"
    assert emu.control.state()["disks"] == [d for d in emu.control.state()["disks"] if "rg-restore" not in d["id"]]
    other = api.job_of(api.restore("vm-db-01"))
    emu.control.advance(7)
    assert api.job(other)["properties"]["status"] == "Completed"


def test_job_outcome_warnings_and_cancelled(api, emu):
    emu.control.add_fault(method="POST", path="vm-app-001.*/restore$", action="job_outcome", status="CompletedWithWarnings")
    emu.control.add_fault(method="POST", path="vm-app-002.*/restore$", action="job_outcome", status="Cancelled")
    j1 = api.job_of(api.restore("vm-app-001"))
    j2 = api.job_of(api.restore("vm-app-002"))
    emu.control.advance(7)
    p1, p2 = api.job(j1)["properties"], api.job(j2)["properties"]
    assert p1["status"] == "CompletedWithWarnings" and p1["errorDetails"]
    assert "Config Blob Uri" in p1["extendedInfo"]["propertyBag"]
    assert p2["status"] == "Cancelled"
    assert "Config Blob Uri" not in p2["extendedInfo"]["propertyBag"]


def test_settings_job_outcome(api, emu):
    emu.control.update_settings(job_outcome="Failed")
    job = api.job_of(api.restore("vm-web-01"))
    emu.control.advance(7)
    assert api.job(job)["properties"]["status"] == "Failed"


def test_operation_outcome_failed(api, emu):
    emu.control.add_fault(method="POST", path="/restore$", action="operation_outcome", status="Failed",
                          code="UserErrorRestoreVaultBusy", message="The vault is busy.")
    r = api.restore("vm-web-01")
    assert r.status_code == 202
    st = api.s.get(r.headers["Azure-AsyncOperation"])
    assert st.status_code == 200
    assert st.json()["status"] == "Failed"
    assert st.json()["error"] == {"code": "UserErrorRestoreVaultBusy", "message": "The vault is busy."}
    assert "properties" not in st.json()
    res = api.s.get(r.headers["Location"])
    assert res.status_code == 400 and res.json()["error"]["code"] == "UserErrorRestoreVaultBusy"
    assert emu.control.state()["counts"]["jobs"] == 0
    assert api.restore("vm-web-01").status_code == 202


def test_expire_tokens_action(api, emu):
    emu.control.add_fault(method="GET", path="/locations$", action="expire_tokens", count=1)
    r = api.get("/subscriptions/%s/locations" % api.sub, "2022-12-01")
    assert r.status_code == 401 and r.json()["error"]["code"] == "ExpiredAuthenticationToken"
    assert Api(emu).get("/subscriptions/%s/locations" % api.sub, "2022-12-01").status_code == 200


def test_api_version_filter_in_rule(api, emu):
    emu.control.add_fault(path="/backupProtectedItems", api_version="2023-01-15", status=500)
    assert api.get(api.vault + "/backupProtectedItems").status_code == 200
    r = api.get(api.vault + "/backupProtectedItems", "2023-01-15")
    assert r.status_code == 500 and r.json()["error"]["code"] == "InternalServerError"


def test_throttling(api, emu):
    rp = api.rps("vm-web-01")[0]["name"]
    emu.control.update_settings(throttling={"enabled": True, "reads": {"capacity": 3, "refill_per_second": 0.5},
                                            "writes": {"capacity": 2, "refill_per_second": 0.5}})
    url = "/subscriptions/%s/resourcegroups/rg-prod" % api.sub
    rs = [api.get(url, "2021-04-01") for _unused in range(4)]
    assert [r.status_code for r in rs] == [200, 200, 200, 429]
    assert [r.headers["x-ms-ratelimit-remaining-subscription-reads"] for r in rs[:3]] == ["2", "1", "0"]
    assert rs[3].json()["error"]["code"] == "TooManyRequests" and int(rs[3].headers["Retry-After"]) >= 1
    w = api.restore("vm-web-01", rp)
    assert w.status_code == 202 and w.headers["x-ms-ratelimit-remaining-subscription-writes"] == "1"
    emu.control.update_settings(throttling={"enabled": False})
    assert api.get(url, "2021-04-01").status_code == 200


def test_world_faults():
    world = {
        "tenants": [{"id": "t1", "clients": [{"client_id": "c1", "secret": "s1"}]}],
        "subscriptions": [{"id": "00000000-0000-0000-0000-0000000000bb"}],
        "regions": [{"name": "westeurope"}],
        "resource_groups": [{"name": "rg", "location": "westeurope"}],
        "faults": [{"path": "/resourcegroups/rg$", "status": 500, "count": 1}],
    }
    with Emulator(world=world) as emu:
        api = Api(emu)
        url = "/subscriptions/%s/resourcegroups/rg" % api.sub
        assert api.get(url, "2021-04-01").status_code == 500
        assert api.get(url, "2021-04-01").status_code == 200
        emu.control.reset()
        assert api.get(url, "2021-04-01").status_code == 500


def test_aad_fault(emu):
    emu.control.add_fault(method="POST", path="/oauth2/v2.0/token$", status=503, count=1)
    url = "%s/%s/oauth2/v2.0/token" % (emu.endpoint, emu.tenant_id)
    data = {"grant_type": "client_credentials", "client_id": emu.client_id, "client_secret": emu.client_secret,
            "scope": emu.endpoint + "/.default"}
    assert requests.post(url, data=data, verify=emu.ca_bundle).status_code == 503
    assert requests.post(url, data=data, verify=emu.ca_bundle).status_code == 200


def test_outcome_rule_counts_only_started_operations(api, emu):
    rule = emu.control.add_fault(method="POST", path="/restore$", action="job_outcome", status="Failed", count=1)
    bad = api.restore("vm-web-01", sa="strestorezrs")
    assert bad.status_code == 400
    job = api.job_of(api.restore("vm-web-01"))
    emu.control.advance(7)
    assert api.job(job)["properties"]["status"] == "Failed"
    job2 = api.job_of(api.restore("vm-web-01"))
    emu.control.advance(7)
    assert api.job(job2)["properties"]["status"] == "Completed"
    assert [r["applied"] for r in emu.control.faults() if r["id"] == rule["id"]] == [1]


def _origin(url):
    parts = urllib.parse.urlsplit(url)
    return "%s://%s" % (parts.scheme, parts.netloc)


def _tail(url):
    parts = urllib.parse.urlsplit(url)
    return url[len(parts.scheme) + 3 + len(parts.netloc):]


@pytest.mark.parametrize("url_base", ["https://other-host.example", "http://127.0.0.1:{port}",
                                      "https://127.0.0.1:1"])
def test_foreign_operation_url(api, emu, url_base):
    url_base = url_base.format(port=urllib.parse.urlsplit(emu.endpoint).port)
    emu.control.add_fault(method="POST", path="/restore$", action="foreign_operation_url", url_base=url_base,
                          count=1)
    r = api.restore("vm-web-01")
    assert r.status_code == 202
    assert "/operationsStatus/" in r.headers["Azure-AsyncOperation"] and "/operationResults/" in r.headers["Location"]
    for name in ("Azure-AsyncOperation", "Location"):
        assert _origin(r.headers[name]) == url_base and "api-version=" in _tail(r.headers[name])
    # the restore really started: the path and query still lead to it on the emulator
    st = api.get(emu.endpoint + _tail(r.headers["Azure-AsyncOperation"]))
    assert st.status_code == 200 and st.json()["status"] == "Succeeded"
    assert emu.control.state()["counts"]["jobs"] == 1
    assert [f["applied"] for f in emu.control.faults()] == [1]
    # count 1: the next restore's answer is untouched
    emu.control.advance(7)
    other = api.restore("vm-db-01")
    assert other.headers["Azure-AsyncOperation"].startswith(emu.endpoint + "/")


def test_foreign_operation_url_counts_only_rewritten_answers(api, emu):
    emu.control.add_fault(method="POST", path="/restore$", action="foreign_operation_url",
                          url_base="https://other-host.example:8443/", count=1)
    bad = api.restore("vm-web-01", sa="strestorezrs")
    assert bad.status_code == 400 and "Azure-AsyncOperation" not in bad.headers
    assert emu.control.faults()[0]["applied"] == 0
    r = api.restore("vm-web-01")
    assert r.headers["Location"].startswith("https://other-host.example:8443/subscriptions/")
    assert emu.control.faults()[0]["applied"] == 1


def test_foreign_next_link(api, emu):
    emu.control.update_settings(page_size=3)
    emu.control.add_fault(method="GET", path="/recoveryPoints$", action="foreign_next_link",
                          url_base="https://other-host.example")
    url = api.item("vm-web-01") + "/recoveryPoints"
    first = api.get(url).json()
    assert len(first["value"]) == 3
    assert first["nextLink"].startswith("https://other-host.example/subscriptions/")
    assert "$skipToken=" in first["nextLink"] and "api-version=2024-04-01" in first["nextLink"]
    second = api.s.get(emu.endpoint + _tail(first["nextLink"])).json()
    assert len(second["value"]) == 3 and second["nextLink"].startswith("https://other-host.example/")
    last = api.s.get(emu.endpoint + _tail(second["nextLink"])).json()
    assert len(last["value"]) == 2 and "nextLink" not in last
    assert emu.control.faults()[0]["applied"] == 2  # the last page had no nextLink to rewrite


@pytest.mark.parametrize("rule", [
    {"action": "foreign_operation_url"},
    {"action": "foreign_operation_url", "url_base": "other-host.example"},
    {"action": "foreign_next_link", "url_base": "https://other-host.example/path"},
    {"action": "foreign_next_link", "url_base": "ftp://other-host.example"},
])
def test_foreign_url_rules_need_a_url_base(emu, rule):
    r = requests.post(emu.endpoint + "/_emulator/faults", json=rule, verify=emu.ca_bundle)
    assert r.status_code == 400 and "url_base" in r.json()["error"]["message"]


def test_rebase_url_keeps_path_and_query():
    signed = "https://127.0.0.1:8443/subscriptions/s/operationsStatus/b64%2Bop%3D?api-version=1&sig=a%2Fb"
    assert faults.rebase_url(signed, "http://127.0.0.1:8443") == \
        "http://127.0.0.1:8443/subscriptions/s/operationsStatus/b64%2Bop%3D?api-version=1&sig=a%2Fb"
    assert faults.rebase_url("/relative?x=1", "https://h:1") == "https://h:1/relative?x=1"


def test_rewrite_answer_on_a_response_object():
    rules = faults.Faults([{"action": "foreign_operation_url", "url_base": "https://other-host.example"},
                           {"action": "foreign_next_link", "url_base": "http://127.0.0.1:1"}])
    matched = rules.match("POST", "/x/restore", None)
    resp = Response(202, {"nextLink": "https://e/x?$skipToken=2"},
                    {"azure-asyncoperation": "https://e/op?a=1", "Location": "https://e/res?a=1",
                     "Other": "https://e/"})
    faults.Faults.rewrite_answer(matched, resp)
    assert resp.headers == {"azure-asyncoperation": "https://other-host.example/op?a=1",
                            "Location": "https://other-host.example/res?a=1", "Other": "https://e/"}
    assert resp.body == {"nextLink": "http://127.0.0.1:1/x?$skipToken=2"}
    assert [r["applied"] for r in rules.rules] == [1, 1]
