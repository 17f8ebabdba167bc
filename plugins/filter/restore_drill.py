# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The report of a restore drill, the report as JUnit XML and as Markdown, and the records the report is built
from. The filters are documented in restore_drill_report.yml, restore_drill_junit.yml, restore_drill_markdown.yml
and restore_drill_records.yml (ansible-doc reads one per filter)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.azbackup.restore.plugins.module_utils._errors import ValidationError
from ansible_collections.azbackup.restore.plugins.module_utils._jobs import JOB_RUNNING, JOB_SUCCEEDED
from ansible_collections.azbackup.restore.plugins.module_utils._time import parse_time

FORMAT_VERSION = 1
STEPS = ("restore", "job", "provisioning", "power_state", "vm_agent", "check_script")
# The check script's stdout and stderr are cut to their last OUTPUT_LIMIT bytes (UTF-8), as Azure's
# Run Command keeps the end of the output too.
OUTPUT_LIMIT = 4096
REASON_LIMIT = 300
UTC = datetime.timezone.utc
ONE_SECOND = datetime.timedelta(seconds=1)

# What XML 1.0 does not allow (most C0 controls, lone surrogates, U+FFFE/U+FFFF).
_XML_INVALID = re.compile(u"[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")
_NEWLINES = re.compile(r"\r\n|\r|\n")


def _get(value, key, default=None):
    """``value[key]``, or ``default`` when ``value`` is no mapping or has no ``key``."""
    return value[key] if isinstance(value, Mapping) and key in value else default


def _text(value):
    return u"" if value is None else u"%s" % (value,)


def _one_line(value, limit=REASON_LIMIT):
    text = u" ".join(_text(value).split())
    return text if len(text) <= limit else text[:limit - 3] + u"..."


def _joined(what, detail):
    return u"%s: %s" % (what, detail) if detail else what


def _time(value, what):
    """An aware UTC datetime (the collection's one ISO 8601 parser); ``None`` for nothing or Azure's
    0001-01-01 'not yet'."""
    if value is None or value == "" or _text(value).strip().startswith("0001-01-01"):
        return None
    try:
        return parse_time(value, what)
    except ValidationError as e:
        raise AnsibleFilterError("restore_drill_report: %s" % e.msg)


def _iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def _seconds(later, earlier):
    """Whole seconds (rounded down) from ``earlier`` to ``later``, ``None`` unless both are known."""
    return None if later is None or earlier is None else (later - earlier) // ONE_SECOND


def _latest(*moments):
    known = [m for m in moments if m is not None]
    return max(known) if known else None


