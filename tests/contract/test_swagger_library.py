"""Unit tests of tests/contract/swagger.py: a hand-written mini spec and the real Azure Backup specs.

Most tests feed deliberately wrong input and assert that the specific problem is reported, so a
validator that accepted everything would fail them.
"""

from __future__ import annotations

import ast
import copy
import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

_REPO = Path(__file__).resolve().parents[2]
if str(_REPO) not in sys.path:
    sys.path.insert(0, str(_REPO))

from tests.contract import swagger  # noqa: E402

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
MINI_ROOT = FIXTURES / "mini" / "specification"
MINI_FILES = {"2020-01-01": "widgets/stable/2020-01-01/widgets.json"}
SAMPLE_LOG = FIXTURES / "request_log_sample.json"

SUB = "00000000-0000-0000-0000-00000000aaaa"
VAULT = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/v1"
CONTAINER = "IaasVMContainer;iaasvmcontainerv2;rg-vms;vm1"
ITEM_NAME = "VM;iaasvmcontainerv2;rg-vms;vm1"
ITEM = f"{VAULT}/backupFabrics/Azure/protectionContainers/{CONTAINER}/protectedItems/{ITEM_NAME}"
RP = f"{ITEM}/recoveryPoints/26083826328862"
LOC = f"/subscriptions/{SUB}/providers/Microsoft.RecoveryServices/locations/westus"
VM_ID = f"/subscriptions/{SUB}/resourceGroups/rg-vms/providers/Microsoft.Compute/virtualMachines/vm1"
SA_ID = f"/subscriptions/{SUB}/resourceGroups/rg-vms/providers/Microsoft.Storage/storageAccounts/sa1"


def enc(path: str) -> str:
    return path.replace(";", "%3B")


@pytest.fixture(scope="module")
def mini():
    return swagger.SpecSet.load(MINI_ROOT, MINI_FILES)


@pytest.fixture(scope="module")
def specs():
    return swagger.default_specset()


def has(problems, *needles):
    """True when one problem contains every needle."""
    return any(all(n in p for n in needles) for p in problems)


# ------------------------------------------------------------------ fixtures: realistic bodies


def restore_body(**overrides):
    props = {
        "objectType": "IaasVMRestoreRequest",
        "recoveryPointId": "26083826328862",
        "recoveryType": "RestoreDisks",
        "sourceResourceId": VM_ID,
        "storageAccountId": SA_ID,
        "region": "eastus",
        "createNewCloudService": False,
        "originalStorageAccountOption": False,
        "encryptionDetails": {"encryptionEnabled": False},
    }
    props.update(overrides)
    return {"properties": props}


def job_body():
    return {
        "id": f"{VAULT}/backupJobs/11111111-2222-3333-4444-555555555555",
        "name": "11111111-2222-3333-4444-555555555555",
        "type": "Microsoft.RecoveryServices/vaults/backupJobs",
        "properties": {
            "jobType": "AzureIaaSVMJob",
            "entityFriendlyName": "vm1",
            "backupManagementType": "AzureIaasVM",
            "operation": "Restore",
            "status": "InProgress",
            "startTime": "2024-05-01T10:00:06.1234567Z",
            "endTime": "0001-01-01T00:00:00",
            "activityId": "a-1",
            "duration": "PT1M7S",
            "actionsInfo": ["Cancellable"],
            "extendedInfo": {
                "tasksList": [{"taskId": "Transfer data from vault", "status": "InProgress"}],
                "propertyBag": {
                    "Job Type": "Recover disks",
                    "Recovery point time ": "12/25/2019 10:07:11 PM",
                    "Target Storage Account Name": "sa1",
                },
                "internalPropertyBag": {"restoreLocationType": "RestoreDisks"},
                "progressPercentage": 42.5,
            },
        },
    }


def rp_body():
    return {
        "id": RP,
        "name": "26083826328862",
        "type": "Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectedItems/recoveryPoints",
        "properties": {
            "objectType": "IaasVMRecoveryPoint",
            "recoveryPointType": "CrashConsistent",
            "recoveryPointTime": "2024-04-30T22:07:11.1234567Z",
            "recoveryPointTierDetails": [{"type": "InstantRP", "status": "Valid"}],
            "recoveryPointDiskConfiguration": {
                "numberOfDisksIncludedInBackup": 2,
                "includedDiskList": [{"lun": 0, "name": "data0"}],
            },
            "recoveryPointMoveReadinessInfo": {"ArchivedRP": {"isReadyForMove": True}},
        },
    }


def op_status_body(**props):
    body = {
        "id": "op1",
        "name": "op1",
        "status": "Succeeded",
        "startTime": "2024-05-01T10:00:06Z",
        "endTime": "2024-05-01T10:00:08Z",
        "properties": {"objectType": "OperationStatusJobExtendedInfo", "jobId": "j1"},
    }
    body["properties"].update(props)
    return body


# =================================================================== loading, refs, recursion


