"""Swagger (OpenAPI 2.0) contract checks for the Azure Backup REST API.

Validates requests and responses against the copies of Microsoft's swagger files kept under
``tests/contract/specs/specification`` (see ``tests/contract/README.md``), with JSON Schema draft-4
semantics as adapted by swagger 2.0 / autorest:

* ``$ref`` across files (relative file references and ``#/...`` pointers), recursion allowed;
* ``allOf`` inheritance (flattened, so that strict mode sees inherited properties);
* polymorphism by ``discriminator`` / ``x-ms-discriminator-value``;
* ``x-ms-enum.modelAsString`` (extensible enums: unknown strings are warnings), ``x-nullable``,
  ``readOnly`` (ignored in requests, reported as a warning), ``format`` (date-time, int32, int64);
* strict mode: properties the (resolved, discriminated) schema does not define are problems,
  except in maps (``additionalProperties``) and the ARM envelope of resources.

Only the standard library, ``jsonschema`` and ``pyyaml`` are used. A :class:`SpecSet` is
immutable once loaded (every schema is compiled at load time), so it can be shared between
threads; :meth:`SpecSet.load` keeps one instance per root/file set for the whole process.

Command line::

    python -m tests.contract.swagger validate LOG.json [--lax] [--warnings] [--all]
    python -m tests.contract.swagger find METHOD PATH API_VERSION
"""

from __future__ import annotations

import argparse
import datetime as _dt
import email.utils
import json
import re
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping
from urllib.parse import parse_qsl, unquote, urlsplit

import jsonschema
from jsonschema import validators as _jsvalidators
from jsonschema.exceptions import ValidationError

try:  # pyyaml is optional for the CLI only (logs may be written as YAML)
    import yaml as _yaml
except ImportError:  # pragma: no cover
    _yaml = None

__all__ = [
    "DEFAULT_ROOT",
    "DEFAULT_FILES",
    "SpecSet",
    "Operation",
    "ResponseSpec",
    "BodyParam",
    "Lookup",
    "ExchangeReport",
    "default_specset",
    "find_operation",
    "lookup",
    "validate_request",
    "validate_response",
    "validate_exchange",
    "validate_log",
    "assert_log_valid",
    "format_reports",
]

DEFAULT_ROOT = Path(__file__).resolve().parent / "specs" / "specification"

_BMS_DIR = "recoveryservicesbackup/resource-manager/Microsoft.RecoveryServices/stable"

#: api-version -> spec file (relative to the root), in order of preference.
DEFAULT_FILES: dict[str, str] = {
    "2024-04-01": f"{_BMS_DIR}/2024-04-01/bms.json",
    "2023-01-15": f"{_BMS_DIR}/2023-01-15/bms.json",
    "2019-05-13": f"{_BMS_DIR}/2019-05-13/bms.json",
    "2018-12-20": f"{_BMS_DIR}/2018-12-20/bms.json",
}

#: Versions whose copied file holds only part of the operations of that api-version. A backup
#: path that matches nothing in such a file is "not covered" instead of a problem.
DEFAULT_PARTIAL: dict[str, str] = {
    "2019-05-13": (
        "the 2019-05-13 package also uses older bms.json files (2016-12-01, 2017-07-01: "
        "operationsStatus, backupOperations, ...) that are not copied here"
    ),
}

#: Surfaces, for messages and the CLI.
SURFACES: dict[str, str] = {
    "2024-04-01": "primary region",
    "2023-01-15": "passive stamp (cross-region restore)",
    "2019-05-13": "primary region (docs)",
    "2018-12-20": "passive stamp (docs)",
}

#: ARM envelope allowed on resource definitions even when a version's ``Resource`` omits one.
ARM_ENVELOPE = frozenset({"id", "name", "type", "location", "tags", "eTag", "etag", "systemData"})

_HTTP_METHODS = ("get", "put", "post", "patch", "delete", "head", "options")
_MISSING = object()

# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------

_DATE_TIME = re.compile(
    r"^(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})[Tt ](?P<h>\d{2}):(?P<mi>\d{2}):(?P<s>\d{2})"
    r"(?P<frac>\.\d+)?(?P<tz>[Zz]|[+-]\d{2}:?\d{2})?$"
)
_ZONELESS_OK = re.compile(r"^0001-01-01T00:00:00(\.0+)?$")
_ABSOLUTE_URL = re.compile(r"^https?://[^\s/?#]+(/\S*)?$", re.IGNORECASE)
_INT_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}


def check_date_time(value: str) -> str | None:
    """Loose ISO-8601 date-time check; returns a reason when ``value`` is not acceptable.

    Accepts fractional seconds of any length and ``Z`` or a numeric offset. A zone is required,
    except for ``0001-01-01T00:00:00`` (.NET's DateTime.MinValue, which Azure sends unzoned).
    """
    m = _DATE_TIME.match(value)
    if not m:
        return "not an ISO-8601 date-time"
    if not m.group("tz") and not _ZONELESS_OK.match(value):
        return "ISO-8601 date-time without a time zone (Z or +hh:mm expected)"
    try:
        _dt.datetime(
            int(m.group("y")), int(m.group("mo")), int(m.group("d")),
            int(m.group("h")), int(m.group("mi")), min(int(m.group("s")), 59),
        )
    except ValueError as exc:
        return f"invalid date-time ({exc})"
    return None


def _json_path(path: Iterable[Any]) -> str:
    out = "$"
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", str(part)):
            out += f".{part}"
        else:
            out += f"[{json.dumps(part)}]"
    return out


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _lower_keys(headers: Mapping[str, Any] | None) -> dict[str, Any]:
    if not headers:
        return {}
    return {str(k).lower(): v for k, v in headers.items()}


def _is_empty_body(body: Any) -> bool:
    return body is None or body == "" or body == b""


def _split_path(path: str) -> list[str]:
    """Split a request path (absolute URL, raw percent-encoded or decoded) into decoded segments."""
    if "://" in path:
        path = urlsplit(path).path
    path = path.split("?", 1)[0].split("#", 1)[0]
    segs = [unquote(s) for s in path.split("/")]
    while segs and segs[0] == "":
        segs.pop(0)
    while segs and segs[-1] == "":
        segs.pop()
    return segs


