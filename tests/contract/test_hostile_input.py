# -*- coding: utf-8 -*-
"""Hostile values in every string option of every module, against the emulator.

Each module's ``main()`` runs in this process (one run takes milliseconds) against the session's
emulator, with one option of an otherwise valid set of options replaced by a hostile value:
``/``, ``..``, ``%2F``, ``?``, ``#``, ``;``, ``&``, CR/LF, NUL, 2,000 characters, right-to-left
and combining characters, values shaped like other resource ids. The emulator's request log is
the oracle. Every run must end in one of two ways:

* a refusal that names the option (``option`` in the result, or the option's name in the
  message), or a failure Azure answered (``error_code`` / ``status_code``);
* or success;

and, whatever the outcome, every request it sent must have the segments of one operation of the
swagger (or of the few plain ARM reads and Azure AD requests the modules make), no segment that
could add, remove or escape one, no parameter segment that neither the options nor an earlier
answer of Azure named, no query parameter but Azure's own, no option value in a header; never a
traceback, never a 5xx, never a request that starts or stops something (restore, cross-region
restore, cancellation, file recovery: every module runs in check mode, so nothing would anyway).

The roles pass their variables to these same options (``test_role_variables_reach_fuzzed_options``).
A fixed pass gives every option a set of values; ``hypothesis`` (fixed seed, bounded examples)
then combines prefixes, hostile parts and suffixes over all of them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import functools
import glob
import importlib
import os
import re
import unicodedata
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest
import yaml

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible.module_utils.testing import patch_module_args

from ansible_collections.azbackup.restore.plugins.module_utils import _common, _module

from contract import swagger

pytestmark = pytest.mark.emulator

_REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PACKAGE = "ansible_collections.azbackup.restore.plugins.modules."
MODULES = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(_REPO, "plugins", "modules", "*.py"))
                 if not os.path.basename(p).startswith("_"))

SUB = "9a8b7c6d-0000-4000-8000-000000000003"
RGS = "/subscriptions/%s/resourceGroups/" % SUB
VAULT_ID = RGS + "rg-vault/providers/Microsoft.RecoveryServices/vaults/rsv-prod"
VM_ID = RGS + "rg-prod/providers/Microsoft.Compute/virtualMachines/vm-web-01"
OTHER_VM_ID = RGS + "rg-prod/providers/Microsoft.Compute/virtualMachines/vm-db-01"

VAULT = dict(vault_name="rsv-prod", vault_resource_group="rg-vault")
VM = dict(VAULT, vm_name="vm-web-01", vm_resource_group="rg-prod")
RESTORE = dict(VM, restore_type="restore_disks", staging_storage_account="strestorewe",
               staging_storage_account_resource_group="rg-restore", target_resource_group="rg-restore")
NEW_VM = dict(RESTORE, restore_type="new_vm", target_vm_name="vm-web-01-new", target_virtual_network="vnet-restore",
              target_virtual_network_resource_group="rg-restore", target_subnet="default")
CRR = dict(VM, restore_type="restore_disks", staging_storage_account="strestorene",
           staging_storage_account_resource_group="rg-dr", target_resource_group="rg-dr")
CRR_NEW_VM = dict(CRR, restore_type="new_vm", target_vm_name="vm-web-01-dr", target_virtual_network="vnet-dr",
                  target_virtual_network_resource_group="rg-dr", target_subnet="default")

# A valid set of options per module (the default emulator world), and the variants an option needs.
BASE = dict(
    recovery_point_info=VM,
    vm_info=dict(vm_name="vm-web-01", vm_resource_group="rg-prod"),
    vm_restore=RESTORE,
    crr_access_token=VM,
    crr_restore=CRR,
    restore_job_info=VAULT,
    restore_job=dict(VAULT, job_id="00000000-1111-4222-8333-444444444444"),
    file_recovery=VM,
    restored_vm=dict(resource_group="rg-drill", name="vm-web-01-drill-1", state="absent",
                     tags={"azbackup-restore-drill": "1"}),
    vm_run_command=dict(resource_group="rg-prod", vm_name="vm-web-01", script="echo ok", poll_interval=1),
    drill_preflight=dict(resource_group="rg-drill", virtual_network="vnet-drill",
                         virtual_network_resource_group="rg-drill-net", tags={"azbackup-restore-drill": "1"},
                         vms=[dict(name="vm-app-001", resource_group="rg-prod", target_vm_name="vm-app-001-drill-1")]),
)
NEW_VM_OPTIONS = ("target_vm_name", "target_virtual_network", "target_virtual_network_resource_group",
                  "target_subnet", "target_zone")
# Valid values of options the baselines leave out, to build "valid value + hostile part".
VALID = dict(
    vm_id=VM_ID, container_name="IaasVMContainer;iaasvmcontainerv2;rg-prod;vm-web-01",
    protected_item_name="VM;iaasvmcontainerv2;rg-prod;vm-web-01", recovery_point_id="932891484644960954",
    start_time="2026-01-01T00:00:00Z", end_time="2030-01-01T00:00:00Z", recovery_point_type="AppConsistent",
    subscription_id=SUB, tenant="", client_id="", secret="", cloud_environment="", profile="default",
    api_version="2024-04-01", job_id="00000000-1111-4222-8333-444444444444", secondary_region="northeurope",
    region="westeurope", target_zone="1", disk_encryption_set_id=RGS + "rg-restore/providers/Microsoft.Compute/"
    "diskEncryptionSets/des-1",
)
OPERATION_PATH = VAULT_ID + "/backupOperations/00000000-1111-4222-8333-444444444444?api-version=2024-04-01"

# The other sub-options of a dict option whose string sub-options are fuzzed.
SUB_BASE = dict(identity=dict(type="user_assigned"), disk_network_access=dict(option="EnablePrivateAccessForAllDisks"))
VALID.update({
    "identity.id": RGS + "rg-restore/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-restore",
    "disk_network_access.disk_access_id": RGS + "rg-restore/providers/Microsoft.Compute/diskAccesses/da-restore",
})

# Options that are not fuzzed here, and why.
NOT_FUZZED = {
    "auth_source": "choices",
}


@functools.lru_cache(maxsize=None)
def options_of(module):
    """{option: "str" | "list" | "sub"} of the module's string options, lists of strings and string
    sub-options (``identity.id``); options with choices left out."""
    mod = importlib.import_module(PACKAGE + module)
    spec = _module.build_spec(mod.argument_spec(), getattr(mod, "GROUPS", ()))[0]
    out = {}
    for name, opt in spec.items():
        kind = opt.get("type", "str")
        if opt.get("choices") or name in NOT_FUZZED:
            continue
        if kind == "str":
            out[name] = "str"
        elif kind == "list" and opt.get("elements") == "str":
            out[name] = "list"
        elif kind == "dict":
            for sub, sub_opt in (opt.get("options") or {}).items():
                if sub_opt.get("type", "str") == "str" and not sub_opt.get("choices"):
                    out["%s.%s" % (name, sub)] = "sub"
    return out


def baseline(module):
    """The module's valid options: BASE, else the VM's (a module of protected items) or the vault's."""
    if module in BASE:
        return dict(BASE[module])
    mod = importlib.import_module(PACKAGE + module)
    return dict(VM if "protected_item" in getattr(mod, "GROUPS", ()) else VAULT)