def test_load_is_cached_per_process(specs):
    assert swagger.SpecSet.load() is specs
    assert swagger.default_specset() is specs
    assert specs.versions == ["2024-04-01", "2023-01-15", "2019-05-13", "2018-12-20"]


def test_mini_cross_file_refs_are_resolved(mini):
    # Widget inherits id/name/type from common/types.json#/definitions/Resource
    op = mini.operation("2020-01-01", "Widgets_Get")
    assert op.responses["default"].schema_label == "ErrorResponse"
    assert mini.validate_response(op, 200, {"id": "x", "name": "w", "type": "t"}) == []
    assert has(mini.validate_response(op, 200, {"id": 5}), "$.id", "is not of type 'string'")
    # the path-level api-version parameter comes from the other file
    assert has(mini.validate_request(op, {}, None), "api-version", "missing")


def test_mini_recursion_is_followed_to_depth(mini):
    op = mini.operation("2020-01-01", "Widgets_Get")
    deep = {"error": {"code": "A", "details": [{"code": "B", "details": [{"code": 3, "bogus": 1}]}]}}
    problems = mini.validate_response(op, 500, deep)
    assert has(problems, "$.error.details[0].details[0].code", "is not of type 'string'")
    assert has(problems, "$.error.details[0].details[0]", "unexpected property 'bogus'", "ErrorDetail")
    tree = {"value": "a", "children": [{"value": "b", "children": [{"value": "c", "children": [{}]}]}]}
    assert has(
        mini.validate_model("2020-01-01", "Widget", {"tree": tree}),
        "$.tree.children[0].children[0].children[0]", "'value' is a required property",
    )


def test_real_cross_file_ref_into_common_types(specs):
    # CloudErrorBody.additionalInfo -> common-types v1 ErrorAdditionalInfo {type, info}
    op = specs.operation("2024-04-01", "RecoveryPoints_Get")
    good = {"error": {"code": "X", "message": "m", "additionalInfo": [{"type": "t", "info": {"k": 1}}]}}
    assert specs.validate_response(op, 404, good) == []
    bad = copy.deepcopy(good)
    bad["error"]["additionalInfo"][0]["extra"] = True
    assert has(
        specs.validate_response(op, 404, bad),
        "$.error.additionalInfo[0]", "unexpected property 'extra'", "ErrorAdditionalInfo",
    )


def test_real_recursive_new_error_response(specs):
    # NewErrorResponse.error.details items are NewErrorResponse again
    op = specs.operation("2023-01-15", "AadProperties_Get")
    body = {"error": {"code": "A", "details": [{"error": {"code": "B", "details": [{"error": {"code": 7}}]}}]}}
    problems = specs.validate_response(op, 400, body)
    assert has(problems, "$.error.details[0].error.details[0].error.code", "is not of type 'string'")


# =================================================================== path matching


@pytest.mark.parametrize(
    "method,path,version,expected",
    [
        ("POST", RP + "/restore", "2024-04-01", "Restores_Trigger"),
        ("POST", enc(RP) + "/restore", "2024-04-01", "Restores_Trigger"),
        ("POST", "https://management.azure.com" + enc(RP) + "/restore?api-version=2024-04-01", "2024-04-01", "Restores_Trigger"),
        ("post", RP.upper() + "/RESTORE", "2024-04-01", "Restores_Trigger"),
        ("GET", RP, "2024-04-01", "RecoveryPoints_Get"),
        ("GET", ITEM + "/recoveryPoints", "2024-04-01", "RecoveryPoints_List"),
        ("GET", ITEM + "/recoveryPoints/", "2024-04-01", "RecoveryPoints_List"),
        # CRR list paths have a trailing '/' in the spec; the same URL, passive-stamp version
        ("GET", enc(ITEM) + "/recoveryPoints", "2023-01-15", "RecoveryPointsCrr_List"),
        ("GET", ITEM + "/recoveryPoints/", "2023-01-15", "RecoveryPointsCrr_List"),
        ("GET", RP, "2023-01-15", "RecoveryPointsCrr_Get"),
        ("GET", VAULT + "/backupProtectedItems", "2023-01-15", "BackupProtectedItemsCrr_List"),
        ("GET", VAULT + "/backupProtectedItems", "2024-04-01", "BackupProtectedItems_List"),
        # 2024-04-01 spells this path '/Subscriptions/...'
        ("GET", VAULT + "/backupstorageconfig/vaultstorageconfig", "2024-04-01", "BackupResourceStorageConfigsNonCRR_Get"),
        ("PATCH", VAULT + "/backupStorageConfig/vaultStorageConfig", "2024-04-01", "BackupResourceStorageConfigsNonCRR_patch"),
        ("POST", LOC.replace("westus", "eastus") + "/backupStatus", "2024-04-01", "BackupStatus_Get"),
        # 2019-05-13 spells every path '/Subscriptions/...'
        ("GET", RP, "2019-05-13", "RecoveryPoints_Get"),
        ("GET", f"{VAULT}/backupJobs/j1", "2024-04-01", "JobDetails_Get"),
        ("POST", f"{VAULT}/backupJobs/j1/cancel", "2024-04-01", "JobCancellations_Trigger"),
        ("GET", f"{VAULT}/backupJobs/j1/operationResults/o1", "2024-04-01", "JobOperationResults_Get"),
        ("GET", f"{VAULT}/backupOperations/o1", "2024-04-01", "BackupOperationStatuses_Get"),
        ("GET", f"{ITEM}/operationsStatus/o1", "2024-04-01", "ProtectedItemOperationStatuses_Get"),
        ("GET", LOC + "/backupAadProperties", "2023-01-15", "AadProperties_Get"),
        ("POST", enc(RP) + "/accessToken", "2023-01-15", "RecoveryPoints_GetAccessToken"),
        ("POST", LOC + "/backupCrossRegionRestore", "2023-01-15", "CrossRegionRestore_Trigger"),
        ("GET", LOC + "/backupCrrOperationsStatus/b64%3D%3D", "2023-01-15", "CrrOperationStatus_Get"),
        ("POST", LOC + "/backupCrrJob", "2018-12-20", "BackupCrrJobDetails_Get"),
    ],
)
def test_find_operation(specs, method, path, version, expected):
    op = swagger.find_operation(method, path, version)
    assert op is not None, specs.lookup(method, path, version)
    assert op.operation_id == expected
    assert op.api_version == version


