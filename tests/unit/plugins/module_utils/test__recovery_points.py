# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.azbackup.restore.plugins.module_utils import _recovery_points as r
from ansible_collections.azbackup.restore.plugins.module_utils._errors import ValidationError
from ansible_collections.azbackup.restore.plugins.module_utils._time import parse_time
from ansible_collections.azbackup.restore.tests.unit.plugins.conftest import FakeClient, item_ref, spec_example


def rp(name, when, kind, tiers):
    return r.normalize_recovery_point({"name": name, "properties": {
        "recoveryPointType": kind, "recoveryPointTime": when,
        "recoveryPointTierDetails": [{"type": t, "status": s} for t, s in tiers],
        "recoveryPointDiskConfiguration": {"includedDiskList": [{"lun": 1}, {"lun": 0}]}}})


def points():
    return [
        rp("1", "2026-11-01T01:00:00Z", "CrashConsistent", [("HardenedRP", "Valid")]),
        rp("3", "2026-11-03T01:00:00Z", "AppConsistent", [("InstantRP", "Valid"), ("HardenedRP", "Valid")]),
        rp("2", "2026-11-02T01:00:00Z", "AppConsistent", [("HardenedRP", "Valid")]),
        rp("0", "2026-09-01T01:00:00Z", "AppConsistent", [("ArchivedRP", "Valid")]),
    ]


class TestRecoveryPoints:
    def test_normalize_spec_example(self):
        ex = spec_example("2024-04-01", "AzureIaasVm/RecoveryPoints_Get.json")
        p = r.normalize_recovery_point(ex["responses"]["200"]["body"])
        assert p["name"] == ex["responses"]["200"]["body"]["name"]
        assert p["time"].endswith("Z")
        assert p["properties"]["objectType"] == "IaasVMRecoveryPoint"
        assert isinstance(p["tiers"], list)

    def test_integer_tier_enums(self):
        p = r.normalize_recovery_point({"name": "1", "properties": {
            "recoveryPointTierDetails": [{"type": 1, "status": 1}, {"type": 2, "status": 1}],
            "recoveryPointTime": "2026-11-01T00:00:00Z"}})
        assert p["usable_tiers"] == ["InstantRP", "HardenedRP"]

    def test_select_latest_and_filters(self):
        pts = points()
        assert [p["name"] for p in r.select_recovery_points(pts)] == ["3", "2", "1", "0"]
        assert [p["name"] for p in r.select_recovery_points(pts, latest=True)] == ["3"]
        assert [p["name"] for p in r.select_recovery_points(pts, tier="snapshot")] == ["3"]
        assert [p["name"] for p in r.select_recovery_points(pts, tier="archive")] == ["0"]
        assert [p["name"] for p in r.select_recovery_points(pts, recovery_point_type="crashconsistent")] == ["1"]
        before = parse_time("2026-11-02T12:00:00Z")
        assert [p["name"] for p in r.select_recovery_points(pts, end=before, latest=True)] == ["2"]
        assert pts[0]["disk_luns"] == [0, 1]

    def test_needs_rehydration(self):
        pts = dict((p["name"], p) for p in points())
        assert r.needs_rehydration(pts["0"]) is True
        assert r.needs_rehydration(pts["3"]) is False

    def test_filter_format_is_the_clis(self):
        f = r.recovery_point_filter(parse_time("2024-01-01T00:00:00Z"), parse_time("2024-02-01T13:05:09Z"))
        assert f == "endDate eq '2024-02-01 01:05:09 PM' and startDate eq '2024-01-01 12:00:00 AM'"
        assert r.recovery_point_filter() is None

    def test_argspec_makes_the_id_exclusive_with_every_filter(self):
        assert set(r.RECOVERY_POINT_MUTUALLY_EXCLUSIVE) == set(("recovery_point_id", f) for f in r.FILTERS)
        assert set(r.FILTERS) | {"recovery_point_id"} == set(r.RECOVERY_POINT_ARGSPEC)


class TestChoose:
    def reader(self, value, secondary=False):
        client = FakeClient(lambda *a: (200, {}, {"value": value}))
        return r.RecoveryPoints(client, item_ref(), secondary=secondary, region="northeurope" if secondary else None)

    def test_newest_matching(self):
        raw = [dict(p, properties=dict(p["properties"])) for p in [
            {"name": "1", "properties": {"recoveryPointTime": "2026-11-01T01:00:00Z"}},
            {"name": "2", "properties": {"recoveryPointTime": "2026-11-02T01:00:00Z"}}]]
        assert self.reader(raw).choose({})["name"] == "2"

    def test_none_matches_names_the_item_and_the_filters(self):
        with pytest.raises(ValidationError) as e:
            self.reader([]).choose(dict(tier="archive"))
        assert e.value.option == "recovery_point_id"
        assert e.value.msg == ("no recovery point of VM vm-web-01 (resource group rg-prod) in vault rsv-prod "
                               "(resource group rg-vault) matches tier=archive")

    def test_none_in_the_secondary_region(self):
        with pytest.raises(ValidationError) as e:
            self.reader([], secondary=True).choose({})
        assert "(it has none) in the secondary region northeurope" in e.value.msg
        assert "the newest points may not be replicated yet" in e.value.msg

    def test_secondary_list_url_and_api_version(self):
        reader = self.reader([], secondary=True)
        reader.list()
        method, url, version = reader.client.calls[0][:3]
        assert url == item_ref().path + "/recoveryPoints/" and version == "2023-01-15"