PAIRS = [(m, o) for m in MODULES for o in sorted(options_of(m))]


def base_args(module, option):
    args = baseline(module)
    if option in NEW_VM_OPTIONS and module == "vm_restore":
        args = dict(NEW_VM)
    elif option in NEW_VM_OPTIONS and module == "crr_restore":
        args = dict(CRR_NEW_VM)
    if option == "vm_id":
        args.pop("vm_name", None)
        args.pop("vm_resource_group", None)
    if option in ("recovery_point_id", "start_time", "end_time", "recovery_point_type"):
        for other in ("recovery_point_id", "start_time", "end_time", "recovery_point_type"):
            args.pop(other, None)
    if module == "restore_job_info" and option in ("job_id", "job_ids", "operation_url", "operation_urls"):
        for other in ("job_id", "job_ids", "operation_url", "operation_urls"):
            args.pop(other, None)
    return args


def valid_value(module, option, emu):
    args = base_args(module, option)
    if option in args:
        return str(args[option])
    if option == "cloud_environment":
        return emu.endpoint
    if option in ("operation_url", "operation_urls"):
        return emu.endpoint + OPERATION_PATH
    return VALID.get(option, "")


# --------------------------------------------------------------------------------------------
# hostile values

LONG = "x" * 2000
PARTS = [
    "/", "..", ".", "%2F", "%2f", "%2E%2E", "%5C", "\\", "?", "#", ";", "&", "=", "%", "%00", "\r\n", "\n", "\x00",
    " ", "\t", LONG, "\u202e", "e\u0301", "\u200b", "\u2028", "\ufeff", "\U0001F600", "'", '"', "*", "$", "~",
    "?api-version=2099-01-01", "&$filter=x", "#frag", "/../../backupJobs",
]
WHOLE = [
    "", "/", "..", "%2F", "?", "#", "\x00", LONG, "\u202egnp.exe", "932891484644960954/../../../../../../backupJobs/x",
    "x\r\nX-Injected: 1",
]
# More whole values, for the fuzzer only.
MORE = [" ", ".", ";", "&", "%2f", "\r\n", "a\u0301\u0302", "../../../../../backupJobs", VAULT_ID + "/backupJobs/x",
        OTHER_VM_ID, VM_ID + "/../vm-db-01", "vm;iaasvmcontainerv2;rg-prod;vm-db-01",
        "rg-prod/providers/Microsoft.Compute/virtualMachines/vm-db-01", "https://127.0.0.1:1/" + SUB]


