# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.azbackup.restore.plugins.module_utils import _errors as e

SIGNED = ("https://management.azure.com/subscriptions/s/providers/Microsoft.RecoveryServices/locations/westus/"
          "backupCrrOperationsStatus/abc?api-version=2023-01-15&t=638400&c=MIIHcert&s=SiGnAtUrE&h=HaSh&sig=x")

ARM_BODY = {"error": {"code": "UserErrorStorageAccountIsZRS", "message": "The storage account is ZRS.",
                      "target": "storageAccountId",
                      "details": [{"code": "Inner", "message": "inner message"}],
                      "additionalInfo": [{"type": "PolicyViolation", "info": {"policy": "p1"}}]}}
HEADERS = {"x-ms-request-id": "req-1", "X-MS-Correlation-Request-Id": "corr-1"}


class TestParseErrorBody:
    def test_arm_envelope(self):
        p = e.parse_error_body(ARM_BODY)
        assert p["code"] == "UserErrorStorageAccountIsZRS"
        assert p["message"] == "The storage account is ZRS."
        assert p["target"] == "storageAccountId"
        assert p["details"] == [{"code": "Inner", "message": "inner message"}]
        assert p["additional_info"][0]["info"] == {"policy": "p1"}

    def test_arm_envelope_as_text_and_bytes(self):
        assert e.parse_error_body(json.dumps(ARM_BODY))["code"] == "UserErrorStorageAccountIsZRS"
        assert e.parse_error_body(json.dumps(ARM_BODY).encode())["code"] == "UserErrorStorageAccountIsZRS"

    def test_bare_code_message(self):
        p = e.parse_error_body({"code": "BadRequest", "message": "Bad token body"})
        assert (p["code"], p["message"]) == ("BadRequest", "Bad token body")
        p = e.parse_error_body({"Code": "X", "Message": "Capitalised"})
        assert (p["code"], p["message"]) == ("X", "Capitalised")

    def test_aad_style(self):
        p = e.parse_error_body({"error": "invalid_client",
                                "error_description": "AADSTS7000215: Invalid client secret provided.",
                                "error_codes": [7000215]})
        assert p["code"] == "invalid_client"
        assert p["message"].startswith("AADSTS7000215")

    def test_odata(self):
        odata = {"odata.error": {"code": "ResourceNotFound", "message": {"lang": "en", "value": "gone"}}}
        p = e.parse_error_body(odata)
        assert (p["code"], p["message"]) == ("ResourceNotFound", "gone")

    def test_html_gateway_page(self):
        html = "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"
        p = e.parse_error_body(html)
        assert p["code"] is None
        assert "502 Bad Gateway" in p["message"] and "<" not in p["message"]

    def test_plain_text_is_shortened(self):
        p = e.parse_error_body("x" * 5000)
        assert len(p["message"]) < 1100

    def test_empty_and_odd_json(self):
        assert e.parse_error_body(None)["message"] is None
        assert e.parse_error_body("")["message"] is None
        assert e.parse_error_body("[1, 2]")["message"] == "[1, 2]"
        assert e.parse_error_body({"unexpected": 1})["message"] == '{"unexpected": 1}'


class TestRedaction:
    def test_redact_url_keeps_only_api_version(self):
        out = e.redact_url(SIGNED)
        assert out.endswith("/backupCrrOperationsStatus/abc?api-version=2023-01-15")
        for part in ("t=", "c=", "s=", "h=", "sig=", "SiGnAtUrE", "HaSh"):
            assert part not in out

    def test_redact_url_drops_userinfo_and_fragment(self):
        assert e.redact_url("https://user:pw@host/p?x=1#frag") == "https://host/p"
        assert e.redact_url(None) is None

    def test_redact_text_bearer_secret_and_urls(self):
        e.add_secret("sup3r-s3cret-value")
        text = "Authorization: Bearer eyJ0eXAi.abc-def_ghi= failed with sup3r-s3cret-value at " + SIGNED
        out = e.redact_text(text)
        assert "eyJ0eXAi" not in out and "sup3r-s3cret-value" not in out and "SiGnAtUrE" not in out
        assert "Bearer ********" in out
        assert "api-version=2023-01-15" in out

    def test_redact_text_explicit_secrets(self):
        assert e.redact_text("pw is hunter22", ["hunter22"]) == "pw is ********"

    def test_short_values_are_not_registered(self):
        e.add_secret("short12")
        assert e.redact_text("a short12 word") == "a short12 word"

    def test_url_in_parentheses(self):
        assert e.redact_text("(see https://h/p?api-version=1&sig=x).") == "(see https://h/p?api-version=1)."

    def test_json_safe(self):
        class Odd(object):
            def __str__(self):
                return "odd"
        assert e.json_safe({"a": (1, Odd()), 2: {"b": set([3])}}) == {"a": [1, "odd"], "2": {"b": [3]}}


