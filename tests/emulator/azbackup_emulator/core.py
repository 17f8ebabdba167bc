"""The emulator core: state, clock, auth, faults, throttling, the request log, and the life
cycle of operations and jobs. One lock serialises everything; time-driven state is advanced
lazily before each request."""

import copy
import datetime as _dt
import json
import os
import sys
import threading
import traceback
import urllib.parse

from . import arm, armops, backup, control, crr, guest, ilr, tags
from . import world as W
from .auth import AadError, Auth, metadata_endpoints, token_issued_log_view
from .clock import Clock
from .core_types import Response
from .errors import ApiError
from .faults import Faults, Throttle
from .rbac import Rbac
from .restore import apply_effects
from .state import State
from .util import http_date, iso, new_uuid, utcnow

TERMINAL_JOB = ("Completed", "CompletedWithWarnings", "Failed", "Cancelled")


class Request:
    """A parsed request. `path` and `segments` are percent-decoded; `target` is as received."""

    def __init__(self, method, target, headers, body):
        self.method = method.upper()
        self.target = target
        self.headers = headers
        self.body_bytes = body or b""
        raw_path, _unused, qs = target.partition("?")
        self.raw_path = raw_path
        self.query_string = qs
        self.query = {}
        for k, v in urllib.parse.parse_qsl(qs, keep_blank_values=True):
            self.query[k] = v
        segs = [urllib.parse.unquote(s) for s in raw_path.split("/")]
        self.path = "/".join(segs)
        while len(segs) > 1 and segs[-1] == "":
            segs.pop()
        self.segments = segs[1:] if segs and segs[0] == "" else segs
        self.api_version = self.q("api-version")
        self.kind = None
        self.json = None
        self.json_error = None
        self.form = None
        ctype = (self.header("Content-Type") or "").lower()
        if self.body_bytes:
            if "x-www-form-urlencoded" in ctype:
                self.form = dict(urllib.parse.parse_qsl(self.body_bytes.decode("utf-8", "replace"),
                                                        keep_blank_values=True))
            else:
                try:
                    self.json = json.loads(self.body_bytes.decode("utf-8"))
                except (ValueError, UnicodeDecodeError) as e:
                    self.json_error = str(e)
        self.seq = None
        self.claims = None
        self.fault_actions = []

    def q(self, name):
        low = name.lower()
        for k, v in self.query.items():
            if k.lower() == low:
                return v
        return None

    def header(self, name):
        if self.headers is None:
            return None
        if hasattr(self.headers, "get"):
            v = self.headers.get(name)
            if v is not None:
                return v
            low = name.lower()
            for k in list(self.headers.keys()):
                if k.lower() == low:
                    return self.headers[k]
        return None

    def header_dict(self):
        out = {}
        for k in self.headers.keys():
            v = self.headers[k]
            if k.lower() in ("authorization", "x-ms-authorization-auxiliary"):
                v = "Bearer <redacted>" if str(v).lower().startswith("bearer") else "<redacted>"
            out[k] = v
        return out