def with_parts(option, valid):
    """The fixed values tried for ``option``, whose valid value is ``valid``."""
    values = list(WHOLE)
    if valid:
        values += [valid + p for p in ("/../x", "%2F..", "?x=1", "\r\n", ";x")]
    return values


# --------------------------------------------------------------------------------------------
# the oracle

# Plain ARM reads (outside the Azure Backup swagger) the modules make: literal or "{}" segments.
ARM_TEMPLATES = [t.split("/") for t in (
    "subscriptions/{}",
    "subscriptions/{}/locations",
    "subscriptions/{}/resourceGroups/{}",
    "subscriptions/{}/resourceGroups/{}/providers/Microsoft.RecoveryServices/vaults/{}",
    "subscriptions/{}/resourceGroups/{}/providers/Microsoft.Storage/storageAccounts/{}",
    "subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network/virtualNetworks/{}",
    "subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network/virtualNetworks/{}/subnets/{}",
    "subscriptions/{}/resourceGroups/{}/providers/Microsoft.Compute/virtualMachines/{}",
    "subscriptions/{}/resourceGroups/{}/providers/Microsoft.Compute/diskEncryptionSets/{}",
    "subscriptions/{}/resourceGroups/{}/providers/Microsoft.Compute/diskAccesses/{}",
    "subscriptions/{}/resourceGroups/{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{}",
    # What the drill modules read (in check mode they change nothing).
    "subscriptions/{}/resourceGroups/{}/resources",
    "subscriptions/{}/resourceGroups/{}/providers/Microsoft.Compute/virtualMachines",
    "subscriptions/{}/resourceGroups/{}/providers/Microsoft.Compute/virtualMachines/{}/runCommands/{}",
    "subscriptions/{}/resourceGroups/{}/providers/Microsoft.Compute/disks/{}",
    "subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network/networkInterfaces/{}",
    "subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network/publicIPAddresses/{}",
)]
# Azure AD and cloud metadata (the emulator is the authority).
OTHER_TEMPLATES = [t.split("/") for t in (
    "metadata/endpoints", "{}/oauth2/v2.0/token", "{}/v2.0/.well-known/openid-configuration",
    "common/discovery/instance",
)]
QUERY_KEYS = frozenset(("api-version", "$filter", "$skiptoken", "$top", "$orderby", "$expand"))
# Requests that start or stop something: never sent here.
CHANGES = re.compile(r"/(restore|backupCrossRegionRestore|cancel|provisionInstantItemRecovery|"
                     r"revokeInstantItemRecovery)$", re.IGNORECASE)


def _bad_char(text):
    for char in text:
        if unicodedata.category(char)[0] == "C" or unicodedata.category(char) in ("Zl", "Zp"):
            return char
    return None


def _segments(entry):
    """The raw (still encoded) segments of the path the request really went to."""
    path = urlsplit(entry.get("url") or entry["path"]).path
    segs = path.split("/")
    while segs and segs[0] == "":
        segs.pop(0)
    while segs and segs[-1] == "":
        segs.pop()
    return segs