# --------------------------------------------------------------------------------------------
# Data classes
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResponseSpec:
    """One declared response of an operation (``status`` is a code or ``"default"``)."""

    status: str
    description: str
    schema: dict | None  # compiled schema, None when the spec declares no body
    schema_label: str | None
    headers: Mapping[str, dict]
    error: bool  # default, >= 400 or x-ms-error-response


@dataclass(frozen=True)
class BodyParam:
    name: str
    required: bool
    schema: dict
    schema_label: str


@dataclass(frozen=True, eq=False)
class Operation:
    """An operation of one spec file."""

    operation_id: str
    method: str  # upper case
    path_template: str
    api_version: str
    spec_file: str  # relative to the root
    parameters: tuple  # resolved swagger parameter objects (path-level + operation-level)
    responses: Mapping[str, ResponseSpec]
    body_param: BodyParam | None
    long_running: bool
    examples: Mapping[str, str]  # title -> example path relative to the spec file's folder
    _segments: tuple = field(repr=False, default=())
    _specset: Any = field(repr=False, default=None, compare=False)

    @property
    def version(self) -> str:
        return self.api_version

    def params(self, location: str) -> list[dict]:
        return [p for p in self.parameters if p.get("in") == location]

    def __str__(self) -> str:  # pragma: no cover - cosmetic
        return f"{self.operation_id}@{self.api_version}"


@dataclass
class Lookup:
    """How a request maps to the specs."""

    covered: bool
    operation: Operation | None = None
    api_version: str | None = None
    reason: str = ""
    problems: list[str] = field(default_factory=list)
    path_params: dict[str, str] = field(default_factory=dict)


@dataclass
class ExchangeReport:
    """Validation result of one request-log entry."""

    covered: bool
    operation_id: str | None
    reason: str
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seq: Any = None
    method: str = ""
    path: str = ""
    status: Any = None
    api_version: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def describe(self) -> str:
        op = f"{self.operation_id}@{self.api_version}" if self.operation_id else "-"
        return f"#{self.seq} {self.method} {self.path} -> {self.status} [{op}]"


# --------------------------------------------------------------------------------------------
# The spec set
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Poly:
    label: str
    prop: str  # discriminator property
    table: Mapping[str, str]  # value -> key (the definition itself and its descendants)
    family: Mapping[str, str]  # value -> key, whole hierarchy (for messages)


_LOAD_LOCK = threading.Lock()
_SPECSET_CACHE: dict[tuple, "SpecSet"] = {}
_DOC_CACHE: dict[Path, Any] = {}


def _load_json(path: Path) -> Any:
    doc = _DOC_CACHE.get(path)
    if doc is None:
        with open(path, encoding="utf-8-sig") as fh:
            doc = json.load(fh)
        _DOC_CACHE[path] = doc
    return doc


