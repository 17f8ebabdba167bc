# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

import pytest

from ansible_collections.azbackup.restore.plugins.module_utils import _time as t
from ansible_collections.azbackup.restore.plugins.module_utils._errors import ValidationError

UTC = datetime.timezone.utc


class TestTime:
    def test_parse_iso_variants(self):
        assert t.parse_time("2026-11-01T08:00:00Z") == datetime.datetime(2026, 11, 1, 8, tzinfo=UTC)
        assert t.parse_time("2026-11-01T10:00:00+02:00") == datetime.datetime(2026, 11, 1, 8, tzinfo=UTC)
        assert t.parse_time("2026-11-01") == datetime.datetime(2026, 11, 1, tzinfo=UTC)
        assert t.parse_time("2019-12-25T22:07:11.1234567Z").microsecond == 123456

    @pytest.mark.parametrize("bad", ["yesterday", "01/11/2026", "2026-13-01", "2026-11-01T25:00:00Z", ""])
    def test_parse_bad_names_option(self, bad):
        with pytest.raises(ValidationError) as e:
            t.parse_time(bad, "start_time")
        assert "start_time" in str(e.value) and e.value.option == "start_time"

    def test_window_end_before_start(self):
        with pytest.raises(ValidationError) as e:
            t.check_time_window("2026-11-02T00:00:00Z", "2026-11-01T00:00:00Z")
        assert "end_time" in str(e.value) and "before" in str(e.value)

    def test_filter_format_is_the_clis(self):
        assert t.format_filter_time(t.parse_time("2024-02-01T13:05:09Z")) == "2024-02-01 01:05:09 PM"
        assert t.format_filter_time(t.parse_time("2024-01-01T00:00:00Z")) == "2024-01-01 12:00:00 AM"

    def test_job_rp_time_us_format(self):
        assert t.parse_job_rp_time("12/25/2019 10:07:11 PM") == datetime.datetime(2019, 12, 25, 22, 7, 11, tzinfo=UTC)
        assert t.parse_job_rp_time("garbage") is None

    def test_azure_zero_time_is_none(self):
        assert t.parse_azure_time("0001-01-01T00:00:00") is None