def _match(template, segs):
    """The parameter segments (decoded) when ``segs`` has the template's segments, else None."""
    if len(template) != len(segs):
        return None
    params = []
    for lit, seg in zip(template, segs):
        if lit == "{}":
            params.append(unquote(seg))
        elif lit.lower() != unquote(seg).lower():
            return None
    return params


def _operation(entry, specs, base=()):
    """(name of the operation, its parameter segments) of a logged request, or (None, reason).
    ``base``: the segments of the path of the cloud_environment URL, before every path."""
    segs = _segments(entry)
    if base and segs[:len(base)] == list(base):
        segs = segs[len(base):]
    if entry.get("kind", "arm") == "arm":
        decoded = [unquote(s) for s in segs]
        for version in specs.files:
            same = [(score, op, p) for score, op, p in specs._match(version, decoded) if op.method == entry["method"]]
            if same:
                op = same[0][1]
                params = [d for (kind, dummy), d in zip(op._segments, decoded) if kind == "param"]
                return op.operation_id, params
        for template in ARM_TEMPLATES:
            params = _match(template, segs)
            if params is not None:
                return "/".join(template), params
        return None, "no operation has the segments of %s %s" % (entry["method"], entry.get("url"))
    for template in OTHER_TEMPLATES:
        params = _match(template, segs)
        if params is not None:
            return "/".join(template), params
    return None, "not an Azure AD or metadata request: %s %s" % (entry["method"], entry.get("url"))


def _strings(value, out):
    """Every string of an answer, and the pieces of ids and names in it (Azure named them)."""
    if isinstance(value, dict):
        for k, v in value.items():
            _strings(k, out)
            _strings(v, out)
    elif isinstance(value, list):
        for v in value:
            _strings(v, out)
    elif isinstance(value, (str, int)) and not isinstance(value, bool):
        text = str(value).strip()
        out.add(text.lower())
        out.add(text.replace(" ", "").lower())  # region names are compared without spaces
        for piece in re.split(r"[/;?&=]", text):
            out.add(piece.strip().lower())
    return out


def _named(param, known):
    low = param.lower()
    return low in known or all(p in known for p in low.split(";"))


def check_run(module, args, option, value, kind, result, log, specs, env=None):
    """Problems of one run (an empty list when the run behaved); ``env``: the environment's settings."""
    problems = []
    if kind == "traceback":
        return ["traceback: %s" % result]
    if result.get("exception"):
        problems.append("exception in the result: %s" % result["exception"][-400:])
    if kind == "fail":
        option = option.split(".", 1)[0]  # a sub-option's refusal names its option
        msg = str(result.get("msg", ""))
        named = result.get("option") == option or option in msg or option in str(result.get("option", ""))
        if not named and not (result.get("error_code") or result.get("status_code")):
            problems.append("failure naming neither %s nor an answer of Azure: %s" % (option, msg[:300]))
    known = _strings(dict(env or {}, **args), set())
    known.update(("azure", SUB, "iaasvmcontainer", "iaasvmcontainerv2", "vm"))  # the parts Azure Backup adds
    answers = []  # Azure's answers so far, read only when a segment is not named by the options
    base = ()
    if option == "cloud_environment" and isinstance(value, str):  # the user's endpoint may have a path
        base = tuple(s for s in urlsplit(value.strip()).path.split("/") if s)
    for entry in log:
        where = "%s %s -> %s" % (entry["method"], (entry.get("url") or "")[:200], entry.get("status"))
        status = entry.get("status") or 0
        if status >= 500:
            problems.append("5xx: " + where)
        if CHANGES.search(urlsplit(entry.get("url") or entry["path"]).path):
            problems.append("a request that starts or stops something: " + where)
        for seg in _segments(entry):
            dec = unquote(seg)
            if dec in (".", "..") or any(c in dec for c in "/\\?#") or _bad_char(dec) or "%" in dec:
                problems.append("segment %r: %s" % (seg, where))
        op, params = _operation(entry, specs, base)
        if op is None:
            problems.append(params)
        else:
            for param in params:
                if not _named(param, known) and answers:
                    for body in answers:
                        _strings(body, known)
                    answers = []
                if not _named(param, known):
                    problems.append("segment %r named by neither the options nor Azure: %s" % (param, where))
        query = urlsplit(entry.get("url") or "").query
        for key, dummy in parse_qsl(query, keep_blank_values=True):
            if key.lower() not in QUERY_KEYS:
                problems.append("query parameter %r: %s" % (key, where))
        if isinstance(value, str) and len(value) >= 3 and value.strip():
            for name, text in (entry.get("request_headers") or {}).items():
                if value in str(text) and name.lower() not in ("host",):
                    problems.append("the value reached header %s: %s" % (name, where))
        answers.append(entry.get("response_body"))
        if entry.get("kind", "arm") == "arm" and isinstance(op, str) and "/" not in op and status:
            # what was sent must be a request the swagger allows (the answers are checked elsewhere)
            found = specs.lookup(entry["method"], urlsplit(entry.get("url") or "").path, entry.get("api_version"))
            if found.operation is not None:
                problems += ["%s: %s" % (where, p) for p in swagger.validate_request(
                    found.operation, entry.get("query"), entry.get("request_body"), entry.get("request_headers"))]
            else:
                problems += ["%s: %s" % (where, p) for p in found.problems]
    return problems