class SpecSet:
    """The swagger files, keyed by api-version, with every schema compiled.

    Use :meth:`load` (cached per process) rather than the constructor.
    """

    def __init__(
        self,
        root: str | Path | None = None,
        files: Mapping[str, str] | None = None,
        partial: Mapping[str, str] | None = None,
    ):
        self.root = Path(root or DEFAULT_ROOT).resolve()
        self.files: dict[str, str] = dict(files if files is not None else DEFAULT_FILES)
        self.partial: dict[str, str] = dict(
            partial if partial is not None else (DEFAULT_PARTIAL if files is None else {})
        )
        self._docs: dict[str, Any] = {}  # relpath -> document
        self._schemas: dict[str, dict] = {}  # key -> compiled (flattened) schema
        self._labels: dict[str, str] = {}  # key -> definition name
        self._poly: dict[str, _Poly] = {}
        self._flat_info_cache: dict[str, dict] = {}
        self._pending: list[str] = []
        self._operations: dict[str, list[Operation]] = {}
        self._by_length: dict[str, dict[int, list[Operation]]] = {}
        self._surface: set[str] = set()
        for version, rel in self.files.items():
            self._load_version(version, rel)
        # compile every definition of every loaded document, then anything referenced
        for rel, doc in list(self._docs.items()):
            for name in (doc.get("definitions") or {}):
                self._require(f"{rel}#/definitions/{name}")
        self._drain()
        self._build_polymorphism()
        self._flat_info_cache.clear()
        self._request_cls, self._response_cls = {}, {}
        for strict in (True, False):
            self._request_cls[strict] = self._make_validator_class(strict, request=True)
            self._response_cls[strict] = self._make_validator_class(strict, request=False)

    # ---------------------------------------------------------------- loading & caching

    @classmethod
    def load(
        cls,
        root: str | Path | None = None,
        files: Mapping[str, str] | None = None,
        partial: Mapping[str, str] | None = None,
    ) -> "SpecSet":
        """Return the (process-wide cached) spec set for ``root`` and ``files``."""
        key = (
            str(Path(root or DEFAULT_ROOT).resolve()),
            tuple(sorted((files if files is not None else DEFAULT_FILES).items())),
            tuple(sorted((partial or {}).items())) if partial is not None else None,
        )
        inst = _SPECSET_CACHE.get(key)
        if inst is None:
            with _LOAD_LOCK:
                inst = _SPECSET_CACHE.get(key)
                if inst is None:
                    inst = cls(root, files, partial)
                    _SPECSET_CACHE[key] = inst
        return inst

    @property
    def versions(self) -> list[str]:
        return list(self.files)

    def _doc(self, rel: str) -> Any:
        doc = self._docs.get(rel)
        if doc is None:
            path = (self.root / rel).resolve()
            try:
                path.relative_to(self.root)
            except ValueError as exc:
                raise ValueError(f"$ref leaves the spec root: {rel}") from exc
            if not path.is_file():
                raise FileNotFoundError(f"spec file not found: {rel}")
            doc = _load_json(path)
            self._docs[rel] = doc
        return doc

    def _ref_key(self, ref: str, base_rel: str) -> str:
        """Absolute key ``relpath#pointer`` of a ``$ref`` written in ``base_rel``."""
        file_part, _unused, pointer = ref.partition("#")
        if file_part:
            rel = (Path(base_rel).parent / file_part).as_posix()
            rel = _normpath(rel)
        else:
            rel = base_rel
        return f"{rel}#{pointer or ''}"

    def _resolve(self, key: str) -> Any:
        rel, _unused, pointer = key.partition("#")
        node = self._doc(rel)
        for part in [p for p in pointer.split("/") if p != ""]:
            part = unquote(part).replace("~1", "/").replace("~0", "~")
            if isinstance(node, list):
                node = node[int(part)]
            else:
                if part not in node:
                    raise KeyError(f"unresolvable $ref {key}")
                node = node[part]
        return node

    def _resolve_refs_shallow(self, obj: dict, base_rel: str) -> tuple[dict, str]:
        """Follow ``$ref`` chains of a parameter/response object; return (object, its file)."""
        seen = set()
        while isinstance(obj, dict) and "$ref" in obj:
            key = self._ref_key(obj["$ref"], base_rel)
            if key in seen:
                raise ValueError(f"$ref cycle at {key}")
            seen.add(key)
            base_rel = key.partition("#")[0]
            obj = self._resolve(key)
        return obj, base_rel

    # ---------------------------------------------------------------- operations

    def _load_version(self, version: str, rel: str) -> None:
        rel = _normpath(rel)
        doc = self._doc(rel)
        ops: list[Operation] = []
        paths = dict(doc.get("paths") or {})
        paths.update(doc.get("x-ms-paths") or {})
        for template, item in paths.items():
            item, item_rel = self._resolve_refs_shallow(item, rel)
            common = item.get("parameters") or []
            for method in _HTTP_METHODS:
                raw = item.get(method)
                if not raw:
                    continue
                ops.append(self._make_operation(version, rel, item_rel, template, method, raw, common))
            segs = _template_segments(template)
            for i, (kind, value) in enumerate(segs[:-1]):
                if kind == "lit" and value in ("vaults", "locations") and i + 2 < len(segs):
                    nxt = segs[i + 2]
                    if nxt[0] == "lit":
                        self._surface.add(nxt[1])
        self._operations[version] = ops
        index: dict[int, list[Operation]] = {}
        for op in ops:
            index.setdefault(len(op._segments), []).append(op)
        self._by_length[version] = index

    def _make_operation(self, version, spec_rel, rel, template, method, raw, common) -> Operation:
        """``spec_rel``: the version's file; ``rel``: the file the path item was read from."""
        params: dict[tuple, dict] = {}
        for p in list(common) + list(raw.get("parameters") or []):
            p, p_rel = self._resolve_refs_shallow(p, rel)
            p = dict(p)
            p["_file"] = p_rel
            params[(p.get("name"), p.get("in"))] = p  # operation-level overrides path-level
        body = None
        for p in params.values():
            if p.get("in") == "body":
                schema = self._convert(p.get("schema") or {}, p["_file"], label=p.get("name", "body"))
                body = BodyParam(
                    name=p.get("name", "body"),
                    required=bool(p.get("required")),
                    schema=schema,
                    schema_label=_schema_label(p.get("schema") or {}),
                )
        responses: dict[str, ResponseSpec] = {}
        for status, resp in (raw.get("responses") or {}).items():
            resp, r_rel = self._resolve_refs_shallow(resp, rel)
            status = str(status)
            schema = resp.get("schema")
            compiled = None
            if schema is not None:
                compiled = self._convert(schema, r_rel, label=f"{raw.get('operationId')}[{status}]")
            is_error = (
                status == "default"
                or bool(resp.get("x-ms-error-response"))
                or (status.isdigit() and int(status) >= 400)
            )
            responses[status] = ResponseSpec(
                status=status,
                description=resp.get("description", ""),
                schema=compiled,
                schema_label=_schema_label(schema) if schema is not None else None,
                headers=dict(resp.get("headers") or {}),
                error=is_error,
            )
        examples = {}
        for title, ex in (raw.get("x-ms-examples") or {}).items():
            if isinstance(ex, dict) and "$ref" in ex:
                examples[title] = ex["$ref"]
        return Operation(
            operation_id=raw.get("operationId", f"{method.upper()} {template}"),
            method=method.upper(),
            path_template=template,
            api_version=version,
            spec_file=spec_rel,
            parameters=tuple(params.values()),
            responses=responses,
            body_param=body,
            long_running=bool(raw.get("x-ms-long-running-operation")),
            examples=examples,
            _segments=tuple(_template_segments(template)),
            _specset=self,
        )

    def operations(self, api_version: str) -> list[Operation]:
        return list(self._operations.get(api_version, ()))

    def operation(self, api_version: str, operation_id: str) -> Operation:
        for op in self._operations.get(api_version, ()):
            if op.operation_id == operation_id:
                return op
        raise KeyError(f"no operation {operation_id} in spec {api_version}")

    # ---------------------------------------------------------------- path matching

    def _match(self, version: str, segs: list[str]) -> list[tuple[int, Operation, dict]]:
        found = []
        low = [s.lower() for s in segs]
        for op in self._by_length.get(version, {}).get(len(segs), ()):
            params: dict[str, str] = {}
            score = 0
            for (kind, value), seg, lseg in zip(op._segments, segs, low):
                if kind == "lit":
                    if value != lseg:
                        break
                    score += 1
                else:
                    m = value.match(seg)
                    if not m:
                        break
                    params.update(m.groupdict())
            else:
                found.append((score, op, params))
        found.sort(key=lambda t: -t[0])
        return found

    def _is_backup_path(self, segs: list[str]) -> tuple[bool, str]:
        """Classify a path: (is Azure Backup, reason when it is not)."""
        low = [s.lower() for s in segs]
        if not low:
            return False, "not an Azure Resource Manager resource path"
        if low[0] == "metadata":
            return False, "metadata endpoint, not Azure Backup"
        idx = next((i for i, s in enumerate(low) if s == "providers"), None)
        if idx is None or idx + 1 >= len(low):
            if low[0] == "subscriptions" and len(low) >= 3:
                return False, f"ARM subscription API (/subscriptions/{{id}}/{segs[2]}), not Azure Backup"
            if low[0] in ("subscriptions", "tenants"):
                return False, "ARM subscription/tenant API, not Azure Backup"
            return False, "not an Azure Resource Manager provider path"
        ns = segs[idx + 1]
        if low[idx + 1] != "microsoft.recoveryservices":
            return False, f"not Azure Backup ({ns})"
        rest = low[idx + 2:]
        if rest == ["operations"]:
            return True, ""
        if len(rest) >= 3 and rest[0] in ("vaults", "locations"):
            nxt = rest[2]
            if nxt in self._surface or nxt.startswith("backup"):
                return True, ""
        if rest and rest[0] == "vaults":
            return False, (
                "Recovery Services vault API (Microsoft.RecoveryServices/vaults, recoveryservices "
                "spec), not in the Azure Backup specs"
            )
        return False, "Microsoft.RecoveryServices API outside the Azure Backup specs"

    def lookup(self, method: str, path: str, api_version: str | None) -> Lookup:
        """Map a concrete request to an operation, or explain why it is not covered."""
        method = (method or "").upper()
        segs = _split_path(path)
        is_backup, reason = self._is_backup_path(segs)
        if not is_backup:
            return Lookup(False, None, api_version, reason)
        if not api_version:
            for version in self.files:
                for _unused, op, params in self._match(version, segs):
                    if op.method == method:
                        return Lookup(
                            True, op, None, "",
                            ["api-version query parameter is missing"], params,
                        )
            return Lookup(True, None, None, "", ["api-version query parameter is missing"])
        if api_version not in self.files:
            return Lookup(
                False, None, api_version,
                f"no spec for api-version {api_version} here (specs: {', '.join(self.files)})",
            )
        matches = self._match(api_version, segs)
        same_method = [(s, op, p) for s, op, p in matches if op.method == method]
        if same_method:
            _unused, op, params = same_method[0]
            return Lookup(True, op, api_version, "", [], params)
        if matches:
            allowed = sorted({op.method for _unused, op, _unused2 in matches})
            templates = sorted({op.path_template for _unused, op, _unused2 in matches})
            return Lookup(
                True, None, api_version, "",
                [
                    f"{method} is not defined for {templates[0]} in spec {api_version} "
                    f"(defined: {', '.join(allowed)})"
                ],
            )
        if api_version in self.partial:
            return Lookup(
                False, None, api_version,
                f"no {api_version} operation matches in the copied file: {self.partial[api_version]}",
            )
        return Lookup(
            True, None, api_version, "",
            [f"no operation of spec {api_version} matches {method} /{'/'.join(segs)}"],
        )

    def find_operation(self, method: str, path: str, api_version: str | None) -> Operation | None:
        """The operation for a concrete request, or None (not covered / no match)."""
        return self.lookup(method, path, api_version).operation

    # ---------------------------------------------------------------- schema compilation

    def _require(self, key: str) -> None:
        if key not in self._schemas and key not in self._pending:
            self._schemas[key] = {}  # placeholder, filled by _drain
            self._pending.append(key)

    def _drain(self) -> None:
        while self._pending:
            key = self._pending.pop()
            raw = self._resolve(key)
            rel = key.partition("#")[0]
            label = key.rsplit("/", 1)[-1]
            self._labels[key] = label
            compiled = self._convert(raw, rel, label=label, is_definition=True)
            self._schemas[key].update(compiled)

    def _flat_info(self, key: str, _stack: tuple = ()) -> dict:
        """Merged view of a definition with its allOf chain: properties, required, ..."""
        info = self._flat_info_cache.get(key)
        if info is not None:
            return info
        if key in _stack:
            raise ValueError(f"allOf cycle through {key}")
        raw = self._resolve(key)
        rel = key.partition("#")[0]
        info = self._merge(raw, rel, _stack + (key,))
        self._flat_info_cache[key] = info
        return info

    def _merge(self, raw: dict, rel: str, stack: tuple = ()) -> dict:
        props: dict[str, tuple[dict, str]] = {}
        required: list[str] = []
        addl: Any = _MISSING
        addl_rel = rel
        resource = bool(raw.get("x-ms-azure-resource"))
        ancestors: list[str] = []
        for part in raw.get("allOf") or []:
            if "$ref" in part:
                pkey = self._ref_key(part["$ref"], rel)
                pinfo = self._flat_info(pkey, stack)
                ancestors.append(pkey)
                ancestors.extend(pinfo["ancestors"])
                name = pkey.rsplit("/", 1)[-1]
                if name in ("Resource", "ProxyResource", "TrackedResource", "AzureEntityResource"):
                    resource = True
            else:
                pinfo = self._merge(part, rel, stack)
                ancestors.extend(pinfo["ancestors"])
            props.update(pinfo["props"])
            required.extend(r for r in pinfo["required"] if r not in required)
            if pinfo["addl"] is not _MISSING:
                addl, addl_rel = pinfo["addl"], pinfo["addl_rel"]
            resource = resource or pinfo["resource"]
        for name, pschema in (raw.get("properties") or {}).items():
            props[name] = (pschema, rel)
        required.extend(r for r in (raw.get("required") or []) if r not in required)
        if "additionalProperties" in raw:
            addl, addl_rel = raw["additionalProperties"], rel
        is_object = bool(
            raw.get("type") == "object" or props or raw.get("allOf") or addl is not _MISSING
        )
        return {
            "props": props,
            "required": required,
            "addl": addl,
            "addl_rel": addl_rel,
            "resource": resource,
            "ancestors": ancestors,
            "is_object": is_object,
        }

    def _convert(self, schema: Any, rel: str, label: str, is_definition: bool = False) -> dict:
        """Compile a swagger schema into a draft-4 schema with this module's keywords.

        A ``$ref`` becomes ``{"x-ref": key}`` (resolved at validation time, so recursion is
        free); objects are flattened with their ``allOf`` chain.
        """
        if not isinstance(schema, dict):
            return {}
        if "$ref" in schema:
            key = self._ref_key(schema["$ref"], rel)
            self._require(key)
            out: dict = {"x-ref": key}
            if schema.get("readOnly") and not is_definition:
                out["x-readonly"] = True
            return out
        looks_like_object = (
            "allOf" in schema or "properties" in schema or "additionalProperties" in schema
            or schema.get("type") == "object"
        )
        if looks_like_object:
            info = self._merge(schema, rel)
            if info["is_object"]:
                return self._object_schema(info, schema, label)
        return self._scalar_schema(schema, rel, label)

    def _object_schema(self, info: dict, raw: dict, label: str) -> dict:
        out: dict = {"type": "object"}
        props = {}
        required = set(info["required"])
        for name, (pschema, prel) in info["props"].items():
            compiled = self._convert(pschema, prel, label=f"{label}.{name}")
            if self._nullable(pschema, prel, name in required):
                compiled = {"x-or-null": compiled}
            props[name] = compiled
        if props:
            out["properties"] = props
        if info["required"]:
            out["required"] = list(info["required"])
        addl = info["addl"]
        if isinstance(addl, dict):
            item = self._convert(addl, info["addl_rel"], label=f"{label}{{}}")
            if addl.get("x-nullable") is True:
                item = {"x-or-null": item}
            out["additionalProperties"] = item
        elif addl is False and not props:
            out["additionalProperties"] = False
        if props and (addl is _MISSING or addl is False):
            allowed = set(props)
            if info["resource"]:
                allowed |= ARM_ENVELOPE
            out["x-strict"] = {"model": label, "allowed": frozenset(allowed)}
        if raw.get("readOnly"):
            out["x-readonly"] = True
        for kw in ("minProperties", "maxProperties"):
            if kw in raw:
                out[kw] = raw[kw]
        return out

    def _scalar_schema(self, schema: dict, rel: str, label: str) -> dict:
        out: dict = {}
        typ = schema.get("type")
        if isinstance(typ, str) and typ in ("string", "integer", "number", "boolean", "array", "object"):
            out["type"] = typ
        if "items" in schema:
            items = schema["items"]
            compiled = self._convert(items, rel, label=f"{label}[]")
            if isinstance(items, dict) and items.get("x-nullable") is True:
                compiled = {"x-or-null": compiled}
            out["items"] = compiled
        if "enum" in schema:
            xms = schema.get("x-ms-enum") or {}
            if xms.get("modelAsString"):
                out["x-soft-enum"] = {"values": list(schema["enum"]), "name": xms.get("name") or label}
            else:
                out["enum"] = list(schema["enum"])
        if "format" in schema:
            out["x-format"] = schema["format"]
        for kw in (
            "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
            "minLength", "maxLength", "pattern", "minItems", "maxItems", "uniqueItems",
        ):
            if kw in schema:
                out[kw] = schema[kw]
        if schema.get("readOnly"):
            out["x-readonly"] = True
        return out

    def _nullable(self, pschema: dict, prel: str, required: bool) -> bool:
        xn = pschema.get("x-nullable") if isinstance(pschema, dict) else None
        if xn is None and isinstance(pschema, dict) and "$ref" in pschema:
            try:
                target = self._resolve(self._ref_key(pschema["$ref"], prel))
                xn = target.get("x-nullable") if isinstance(target, dict) else None
            except (KeyError, FileNotFoundError, ValueError):
                xn = None
        if xn is not None:
            return bool(xn)
        return not required

    def _build_polymorphism(self) -> None:
        defs_by_doc: dict[str, list[str]] = {}
        for key in self._schemas:
            rel, _unused, pointer = key.partition("#")
            if pointer.startswith("/definitions/") and pointer.count("/") == 2:
                defs_by_doc.setdefault(rel, []).append(key)
        ancestors: dict[str, list[str]] = {}
        for keys in defs_by_doc.values():
            for key in keys:
                ancestors[key] = self._flat_info(key)["ancestors"]
        for rel, keys in defs_by_doc.items():
            for key in keys:
                chain = [key] + ancestors[key]
                disc = None
                root = None
                for k in chain:
                    raw = self._resolve(k)
                    if isinstance(raw, dict) and raw.get("discriminator"):
                        disc, root = raw["discriminator"], k
                        break
                if disc is None:
                    continue
                family: dict[str, str] = {}
                table: dict[str, str] = {}
                for other in keys:
                    if other == root or root in ancestors[other]:
                        family.setdefault(self._disc_value(other), other)
                    if other == key or key in ancestors[other]:
                        table.setdefault(self._disc_value(other), other)
                self._poly[key] = _Poly(self._labels.get(key, key), disc, table, family)

    def _disc_value(self, key: str) -> str:
        raw = self._resolve(key)
        return raw.get("x-ms-discriminator-value") or key.rsplit("/", 1)[-1]

    # ---------------------------------------------------------------- validator classes

    def _make_validator_class(self, strict: bool, request: bool):
        schemas, polys = self._schemas, self._poly

        def x_ref(validator, key, instance, schema):
            poly = polys.get(key)
            if poly is None:
                yield from validator.descend(instance, schemas[key])
                return
            if not isinstance(instance, dict):
                yield from validator.descend(instance, schemas[key])
                return
            value = instance.get(poly.prop, _MISSING)
            if value is _MISSING:
                if poly.prop not in schemas[key].get("required", ()):
                    yield ValidationError(
                        f"discriminator '{poly.prop}' of {poly.label} is missing "
                        f"(one of {sorted(poly.table)})",
                        validator="x-discriminator",
                    )
                yield from validator.descend(instance, schemas[key])
                return
            if not isinstance(value, str):
                yield ValidationError(
                    f"discriminator '{poly.prop}' of {poly.label} must be a string, got {_short(value)}",
                    validator="x-discriminator",
                    path=[poly.prop],
                )
                return
            target = poly.table.get(value)
            if target is None:
                if value in poly.family:
                    msg = (
                        f"{poly.prop} '{value}' is not {poly.label} or one of its subtypes "
                        f"(allowed here: {sorted(poly.table)})"
                    )
                else:
                    near = [v for v in poly.family if v.lower() == value.lower()]
                    hint = f"; did you mean '{near[0]}'?" if near else ""
                    msg = (
                        f"unknown {poly.prop} '{value}' for {poly.label} "
                        f"(known: {sorted(poly.table)}){hint}"
                    )
                yield ValidationError(msg, validator="x-discriminator", path=[poly.prop])
                return
            yield from validator.descend(instance, schemas[target])

        def x_or_null(validator, inner, instance, schema):
            if instance is None:
                return
            yield from validator.descend(instance, inner)

        def x_strict(validator, spec, instance, schema):
            if not strict or not isinstance(instance, dict):
                return
            allowed = spec["allowed"]
            for name in instance:
                if name not in allowed:
                    yield ValidationError(
                        f"unexpected property '{name}' (not defined by {spec['model']})",
                        validator="x-strict",
                    )

        def x_soft_enum(validator, spec, instance, schema):
            if isinstance(instance, str) and instance not in spec["values"]:
                yield ValidationError(
                    f"{_short(instance)} is not a known value of extensible enum {spec['name']} "
                    f"{spec['values']}",
                    validator="x-soft-enum",
                )

        def x_format(validator, fmt, instance, schema):
            if fmt == "date-time" and isinstance(instance, str):
                why = check_date_time(instance)
                if why:
                    yield ValidationError(f"{_short(instance)} is {why}", validator="x-format")
            elif fmt in _INT_RANGES and isinstance(instance, int) and not isinstance(instance, bool):
                lo, hi = _INT_RANGES[fmt]
                if not lo <= instance <= hi:
                    yield ValidationError(f"{instance} is out of {fmt} range", validator="x-format")

        def x_readonly(validator, value, instance, schema):
            if request and value:
                yield ValidationError(
                    "readOnly property sent in a request (ARM ignores it)", validator="x-readonly"
                )

        keywords = {
            "x-ref": x_ref,
            "x-or-null": x_or_null,
            "x-strict": x_strict,
            "x-soft-enum": x_soft_enum,
            "x-format": x_format,
            "x-readonly": x_readonly,
        }
        return _jsvalidators.extend(jsonschema.Draft4Validator, keywords)

    # ---------------------------------------------------------------- instance validation

    def _errors(self, schema: dict, instance: Any, strict: bool, request: bool, where: str):
        cls = (self._request_cls if request else self._response_cls)[strict]
        problems, warnings = [], []
        for err in cls(schema).iter_errors(instance):
            for leaf in _leaves(err):
                msg = f"{where} {_json_path(leaf.absolute_path)}: {leaf.message}"
                if leaf.validator in ("x-soft-enum", "x-readonly"):
                    warnings.append(msg)
                else:
                    problems.append(msg)
        return _dedupe(problems), _dedupe(warnings)

    def validate_model(
        self,
        api_version: str,
        definition: str,
        instance: Any,
        *,
        request: bool = False,
        strict: bool = True,
        warnings: list | None = None,
    ) -> list[str]:
        """Validate ``instance`` against ``#/definitions/<definition>`` of a version's file."""
        rel = _normpath(self.files[api_version])
        key = f"{rel}#/definitions/{definition}"
        if key not in self._schemas:
            raise KeyError(f"no definition {definition} in spec {api_version}")
        problems, warns = self._errors({"x-ref": key}, instance, strict, request, "instance")
        if warnings is not None:
            warnings.extend(warns)
        return problems

    def validate_request(
        self,
        op: Operation,
        query: Mapping[str, Any] | None,
        body: Any,
        headers: Mapping[str, Any] | None = None,
        *,
        strict: bool = True,
        warnings: list | None = None,
    ) -> list[str]:
        problems: list[str] = []
        warns: list[str] = []
        query = query or {}
        lowq = {str(k).lower(): v for k, v in query.items()}
        for p in op.params("query"):
            name = p.get("name", "")
            if p.get("required") and name.lower() not in lowq:
                problems.append(f"request: required query parameter '{name}' is missing")
            value = lowq.get(name.lower())
            if value is not None and "enum" in p and not (p.get("x-ms-enum") or {}).get("modelAsString"):
                if str(value) not in [str(v) for v in p["enum"]]:
                    problems.append(f"request: query parameter '{name}'={_short(value)} not in {p['enum']}")
        if headers is not None:
            lowh = _lower_keys(headers)
            for p in op.params("header"):
                if p.get("required") and p.get("name", "").lower() not in lowh:
                    problems.append(f"request: required header '{p.get('name')}' is missing")
        bp = op.body_param
        if bp is None:
            if not _is_empty_body(body):
                problems.append(
                    f"request: {op.operation_id} takes no request body, got {_short(body)}"
                )
        elif _is_empty_body(body):
            if bp.required:
                problems.append(
                    f"request: required body '{bp.name}' ({bp.schema_label}) is missing"
                )
        else:
            p, w = self._errors(bp.schema, body, strict, True, "request body")
            problems += p
            warns += w
        if warnings is not None:
            warnings.extend(warns)
        return problems

    def validate_response(
        self,
        op: Operation,
        status: int | str,
        body: Any,
        headers: Mapping[str, Any] | None = None,
        *,
        strict: bool = True,
        warnings: list | None = None,
    ) -> list[str]:
        problems: list[str] = []
        warns: list[str] = []
        try:
            code = int(status)
        except (TypeError, ValueError):
            return [f"response: invalid status {status!r}"]
        resp = op.responses.get(str(code))
        where = f"response {code}"
        if resp is None:
            default = op.responses.get("default")
            if default is not None and code >= 400:
                resp = default
                where = f"response {code} (default)"
            else:
                declared = ", ".join(op.responses) or "none"
                extra = "" if default is not None else "; the operation declares no default (error) response"
                return [
                    f"response: status {code} is not declared by {op.operation_id}@{op.api_version} "
                    f"(declared: {declared}){extra}"
                ]
        schema = resp.schema
        label = resp.schema_label
        if schema is None and resp.error and not _is_empty_body(body):
            # an error status declared without a schema (e.g. accessToken's bare 400): no body is
            # what the spec says; a body, when sent, is checked as the default error envelope
            default = op.responses.get("default")
            if default is not None and default.schema is not None:
                schema, label = default.schema, default.schema_label
                where = f"response {code} (default schema)"
        if schema is None:
            if not _is_empty_body(body) and not resp.error:
                problems.append(
                    f"{where}: the spec declares no body for this status, got {_short(body)}"
                )
        elif _is_empty_body(body):
            if code != 204:
                problems.append(f"{where}: body missing (the spec declares {label})")
        else:
            p, w = self._errors(schema, body, strict, False, f"{where} body")
            problems += p
            warns += w
        if headers is not None:
            problems += self._check_headers(op, code, resp, headers, where)
        if warnings is not None:
            warnings.extend(warns)
        return problems

    @staticmethod
    def _check_headers(op: Operation, code: int, resp: ResponseSpec, headers, where) -> list[str]:
        problems = []
        low = _lower_keys(headers)
        for name, spec in resp.headers.items():
            value = low.get(name.lower())
            if value is None:
                continue
            if spec.get("type") == "integer" and not re.fullmatch(r"-?\d+", str(value).strip()):
                problems.append(f"{where}: header {name} must be an integer, got {_short(value)}")
        for name in ("Location", "Azure-AsyncOperation"):
            value = low.get(name.lower())
            if value is not None and not _ABSOLUTE_URL.match(str(value).strip()):
                problems.append(f"{where}: header {name} is not an absolute URL: {_short(value)}")
        retry = low.get("retry-after")
        if retry is not None:
            text = str(retry).strip()
            if not text.isdigit():
                try:
                    ok = email.utils.parsedate_to_datetime(text) is not None
                except (TypeError, ValueError, IndexError):
                    ok = False
                if not ok:
                    problems.append(
                        f"{where}: header Retry-After must be seconds or an HTTP date, got {_short(retry)}"
                    )
        if op.long_running and code in (201, 202):
            if "location" not in low and "azure-asyncoperation" not in low:
                problems.append(
                    f"{where}: long-running operation answered {code} without a Location or "
                    "Azure-AsyncOperation header"
                )
        return problems

    # ---------------------------------------------------------------- request log

    def validate_exchange(self, entry: Mapping[str, Any], *, strict: bool = True) -> ExchangeReport:
        method = str(entry.get("method") or "").upper()
        url = entry.get("url") or ""
        path = entry.get("path") or (urlsplit(url).path if url else "")
        raw_path = urlsplit(url).path if url else path
        query = entry.get("query")
        if query is None and url and "?" in url:
            query = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
        query = dict(query or {})
        api_version = (
            query.get("api-version")
            or {str(k).lower(): v for k, v in query.items()}.get("api-version")
            or entry.get("api_version")
        )
        report = ExchangeReport(
            covered=False, operation_id=None, reason="",
            seq=entry.get("seq"), method=method, path=path,
            status=entry.get("status"), api_version=api_version,
        )
        kind = entry.get("kind", "arm")
        if kind != "arm":
            report.reason = f"{kind} traffic, not Azure Resource Manager"
            return report
        found = self.lookup(method, raw_path or path, api_version)
        report.operation_id = found.operation.operation_id if found.operation else None
        if not found.covered:
            report.reason = found.reason
            return report
        status = entry.get("status")
        if not status:
            report.reason = "no response (connection dropped, status 0): not validated"
            return report
        report.covered = True
        op = found.operation
        if op is None:
            report.problems.extend(found.problems)
            return report
        # (with an operation found, the only lookup problem is a missing api-version, which
        # validate_request reports as a missing required query parameter)
        warns: list[str] = []
        report.problems += self.validate_request(
            op, query, entry.get("request_body"), entry.get("request_headers"),
            strict=strict, warnings=warns,
        )
        report.problems += self.validate_response(
            op, status, entry.get("response_body"), entry.get("response_headers"),
            strict=strict, warnings=warns,
        )
        report.warnings = warns
        return report

    def validate_log(self, entries: Iterable[Mapping[str, Any]], *, strict: bool = True) -> list[ExchangeReport]:
        return [self.validate_exchange(e, strict=strict) for e in _entries(entries)]


