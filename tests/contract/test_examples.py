"""Microsoft's own ``x-ms-examples`` checked against the swagger files with our validator.

Every example referenced by the four spec files is one test case: the example's parameters
(path round trip through ``find_operation``, query, body) are validated as a request and each of
its responses as a response, in strict mode. Examples that the specs reference but that were not
copied here are listed as skipped cases with ``not-present`` in their id.

Where Microsoft's examples themselves deviate from the spec, the deviation is listed in
``KNOWN_DEVIATIONS`` (one reason per entry). A new deviation fails, and so does an entry that no
longer matches anything, so the list stays exact.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from urllib.parse import quote

import pytest

_REPO = Path(__file__).resolve().parents[2]
if str(_REPO) not in sys.path:
    sys.path.insert(0, str(_REPO))

from tests.contract import swagger  # noqa: E402

SPECS = swagger.SpecSet.load()

#: Versions whose examples folder was copied only in part (restore-related files); a referenced
#: example missing elsewhere is a failure, not a skip.
PARTIALLY_COPIED = {
    "2024-04-01": "only the restore-related examples were copied (policies, workloads, ... were not)",
    "2019-05-13": "only the restore/job/item examples were copied (policies, vault config, ... were not)",
}

#: Operations the collection and the emulator rely on: at least one example each must be present.
RESTORE_OPERATIONS = {
    "2024-04-01": [
        "RecoveryPoints_List", "RecoveryPoints_Get", "Restores_Trigger",
        "ProtectedItemOperationResults_Get", "ProtectedItemOperationStatuses_Get",
        "BackupJobs_List", "JobDetails_Get", "JobCancellations_Trigger", "JobOperationResults_Get",
        "BackupProtectedItems_List", "ProtectedItems_Get", "BackupStatus_Get", "Operation_Validate",
        "BackupResourceStorageConfigsNonCRR_Get",
    ],
    "2023-01-15": [
        "AadProperties_Get", "RecoveryPoints_GetAccessToken", "CrossRegionRestore_Trigger",
        "CrrOperationStatus_Get", "CrrOperationResults_Get", "BackupCrrJobDetails_Get",
        "BackupCrrJobs_List", "RecoveryPointsCrr_List", "RecoveryPointsCrr_Get",
        "BackupProtectedItemsCrr_List", "BackupResourceStorageConfigs_Get",
    ],
    "2019-05-13": [
        "RecoveryPoints_List", "RecoveryPoints_Get", "Restores_Trigger",
        "ProtectedItemOperationResults_Get", "BackupJobs_List", "JobDetails_Get",
        "BackupProtectedItems_List", "ProtectedItems_Get",
    ],
    "2018-12-20": [
        "AadProperties_Get", "RecoveryPoints_GetAccessToken", "CrossRegionRestore_Trigger",
        "CrrOperationStatus_Get", "BackupCrrJobDetails_Get", "RecoveryPointsCrr_List",
    ],
}

#: Examples in the folders that the version's spec does not reference but that belong to one of
#: its operations: (version, operationId, example path relative to the spec folder, why).
EXTRA_EXAMPLES = [
    (
        "2024-04-01", "Restores_Trigger", "./examples/AzureIaasVm/TriggerRestore_ResourceGuardEnabled.json",
        "in the 2024-04-01 folder, referenced only from newer versions",
    ),
]

_CRR_LOCATION = (
    "response 202: header Location is not an absolute URL: 'location: https://",
    "CRR examples write the raw header line as the value ('location: https://...'); "
    "the service sends a plain URL",
)
_CRR_ASYNC = (
    "response 202: header Azure-AsyncOperation is not an absolute URL: 'azure-asyncoperation: https://",
    "same raw-header-line quirk for Azure-AsyncOperation ('azure-asyncoperation: https://...')",
)


def _crr_stray_body(op_id: str) -> tuple[str, str]:
    return (
        f"example: parameter 'parameters' is not defined by {op_id}",
        f"the example passes a request body ({{resourceId}}) to {op_id}, a GET that takes none",
    )


def _stray_path_param(name: str, op_id: str) -> tuple[str, str]:
    return (
        f"example: parameter '{name}' is not defined by {op_id}",
        f"'{name}' copied from a recovery-point path; {op_id} is vault-scoped "
        "(the RP is named inside the body)",
    )


def _old_api_version(version: str, spec: str) -> tuple[str, str]:
    return (
        f"example: api-version '{version}' differs from the spec's {spec}",
        f"example carried over from the {version} folder without updating its api-version",
    )


_VALIDATE_STRAYS = {
    op_id: [_stray_path_param(n, op_id) for n in ("fabricName", "containerName", "protectedItemName", "recoveryPointId")]
    for op_id in ("Operation_Validate", "ValidateOperation_Trigger")
}

#: (version, example path relative to the spec folder) -> [(substring of the problem, reason)].
KNOWN_DEVIATIONS: dict[tuple[str, str], list[tuple[str, str]]] = {
    # --- cross-region restore (passive stamp), both versions share the example files
    **{
        (v, f"examples/AzureIaasVm/{name}"): [_CRR_LOCATION, _CRR_ASYNC]
        for v in ("2023-01-15", "2018-12-20")
        for name in (
            "TriggerCrossRegionRestore_Post.json",
            "TriggerCrossRegionRestore_IdentityBasedRestoreDetails_Post.json",
        )
    },
    **{
        (v, "examples/AzureIaasVm/GetCrrOperationResults_Get.json"): [
            _CRR_LOCATION, _CRR_ASYNC, _crr_stray_body("CrrOperationResults_Get"),
        ]
        for v in ("2023-01-15", "2018-12-20")
    },
    **{
        (v, "examples/AzureIaasVm/GetCrrOperationStatus_Get.json"): [_crr_stray_body("CrrOperationStatus_Get")]
        for v in ("2023-01-15", "2018-12-20")
    },
    # --- 2018-12-20 examples copied from older folders
    ("2018-12-20", "examples/AzureIaasVm/BackupProtectedItems_List.json"): [_old_api_version("2019-05-13", "2018-12-20")],
    ("2018-12-20", "examples/AzureIaasVm/RecoveryPoints_List.json"): [_old_api_version("2019-05-13", "2018-12-20")],
    ("2018-12-20", "examples/Common/BackupStorageConfig_Get.json"): [_old_api_version("2016-12-01", "2018-12-20")],
    ("2018-12-20", "examples/Common/BackupStorageConfig_Put.json"): [_old_api_version("2016-12-01", "2018-12-20")],
    ("2018-12-20", "examples/Common/BackupStorageConfig_Patch.json"): [_old_api_version("2016-12-01", "2018-12-20")],
    ("2018-12-20", "examples/Common/BackupProtectedItem_UsageSummary_Get.json"): [_old_api_version("2017-07-01", "2018-12-20")],
    ("2018-12-20", "examples/Common/BackupProtectionContainers_UsageSummary_Get.json"): [_old_api_version("2017-07-01", "2018-12-20")],
    # --- validate-operation examples carry recovery-point path parameters
    ("2024-04-01", "examples/AzureIaasVm/ValidateOperation_RestoreDisk.json"): _VALIDATE_STRAYS["Operation_Validate"],
    ("2024-04-01", "examples/AzureIaasVm/ValidateOperation_RestoreDisk_IdentityBasedRestoreDetails.json"): _VALIDATE_STRAYS["Operation_Validate"],
    ("2024-04-01", "examples/AzureIaasVm/TriggerValidateOperation_RestoreDisk.json"): _VALIDATE_STRAYS["ValidateOperation_Trigger"],
    ("2019-05-13", "examples/AzureIaasVm/ValidateOperation_RestoreDisk.json"): _VALIDATE_STRAYS["Operation_Validate"],
}


def _norm_ref(ref: str) -> str:
    return ref[2:] if ref.startswith("./") else ref


def _example_path(version: str, ref: str) -> Path:
    return (SPECS.root / SPECS.files[version]).parent / _norm_ref(ref)


def _cases():
    cases = []
    seen = set()
    for version in SPECS.versions:
        for op in SPECS.operations(version):
            for title, ref in op.examples.items():
                key = (version, op.operation_id, _norm_ref(ref))
                if key in seen:
                    continue
                seen.add(key)
                present = _example_path(version, ref).is_file()
                case_id = f"{version}/{op.operation_id}/{_norm_ref(ref).removeprefix('examples/')}"
                if not present:
                    case_id += "-not-present"
                cases.append(pytest.param(version, op.operation_id, ref, id=case_id))
    for version, op_id, ref, _why in EXTRA_EXAMPLES:
        case_id = f"{version}/{op_id}/{_norm_ref(ref).removeprefix('examples/')}-unreferenced"
        cases.append(pytest.param(version, op_id, ref, id=case_id))
    return cases


CASES = _cases()


def _fill_path(template: str, params: dict, encode: bool) -> str:
    out = template
    for name, value in params.items():
        if f"{{{name}}}" in out:
            text = str(value)
            out = out.replace(f"{{{name}}}", quote(text, safe="") if encode else text)
    return out


def check_example(op: swagger.Operation, example: dict) -> tuple[list[str], list[str]]:
    """All problems (and warnings) of one example file against its operation."""
    problems: list[str] = []
    warnings: list[str] = []
    params = dict(example.get("parameters") or {})
    declared = {p.get("name"): p for p in op.parameters}
    for name, p in declared.items():
        if p.get("required") and name not in params:
            problems.append(f"example: required parameter '{name}' missing")
    for name in params:
        if name not in declared:
            problems.append(f"example: parameter '{name}' is not defined by {op.operation_id}")
    example_version = params.get("api-version")
    if example_version is not None and example_version != op.api_version:
        problems.append(
            f"example: api-version '{example_version}' differs from the spec's {op.api_version}"
        )
    # the path, filled with the example's values, must map back to this operation
    path_values = {p["name"]: params[p["name"]] for p in op.params("path") if p["name"] in params}
    for encode in (True, False):
        path = _fill_path(op.path_template, path_values, encode)
        found = SPECS.lookup(op.method, path, op.api_version)
        if found.operation is not op:
            got = found.operation.operation_id if found.operation else f"None ({found.reason or found.problems})"
            problems.append(f"example: {op.method} {path} maps to {got}, not {op.operation_id}")
    query = {p["name"]: params[p["name"]] for p in op.params("query") if p["name"] in params}
    body = params.get(op.body_param.name) if op.body_param else None
    if op.body_param is None:
        body = None  # an undeclared body parameter is reported above as an unknown parameter
    problems += SPECS.validate_request(op, query, body, warnings=warnings)
    for status, resp in (example.get("responses") or {}).items():
        resp = resp or {}
        problems += SPECS.validate_response(
            op, int(status), resp.get("body"), resp.get("headers") or {}, warnings=warnings
        )
    return problems, warnings


@pytest.mark.parametrize("version,operation_id,ref", CASES)
def test_example(version, operation_id, ref):
    path = _example_path(version, ref)
    if not path.is_file():
        assert version in PARTIALLY_COPIED, (
            f"{version} example {ref} (for {operation_id}) is referenced by the spec but missing"
        )
        pytest.skip(f"not present: {version} {_norm_ref(ref)} ({PARTIALLY_COPIED[version]})")
    op = SPECS.operation(version, operation_id)
    example = json.loads(path.read_text(encoding="utf-8-sig"))
    problems, _warnings = check_example(op, example)
    allowed = KNOWN_DEVIATIONS.get((version, _norm_ref(ref)), [])
    used = set()
    unexpected = []
    for problem in problems:
        hits = [i for i, (needle, _reason) in enumerate(allowed) if needle in problem]
        if hits:
            used.update(hits)
        else:
            unexpected.append(problem)
    stale = [allowed[i] for i in range(len(allowed)) if i not in used]
    message = []
    if unexpected:
        message.append("deviations from the spec not in KNOWN_DEVIATIONS:")
        message += [f"  {p}" for p in unexpected]
    if stale:
        message.append("KNOWN_DEVIATIONS entries that no longer match anything (remove them):")
        message += [f"  {needle!r}  ({reason})" for needle, reason in stale]
    assert not message, "\n".join(message)


def test_known_deviations_refer_to_existing_examples():
    for (version, ref), entries in KNOWN_DEVIATIONS.items():
        assert _example_path(version, ref).is_file(), f"{version} {ref}"
        assert entries and all(reason.strip() for _needle, reason in entries)


@pytest.mark.parametrize("version", sorted(RESTORE_OPERATIONS))
def test_restore_operations_have_examples(version):
    missing = []
    for op_id in RESTORE_OPERATIONS[version]:
        op = SPECS.operation(version, op_id)
        present = [ref for ref in op.examples.values() if _example_path(version, ref).is_file()]
        if not present:
            missing.append(op_id)
    assert not missing, f"{version}: no example present for {missing}"


def test_every_present_example_file_is_checked():
    """Each example file in the four folders is referenced by its spec or listed as an extra."""
    checked = {(c.values[0], _norm_ref(c.values[2])) for c in CASES}
    unchecked = []
    for version in SPECS.versions:
        folder = (SPECS.root / SPECS.files[version]).parent
        for path in sorted((folder / "examples").rglob("*.json")):
            rel = path.relative_to(folder).as_posix()
            if (version, rel) not in checked:
                unchecked.append(f"{version} {rel}")
    assert not unchecked, f"example files not validated: {unchecked}"


def test_known_deviations_are_really_reported():
    """The allow-listed CRR header quirk is caught by the validator (not hidden by the list)."""
    version, ref = "2023-01-15", "examples/AzureIaasVm/TriggerCrossRegionRestore_Post.json"
    op = SPECS.operation(version, "CrossRegionRestore_Trigger")
    problems, _unused = check_example(op, json.loads(_example_path(version, ref).read_text()))
    assert any("header Location is not an absolute URL" in p for p in problems)