# --------------------------------------------------------------------------------------------
# running a module in this process


class _Exit(Exception):
    pass


class _Fail(Exception):
    pass


def _exit_json(self, **kw):
    raise _Exit(kw)


def _fail_json(self, **kw):
    raise _Fail(kw)


class Harness(object):
    def __init__(self, emu):
        self.emu = emu
        self.specs = swagger.default_specset()
        self.runs = 0

    def run(self, module, args):
        """(kind, result, log): kind "exit", "fail" or "traceback"."""
        mod = importlib.import_module(PACKAGE + module)
        self.emu.control.clear_requests()
        self.runs += 1
        with patch_module_args(dict(args, _ansible_check_mode=True)):
            try:
                mod.main()
            except _Exit as e:
                kind, result = "exit", e.args[0]
            except _Fail as e:
                kind, result = "fail", e.args[0]
            except SystemExit as e:
                kind, result = "traceback", "SystemExit %r" % (e.code,)
            except Exception as e:  # the oracle: never an exception out of main()
                import traceback
                kind, result = "traceback", "%s: %s\n%s" % (type(e).__name__, e, traceback.format_exc()[-1500:])
            else:
                kind, result = "traceback", "main() returned without exit_json or fail_json"
        return kind, result, self.emu.control.requests()

    def check(self, module, option, value):
        args = base_args(module, option)
        shape = options_of(module)[option]
        if shape == "sub":
            parent, sub = option.split(".", 1)
            args[parent] = dict(SUB_BASE.get(parent, {}), **{sub: value})
        else:
            args[option] = [value] if shape == "list" else value
        kind, result, log = self.run(module, args)
        problems = check_run(module, args, option, value, kind, result, log, self.specs, self.emu.env())
        return problems, kind, result, log


@pytest.fixture(scope="module")
def harness(emulator_session):
    emulator_session.control.reset()
    with pytest.MonkeyPatch.context() as mp:
        for name, text in emulator_session.env().items():
            mp.setenv(name, text)
        for name in ("AZURE_CLIENT_SECRET", "AZURE_TENANT_ID", "AZURE_PROFILE", "AZURE_HTTP_USER_AGENT"):
            mp.delenv(name, raising=False)
        mp.setattr(_module.AnsibleModule, "exit_json", _exit_json)
        mp.setattr(_module.AnsibleModule, "fail_json", _fail_json)
        yield Harness(emulator_session)
    emulator_session.control.reset()


def _explain(module, option, value, problems, kind, result):
    return "%s %s=%r (%s): %s\n  result: %s" % (module, option, value[:120], kind, "\n  ".join(problems[:8]),
                                                {k: result.get(k) for k in ("msg", "option", "error_code")}
                                                if isinstance(result, dict) else result)


# --------------------------------------------------------------------------------------------
# tests


def test_every_module_and_option_is_fuzzed():
    assert set(BASE) <= set(MODULES) and len(MODULES) >= 8
    assert set(m for m, dummy in PAIRS) == set(MODULES)
    assert len(PAIRS) > 100


def test_baselines_succeed(harness):
    for module in MODULES:
        kind, result, log = harness.run(module, baseline(module))
        if module == "restore_job":  # no such job: Azure's refusal
            assert kind == "fail" and result.get("error_code") == "BMSUserErrorObjectNotFound", result
        else:
            assert kind == "exit", (module, result)
        problems = check_run(module, baseline(module), "-", "", kind, result, log, harness.specs, harness.emu.env())
        assert problems == [], (module, problems)