# --------------------------------------------------------------------------------------------
# Helpers used by SpecSet
# --------------------------------------------------------------------------------------------


def _normpath(rel: str) -> str:
    parts: list[str] = []
    for part in rel.replace("\\", "/").split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                raise ValueError(f"$ref leaves the spec root: {rel}")
            parts.pop()
        else:
            parts.append(part)
    return "/".join(parts)


def _template_segments(template: str) -> list[tuple[str, Any]]:
    segs = []
    for seg in [s for s in template.split("/") if s != ""]:
        if "{" in seg:
            pattern = ""
            pos = 0
            for m in re.finditer(r"\{([^}]+)\}", seg):
                pattern += re.escape(seg[pos:m.start()])
                group = re.sub(r"\W", "_", m.group(1))
                pattern += f"(?P<{group}>.+?)"
                pos = m.end()
            pattern += re.escape(seg[pos:])
            segs.append(("param", re.compile(f"^{pattern}$", re.IGNORECASE | re.DOTALL)))
        else:
            segs.append(("lit", seg.lower()))
    return segs


def _schema_label(schema: dict) -> str:
    if isinstance(schema, dict):
        if "$ref" in schema:
            return schema["$ref"].rsplit("/", 1)[-1]
        if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
            return f"array of {_schema_label(schema['items'])}"
        return schema.get("type", "schema")
    return "schema"


