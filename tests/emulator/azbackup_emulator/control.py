"""The control API under /_emulator/ (no authentication, plain JSON) and its Python twin."""

import copy

from .core_types import Response
from .errors import ApiError
from .faults import FaultError


def handle(core, req):
    segs = list(req.segments[1:])
    low = [s.lower() for s in segs]
    m = req.method
    body = req.json if req.json is not None else {}
    if low == ["health"]:
        return Response(200, {"ok": True})
    if low == ["requests"]:
        if m == "GET":
            since = req.q("since")
            entries = core.log
            if since:
                entries = [e for e in entries if e["seq"] > int(since)]
            return Response(200, copy.deepcopy(entries))
        if m == "DELETE":
            core.log = []
            return Response(200, {"cleared": True})
    if low == ["faults"]:
        if m == "GET":
            return Response(200, copy.deepcopy(core.faults.rules))
        if m == "POST":
            rules = body if isinstance(body, list) else [body]
            try:
                added = [core.faults.add(r) for r in rules]
            except FaultError as e:
                raise ApiError(400, "InvalidFault", str(e))
            return Response(201, copy.deepcopy(added if isinstance(body, list) else added[0]))
        if m == "DELETE":
            core.faults.clear()
            return Response(200, {"cleared": True})
    if len(low) == 2 and low[0] == "faults" and m == "DELETE":
        if not core.faults.remove(segs[1]):
            raise ApiError(404, "FaultNotFound", "No fault rule '%s'." % segs[1])
        return Response(200, {"removed": segs[1]})
    if low == ["state"] and m == "GET":
        return Response(200, core.state_view())
    if len(low) == 3 and low[0] == "jobs" and low[2] == "finish" and m == "POST":
        status = (body or {}).get("status", "Completed")
        return Response(200, core.control_finish_job(segs[1], status))
    if low == ["settings"]:
        if m == "GET":
            return Response(200, copy.deepcopy(core.settings))
        if m in ("POST", "PATCH"):
            return Response(200, core.update_settings(body))
    if low == ["tokens"] and m == "GET":
        return Response(200, core.auth.issued_tokens())
    if low == ["tokens", "expire"] and m == "POST":
        core.auth.expire_all()
        return Response(200, {"expired": True})
    if low == ["reset"] and m == "POST":
        core.reset()
        return Response(200, {"reset": True})
    if low == ["clock", "advance"] and m == "POST":
        now = core.advance(float((body or {}).get("seconds", 0)))
        return Response(200, {"now": now})
    raise ApiError(404, "NotFound", "Unknown control endpoint %s %s" % (m, req.path))


class Control:
    """Direct Python access to the same operations as the control HTTP API."""

    def __init__(self, core):
        self._core = core

    def requests(self, since=None):
        with self._core.lock:
            entries = self._core.log
            if since:
                entries = [e for e in entries if e["seq"] > int(since)]
            return copy.deepcopy(entries)

    def clear_requests(self):
        with self._core.lock:
            self._core.log = []

    reset_log = clear_requests

    def faults(self):
        with self._core.lock:
            return copy.deepcopy(self._core.faults.rules)

    def add_fault(self, rule=None, **kwargs):
        rule = dict(rule or {}, **kwargs)
        with self._core.lock:
            return copy.deepcopy(self._core.faults.add(rule))

    def remove_fault(self, rule_id):
        with self._core.lock:
            return self._core.faults.remove(rule_id)

    def clear_faults(self):
        with self._core.lock:
            self._core.faults.clear()

    def state(self):
        return self._core.state_view()

    def finish_job(self, job_id, status="Completed"):
        return self._core.control_finish_job(job_id, status)

    def settings(self, **patch):
        if patch:
            return self._core.update_settings(patch)
        with self._core.lock:
            return copy.deepcopy(self._core.settings)

    def update_settings(self, patch=None, **kwargs):
        return self._core.update_settings(dict(patch or {}, **kwargs))

    def expire_tokens(self):
        with self._core.lock:
            self._core.auth.expire_all()

    def issued_tokens(self):
        with self._core.lock:
            return self._core.auth.issued_tokens()

    def reset(self):
        self._core.reset()

    def advance(self, seconds):
        return self._core.advance(seconds)

    def now(self):
        return self._core.clock.now()