class TestAzureApiError:
    def make(self, **kw):
        return e.AzureApiError.from_response(409, HEADERS, ARM_BODY, "POST", SIGNED, **kw)

    def test_fields(self):
        err = self.make()
        assert err.status_code == 409
        assert err.error_code == "UserErrorStorageAccountIsZRS"
        assert err.error_message == "The storage account is ZRS."
        assert err.target == "storageAccountId"
        assert err.details and err.additional_info
        assert err.request_id == "req-1"
        assert err.correlation_id == "corr-1"
        assert err.method == "POST"
        assert err.url.endswith("?api-version=2023-01-15")

    def test_message_and_fail_kwargs(self):
        err = self.make()
        assert "HTTP 409" in err.msg and "(UserErrorStorageAccountIsZRS) The storage account is ZRS." in err.msg
        assert "corr-1" in err.msg
        assert "SiGnAtUrE" not in err.msg
        kw = err.to_fail_kwargs()
        assert kw == dict(msg=err.msg, status_code=409, error_code="UserErrorStorageAccountIsZRS",
                          request_id="req-1", correlation_id="corr-1")
        json.dumps(kw)
        assert str(err) == err.msg

    def test_with_context(self):
        err = self.make()
        ctx = err.with_context("Failed to trigger restore of vm;iaasvmcontainerv2;rg1;vm1")
        assert ctx.msg == ("Failed to trigger restore of vm;iaasvmcontainerv2;rg1;vm1: "
                           "(UserErrorStorageAccountIsZRS) The storage account is ZRS.")
        assert str(ctx) == ctx.msg
        assert ctx.status_code == 409 and ctx.correlation_id == "corr-1"
        assert err.msg != ctx.msg  # a copy

    def test_without_code(self):
        err = e.AzureApiError.from_response(502, {}, "<html>Bad Gateway</html>", "GET", "https://h/p")
        assert err.error_code is None
        assert err.with_context("Reading x").msg == "Reading x: (HTTP 502) Bad Gateway"

    def test_attempts_and_not_retried_notes(self):
        assert "gave up after 4 attempts" in self.make(attempts=4).msg
        assert "not retried" in e.AzureApiError.from_response(500, {}, None, "POST", "https://h/p",
                                                              retried=False).msg

    def test_secret_in_body_is_redacted(self):
        e.add_secret("client-secret-123")
        err = e.AzureApiError.from_response(400, {}, {"code": "Bad", "message": "secret client-secret-123 "
                                                      "and Bearer abc.def.ghi"}, "GET", "https://h/p")
        for text in (err.msg, err.error_message, json.dumps(err.to_fail_kwargs())):
            assert "client-secret-123" not in text and "abc.def.ghi" not in text