def _leaves(err: ValidationError):
    """The most specific errors (anyOf/oneOf are not used by the compiled schemas)."""
    if err.context:
        for sub in err.context:
            yield from _leaves(sub)
    else:
        yield err


def _dedupe(items: list[str]) -> list[str]:
    seen = set()
    out = []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out


def _entries(log: Any) -> list[Mapping[str, Any]]:
    """Accept a list of entries, or a dict holding one (``entries``/``requests``/``log``)."""
    if isinstance(log, Mapping):
        for key in ("entries", "requests", "log", "items", "value"):
            if isinstance(log.get(key), list):
                return list(log[key])
        raise ValueError("request log: expected a list of entries or a dict with 'entries'")
    return list(log)


# --------------------------------------------------------------------------------------------
# Module-level API (default spec set)
# --------------------------------------------------------------------------------------------


def default_specset() -> SpecSet:
    """The spec set of ``tests/contract/specs/specification`` (loaded once per process)."""
    return SpecSet.load()


def lookup(method: str, path: str, api_version: str | None, specset: SpecSet | None = None) -> Lookup:
    return (specset or default_specset()).lookup(method, path, api_version)


def find_operation(method: str, path: str, api_version: str | None, specset: SpecSet | None = None):
    """Operation matching a concrete request path, or None when not covered / no match."""
    return (specset or default_specset()).find_operation(method, path, api_version)