def test_path_parameters_are_decoded(specs):
    found = specs.lookup("GET", enc(RP), "2024-04-01")
    assert found.path_params["containerName"] == CONTAINER
    assert found.path_params["protectedItemName"] == ITEM_NAME


def test_path_parameter_matches_one_segment_only(specs):
    found = specs.lookup("GET", RP + "/extra", "2024-04-01")
    assert found.covered and found.operation is None
    assert has(found.problems, "no operation of spec 2024-04-01 matches")


def test_empty_segment_does_not_match_a_parameter(specs):
    found = specs.lookup("POST", ITEM + "/recoveryPoints//restore", "2024-04-01")
    assert found.operation is None and found.problems


def test_method_not_defined_is_a_problem(specs):
    found = specs.lookup("DELETE", RP, "2024-04-01")
    assert found.covered and found.operation is None
    assert has(found.problems, "DELETE is not defined", "defined: GET")


def test_crr_operation_at_primary_version_is_a_problem(specs):
    # CRR endpoints exist only in passive-stamp versions
    found = specs.lookup("POST", LOC + "/backupCrossRegionRestore", "2024-04-01")
    assert found.covered and found.operation is None and found.problems
    # and the passive stamp has no JobDetails_Get (CRR jobs are read with POST backupCrrJob)
    found = specs.lookup("GET", f"{VAULT}/backupJobs/j1", "2023-01-15")
    assert found.covered and found.operation is None and found.problems


@pytest.mark.parametrize("version", ["2022-02-01", "2026-02-01", "2021-11-15", "2023-01-15-preview"])
def test_versions_without_a_spec_are_not_covered(specs, version):
    found = specs.lookup("POST", RP + "/restore", version)
    assert not found.covered and found.operation is None and not found.problems
    assert f"no spec for api-version {version}" in found.reason
    assert swagger.find_operation("POST", RP + "/restore", version) is None