class TestOtherErrors:
    def test_operation_failed(self):
        err = e.OperationFailedError("Operation %s ended Failed: (X) y" % SIGNED, operation_url=SIGNED,
                                     status="Failed", error_code="X", error_message="y", body={"status": "Failed"})
        assert err.operation_url == SIGNED
        assert "SiGnAtUrE" not in err.msg
        kw = err.to_fail_kwargs()
        assert kw["operation_status"] == "Failed" and kw["error_code"] == "X"
        assert "SiGnAtUrE" not in kw["operation_url"]

    def test_operation_timeout_keeps_url_verbatim(self):
        err = e.OperationTimeoutError("Timed out waiting for %s" % SIGNED, operation_url=SIGNED,
                                      last_status="InProgress", elapsed=12.3456)
        assert err.operation_url == SIGNED
        assert "backupCrrOperationsStatus/abc?api-version=2023-01-15" in err.msg and "SiGnAtUrE" not in err.msg
        kw = err.to_fail_kwargs()
        assert kw["last_status"] == "InProgress" and kw["elapsed"] == 12.3
        assert "SiGnAtUrE" not in json.dumps(kw)

    def test_job_timeout(self):
        kw = e.OperationTimeoutError("Timed out waiting for job j1", job_id="j1", last_status="InProgress",
                                     elapsed=5).to_fail_kwargs()
        assert kw["job_id"] == "j1" and "operation_url" not in kw

    def test_validation_error(self):
        err = e.ValidationError("restore_type must be one of ...", option="restore_type")
        assert err.to_fail_kwargs() == dict(msg="restore_type must be one of ...", option="restore_type")
        assert e.ValidationError("x").to_fail_kwargs() == dict(msg="x")

    def test_hierarchy(self):
        for cls in (e.AzureApiError, e.AzureAuthError, e.AzureConnectionError, e.OperationFailedError,
                    e.OperationTimeoutError, e.ValidationError, e.MissingDependencyError):
            assert issubclass(cls, e.AzBackupError)

    def test_connection_error(self):
        err = e.AzureConnectionError("lost", method="GET", url=SIGNED, attempts=3, reason="reset")
        assert err.to_fail_kwargs()["attempts"] == 3
        assert "SiGnAtUrE" not in err.to_fail_kwargs()["url"]

    def test_missing_dependency(self):
        err = e.MissingDependencyError("requests", "Traceback ...")
        assert "requests" in err.msg and err.library == "requests"

    @pytest.mark.parametrize("value", ["eyJhbGciOi.payload.sig"])
    def test_auth_error_never_shows_secret(self, value):
        e.add_secret(value)
        err = e.AzureAuthError("token %s rejected" % value, "env")
        assert value not in err.msg and err.to_fail_kwargs()["auth_source"] == "env"


class TestContextAndAzureDetails:
    def test_with_context_keeps_the_retries(self):
        err = e.AzureApiError.from_response(503, {"x-ms-correlation-request-id": "c-9"},
                                            {"error": {"code": "ServiceUnavailable", "message": "later"}},
                                            "GET", "https://h/p", attempts=3)
        assert err.with_context("Failed to read x").msg == \
            "Failed to read x: (ServiceUnavailable) later [gave up after 3 attempts]"

    def test_validation_error_based_on_an_azure_answer(self):
        azure = e.AzureApiError.from_response(404, {"x-ms-correlation-request-id": "c-1", "x-ms-request-id": "r-1"},
                                              {"error": {"code": "ResourceNotFound", "message": "no such thing"}},
                                              "GET", "https://h/p")
        err = e.ValidationError("storage account x does not exist", option="staging_storage_account",
                                azure_error=azure)
        assert err.msg == ("storage account x does not exist: (ResourceNotFound) no such thing "
                           "(correlation id c-1)")
        assert err.to_fail_kwargs() == dict(msg=err.msg, option="staging_storage_account", status_code=404,
                                            error_code="ResourceNotFound", request_id="r-1", correlation_id="c-1")

    def test_auth_error_details(self):
        err = e.AzureAuthError("bad secret", "env", error_code="AADSTS7000215", correlation_id="c-2")
        assert err.to_fail_kwargs() == dict(msg="bad secret", auth_source="env", error_code="AADSTS7000215",
                                            correlation_id="c-2")
        assert e.AzureAuthError("x").to_fail_kwargs() == dict(msg="x")


def test_reworded_keeps_type_and_fields_whatever_the_constructor():
    cause = e.ValidationError("no such vault", option="vault_name")
    err = e.RestoreFailedError(cause, result=dict(request={}), outcome=dict(changed=True))
    other = err.reworded("another message")
    assert other.__class__ is e.RestoreFailedError and other.cause is cause and other.msg == "another message"
    assert other.to_fail_kwargs()["option"] == "vault_name" and other.to_fail_kwargs()["changed"] is True
    assert err.msg == "no such vault" and str(other) == "another message"