@pytest.mark.parametrize("module,option", PAIRS, ids=["%s-%s" % p for p in PAIRS])
def test_hostile_values(harness, module, option):
    valid = valid_value(module, option, harness.emu)
    failures = []
    for value in with_parts(option, valid):
        problems, kind, result, dummy = harness.check(module, option, value)
        if problems:
            failures.append(_explain(module, option, value, problems, kind, result))
    assert not failures, "\n".join(failures[:5])


@pytest.mark.parametrize("value", ["932891484644960954/../../../../../../backupJobs/x", "../../../../../backupJobs"])
def test_recovery_point_id_with_a_path_is_refused_before_any_request(harness, value):
    args = dict(VM, recovery_point_id=value)
    kind, result, log = harness.run("recovery_point_info", args)
    assert kind == "fail", result
    assert result.get("option") == "recovery_point_id" and "recovery_point_id" in result["msg"], result
    # nothing sent for it (a first client of the process reads the cloud's metadata)
    assert [e for e in log if not e["path"].startswith("/metadata/")] == []


def test_header_values_are_checked_before_sending(harness, monkeypatch):
    """No option reaches a header (``check_run`` looks at every request); the one user value that
    does, AZURE_HTTP_USER_AGENT, is refused with a line break before anything is sent."""
    monkeypatch.setattr(_common, "_CLIENTS", {})
    monkeypatch.setenv("AZURE_HTTP_USER_AGENT", "x\r\nX-Injected: 1")
    kind, result, log = harness.run("vm_info", BASE["vm_info"])
    assert kind == "fail" and "User-Agent" in result["msg"], result
    assert [e for e in log if e.get("kind", "arm") == "arm"] == []
    assert not [e for e in log if "x-injected" in [h.lower() for h in (e.get("request_headers") or {})]]


_PAIR = st.sampled_from(PAIRS)
_VALUE = st.one_of(
    st.sampled_from(WHOLE + MORE),
    st.tuples(st.sampled_from(["", "v"]), st.lists(st.sampled_from(PARTS), min_size=1, max_size=3),
              st.sampled_from(["", "v", "x"])),
    st.text(alphabet=st.sampled_from("/.%2Fa;?#&=\r\n\x00\\ \u202e\u0301-_"), min_size=1, max_size=12),
)


@settings(max_examples=400, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(pair=_PAIR, shape=_VALUE)
def test_fuzz(harness, pair, shape):
    module, option = pair
    if isinstance(shape, tuple):
        valid = valid_value(module, option, harness.emu)
        head, parts, tail = shape
        value = (valid if head else "") + "".join(parts) + {"v": valid, "x": "x", "": ""}[tail]
    elif option == "cloud_environment" and shape.startswith("https://127.0.0.1:1/"):
        value = shape[:-1] + "\u202e"  # an unreachable endpoint is a user's choice, only slow to refuse
    else:
        value = shape
    problems, kind, result, dummy = harness.check(module, option, value)
    assert not problems, _explain(module, option, value, problems, kind, result)


def _task_options(path):
    with open(path) as f:
        tasks = yaml.safe_load(f) or []
    found = []
    stack = list(tasks)
    while stack:
        task = stack.pop()
        if not isinstance(task, dict):
            continue
        for key in ("block", "rescue", "always"):
            stack += task.get(key) or []
        for key, value in task.items():
            if key.startswith("azbackup.restore.") and isinstance(value, dict):
                found += [(key.rsplit(".", 1)[1], name) for name in value]
    return found


def test_role_variables_reach_fuzzed_options():
    """The roles' variables reach Azure only through module options: each string one is fuzzed here."""
    seen = 0
    for path in glob.glob(os.path.join(_REPO, "roles", "*", "tasks", "*.yml")):
        for module, name in _task_options(path):
            seen += 1
            mod = importlib.import_module(PACKAGE + module)
            spec = _module.build_spec(mod.argument_spec(), getattr(mod, "GROUPS", ()))[0]
            opt = spec[name]
            if opt.get("type", "str") == "str" and not opt.get("choices") and name not in NOT_FUZZED:
                assert (module, name) in PAIRS, (path, module, name)
    assert seen > 10