@pytest.mark.parametrize(
    "path,reason",
    [
        (VM_ID, "Microsoft.Compute"),
        (SA_ID, "Microsoft.Storage"),
        (f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/n/subnets/s", "Microsoft.Network"),
        (f"/subscriptions/{SUB}/resourcegroups/rg/providers/Microsoft.Resources/deployments/d", "Microsoft.Resources"),
        (f"/subscriptions/{SUB}/locations", "subscription"),
        (f"/subscriptions/{SUB}/resourcegroups/rg", "subscription"),
        (VAULT, "vault API"),
        (VAULT + "/replicationUsages", "vault API"),
        ("/metadata/endpoints", "metadata"),
    ],
)
def test_non_backup_requests_are_not_covered(specs, path, reason):
    found = specs.lookup("GET", path, "2024-04-01")
    assert not found.covered and found.operation is None
    assert reason in found.reason


def test_partial_version_gap_is_not_covered(specs):
    # 2019-05-13 keeps operationsStatus in the (not copied) 2016-12-01 file
    found = specs.lookup("GET", f"{ITEM}/operationsStatus/o1", "2019-05-13")
    assert not found.covered and "2016-12-01" in found.reason


def test_missing_api_version_is_a_problem(specs):
    found = specs.lookup("GET", RP, None)
    assert found.covered and has(found.problems, "api-version", "missing")
    assert found.operation is not None and found.operation.operation_id == "RecoveryPoints_Get"


def test_mini_trailing_slash_and_capitalised_template(mini):
    listed = mini.find_operation("GET", "/subscriptions/s/providers/Microsoft.RecoveryServices/vaults/v/backupWidgets",
                                 "2020-01-01")
    assert listed.operation_id == "Widgets_List"
    poked = mini.find_operation("POST", "/subscriptions/s/providers/microsoft.recoveryservices/vaults/v/backupwidgets/w%3B1/poke",
                                "2020-01-01")
    assert poked.operation_id == "Widgets_Poke"


# =================================================================== discriminators


def test_iaasvm_recovery_point_dispatch(specs):
    op = specs.operation("2024-04-01", "RecoveryPoints_Get")
    assert specs.validate_response(op, 200, rp_body()) == []
    body = rp_body()
    body["properties"]["recoveryPointDiskConfiguration"]["includedDiskList"][0]["size"] = 5
    assert has(specs.validate_response(op, 200, body), "includedDiskList[0]", "unexpected property 'size'", "DiskInformation")
    body = rp_body()
    body["properties"]["objectType"] = "IaasVmRecoveryPoint"
    assert has(specs.validate_response(op, 200, body), "unknown objectType 'IaasVmRecoveryPoint'", "did you mean 'IaasVMRecoveryPoint'")
    body = rp_body()
    del body["properties"]["objectType"]
    assert has(specs.validate_response(op, 200, body), "'objectType' is a required property")
    # a workload-only property is not part of IaasVMRecoveryPoint
    body = rp_body()
    body["properties"]["recoveryPointTimeInUTC"] = "2024-04-30T22:07:11Z"
    assert has(specs.validate_response(op, 200, body), "unexpected property 'recoveryPointTimeInUTC'", "IaasVMRecoveryPoint")


def test_azure_iaas_vm_job_dispatch_and_strict_mode(specs):
    op = specs.operation("2024-04-01", "JobDetails_Get")
    assert specs.validate_response(op, 200, job_body()) == []
    body = job_body()
    body["properties"]["restorePointId"] = "made-up"
    problems = specs.validate_response(op, 200, body)
    assert has(problems, "$.properties", "unexpected property 'restorePointId'", "AzureIaaSVMJob")
    body = job_body()
    body["properties"]["extendedInfo"]["madeUp"] = 1
    assert has(specs.validate_response(op, 200, body), "$.properties.extendedInfo", "unexpected property 'madeUp'")


def test_property_bag_is_a_map_not_strict(specs):
    op = specs.operation("2024-04-01", "JobDetails_Get")
    body = job_body()
    body["properties"]["extendedInfo"]["propertyBag"].update(
        {"Config Blob Uri": "https://sa1.blob.core.windows.net/c/config.json", "Anything At All": "x"}
    )
    assert specs.validate_response(op, 200, body) == []
    # map values are still typed (map<string, string>)
    body["properties"]["extendedInfo"]["propertyBag"]["Count"] = 3
    assert has(specs.validate_response(op, 200, body), '$.properties.extendedInfo.propertyBag.Count', "is not of type 'string'")


def test_job_fields_differ_between_versions(specs):
    # containerName / isUserTriggered are not defined for AzureIaaSVMJob in the passive stamp
    op = specs.operation("2023-01-15", "BackupCrrJobDetails_Get")
    body = job_body()
    body["properties"]["operation"] = "CrossRegionRestore"
    assert specs.validate_response(op, 200, body) == []
    body["properties"]["containerName"] = "iaasvmcontainerv2;rg-vms;vm1"
    assert has(specs.validate_response(op, 200, body), "unexpected property 'containerName'")
    body["properties"]["jobType"] = "AzureIaaSVMJobV2"  # only in primary versions
    assert has(specs.validate_response(op, 200, body), "unknown jobType 'AzureIaaSVMJobV2'")


def test_operation_status_job_extended_info(specs):
    op = specs.operation("2024-04-01", "ProtectedItemOperationStatuses_Get")
    assert specs.validate_response(op, 200, op_status_body()) == []
    in_progress = {"id": "op1", "name": "op1", "status": "InProgress", "startTime": "2024-05-01T10:00:06Z", "endTime": "0001-01-01T00:00:00"}
    assert specs.validate_response(op, 200, in_progress) == []
    # jobIds belongs to OperationStatusJobsExtendedInfo, not ...JobExtendedInfo
    assert has(specs.validate_response(op, 200, op_status_body(jobIds=["a"])), "unexpected property 'jobIds'", "OperationStatusJobExtendedInfo")
    assert specs.validate_response(op, 200, op_status_body(objectType="OperationStatusJobsExtendedInfo", jobIds=["a"], jobId=None)) != []
    assert has(specs.validate_response(op, 200, op_status_body(objectType="JobExtendedInfo")), "unknown objectType 'JobExtendedInfo'")
    failed = {"id": "op1", "name": "op1", "status": "Failed", "error": {"code": "UserError", "message": "m"}}
    assert specs.validate_response(op, 200, failed) == []


def test_restore_request_subtypes(specs):
    op = specs.operation("2024-04-01", "Restores_Trigger")
    query = {"api-version": "2024-04-01"}
    assert specs.validate_request(op, query, restore_body()) == []
    rehydration = {"rehydrationRetentionDuration": "P7D", "rehydrationPriority": "High"}
    # rehydration info is only defined by the subtype
    problems = specs.validate_request(op, query, restore_body(recoveryPointRehydrationInfo=rehydration))
    assert has(problems, "unexpected property 'recoveryPointRehydrationInfo'", "IaasVMRestoreRequest")
    body = restore_body(objectType="IaasVMRestoreWithRehydrationRequest", recoveryPointRehydrationInfo=rehydration)
    assert specs.validate_request(op, query, body) == []
    body["properties"]["recoveryPointRehydrationInfo"]["rehydrationPriority"] = "Urgent"
    warnings = []
    specs.validate_request(op, query, body, warnings=warnings)  # modelAsString: warning only
    assert has(warnings, "'Urgent'", "RehydrationPriority")
    # unwrapped body (properties missing) is caught by strict mode
    assert has(specs.validate_request(op, query, restore_body()["properties"]), "unexpected property 'objectType'", "RestoreRequestResource")


def test_restore_request_versions(specs):
    # 2019-05-13 has no zones/identityInfo; the passive stamp has no rehydration subtype
    op = specs.operation("2019-05-13", "Restores_Trigger")
    assert specs.validate_request(op, {"api-version": "2019-05-13"}, restore_body()) == []
    assert has(specs.validate_request(op, {"api-version": "2019-05-13"}, restore_body(zones=["1"])), "unexpected property 'zones'")
    crr = specs.operation("2023-01-15", "CrossRegionRestore_Trigger")
    body = {"crossRegionRestoreAccessDetails": {"objectType": "CrrAccessToken"}, "restoreRequest": restore_body()["properties"]}
    assert specs.validate_request(crr, {"api-version": "2023-01-15"}, body) == []
    body["restoreRequest"]["objectType"] = "IaasVMRestoreWithRehydrationRequest"
    assert has(specs.validate_request(crr, {"api-version": "2023-01-15"}, body), "unknown objectType 'IaasVMRestoreWithRehydrationRequest'")


def test_mini_discriminator_hierarchy(mini):
    v = "2020-01-01"
    assert mini.validate_model(v, "Widget", {"properties": {"kind": "circle", "radius": 1.5}}) == []
    assert mini.validate_model(v, "Widget", {"properties": {"kind": "Square", "side": 2}}) == []  # value = name
    assert mini.validate_model(v, "Widget", {"properties": {"kind": "rounded", "side": 2, "cornerRadius": 0.5}}) == []
    assert has(mini.validate_model(v, "Widget", {"properties": {"kind": "circle", "side": 2}}), "unexpected property 'side'", "Circle")
    assert has(mini.validate_model(v, "Widget", {"properties": {"kind": "hexagon"}}), "unknown kind 'hexagon'", "Shape")
    assert has(mini.validate_model(v, "Widget", {"properties": {"kind": 3}}), "must be a string")
    # referenced as Square: only Square and its descendants are allowed
    assert mini.validate_model(v, "Square", {"kind": "rounded", "cornerRadius": 1}) == []
    assert has(mini.validate_model(v, "Square", {"kind": "circle"}), "'circle' is not Square or one of its subtypes")


# =================================================================== enums, formats, nulls


def test_enum_strict_vs_model_as_string(specs, mini):
    op = specs.operation("2024-04-01", "Restores_Trigger")
    q = {"api-version": "2024-04-01"}
    settings = {"targetDiskNetworkAccessOption": "SameAsSourceDisks"}  # modelAsString: false
    assert has(specs.validate_request(op, q, restore_body(targetDiskNetworkAccessSettings=settings)), "'SameAsSourceDisks' is not one of")
    warnings = []
    assert specs.validate_request(op, q, restore_body(recoveryType="RestoreToNewVM"), warnings=warnings) == []
    assert has(warnings, "'RestoreToNewVM'", "extensible enum")
    # an integer where a string enum is expected is a problem even for modelAsString
    assert has(specs.validate_request(op, q, restore_body(recoveryType=3)), "3 is not of type 'string'")
    v = "2020-01-01"
    assert has(mini.validate_model(v, "Widget", {"mode": "Auto"}), "'Auto' is not one of ['On', 'Off']")
    w = []
    assert mini.validate_model(v, "Widget", {"color": "Blue"}, warnings=w) == [] and w


def test_subtype_property_overrides_inherited_one(specs):
    # 2024-04-01 RecoveryPointTierInformationV2 re-declares type/status of its parent as
    # extensible enums; the passive stamp uses the parent (strict) directly.
    body = rp_body()
    body["properties"]["recoveryPointTierDetails"] = [{"type": "Archive", "status": "Valid"}]
    warnings = []
    assert specs.validate_response(specs.operation("2024-04-01", "RecoveryPoints_Get"), 200, body, warnings=warnings) == []
    assert has(warnings, "'Archive'")
    problems = specs.validate_response(specs.operation("2023-01-15", "RecoveryPointsCrr_Get"), 200, body)
    assert has(problems, "recoveryPointTierDetails[0].type", "'Archive' is not one of")


def test_operation_status_cancelled_spelling_is_a_warning(specs):
    op = specs.operation("2024-04-01", "BackupOperationStatuses_Get")
    warnings = []
    body = {"id": "o", "name": "o", "status": "Cancelled"}
    assert specs.validate_response(op, 200, body, warnings=warnings) == []
    assert has(warnings, "'Cancelled'", "OperationStatusValues")


@pytest.mark.parametrize(
    "value,ok",
    [
        ("2024-05-01T10:00:06Z", True),
        ("2024-05-01T10:00:06.1234567Z", True),
        ("2024-05-01T10:00:06+05:30", True),
        ("2024-05-01T10:00:06.5-0800", True),
        ("0001-01-01T00:00:00", True),
        ("2024-05-01T10:00:06", False),
        ("2024-05-01", False),
        ("2024-02-30T00:00:00Z", False),
        ("12/25/2019 10:07:11 PM", False),
        ("", False),
    ],
)
def test_date_time_format(specs, value, ok):
    op = specs.operation("2024-04-01", "JobDetails_Get")
    body = job_body()
    body["properties"]["startTime"] = value
    problems = specs.validate_response(op, 200, body)
    assert (problems == []) is ok, problems
    if not ok:
        assert has(problems, "$.properties.startTime")


def test_integer_formats(specs, mini):
    op = specs.operation("2024-04-01", "RecoveryPoints_Get")
    for bad in (1.5, "2", True):
        body = rp_body()
        body["properties"]["recoveryPointDiskConfiguration"]["numberOfDisksIncludedInBackup"] = bad
        assert has(specs.validate_response(op, 200, body), "numberOfDisksIncludedInBackup", "is not of type 'integer'")
    v = "2020-01-01"
    assert has(mini.validate_model(v, "Widget", {"count": 2**31}), "out of int32 range")
    assert mini.validate_model(v, "Widget", {"count": 2**31 - 1, "serial": 2**40}) == []
    assert has(mini.validate_model(v, "Widget", {"serial": 2**63}), "out of int64 range")
    assert mini.validate_model(v, "Widget", {"ratio": 1}) == []  # integers are numbers


def test_nulls(mini):
    v = "2020-01-01"
    assert mini.validate_model(v, "Widget", {"created": None, "tree": None}) == []  # optional
    assert has(mini.validate_model(v, "Widget", {"notNull": None}), "$.notNull", "None is not of type 'string'")  # x-nullable: false
    assert has(mini.validate_model(v, "Widget", {"tree": {"value": None}}), "$.tree.value")  # required


def test_strict_mode_can_be_turned_off(specs, mini):
    op = specs.operation("2024-04-01", "JobDetails_Get")
    body = job_body()
    body["properties"]["restorePointId"] = "made-up"
    assert specs.validate_response(op, 200, body, strict=False) == []
    assert mini.validate_model("2020-01-01", "Widget", {"zzz": 1}, strict=False) == []
    assert has(mini.validate_model("2020-01-01", "Widget", {"zzz": 1}), "unexpected property 'zzz'")


def test_arm_envelope_allowed_on_resources_only(specs, mini):
    v = "2020-01-01"
    envelope = {"location": "eastus", "tags": {"a": "b"}, "eTag": "W/1", "systemData": {"createdBy": "x"}}
    assert mini.validate_model(v, "Widget", envelope) == []
    assert has(mini.validate_model(v, "Circle", {"kind": "circle", "systemData": {}}), "unexpected property 'systemData'")
    op = specs.operation("2024-04-01", "JobDetails_Get")
    body = job_body()
    body["systemData"] = {"createdAt": "2024-05-01T10:00:00Z"}
    assert specs.validate_response(op, 200, body) == []


def test_read_only_in_requests_is_only_a_warning(specs):
    op = specs.operation("2023-01-15", "RecoveryPoints_GetAccessToken")
    body = {"id": f"{LOC}/backupAadProperties", "name": "n", "type": "t", "properties": {"tenantId": "t"}}
    warnings = []
    assert specs.validate_request(op, {"api-version": "2023-01-15"}, body, warnings=warnings) == []
    assert has(warnings, "$.id", "readOnly")


# =================================================================== status codes, bodies, headers


def test_status_codes(specs, mini):
    op = specs.operation("2024-04-01", "Restores_Trigger")
    headers = {"Location": "https://management.azure.com/x/operationResults/1", "Azure-AsyncOperation": "https://management.azure.com/x/operationsStatus/1"}
    assert specs.validate_response(op, 202, None, headers) == []
    assert has(specs.validate_response(op, 200, None, headers), "status 200 is not declared", "Restores_Trigger")
    assert specs.validate_response(op, 409, {"error": {"code": "C", "message": "m"}}) == []  # default
    assert has(specs.validate_response(op, 409, {"error": {"code": "C", "bogus": 1}}), "(default)", "unexpected property 'bogus'")
    assert has(specs.validate_response(op, 500, None), "body missing", "CloudError")
    # 2019-05-13 declares no default response: an error status is not declared
    old = specs.operation("2019-05-13", "Restores_Trigger")
    assert has(specs.validate_response(old, 404, {"error": {"code": "x"}}), "status 404 is not declared", "no default")
    # mini spec: no default on Widgets_Put
    put = mini.operation("2020-01-01", "Widgets_Put")
    assert has(mini.validate_response(put, 500, {"error": {}}), "status 500 is not declared")
    assert mini.validate_response(put, 201, {"name": "w"}) == []


def test_body_rules(specs):
    restore = specs.operation("2024-04-01", "Restores_Trigger")
    loc = {"Location": "https://management.azure.com/x"}
    # 202 declares no body: any non-empty body is a problem, {} included
    assert has(specs.validate_response(restore, 202, {"status": "Accepted"}, loc), "declares no body")
    assert has(specs.validate_response(restore, 202, {}, loc), "declares no body")
    assert specs.validate_response(restore, 202, "", loc) == []
    # a declared schema with no body
    assert has(specs.validate_response(specs.operation("2024-04-01", "RecoveryPoints_Get"), 200, None), "body missing", "RecoveryPointResource")
    # 204 with no body is fine even where 200 has a schema
    results = specs.operation("2024-04-01", "ProtectedItemOperationResults_Get")
    assert specs.validate_response(results, 204, None) == []
    assert specs.validate_response(results, 202, None) == []
    # accessToken declares a bare 400: no body is fine, a body is checked as the default envelope
    token = specs.operation("2023-01-15", "RecoveryPoints_GetAccessToken")
    assert specs.validate_response(token, 400, None) == []
    assert specs.validate_response(token, 400, {"error": {"code": "BadRequest", "message": "m"}}) == []
    assert has(specs.validate_response(token, 400, {"error": {"code": 1}}), "$.error.code")


def test_headers(specs, mini):
    restore = specs.operation("2024-04-01", "Restores_Trigger")
    assert has(specs.validate_response(restore, 202, None, {}), "without a Location or Azure-AsyncOperation")
    bad = {"Location": "/relative/operationResults/1", "Retry-After": "soon"}
    problems = specs.validate_response(restore, 202, None, bad)
    assert has(problems, "header Location is not an absolute URL")
    assert has(problems, "Retry-After")
    assert specs.validate_response(restore, 202, None, {"azure-asyncoperation": "https://h/x", "retry-after": 60}) == []
    # headers declared by the spec are type-checked
    tiering = specs.operation("2024-04-01", "FetchTieringCost_Post")
    assert tiering.responses["202"].headers
    # LRO rule also applies to the mini spec's 202
    poke = mini.operation("2020-01-01", "Widgets_Poke")
    assert has(mini.validate_response(poke, 202, None, {"x-ms-request-id": "1"}), "without a Location")
    assert mini.validate_response(poke, 204, None, {}) == []


def test_request_rules(specs, mini):
    restore = specs.operation("2024-04-01", "Restores_Trigger")
    assert has(specs.validate_request(restore, {}, restore_body()), "required query parameter 'api-version'")
    assert has(specs.validate_request(restore, {"api-version": "2024-04-01"}, None), "required body", "RestoreRequestResource")
    revoke = specs.operation("2024-04-01", "ItemLevelRecoveryConnections_Revoke")
    assert has(specs.validate_request(revoke, {"api-version": "2024-04-01"}, {"x": 1}), "takes no request body")
    assert specs.validate_request(revoke, {"api-version": "2024-04-01"}, None) == []
    put = mini.operation("2020-01-01", "Widgets_Put")
    assert has(mini.validate_request(put, {"api-version": "2020-01-01"}, {}, headers={}), "required header 'x-ms-widget-token'")
    lst = mini.operation("2020-01-01", "Widgets_List")
    assert has(mini.validate_request(lst, {"api-version": "v", "mode": "Medium"}, None), "'mode'", "Medium")


# =================================================================== request log


def load_sample():
    return json.loads(SAMPLE_LOG.read_text())


def test_sample_log_is_valid_and_classified():
    entries = load_sample()
    reports = swagger.assert_log_valid(
        entries,
        require_covered_ops=["Restores_Trigger@2024-04-01", "CrossRegionRestore_Trigger", "BackupCrrJobDetails_Get", "RecoveryPointsCrr_List"],
    )
    by_seq = {r.seq: r for r in reports}
    kinds = {e["seq"]: e for e in entries}
    for seq, report in by_seq.items():
        entry = kinds[seq]
        if entry["kind"] != "arm":
            assert not report.covered and entry["kind"] in report.reason
        if entry["status"] == 0:
            assert not report.covered and "status 0" in report.reason
            assert report.operation_id == "JobDetails_Get"
    covered = [r for r in reports if r.covered]
    assert len(covered) >= 12
    reasons = " | ".join(r.reason for r in reports if not r.covered)
    for needle in ("aad traffic", "vault API", "Microsoft.Compute", "api-version 2026-02-01", "control traffic"):
        assert needle in reasons


def test_exchange_report_fields():
    entry = next(e for e in load_sample() if e["url"].endswith("/restore?api-version=2024-04-01"))
    report = swagger.validate_exchange(entry)
    assert report.covered and report.ok
    assert report.operation_id == "Restores_Trigger" and report.api_version == "2024-04-01"
    assert report.method == "POST" and report.status == 202 and "%3B" not in report.path


def test_log_problems_are_reported_with_context():
    entries = load_sample()
    bad = copy.deepcopy(entries)
    job = next(e for e in bad if e["url"].split("?")[0].endswith("backupJobs/11111111-2222-3333-4444-555555555555") and e["status"] == 200)
    job["response_body"]["properties"]["inventedField"] = True
    restore = next(e for e in bad if "/restore?" in e["url"])
    restore["request_body"]["properties"]["recoveryType"] = 7
    restore["response_headers"] = {}
    with pytest.raises(AssertionError) as info:
        swagger.assert_log_valid(bad)
    text = str(info.value)
    assert f"#{job['seq']} GET" in text and "[JobDetails_Get@2024-04-01]" in text
    assert "unexpected property 'inventedField'" in text
    assert f"#{restore['seq']} POST" in text and "[Restores_Trigger@2024-04-01]" in text
    assert "recoveryType: 7 is not of type 'string'" in text
    assert "without a Location or Azure-AsyncOperation" in text


def test_require_covered_ops():
    entries = [e for e in load_sample() if "backupCrossRegionRestore" not in e["path"]]
    with pytest.raises(AssertionError, match="never exercised.*CrossRegionRestore_Trigger"):
        swagger.assert_log_valid(entries, require_covered_ops=["CrossRegionRestore_Trigger", "Restores_Trigger"])


def test_exchange_without_api_version():
    entry = next(e for e in load_sample() if e["url"].endswith("/restore?api-version=2024-04-01"))
    entry = dict(entry, url=entry["url"].split("?")[0], query={}, api_version=None)
    report = swagger.validate_exchange(entry)
    assert report.covered and report.operation_id == "Restores_Trigger"
    assert report.problems == ["request: required query parameter 'api-version' is missing"]


def test_exchange_on_unknown_backup_path():
    entry = next(e for e in load_sample() if "backupCrossRegionRestore" in e["url"])
    entry = dict(entry, url=entry["url"].replace("2023-01-15", "2024-04-01"), query={"api-version": "2024-04-01"})
    report = swagger.validate_exchange(entry)
    assert report.covered and report.operation_id is None and not report.ok
    assert "no operation of spec 2024-04-01 matches POST" in report.problems[0]


def test_log_container_shapes():
    entries = load_sample()
    assert len(swagger.validate_log({"entries": entries})) == len(entries)
    assert len(swagger.validate_log(iter(entries))) == len(entries)


def test_validation_is_thread_safe():
    entries = load_sample() * 5
    expected = [(r.covered, r.operation_id, tuple(r.problems)) for r in swagger.validate_log(entries)]
    results, errors = [], []

    def worker():
        try:
            results.append([(r.covered, r.operation_id, tuple(r.problems)) for r in swagger.validate_log(entries)])
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _unused in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and all(r == expected for r in results)


def test_cli(tmp_path):
    cmd = [sys.executable, "-m", "tests.contract.swagger", "validate", str(SAMPLE_LOG)]
    done = subprocess.run(cmd, cwd=_REPO, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Restores_Trigger@2024-04-01" in done.stdout and "not covered" in done.stdout
    bad = load_sample()
    next(e for e in bad if "/restore?" in e["url"])["request_body"]["properties"]["bogus"] = 1
    path = tmp_path / "log.jsonl"
    path.write_text("\n".join(json.dumps(e) for e in bad))
    done = subprocess.run(cmd[:-1] + [str(path)], cwd=_REPO, capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 1
    assert "PROBLEM request body $.properties: unexpected property 'bogus'" in done.stdout


# =================================================================== dependencies


def test_library_uses_only_stdlib_jsonschema_and_yaml():
    tree = ast.parse((HERE / "swagger.py").read_text())
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            roots.add(node.module.split(".")[0])
    third_party = {r for r in roots if r not in sys.stdlib_module_names}
    assert third_party <= {"jsonschema", "yaml"}, third_party
