"""Small helpers: time formatting, deterministic identifiers, JSON."""

import base64
import datetime as _dt
import hashlib
import json
import re
import uuid

UTC = _dt.timezone.utc
ZERO_TIME = "0001-01-01T00:00:00"


def utcnow():
    return _dt.datetime.now(UTC)


def from_ts(ts):
    return _dt.datetime.fromtimestamp(ts, UTC)


def iso(dt):
    """ISO-8601 with 7 fractional digits and 'Z', the way Azure Backup prints times."""
    if dt is None:
        return None
    dt = dt.astimezone(UTC)
    return "%s.%06d0Z" % (dt.strftime("%Y-%m-%dT%H:%M:%S"), dt.microsecond)


def iso_offset(dt):
    """ISO-8601 with '+00:00' (Compute / Storage style)."""
    dt = dt.astimezone(UTC)
    return "%s.%06d0+00:00" % (dt.strftime("%Y-%m-%dT%H:%M:%S"), dt.microsecond)


def us_time(dt):
    """'12/25/2019 10:07:11 PM' (the format of job property bags and CRR tokens)."""
    dt = dt.astimezone(UTC)
    hour = dt.hour % 12 or 12
    return "%d/%d/%d %d:%02d:%02d %s" % (
        dt.month, dt.day, dt.year, hour, dt.minute, dt.second, "AM" if dt.hour < 12 else "PM")


def http_date(dt):
    dt = dt.astimezone(UTC)
    return dt.strftime("%a, %d %b %Y %H:%M:%S GMT")


def iso_duration(seconds):
    """ISO-8601 duration like .NET's XmlConvert: PT1H2M3.4567891S."""
    if seconds < 0:
        seconds = 0
    whole = int(seconds)
    frac = seconds - whole
    h, rem = divmod(whole, 3600)
    m, s = divmod(rem, 60)
    out = "PT"
    if h:
        out += "%dH" % h
    if m:
        out += "%dM" % m
    if frac >= 1e-7:
        out += ("%d.%07d" % (s, int(round(frac * 1e7)) % 10000000)).rstrip("0") + "S"
    elif s or out == "PT":
        out += "%dS" % s
    return out


_TIME_RE = re.compile(
    r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(\.\d+)?)?\s*(AM|PM|am|pm)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?\s*$")


def parse_time(text):
    """Parse the time formats clients send in $filter: ISO-8601 and '%Y-%m-%d %I:%M:%S %p'
    (including the '00:00:00 AM' spelling of the examples). Returns an aware datetime or None."""
    if text is None:
        return None
    m = _TIME_RE.match(str(text))
    if not m:
        return None
    year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
    hour = int(m.group(4) or 0)
    minute = int(m.group(5) or 0)
    second = int(m.group(6) or 0)
    micro = int(round(float(m.group(7)) * 1e6)) if m.group(7) else 0
    if micro >= 1000000:
        micro = 999999
    ampm = (m.group(8) or "").upper()
    if ampm:
        if hour > 12:
            return None
        hour = hour % 12
        if ampm == "PM":
            hour += 12
    tz = UTC
    off = m.group(9)
    if off and off != "Z":
        sign = 1 if off[0] == "+" else -1
        digits = off[1:].replace(":", "")
        tz = _dt.timezone(sign * _dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    try:
        return _dt.datetime(year, month, day, hour, minute, second, micro, tzinfo=tz).astimezone(UTC)
    except ValueError:
        return None


def digest(*parts):
    h = hashlib.sha256()
    for p in parts:
        h.update(str(p).encode("utf-8"))
        h.update(b"\x00")
    return h.digest()


def det_uuid(*parts):
    return str(uuid.UUID(bytes=digest(*parts)[:16], version=4))


def det_hex(n, *parts):
    return digest(*parts).hex()[:n]


def det_digits(n, *parts):
    value = int.from_bytes(digest(*parts)[:12], "big")
    lo = 10 ** (n - 1)
    return str(lo + value % (9 * lo))


def new_uuid():
    return str(uuid.uuid4())


def b64url(data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text):
    text = str(text)
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def dumps(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def norm_region(name):
    return re.sub(r"\s+", "", str(name or "")).lower()


def sanitize(name):
    return re.sub(r"[^a-z0-9]", "", str(name).lower())