def validate_request(op: Operation, query, body, headers=None, *, strict=True, warnings=None) -> list[str]:
    return op._specset.validate_request(op, query, body, headers, strict=strict, warnings=warnings)


def validate_response(op: Operation, status, body, headers=None, *, strict=True, warnings=None) -> list[str]:
    return op._specset.validate_response(op, status, body, headers, strict=strict, warnings=warnings)


def validate_exchange(entry: Mapping[str, Any], *, strict: bool = True, specset: SpecSet | None = None) -> ExchangeReport:
    return (specset or default_specset()).validate_exchange(entry, strict=strict)


def validate_log(entries, *, strict: bool = True, specset: SpecSet | None = None) -> list[ExchangeReport]:
    return (specset or default_specset()).validate_log(entries, strict=strict)


def assert_log_valid(
    entries,
    require_covered_ops: Iterable[str] | None = None,
    *,
    strict: bool = True,
    specset: SpecSet | None = None,
) -> list[ExchangeReport]:
    """Raise AssertionError listing every problem of a request log; return the reports.

    ``require_covered_ops``: operationIds (``"Restores_Trigger"``, or ``"Restores_Trigger@2024-04-01"``)
    that must appear among the validated (covered) exchanges.
    """
    reports = validate_log(entries, strict=strict, specset=specset)
    lines = []
    for r in reports:
        for problem in r.problems:
            lines.append(f"{r.describe()}: {problem}")
    if require_covered_ops:
        seen = set()
        for r in reports:
            if r.covered and r.operation_id:
                seen.add(r.operation_id)
                seen.add(f"{r.operation_id}@{r.api_version}")
        missing = [op for op in require_covered_ops if op not in seen]
        if missing:
            lines.append(f"operations never exercised (validated) in the log: {', '.join(missing)}")
    if lines:
        raise AssertionError(
            f"contract violations in request log ({len(lines)}):\n" + "\n".join(f"  {l}" for l in lines)
        )
    return reports


