"""Fault rules and ARM-style throttling (token buckets per subscription)."""

import copy
import itertools
import math
import re
import time
import urllib.parse

ACTIONS = ("status", "drop", "drop_after_commit", "delay", "expire_tokens",
           "operation_outcome", "job_outcome", "foreign_operation_url", "foreign_next_link")

# Outcome rules count as applied only when the request really starts an operation.
OUTCOME_ACTIONS = ("operation_outcome", "job_outcome")

# Answer rules rewrite URLs in the real answer; they count as applied only when they rewrote one.
RESPONSE_ACTIONS = ("foreign_operation_url", "foreign_next_link")
OPERATION_HEADERS = ("azure-asyncoperation", "location")  # compared in lower case

_URL_BASE = re.compile(r"^https?://[^/?#\s]+$", re.I)

_ids = itertools.count(1)


class FaultError(ValueError):
    pass


def normalise_rule(rule):
    if not isinstance(rule, dict):
        raise FaultError("a fault rule must be an object")
    r = copy.deepcopy(rule)
    action = r.get("action")
    if action is None:
        if "status" in r:
            action = "status"
        else:
            raise FaultError("fault rule needs an 'action' (one of %s)" % ", ".join(ACTIONS))
    if action not in ACTIONS:
        raise FaultError("unknown fault action %r (one of %s)" % (action, ", ".join(ACTIONS)))
    r["action"] = action
    method = r.get("method") or "*"
    if isinstance(method, str):
        method = [m.strip().upper() for m in method.split(",")]
    r["method"] = [m.upper() for m in method]
    r.setdefault("path", ".*")
    try:
        re.compile(r["path"])
    except re.error as e:
        raise FaultError("bad path regex %r: %s" % (r["path"], e))
    r.setdefault("api_version", None)
    r["after"] = int(r.get("after") or 0)
    count = r.get("count")
    r["count"] = None if count in (None, "always", -1) else int(count)
    if action == "status":
        if "status" not in r:
            raise FaultError("a status fault needs 'status'")
        r["status"] = int(r["status"])
    if action == "delay":
        r["seconds"] = float(r.get("seconds", 1))
    if action == "job_outcome":
        r.setdefault("status", "Failed")
        if r["status"] not in ("Failed", "CompletedWithWarnings", "Cancelled", "Completed"):
            raise FaultError("job_outcome status must be Failed, CompletedWithWarnings, Cancelled or Completed")
    if action == "operation_outcome":
        r.setdefault("status", "Failed")
        if r["status"] not in ("Failed", "Canceled", "Succeeded"):
            raise FaultError("operation_outcome status must be Failed, Canceled or Succeeded")
    if action in RESPONSE_ACTIONS:
        base = r.get("url_base")
        if not isinstance(base, str) or not _URL_BASE.match(base.rstrip("/")):
            raise FaultError("a %s fault needs 'url_base': scheme://host[:port] (http or https, no path), got %r"
                             % (action, base))
        r["url_base"] = base.rstrip("/")
    r["id"] = r.get("id") or "fault-%d" % next(_ids)
    r["matched"] = int(r.get("matched", 0))
    r["applied"] = int(r.get("applied", 0))
    return r


class Faults:
    def __init__(self, rules=()):
        self.rules = [normalise_rule(r) for r in rules]

    def add(self, rule):
        r = normalise_rule(rule)
        self.rules.append(r)
        return r

    def remove(self, rule_id):
        before = len(self.rules)
        self.rules = [r for r in self.rules if r["id"] != rule_id]
        return len(self.rules) != before

    def clear(self):
        self.rules = []

    def match(self, method, path, api_version):
        """Return the rules that apply to this request, updating their counters."""
        applied = []
        for r in self.rules:
            if "*" not in r["method"] and method.upper() not in r["method"]:
                continue
            if r["api_version"] and r["api_version"] != api_version:
                continue
            if not re.search(r["path"], path, re.I):
                continue
            r["matched"] += 1
            if r["matched"] <= r["after"]:
                continue
            if r["count"] is not None and r["applied"] >= r["count"]:
                continue
            if r["action"] not in OUTCOME_ACTIONS + RESPONSE_ACTIONS:
                r["applied"] += 1
            applied.append(r)
        return applied

    @staticmethod
    def rewrite_answer(rules, resp):
        """Apply the answer rules among `rules` (from `match`) to the real answer `resp`.

        `foreign_operation_url` points the Azure-AsyncOperation and Location headers, and
        `foreign_next_link` the body's nextLink, at the rule's `url_base` (another scheme, host or
        port), keeping path and query verbatim. A rule counts as applied when it rewrote a URL.
        """
        for r in rules or []:
            if r["action"] == "foreign_operation_url":
                names = [k for k in resp.headers if k.lower() in OPERATION_HEADERS]
                for name in names:
                    resp.headers[name] = rebase_url(resp.headers[name], r["url_base"])
            elif r["action"] == "foreign_next_link":
                body = resp.body if isinstance(resp.body, dict) else {}
                names = ["nextLink"] if body.get("nextLink") else []
                for name in names:
                    body[name] = rebase_url(body[name], r["url_base"])
            else:
                continue
            if names:
                r["applied"] += 1
        return resp


def rebase_url(url, url_base):
    """`url` with its scheme, host and port replaced by `url_base`; path, query and fragment verbatim."""
    parts = urllib.parse.urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return url_base + (url if url.startswith("/") else "/" + url)
    return url_base + url[len(parts.scheme) + 3 + len(parts.netloc):]


class Bucket:
    def __init__(self, capacity, rate):
        self.capacity = float(capacity)
        self.rate = float(rate)
        self.tokens = float(capacity)
        self.stamp = time.monotonic()

    def _refill(self):
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def take(self):
        self._refill()
        if self.tokens >= 1:
            self.tokens -= 1
            return True, 0
        wait = (1 - self.tokens) / self.rate if self.rate > 0 else 3600
        return False, max(1, int(math.ceil(wait)))

    def remaining(self):
        self._refill()
        return int(self.tokens)


class Throttle:
    def __init__(self):
        self.buckets = {}
        self.config = None

    def configure(self, cfg):
        if cfg != self.config:
            self.config = copy.deepcopy(cfg)
            self.buckets = {}

    def check(self, subscription, kind):
        """kind 'reads' or 'writes'. Returns (allowed, retry_after, remaining)."""
        cfg = self.config or {}
        spec = cfg.get(kind) or {}
        key = ((subscription or "").lower(), kind)
        b = self.buckets.get(key)
        if b is None:
            b = self.buckets[key] = Bucket(spec.get("capacity", 250), spec.get("refill_per_second", 25))
        if not cfg.get("enabled"):
            return True, 0, max(int(b.capacity) - 1, 0)
        ok, wait = b.take()
        return ok, wait, b.remaining()
