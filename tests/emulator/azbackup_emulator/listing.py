"""$filter parsing and nextLink paging shared by the list operations."""

import json
import re
import urllib.parse

from .errors import ApiError
from .util import b64url, b64url_decode, det_hex

_CLAUSE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s+eq\s+(?:'((?:[^']|'')*)'|\"([^\"]*)\"|(\S+))\s*$", re.I)


def parse_filter(text, allowed):
    """Parse "a eq 'x' and b eq 'y'" into {lowercased key: value}. `allowed` maps lowercased
    keys to their canonical spelling."""
    out = {}
    if not text or not text.strip():
        return out
    for clause in re.split(r"\s+and\s+", text.strip(), flags=re.I):
        m = _CLAUSE.match(clause)
        if not m:
            raise ApiError(400, "BMSUserErrorInvalidInput",
                           "Input for the filter is invalid: '%s'. Use clauses of the form "
                           "\"<property> eq '<value>'\" joined with ' and '." % clause.strip())
        key = m.group(1).lower()
        if key not in allowed:
            raise ApiError(400, "BMSUserErrorInvalidInput",
                           "Input for the filter is invalid: property '%s' is not supported. Supported "
                           "properties: %s." % (m.group(1), ", ".join(sorted(allowed.values()))))
        val = m.group(2)
        if val is not None:
            val = val.replace("''", "'")
        else:
            val = m.group(3) if m.group(3) is not None else m.group(4)
        out[key] = val
    return out


def page(core, req, items, make_doc, filter_text=None):
    size = max(1, int(core.settings.get("page_size") or 200))
    fhash = det_hex(8, filter_text or "", req.raw_path.lower())
    tok = req.q("$skipToken") or req.q("$skiptoken")
    offset = 0
    if tok:
        try:
            data = json.loads(b64url_decode(tok))
            offset = int(data["o"])
            if data.get("f") != fhash or offset < 0:
                raise ValueError("mismatch")
        except Exception:  # noqa: BLE001 - any malformed token
            raise ApiError(400, "BMSUserErrorInvalidInput",
                           "The skip token '%s' is invalid or does not belong to this query." % tok)
    chunk = items[offset: offset + size]
    body = {"value": [make_doc(x) for x in chunk]}
    if offset + size < len(items):
        params = [(k, v) for k, v in req.query.items() if k.lower() != "$skiptoken"]
        params.append(("$skipToken", b64url(json.dumps({"o": offset + size, "f": fhash}))))
        qs = urllib.parse.urlencode(params, quote_via=urllib.parse.quote, safe="$'")
        body["nextLink"] = "%s%s?%s" % (core.endpoint, req.raw_path, qs)
    return body