def format_reports(reports: list[ExchangeReport], *, show_warnings: bool = False, show_all: bool = False) -> str:
    """A plain-text table of reports (for the CLI and debugging)."""
    rows = [("seq", "method", "status", "operation", "result")]
    for r in reports:
        if r.covered:
            result = "ok" if r.ok else f"{len(r.problems)} problem(s)"
            if r.warnings:
                result += f", {len(r.warnings)} warning(s)"
        else:
            result = f"not covered: {r.reason}"
        if r.operation_id:
            op = f"{r.operation_id}@{r.api_version}"
        else:
            op = r.path if show_all or len(r.path) <= 70 else "..." + r.path[-67:]
        rows.append((str(r.seq), r.method, str(r.status), op, result))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row[:4], widths)) + "  " + row[4] for row in rows]
    details = []
    for r in reports:
        if r.problems or (show_warnings and r.warnings):
            details.append(r.describe())
            details += [f"    PROBLEM {p}" for p in r.problems]
            if show_warnings:
                details += [f"    warning {w}" for w in r.warnings]
    covered = [r for r in reports if r.covered]
    ops = sorted({f"{r.operation_id}@{r.api_version}" for r in covered if r.operation_id})
    summary = [
        "",
        f"{len(reports)} exchanges, {len(covered)} validated, "
        f"{sum(1 for r in covered if r.problems)} with problems, {len(reports) - len(covered)} not covered",
        "operations validated: " + (", ".join(ops) if ops else "none"),
    ]
    return "\n".join(lines + ([""] + details if details else []) + summary)


