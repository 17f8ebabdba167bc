# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Times as the options give them and as Azure Backup spells them.

Internal to this collection: not a public API, may change at any time.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import re

from ansible_collections.azbackup.restore.plugins.module_utils._errors import ValidationError

# Azure's $filter date format (the one the Azure CLI sends).
FILTER_TIME_FORMAT = "%Y-%m-%d %I:%M:%S %p"
# The US-style format of the "Recovery point time " entry of a restore job's propertyBag.
JOB_RP_TIME_FORMAT = "%m/%d/%Y %I:%M:%S %p"


_ISO_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?\s*(Z|z|[+-]\d{2}:?\d{2})?$"
)


def parse_time(value, option=None):
    """Parse an ISO 8601 date or date-time into an aware UTC datetime.

    A value without a zone is taken as UTC (Azure sends its times that way). Raises
    ValidationError naming ``option`` when the value is not ISO 8601.
    """
    if isinstance(value, datetime.datetime):
        dt = value
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=datetime.timezone.utc)
        return dt.astimezone(datetime.timezone.utc)
    text = str(value).strip() if value is not None else ""
    m = _ISO_RE.match(text)
    if not m:
        raise ValidationError(
            "%s must be an ISO 8601 date or date-time (for example 2026-11-01T08:00:00Z), got %r"
            % (option or "time", value), option=option)
    year, month, day, hour, minute, second, frac, zone = m.groups()
    try:
        micro = int((frac or "0").ljust(6, "0")[:6])
        dt = datetime.datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0),
                               int(second or 0), micro)
    except ValueError as e:
        raise ValidationError("%s is not a valid date-time (%s): %r" % (option or "time", e, value), option=option)
    if zone and zone not in ("Z", "z"):
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        offset = datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        dt = (dt - sign * offset)
    return dt.replace(tzinfo=datetime.timezone.utc)


def format_time(dt):
    """ISO 8601 UTC with a Z, seconds precision (how the modules return times)."""
    if dt is None:
        return None
    return parse_time(dt).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_filter_time(dt):
    return parse_time(dt).strftime(FILTER_TIME_FORMAT)


def parse_azure_time(value):
    """Parse a time as Azure returns it; None for empty or the 0001-01-01 'not yet' marker."""
    if not value or str(value).startswith("0001-01-01"):
        return None
    try:
        return parse_time(value)
    except ValidationError:
        return None


def parse_job_rp_time(value):
    """Parse the propertyBag's 'Recovery point time ' (US style, UTC). None when unparsable."""
    if not value:
        return None
    try:
        return datetime.datetime.strptime(str(value).strip(), JOB_RP_TIME_FORMAT).replace(
            tzinfo=datetime.timezone.utc)
    except ValueError:
        return parse_azure_time(value)


def check_time_window(start, end):
    """Parse the start/end options and refuse a window that ends before it starts."""
    start_dt = parse_time(start, "start_time") if start else None
    end_dt = parse_time(end, "end_time") if end else None
    if start_dt and end_dt and end_dt < start_dt:
        raise ValidationError("end_time (%s) is before start_time (%s)" % (format_time(end_dt), format_time(start_dt)),
                              option="end_time")
    return start_dt, end_dt


def format_azure_time(value):
    """A time as Azure returns it, as the modules return times (None for empty or 'not yet')."""
    parsed = parse_azure_time(value)
    return format_time(parsed) if parsed else None