def _human(seconds):
    """2h 13m, 9m 12s, 45s, 3d 4h; n/a for ``None``."""
    if seconds is None:
        return u"n/a"
    days, rest = divmod(abs(int(seconds)), 86400)
    units = [(days, u"d"), (rest // 3600, u"h"), (rest % 3600 // 60, u"m"), (rest % 60, u"s")]
    first = next(i for i, (count, dummy) in enumerate(units) if count or i == 3)
    return (u"-" if seconds < 0 else u"") + u" ".join(u"%d%s" % unit for unit in units[first:first + 2])


def _rc(value):
    try:
        return None if value is None or isinstance(value, bool) else int(value)
    except (TypeError, ValueError):
        return None


def _cut(value):
    """The output, cut to its last OUTPUT_LIMIT bytes after a marker when longer."""
    text = _text(value)
    data = text.encode("utf-8", "replace")
    if len(data) <= OUTPUT_LIMIT:
        return text
    kept = data[-OUTPUT_LIMIT:].decode("utf-8", "ignore")
    return u"[... cut: %d of %d bytes, the last %d kept ...]\n%s" % (len(data) - OUTPUT_LIMIT, len(data), OUTPUT_LIMIT, kept)


def _restore_step(restore, skipped):
    if restore is None:
        return False, _joined(u"restore not started", skipped)
    if restore.get("failed"):
        return False, _joined(u"restore failed", _one_line(restore.get("msg")))
    return True, _one_line(restore.get("msg")) or u"restore started"


def _job_step(job, skipped):
    if job is None:
        return False, _joined(u"restore job not read", skipped)
    status = _text(job.get("status")) or u"Unknown"
    name = u"restore job %s" % _text(job.get("job_id")) if job.get("job_id") else u"restore job"
    if status in JOB_SUCCEEDED:
        return True, u"%s %s" % (name, status)
    if status in JOB_RUNNING:
        return False, u"%s still %s" % (name, status)
    errors = [_text(_get(e, "title") or _get(e, "message") or _get(e, "code")) for e in job.get("error_details") or []]
    return False, _one_line(_joined(u"%s %s" % (name, status), u", ".join(e for e in errors if e)))


def _power(value):
    """``running`` from ``running``, ``VM running`` or ``PowerState/running``."""
    text = _text(value).strip().lower()
    return text.rsplit("/", maxsplit=1)[-1].replace("vm ", "", 1) if text else u""


def _verification_steps(verification, skipped):
    """(name, passed, message) of provisioning, power_state and vm_agent, up to the first that failed."""
    if verification is None:
        return [("provisioning", False, _joined(u"restored VM not verified", skipped))]
    vm = _get(verification, "vm") or {}
    agent = _get(vm, "agent") or {}
    failed = bool(verification.get("failed"))
    msg = _one_line(verification.get("msg")) if failed else u""
    state = _text(_get(vm, "provisioning_state"))
    power = _power(_get(vm, "power_state"))
    status = _text(_get(agent, "status"))
    ready = verification["ready"] if verification.get("ready") is not None else status.lower() == "ready"
    version = u" (version %s)" % _text(agent["version"]) if _get(agent, "version") else u""
    checks = [
        ("provisioning", state.lower() == "succeeded", u"provisioning state %s" % (state or u"unknown")),
        ("power_state", power == "running", u"power state %s" % (power or u"unknown")),
        ("vm_agent", bool(ready) and not failed, u"VM agent %s%s" % (status or u"unknown", version)),
    ]
    out = []
    for name, passed, message in checks:
        out.append((name, passed, message if passed else msg or (message if name == "vm_agent" else u"VM " + message)))
        if not passed:
            break
    return out


def _check_step(check, skipped):
    """(passed, message), or ``None`` when no check script ran and none was expected."""
    if check is None:
        return (False, _joined(u"check script not run", skipped)) if skipped else None
    rc = _rc(check.get("rc"))
    state = _text(check.get("execution_state"))
    if not check.get("failed") and (rc == 0 or (rc is None and state.lower() == "succeeded")):
        return True, u"check script exited 0" if rc == 0 else u"check script succeeded"
    if rc not in (None, 0):
        return False, u"check script exited %d" % rc
    return False, _joined(u"check script failed" + (u" (%s)" % state if state else u""), _one_line(check.get("msg")))


def _steps(restore, job, verification, check, skipped):
    """The steps the VM reached, the last one the first that failed (if any)."""
    steps = []

    def reached(name, passed, message):
        steps.append(dict(name=name, passed=passed, message=message))
        return passed

    if not reached("restore", *_restore_step(restore, skipped)) or not reached("job", *_job_step(job, skipped)):
        return steps
    for name, passed, message in _verification_steps(verification, skipped):
        if not reached(name, passed, message):
            return steps
    outcome = _check_step(check, skipped)
    if outcome is not None:
        reached("check_script", *outcome)
    return steps


def _part(record, key, label):
    """The record's ``key``; ``None`` also for a task result that was skipped."""
    value = record.get(key)
    if value is not None and not isinstance(value, Mapping):
        raise AnsibleFilterError("restore_drill_report: %s of VM %s must be a dict or null, not %s"
                                 % (key, label, type(value).__name__))
    return None if _get(value, "skipped") else value


def _point(restore, job, label):
    point = _get(restore, "recovery_point") or {}
    moment = _time(_get(point, "time") or _get(job, "recovery_point_time"), "recovery point time of VM %s" % label)
    if not (_get(point, "id") or moment):
        return None, None
    return dict(id=_get(point, "id"), time=_iso(moment), type=_get(point, "type")), moment


def _vm_entry(record, started):
    """(report entry, restore requested at, verified at) of one record."""
    if not isinstance(record, Mapping) or not record.get("vm"):
        raise AnsibleFilterError("restore_drill_report: every record must be a dict naming its source VM in 'vm', got %r"
                                 % (record,))
    label = _text(record["vm"])
    restore, job, verification, check = [_part(record, k, label) for k in ("restore", "job", "verification", "check")]
    steps = _steps(restore, job, verification, check, _one_line(record.get("skipped_reason")))
    failure = next((s for s in steps if not s["passed"]), None)
    point, point_time = _point(restore, job, label)
    requested = _time(record.get("restore_requested_at"), "restore_requested_at of VM %s" % label)
    checked = _time(_get(verification, "checked_at"), "verification checked_at of VM %s" % label)
    check_end = _time(_get(check, "end_time"), "check end_time of VM %s" % label)
    job_end = _time(_get(job, "end_time"), "job end_time of VM %s" % label)
    verified = _latest(checked, check_end) if failure is None else None
    last = verified if failure is None else _latest(checked, check_end, job_end)
    entry = dict(
        vm=label, restored_vm_name=record.get("restored_vm_name"),
        restored_resource_group=record.get("restored_resource_group"),
        restored_vm_id=_get(_get(verification, "vm"), "id"), recovery_point=point,
        job_id=_get(restore, "job_id") or _get(job, "job_id"), job_status=_get(job, "status"),
        status=u"passed" if failure is None else u"failed",
        failed_step=failure["name"] if failure else None, reason=failure["message"] if failure else None,
        restore_requested_at=_iso(requested), verified_at=_iso(verified),
        rpo_seconds=_seconds(started, point_time), rto_seconds=_seconds(verified, requested),
        elapsed_seconds=_seconds(last, requested), steps=steps,
        check=None if check is None else dict(rc=_rc(check.get("rc")), stdout=_cut(check.get("stdout")),
                                              stderr=_cut(check.get("stderr"))))
    return entry, requested, verified


def _stats(values):
    return dict(max=max(values), mean=int(round(sum(values) / len(values)))) if values else dict(max=None, mean=None)


def _cleanup(cleanup, keep):
    if cleanup is not None and not isinstance(cleanup, Mapping):
        raise AnsibleFilterError("restore_drill_report: cleanup must be the registered result of the cleanup task, not %s"
                                 % type(cleanup).__name__)
    removed = _get(cleanup, "removed")
    return dict(kept=bool(keep), removed=len(removed) if isinstance(removed, (list, tuple)) else None,
                failed=bool(_get(cleanup, "failed", False)), msg=_one_line(_get(cleanup, "msg")))


def _summary_lines(run_id, entries, summary):
    total, passed = summary["vms"], summary["passed"]
    lines = [u"Restore drill %s: %d of %d VM%s passed; RPO max %s; RTO max %s" % (
        run_id, passed, total, u"" if total == 1 else u"s", _human(summary["rpo_seconds"]["max"]),
        _human(summary["rto_seconds"]["max"]))]
    lines.extend(u"FAILED %s: %s" % (e["vm"], e["reason"]) for e in entries if e["status"] != "passed")
    if summary["cleanup"]["failed"]:
        lines.append(_joined(u"CLEANUP FAILED", summary["cleanup"]["msg"]))
    return lines


def restore_drill_report(records, run_id, started_at, finished_at, vault_name=None, vault_resource_group=None,
                         cleanup=None, keep=False):
    """The drill report of ``records`` (one per source VM)."""
    if not isinstance(records, (list, tuple)):
        raise AnsibleFilterError("restore_drill_report: expected a list of per-VM records, got %s" % type(records).__name__)
    if run_id is None or _text(run_id).strip() == "":
        raise AnsibleFilterError("restore_drill_report: run_id must not be empty")
    started = _time(started_at, "started_at")
    finished = _time(finished_at, "finished_at")
    if started is None or finished is None:
        raise AnsibleFilterError("restore_drill_report: started_at and finished_at are required")
    if finished < started:
        raise AnsibleFilterError("restore_drill_report: finished_at (%s) is before started_at (%s)"
                                 % (_iso(finished), _iso(started)))
    run_id, vault = _text(run_id), dict(name=vault_name, resource_group=vault_resource_group)
    done = [_vm_entry(record, started) for record in records]
    entries = [e for e, dummy, dummy in done]
    passed = [e for e in entries if e["status"] == "passed"]
    requests = [r for dummy, r, dummy in done if r is not None]
    verified = [v for dummy, dummy, v in done if v is not None]
    summary = dict(
        vms=len(entries), passed=len(passed), failed=len(entries) - len(passed),
        passed_all=bool(entries) and len(passed) == len(entries),
        rpo_seconds=_stats([e["rpo_seconds"] for e in passed if e["rpo_seconds"] is not None]),
        rto_seconds=_stats([e["rto_seconds"] for e in passed if e["rto_seconds"] is not None]),
        fleet_rto_seconds=_seconds(max(verified), min(requests)) if verified and requests else None,
        run_id=run_id, started_at=_iso(started), finished_at=_iso(finished),
        duration_seconds=_seconds(finished, started), vault=vault, cleanup=_cleanup(cleanup, keep))
    summary["summary_lines"] = _summary_lines(run_id, entries, summary)
    return dict(format_version=FORMAT_VERSION, run_id=run_id, started_at=_iso(started), finished_at=_iso(finished),
                vault=dict(vault), summary=summary, vms=entries)


def _report(report, name):
    if not isinstance(report, Mapping) or report.get("format_version") != FORMAT_VERSION \
            or not isinstance(report.get("vms"), (list, tuple)):
        raise AnsibleFilterError("%s: expected the report of azbackup.restore.restore_drill_report (format_version %d)"
                                 % (name, FORMAT_VERSION))
    if not all(isinstance(vm, Mapping) for vm in report["vms"]):
        raise AnsibleFilterError("%s: every entry of the report's vms must be a dict" % name)
    return report


def _label(value, *keys):
    """``resource_group/name`` of the keys ``value`` has."""
    return u"/".join(_text(_get(value, k)) for k in keys if _get(value, k))


def _vault_text(vault):
    return _label(vault, "resource_group", "name") or u"unknown vault"


def _restored_as(vm):
    return _label(vm, "restored_resource_group", "restored_vm_name")


def _point_text(point):
    time, kind = _text(_get(point, "time")), _text(_get(point, "type"))
    return (u"%s (%s)" % (time, kind) if time and kind else time or kind) or _text(_get(point, "id"))


def _duration(seconds):
    return u"n/a" if seconds is None else u"%s (%d s)" % (_human(seconds), seconds)


def _xml(value):
    return _XML_INVALID.sub(u"\ufffd", _NEWLINES.sub(u"\n", _text(value)))


def _attrs(**values):
    return dict((k, _xml(v)) for k, v in values.items())


def _failure_details(vm):
    lines = [u"%s: %s - %s" % (s.get("name"), u"passed" if s.get("passed") else u"FAILED", _text(s.get("message")))
             for s in vm.get("steps") or []]
    check = vm.get("check") or {}
    if check:
        lines.append(u"check script rc: %s" % _text(check.get("rc")))
        for stream in ("stdout", "stderr"):
            if check.get(stream):
                lines.extend([u"check script %s:" % stream, _text(check[stream])])
    return u"\n".join(lines)


def _case_output(vm):
    point = vm.get("recovery_point") or {}
    return u"\n".join([
        u"restored VM: %s" % u" ".join(p for p in (_restored_as(vm) or u"none", _text(vm.get("restored_vm_id"))) if p),
        u"recovery point: %s" % u" ".join(p for p in (_point_text(point) or u"none", _text(point.get("id"))) if p),
        u"RPO: %s" % _duration(vm.get("rpo_seconds")), u"RTO: %s" % _duration(vm.get("rto_seconds")),
        u"job: %s (%s)" % (_text(vm.get("job_id")) or u"none", _text(vm.get("job_status")) or u"unknown"),
        u"result: %s" % _joined(_text(vm.get("status")), _text(vm.get("reason"))),
    ])


def restore_drill_junit(report):
    """The report as JUnit XML: one test suite, one test case per VM."""
    report = _report(report, "restore_drill_junit")
    vms = report["vms"]
    vault = report.get("vault") or {}
    failures = sum(1 for vm in vms if vm.get("status") != "passed")
    duration = _get(report.get("summary"), "duration_seconds") or 0
    counts = dict(tests=len(vms), failures=failures, errors=0)
    root = ET.Element("testsuites", _attrs(name="restore_drill", time=duration, **counts))
    suite = ET.SubElement(root, "testsuite", _attrs(
        name=u"restore_drill %s" % _text(report.get("run_id")), skipped=0, time=duration,
        timestamp=_text(report.get("started_at")).rstrip("Z"), **counts))
    properties = ET.SubElement(suite, "properties")
    for name, value in (("run_id", report.get("run_id")), ("vault", _vault_text(vault)),
                        ("started_at", report.get("started_at")), ("finished_at", report.get("finished_at"))):
        ET.SubElement(properties, "property", _attrs(name=name, value=value))
    classname = u"restore_drill.%s" % _text(vault.get("name")) if vault.get("name") else u"restore_drill"
    for vm in vms:
        seconds = vm.get("rto_seconds") if vm.get("rto_seconds") is not None else vm.get("elapsed_seconds")
        case = ET.SubElement(suite, "testcase", _attrs(classname=classname, name=vm.get("vm"), time=seconds or 0))
        if vm.get("status") != "passed":
            failure = ET.SubElement(case, "failure", _attrs(message=_text(vm.get("reason")) or u"failed",
                                                            type=_text(vm.get("failed_step")) or u"unknown"))
            failure.text = _xml(_failure_details(vm))
        ET.SubElement(case, "system-out").text = _xml(_case_output(vm))
    if hasattr(ET, "indent"):  # Python 3.9+; only whitespace between elements
        ET.indent(root)
    return u'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + u"\n"


def _md(value):
    """``value`` as the text of one Markdown table cell (or line): markup and pipes escaped, newlines as <br>."""
    text = _MD_SPECIAL.sub(r"\\\1", _XML_INVALID.sub(u"\ufffd", _text(value)))
    return _NEWLINES.sub(u"<br>", text).replace(u"\t", u" ")


def restore_drill_markdown(report):
    """The report as a Markdown summary: a title, one line of fleet figures, a table of the VMs."""
    report = _report(report, "restore_drill_markdown")
    summary = report.get("summary") or {}
    rpo, rto = _get(summary, "rpo_seconds") or {}, _get(summary, "rto_seconds") or {}
    lines = [
        u"# Restore drill %s" % _md(report.get("run_id")), u"",
        u"Vault %s; started %s, finished %s (%s); **%s of %s passed**; RPO max %s (mean %s); "
        u"RTO max %s (mean %s); fleet RTO %s." % (
            _md(_vault_text(report.get("vault"))), _md(report.get("started_at")), _md(report.get("finished_at")),
            _human(_get(summary, "duration_seconds")), _get(summary, "passed", 0),
            u"1 VM" if _get(summary, "vms") == 1 else u"%s VMs" % _get(summary, "vms", 0),
            _human(rpo.get("max")), _human(rpo.get("mean")), _human(rto.get("max")), _human(rto.get("mean")),
            _human(_get(summary, "fleet_rto_seconds"))),
        u"", u"| VM | Restored as | Recovery point | RPO | RTO | Result | Reason |",
        u"| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for vm in report["vms"]:
        passed = vm.get("status") == "passed"
        result = u"passed" if passed else u"**FAILED** (%s)" % _md(vm.get("failed_step") or u"unknown")
        cells = [_md(vm.get("vm")), _md(_restored_as(vm)), _md(_point_text(vm.get("recovery_point"))),
                 _human(vm.get("rpo_seconds")), _human(vm.get("rto_seconds")) if passed else u"n/a", result,
                 _md(vm.get("reason"))]
        lines.append(u"| %s |" % u" | ".join(cells))
    return u"\n".join(lines) + u"\n"


# -- restore_drill_records: one record per source VM from what the role registered


def _results(registered):
    """The ``results`` of a registered loop (a list given as it is; anything else: none)."""
    if isinstance(registered, Mapping):
        registered = registered.get("results")
    return [r for r in registered or [] if isinstance(r, Mapping)]


def _loop_label(result, path):
    """The source VM label a registered loop result carries under its loop variables ``path``."""
    value = result
    for key in path:
        value = _get(value, key)
    return _text(value) if value else None


def _by_vm(registered, path):
    return dict((_loop_label(r, path), r) for r in _results(registered) if _loop_label(r, path))


def _verification(result):
    """A verification as the report reads it: a task the role let fail (failed_when: false) is failed again."""
    if result is None or result.get("skipped"):
        return None
    out = dict(result)
    if not result.get("finished", True):
        out.update(failed=True, msg=u"the verification did not finish: %s" % _text(result.get("msg") or "no answer"))
    else:
        out["failed"] = not result.get("ready")
    return out


def _restore_and_job(entry):
    """(restore, job) of a restore_results entry."""
    if entry is None:
        return None, None
    restore = dict(failed=entry.get("status") == "FailedToStart", msg=entry.get("msg"), job_id=entry.get("job_id"),
                   recovery_point=entry.get("recovery_point"), changed=entry.get("changed"))
    job = None
    if entry.get("job_id") and entry.get("status") not in ("FailedToStart", "CheckMode"):
        job = dict((k, entry.get(k)) for k in ("job_id", "status", "start_time", "end_time", "error_details"))
    return restore, job


def restore_drill_records(sources, restores=None, requested_at=None, verifications=None, checks=None,
                          restored_resource_group=None):
    """One record per source VM for restore_drill_report, from the role's registered results."""
    if not isinstance(sources, list):
        raise AnsibleFilterError("restore_drill_records: the input must be the list of source VMs, not %s"
                                 % type(sources).__name__)
    restores = [e for e in restores or [] if isinstance(e, Mapping)]
    if restores and len(restores) != len(sources):
        raise AnsibleFilterError("restore_drill_records: restores has %d entries for %d source VMs (one per VM, in "
                                 "their order, is expected)" % (len(restores), len(sources)))
    verified = _by_vm(verifications, ("drill_job", "drill_vm", "vm"))
    checked = _by_vm(checks, ("drill_job", "drill_check", "drill_job", "drill_vm", "vm"))
    out = []
    for index, source in enumerate(sources):
        if not isinstance(source, Mapping) or not source.get("vm"):
            raise AnsibleFilterError("restore_drill_records: every source needs 'vm', got %r" % (source,))
        label = _text(source["vm"])
        restore, job = _restore_and_job(restores[index] if restores else None)
        check = checked.get(label)
        out.append(dict(vm=label, restored_vm_name=source.get("target_vm_name"),
                        restored_resource_group=restored_resource_group, restore=restore, job=job,
                        restore_requested_at=requested_at if restore else None,
                        verification=_verification(verified.get(label)),
                        check=None if check is None or check.get("skipped") else check))
    return out


class FilterModule(object):
    """The report of a restore drill, and its JUnit XML and Markdown renderings."""

    def filters(self):
        return dict(restore_drill_report=restore_drill_report, restore_drill_junit=restore_drill_junit,
                    restore_drill_markdown=restore_drill_markdown, restore_drill_records=restore_drill_records)