def _read_log(path: str) -> Any:
    text = Path(path).read_text(encoding="utf-8") if path != "-" else sys.stdin.read()
    text_stripped = text.strip()
    if not text_stripped:
        return []
    try:
        return json.loads(text_stripped)
    except json.JSONDecodeError:
        pass
    try:  # JSON lines
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    except json.JSONDecodeError:
        if _yaml is None:
            raise
        return _yaml.safe_load(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.contract.swagger", description=__doc__.split("\n", maxsplit=1)[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    v = sub.add_parser("validate", help="validate an emulator request log (JSON list, {entries: [...]} or JSON lines)")
    v.add_argument("log")
    v.add_argument("--lax", action="store_true", help="do not report properties the spec does not define")
    v.add_argument("--warnings", "-w", action="store_true", help="show warnings (extensible enums, readOnly in requests)")
    v.add_argument("--all", action="store_true", help="show paths of every row")
    f = sub.add_parser("find", help="show which operation a request maps to")
    f.add_argument("method")
    f.add_argument("path")
    f.add_argument("api_version", nargs="?")
    args = parser.parse_args(argv)
    specs = default_specset()
    if args.cmd == "find":
        found = specs.lookup(args.method, args.path, args.api_version)
        if found.operation:
            op = found.operation
            print(f"{op.operation_id}@{op.api_version}  {op.method} {op.path_template}")
            print(f"  responses: {', '.join(op.responses)}  path params: {found.path_params}")
        else:
            print(f"covered={found.covered} reason={found.reason}")
        for p in found.problems:
            print(f"  PROBLEM {p}")
        return 0 if found.operation else 1
    reports = specs.validate_log(_read_log(args.log), strict=not args.lax)
    print(format_reports(reports, show_warnings=args.warnings, show_all=args.all))
    return 1 if any(r.problems for r in reports) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
