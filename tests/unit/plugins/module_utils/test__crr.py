# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import datetime
import json

import pytest

from ansible_collections.azbackup.restore.plugins.module_utils import _crr as c
from ansible_collections.azbackup.restore.plugins.module_utils._errors import AzBackupError, ValidationError
from ansible_collections.azbackup.restore.tests.unit.plugins.conftest import SUB, FakeClient, item_ref


def jwt(claims):
    def enc(d):
        return base64.urlsafe_b64encode(json.dumps(d).encode()).decode().rstrip("=")
    return "%s.%s.signature" % (enc({"alg": "RS256", "typ": "JWT"}), enc(claims))


class TestAccessToken:
    def test_expiry(self):
        assert c.jwt_expiry(jwt({"exp": 1700000000})) == 1700000000
        assert c.jwt_expiry("not-a-jwt") is None
        assert c.jwt_expiry("a.!!!.c") is None

    def test_token_expiry(self):
        now = datetime.datetime(2026, 11, 10, 12, tzinfo=datetime.timezone.utc)
        assert c.token_expiry(jwt({"exp": 1700000000}), now) == datetime.datetime.fromtimestamp(
            1700000000, datetime.timezone.utc)
        assert c.token_expiry("opaque", now) == now + datetime.timedelta(hours=23)

    def test_usable(self):
        d = {"accessTokenString": jwt({"exp": 10000}), "recoveryPointId": "111"}
        assert c.access_details_problem(d, "111", now=5000) is None

    def test_expired_or_expiring(self):
        d = {"accessTokenString": jwt({"exp": 10000}), "recoveryPointId": "111"}
        assert "expired" in c.access_details_problem(d, "111", now=10001)
        assert "expires in" in c.access_details_problem(d, "111", now=10000 - 30)

    def test_other_point_or_no_token(self):
        d = {"accessTokenString": jwt({"exp": 10000}), "recoveryPointId": "222"}
        assert "222" in c.access_details_problem(d, "111", now=0)
        assert c.access_details_problem({}, "111", now=0)

    def test_opaque_token_is_trusted(self):
        assert c.access_details_problem({"accessTokenString": "opaque"}, "111", now=0) is None

    def test_request_registers_the_token_as_a_secret(self):
        token = jwt({"exp": 1})
        client = FakeClient(lambda *a: (200, {}, {"properties": {"accessTokenString": token,
                                                                 "recoveryPointId": "111"}}))
        details = c.request_access_token(client, item_ref(), "111", {"id": "x", "properties": {"a": 1}})
        assert details["accessTokenString"] == token and token not in AzBackupError("x " + token).msg
        assert client.calls[0][1] == item_ref().recovery_point_path("111") + "/accessToken"
        assert client.calls[0][4] == {"properties": {"a": 1}}

    def test_aad_body(self):
        assert c.aad_body({"tenantId": "t"}) == {"properties": {"tenantId": "t"}}
        with pytest.raises(ValidationError) as e:
            c.aad_body({})
        assert e.value.option == "aad_properties"


class TestBody:
    def test_crr_body_and_mask(self):
        body = c.crr_body({"accessTokenString": "s3cr3t-token", "recoveryPointId": "111"}, {"region": "northeurope"})
        assert body["crossRegionRestoreAccessDetails"]["objectType"] == "CrrAccessToken"
        masked = c.masked_body(body)
        assert masked["crossRegionRestoreAccessDetails"]["accessTokenString"] == c.MASKED
        assert body["crossRegionRestoreAccessDetails"]["accessTokenString"] == "s3cr3t-token"
        assert "s3cr3t" not in json.dumps(masked)


class TestSecondaryRegion:
    LOCATIONS = {"value": [{"name": "westeurope", "metadata": {"pairedRegion": [{"name": "northeurope"}]}},
                           {"name": "lonely", "metadata": {"pairedRegion": []}}]}

    def test_paired_region_from_arm(self):
        client = FakeClient(lambda *a: (200, {}, self.LOCATIONS))
        assert c.secondary_region_of(client, SUB, {"location": "West Europe"}) == "northeurope"
        assert client.calls[0][1] == "/subscriptions/%s/locations" % SUB

    def test_option_wins_and_region_without_pair(self):
        client = FakeClient(lambda *a: (200, {}, self.LOCATIONS))
        assert c.secondary_region_of(client, SUB, {"location": "westeurope"}, "North Europe") == "northeurope"
        assert client.calls == []
        with pytest.raises(ValidationError) as e:
            c.secondary_region_of(client, SUB, {"location": "lonely"})
        assert e.value.option == "secondary_region" and "no paired region" in e.value.msg