class Core:
    def __init__(self, world, state_dir=None, time_scale=None):
        self.lock = threading.RLock()
        self.world_src = world
        self.world = W.load(world)
        if time_scale is not None:
            self.world["settings"]["time_scale"] = float(time_scale)
        self.state_dir = state_dir
        self.endpoint = "https://127.0.0.1:0"
        self.clock = Clock(self.world["settings"]["time_scale"])
        self.settings = copy.deepcopy(self.world["settings"])
        self.state = State(self.world, self.clock.now())
        self.auth = Auth(lambda: self.state, lambda: self.settings, lambda: self.endpoint)
        self.rbac = Rbac(self.world)
        self.faults = Faults(self.world["faults"])
        self.throttle = Throttle()
        self.throttle.configure(self.settings.get("throttling"))
        self.log = []
        self.seq = 0
        self.secret = os.urandom(32)
        self.log_file = os.path.join(state_dir, "requests.jsonl") if state_dir else None

    # ------------------------------------------------------------------ identity
    @property
    def tenant_id(self):
        return self.world["tenants"][0]["id"]

    @property
    def client(self):
        return self.world["tenants"][0]["clients"][0]

    @property
    def subscription_id(self):
        return self.world["subscriptions"][0]["id"]

    def now_ts(self):
        return self.clock.now_ts()

    # ------------------------------------------------------------------ request entry
    def handle(self, req):
        with self.lock:
            received = utcnow()
            self.tick()
            req.kind = classify(req)
            if req.kind == "control":
                try:
                    if req.segments[1:2] and req.segments[1].lower() == "rbac":
                        resp = self.rbac.control(self, req)
                    else:
                        resp = control.handle(self, req)
                except ApiError as e:
                    resp = Response(e.status, e.to_body(), e.headers)
                except (ValueError, TypeError) as e:
                    resp = Response(400, {"error": {"code": "BadRequest", "message": str(e)}})
                except Exception as e:  # noqa: BLE001
                    traceback.print_exc(file=sys.stderr)
                    resp = Response(500, {"error": {"code": "InternalServerError", "message": str(e)}})
                resp.headers.setdefault("Content-Type", "application/json; charset=utf-8")
                return resp
            self.seq += 1
            req.seq = self.seq
            resp = self._handle_api(req)
            self._log(req, resp, received)
            return resp

    def _handle_api(self, req):
        rules = self.faults.match(req.method, req.path, req.api_version)
        req.fault_actions = rules
        resp = None
        drop_after = False
        delay = 0.0
        for r in rules:
            a = r["action"]
            if a == "expire_tokens":
                self.auth.expire_all()
            elif a == "delay":
                delay += r["seconds"]
            elif a == "drop_after_commit":
                drop_after = True
            elif a in ("status", "drop") and resp is None:
                if a == "drop":
                    resp = Response(0)
                    resp.drop = True
                else:
                    resp = self._fault_response(req, r)
        if resp is None:
            resp = self._dispatch(req)
            self.faults.rewrite_answer(rules, resp)
            if drop_after:
                resp.committed_status = resp.status
                resp.drop = True
        self._common_headers(req, resp)
        resp.delay = delay
        resp.faults = [r["id"] for r in rules]
        return resp

    def _dispatch(self, req):
        try:
            if req.kind == "metadata":
                return Response(200, metadata_endpoints(self.endpoint))
            if req.kind == "aad":
                return self._aad(req)
            return self._arm(req)
        except ApiError as e:
            return Response(e.status, e.to_body(), e.headers)
        except AadError as e:
            return Response(e.status, e.to_body())
        except Exception as e:  # noqa: BLE001 - an emulator bug must still answer like a server
            traceback.print_exc(file=sys.stderr)
            return Response(500, {"error": {"code": "InternalServerError",
                                            "message": "The emulator failed: %s: %s" % (type(e).__name__, e)}})

    def _aad(self, req):
        segs = req.segments
        low = [s.lower() for s in segs]
        if req.method == "GET" and low[:3] == ["common", "discovery", "instance"]:
            return Response(200, self.auth.instance_discovery(req.query))
        if req.method == "GET" and low[-2:] == [".well-known", "openid-configuration"]:
            return Response(200, self.auth.openid_configuration(segs[0], v2=(len(low) > 1 and low[1] == "v2.0")))
        if low[-1:] == ["keys"] and req.method == "GET":
            return Response(200, {"keys": []})
        if req.method == "POST" and len(low) >= 3 and low[1] == "oauth2" and low[-1] == "token":
            form = req.form
            if form is None:
                raise AadError(400, "invalid_request", 900144,
                               "The request body must contain the following parameter: 'grant_type'.",
                               self.endpoint)
            v2 = len(low) == 4 and low[2] == "v2.0"
            return Response(200, self.auth.token(segs[0], form, req.header("Authorization"), v2=v2))
        raise AadError(404, "invalid_request", 90027, "The requested endpoint is not supported.", self.endpoint)

    def _arm(self, req):
        sub = None
        if len(req.segments) >= 2 and req.segments[0].lower() == "subscriptions":
            sub = req.segments[1]
        req.claims = self.auth.validate(req.header("Authorization"), sub)
        kind = "reads" if req.method in ("GET", "HEAD") else "writes"
        ok, wait, remaining = self.throttle.check(sub or req.claims.get("tid"), kind)
        req.ratelimit = (kind, remaining)
        if not ok:
            raise ApiError(429, "TooManyRequests",
                           "The request is being throttled as the limit has been reached for operation "
                           "type - %s_ObservationWindow_00:05:00. For more information, see - "
                           "https://aka.ms/srpthrottlinglimits" % ("Read" if kind == "reads" else "Write"),
                           headers={"Retry-After": str(wait)})
        if sub is not None and sub.lower() not in self.state.subscriptions:
            raise ApiError(404, "SubscriptionNotFound", "The subscription '%s' could not be found." % sub)
        self.rbac.authorize(self, req)
        if req.json_error is not None and req.method in ("POST", "PUT", "PATCH"):
            raise ApiError(400, "InvalidRequestContent",
                           "The request content was invalid and could not be deserialized: '%s'."
                           % req.json_error)
        handled = tags.route(self, req)
        if handled is None:
            handled = crr.route(self, req)
        if handled is None:
            handled = backup.route(self, req)
        if handled is None:
            handled = arm.route(self, req)
        return handled

    def _fault_response(self, req, rule):
        status = rule["status"]
        headers = dict(rule.get("headers") or {})
        if status == 429 or "retry_after" in rule:
            ra = rule.get("retry_after", 1 if status == 429 else None)
            if ra is not None:
                if isinstance(ra, str) and ra.lower() == "http-date":
                    ra = http_date(utcnow() + _dt.timedelta(seconds=int(rule.get("retry_after_seconds", 2))))
                headers["Retry-After"] = str(ra)
        if rule.get("body") is not None:
            return Response(status, rule["body"], headers)
        defaults = {
            429: ("TooManyRequests", "The request is being throttled as the limit has been reached for "
                                     "operation type - Read_ObservationWindow_00:05:00. For more information, "
                                     "see - https://aka.ms/srpthrottlinglimits"),
            500: ("InternalServerError", "Encountered internal server error. Diagnostic information: timestamp "
                                         "'%s', subscription id '', tracking id '%s', request correlation id '%s'."
                  % (utcnow().strftime("%Y%m%dT%H%M%SZ"), new_uuid(), new_uuid())),
            502: ("BadGateway", "The gateway did not receive a response from 'Microsoft.RecoveryServices' "
                                "within the specified time period."),
            503: ("ServiceUnavailable", "The service is temporarily unavailable. Please retry after some time."),
            504: ("GatewayTimeout", "The gateway did not receive a response from 'Microsoft.RecoveryServices' "
                                    "within the specified time period."),
            409: ("Conflict", "The request conflicts with the current state of the resource."),
        }
        code, message = defaults.get(status, ("Error%d" % status, "Injected error."))
        code = rule.get("code", code)
        message = rule.get("message", message)
        if req.kind == "aad":
            return Response(status, {"error": code, "error_description": message}, headers)
        return Response(status, {"error": {"code": code, "message": message}}, headers)

    def _common_headers(self, req, resp):
        h = resp.headers
        rid = new_uuid()
        if req.kind == "aad":
            h.setdefault("x-ms-request-id", rid)
            h.setdefault("Cache-Control", "no-store, no-cache")
            h.setdefault("Pragma", "no-cache")
            cid = req.header("client-request-id")
            if cid:
                h.setdefault("client-request-id", cid)
            return
        corr = req.header("x-ms-correlation-request-id") or rid
        h.setdefault("Cache-Control", "no-cache")
        h.setdefault("Pragma", "no-cache")
        h.setdefault("Expires", "-1")
        h.setdefault("x-ms-request-id", rid)
        h.setdefault("x-ms-correlation-request-id", corr)
        h.setdefault("x-ms-routing-request-id", "WESTEUROPE:%s:%s" % (utcnow().strftime("%Y%m%dT%H%M%SZ"), rid))
        h.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        h.setdefault("X-Content-Type-Options", "nosniff")
        client_rid = req.header("x-ms-client-request-id")
        if client_rid:
            h.setdefault("x-ms-client-request-id", client_rid)
        rl = getattr(req, "ratelimit", None)
        if rl:
            h.setdefault("x-ms-ratelimit-remaining-subscription-%s" % rl[0], str(rl[1]))

    # ------------------------------------------------------------------ log
    def _log(self, req, resp, received):
        body = req.json
        if req.form is not None:
            body = dict(req.form)
            for k in ("client_secret", "client_assertion", "password", "refresh_token"):
                if k in body:
                    body[k] = "<redacted>"
        elif req.json_error is not None:
            body = None
        resp_body = resp.body if not resp.drop else None
        if req.kind == "aad":
            resp_body = token_issued_log_view(resp_body)
        entry = {
            "seq": req.seq,
            "time": iso(received),
            "method": req.method,
            "url": req.target,
            "path": req.path,
            "query": dict(req.query),
            "api_version": req.api_version,
            "kind": req.kind,
            "request_headers": req.header_dict(),
            "request_body": body,
            "status": 0 if resp.drop else resp.status,
            "response_headers": {} if resp.drop else dict(resp.headers),
            "response_body": resp_body if not isinstance(resp_body, (bytes, bytearray)) else None,
        }
        if resp.drop and resp.committed_status is not None:
            entry["committed_status"] = resp.committed_status
            entry["committed_response_headers"] = dict(resp.headers)
        if resp.faults:
            entry["faults"] = list(resp.faults)
        self.log.append(entry)
        if self.log_file:
            try:
                with open(self.log_file, "a", encoding="utf-8") as f:
                    f.write(json.dumps(entry) + "\n")
            except OSError:
                pass

    # ------------------------------------------------------------------ lifecycle
    def active_jobs(self):
        return [j for j in self.state.jobs.values() if j["status"] in ("InProgress", "Cancelling")]

    def pending_ops(self):
        return [o for o in self.state.ops.values()
                if o["status"] == "InProgress" and o["kind"] in ("restore", "crr")]

    def new_operation(self, kind, vault, item_name, plan=None, job_spec=None, crr_region=None,
                      outcome=None, op_id=None):
        now = self.now_ts()
        op = {
            "id": op_id or new_uuid(),
            "kind": kind,
            "vault_id": vault["id"],
            "item": item_name,
            "crr_region": crr_region,
            "start": now,
            "duration": float(self.settings.get("operation_duration_seconds") or 0),
            "status": "InProgress",
            "end": None,
            "outcome": outcome or {"status": "Succeeded"},
            "job_id": None,
            "plan": plan,
            "job_spec": job_spec,
        }
        self.state.ops[op["id"]] = op
        self._advance_op(op, now)
        return op

    def _advance_op(self, op, now):
        if op["status"] != "InProgress":
            return
        if op["kind"] == "ilr":
            return ilr.advance(self, op, now)
        if op["kind"] == "cancel":
            job = self.state.jobs.get(op["job_id"])
            if job is None or job["status"] in TERMINAL_JOB:
                op["status"] = "Succeeded"
                op["end"] = job["end"] if job and job.get("end") else now
            return
        due = op["start"] + op["duration"]
        if now < due:
            return
        outcome = op["outcome"]
        op["end"] = due
        if outcome["status"] == "Succeeded":
            job = self._create_job(op, due)
            op["job_id"] = job["id"]
            op["status"] = "Succeeded"
        else:
            op["status"] = outcome["status"]
            op["error"] = {"code": outcome.get("code", "UserErrorRestoreFailed"),
                           "message": outcome.get("message", "The restore operation failed.")}

    def _create_job(self, op, start):
        spec = op["job_spec"]
        plan = op["plan"]
        durations = self.settings.get("job_durations") or {}
        key = "CrossRegionRestore" if op["kind"] == "crr" else plan["recovery_type"]
        duration = float(durations.get(key, 60))
        if plan.get("rehydration"):
            duration += float(durations.get("Rehydration", 0) or 0)
        outcome = copy.deepcopy(spec.get("outcome") or {})
        if not outcome.get("status"):
            outcome["status"] = self.settings.get("job_outcome") or "Completed"
        job = {
            "id": op["id"],
            "vault_id": op["vault_id"],
            "item": op["item"],
            "vm_name": spec["vm_name"],
            "short_container": spec["short_container"],
            "operation": "CrossRegionRestore" if op["kind"] == "crr" else "Restore",
            "recovery_type": plan["recovery_type"],
            "region": plan["region"],
            "crr_region": op.get("crr_region"),
            "plan": plan,
            "start": start,
            "duration": duration,
            "end": None,
            "status": "InProgress",
            "outcome": outcome,
            "cancel_at": None,
            "activity_id": spec.get("activity_id") or new_uuid(),
            "property_bag": dict(spec["property_bag"]),
            "size_gb": spec["size_gb"],
            "task_done_at": float(self.settings.get("crr_task_completes_at", 0.95)) if op["kind"] == "crr" else 1.0,
            "created": [],
            "error": None,
        }
        self.state.jobs[job["id"]] = job
        self._advance_job(job, self.now_ts())
        return job

    def _advance_job(self, job, now):
        if job["status"] in TERMINAL_JOB:
            return
        if job["cancel_at"] is not None:
            due = job["cancel_at"] + float(self.settings.get("cancel_duration_seconds") or 0)
            if now >= due:
                self.finish_job(job, "Cancelled", due)
            else:
                job["status"] = "Cancelling"
            return
        due = job["start"] + job["duration"]
        if now >= due:
            self.finish_job(job, job["outcome"]["status"], due)

    def finish_job(self, job, status, at):
        job["status"] = status
        job["end"] = max(at, job["start"])
        out = job.get("outcome") or {}
        if status in ("Completed", "CompletedWithWarnings"):
            bag = apply_effects(self, job, job["end"])
            job["property_bag"].update(bag)
        if status == "Failed":
            job["error"] = {
                "errorCode": out.get("error_code", 130002),
                "errorTitle": out.get("error_title", ""),
                "errorString": out.get("error_string", "Restore failed because of an internal error."),
                "recommendations": out.get("recommendations", ["Retry the operation after some time."]),
            }
        elif status == "CompletedWithWarnings":
            job["error"] = {
                "errorCode": out.get("error_code", 400012),
                "errorTitle": out.get("error_title", ""),
                "errorString": out.get("error_string", "Restore completed with warnings: some of the "
                                                       "virtual machine settings could not be restored."),
                "recommendations": out.get("recommendations", ["Review the restored resources."]),
            }

    def tick(self):
        now = self.now_ts()
        for op in sorted(self.state.ops.values(), key=lambda o: o["start"]):
            if op["kind"] != "cancel":
                self._advance_op(op, now)
        jobs = [j for j in self.state.jobs.values() if j["status"] not in TERMINAL_JOB]
        jobs.sort(key=lambda j: j["start"] + j["duration"])
        for job in jobs:
            self._advance_job(job, now)
        for op in self.state.ops.values():
            if op["kind"] == "cancel":
                self._advance_op(op, now)
        ilr.expire_sessions(self, now)
        armops.advance(self, now)

    # ------------------------------------------------------------------ control helpers
    def reset(self):
        with self.lock:
            self.clock.reset(self.world["settings"]["time_scale"])
            self.settings = copy.deepcopy(self.world["settings"])
            self.state = State(self.world, self.clock.now())
            self.faults = Faults(self.world["faults"])
            self.throttle = Throttle()
            self.throttle.configure(self.settings.get("throttling"))
            self.auth.reset()
            self.rbac.reset()
            self.log = []
            if self.log_file and os.path.exists(self.log_file):
                open(self.log_file, "w").close()

    def update_settings(self, patch):
        with self.lock:
            if not isinstance(patch, dict):
                raise ValueError("settings patch must be an object")
            unknown = set(patch) - set(W.DEFAULT_SETTINGS)
            if unknown:
                raise ValueError("unknown settings: %s" % ", ".join(sorted(unknown)))
            merged = W.deep_merge(self.settings, patch)
            guest.check_settings(merged)
            self.settings = merged
            if "time_scale" in patch:
                self.tick()
                self.clock.set_scale(self.settings["time_scale"])
            self.throttle.configure(self.settings.get("throttling"))
            return copy.deepcopy(self.settings)

    def advance(self, seconds):
        with self.lock:
            self.clock.advance(float(seconds))
            self.tick()
            return self.now_ts()

    def control_finish_job(self, job_id, status="Completed"):
        if status not in TERMINAL_JOB:
            raise ValueError("status must be one of %s" % ", ".join(TERMINAL_JOB))
        with self.lock:
            self.tick()
            job = self.state.jobs.get(job_id)
            if job is None:
                op = self.state.ops.get(job_id)
                if op is not None and op["status"] == "InProgress" and op["kind"] != "cancel":
                    op["start"] = self.now_ts() - op["duration"]
                    self._advance_op(op, self.now_ts())
                    job = self.state.jobs.get(op.get("job_id") or "")
            if job is None:
                raise ApiError(404, "JobNotFound", "No job '%s'." % job_id)
            if job["status"] in TERMINAL_JOB:
                raise ApiError(409, "JobAlreadyFinished", "Job '%s' already ended with status %s."
                               % (job_id, job["status"]))
            self.finish_job(job, status, max(self.now_ts(), job["start"]))
            self.tick()
            return self.job_summary(job)

    def job_summary(self, job):
        return {
            "id": job["id"], "operation": job["operation"], "status": job["status"],
            "recovery_type": job["recovery_type"], "vault_id": job["vault_id"], "item": job["item"],
            "vm_name": job["vm_name"], "region": job["region"], "crr": bool(job.get("crr_region")),
            "start": iso(_dt.datetime.fromtimestamp(job["start"], _dt.timezone.utc)),
            "end": iso(_dt.datetime.fromtimestamp(job["end"], _dt.timezone.utc)) if job.get("end") else None,
            "recovery_point": job["plan"]["rp_name"], "created": list(job["created"]),
            "property_bag": dict(job["property_bag"]),
        }

    def state_view(self):
        with self.lock:
            self.tick()
            s = self.state.summary()
            s["jobs"] = [self.job_summary(j) for j in sorted(self.state.jobs.values(), key=lambda j: j["start"])]
            s["operations"] = [{
                "id": o["id"], "kind": o["kind"], "status": o["status"], "job_id": o.get("job_id"),
                "vault_id": o["vault_id"], "item": o.get("item"), "error": o.get("error"),
            } for o in sorted(self.state.ops.values(), key=lambda o: o["start"])]
            s["vaults"] = {v["name"]: {
                "id": v["id"], "location": v["location"], "redundancy": v["redundancy"],
                "cross_region_restore": v["crr"],
                "items": {it["vm_name"]: {"name": it["name"], "container": it["container"], "policy": it["policy"],
                                          "protection_state": it.get("protection_state", "Protected"),
                                          "health_status": it.get("health_status", "Passed"),
                                          "recovery_points": [{"name": r["name"], "time": iso(r["time"]),
                                                               "type": r["type"],
                                                               "tiers": copy.deepcopy(r["tiers"]),
                                                               "luns": list(r["luns"]),
                                                               "replicated": r["replicated"]}
                                                              for r in it["rps"]]}
                          for it in v["items"].values()},
            } for v in self.state.vaults.values()}
            s["counts"] = {
                "vms": len(s["vms"]), "disks": len(s["disks"]), "blobs": len(s["blobs"]),
                "jobs": len(s["jobs"]), "operations": len(s["operations"]),
                "requests": len(self.log),
                "jobs_by_status": _count(j["status"] for j in s["jobs"]),
            }
            s["ilr_sessions"] = ilr.session_view(self)
            s["arm_operations"] = armops.view(self)
            s["settings"] = copy.deepcopy(self.settings)
            s["clock"] = {"now": iso(self.clock.now()), "time_scale": self.clock.scale,
                          "anchor": iso(self.state.anchor)}
            return s

    # ------------------------------------------------------------------ signing
    def sign(self, *parts):
        import hashlib
        import hmac
        from .util import b64url
        msg = "|".join(str(p) for p in parts).encode("utf-8")
        return b64url(hmac.new(self.secret, msg, hashlib.sha256).digest())


def _count(values):
    out = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return out


def classify(req):
    segs = [s.lower() for s in req.segments]
    if not segs or segs == [""]:
        return "arm"
    if segs[0] == "_emulator":
        return "control"
    if segs[0] == "metadata":
        return "metadata"
    if segs[0] in ("subscriptions", "providers", "tenants"):
        return "arm"
    if len(segs) >= 2 and (segs[1] in ("oauth2", "v2.0", ".well-known", "discovery")
                           or segs[:2] == ["common", "discovery"]):
        return "aad"
    return "arm"
