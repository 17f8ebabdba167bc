# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Restore flavours and the one restore sequence that runs either.

Internal to this collection: not a public API, may change at any time.

``PrimaryRestore`` restores in the vault's own region, ``CrossRegionRestore`` in its secondary
region (the passive stamp, with an access token). Both have the same interface: the region, the
recovery points, the restore call, the job reader, their own pre-flight and result. ``restore()``
is the sequence both run: checks, recovery point, targets, request, then the runner.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.azbackup.restore.plugins.module_utils import _api_versions as api
from ansible_collections.azbackup.restore.plugins.module_utils import _crr
from ansible_collections.azbackup.restore.plugins.module_utils import _resource_guard as guard
from ansible_collections.azbackup.restore.plugins.module_utils import _resource_id as rid
from ansible_collections.azbackup.restore.plugins.module_utils._errors import (
    AzBackupError,
    RestoreFailedError,
    ValidationError,
    add_secret,
)
from ansible_collections.azbackup.restore.plugins.module_utils._jobs import (
    RESTORE_TYPES,
    PrimaryJobs,
    SecondaryJobs,
    restore_outputs,
)
from ansible_collections.azbackup.restore.plugins.module_utils._protected_items import protected_item_ref
from ansible_collections.azbackup.restore.plugins.module_utils._recovery_points import FILTERS, RecoveryPoints
from ansible_collections.azbackup.restore.plugins.module_utils._restore_checks import (
    ResourceCache,
    check_cross_subscription,
    check_options,
    check_point,
    check_point_options,
    check_resources,
    check_zone,
    resource_reads,
    validate_with_azure,
)
from ansible_collections.azbackup.restore.plugins.module_utils._restore_request import (
    CRR_RESTORE_REQUEST_PROPERTIES,
    RESTORE_REQUEST_PROPERTIES,
    build_request,
    match_criteria,
)
from ansible_collections.azbackup.restore.plugins.module_utils._restore_runner import RestoreCall, RestoreRunner
from ansible_collections.azbackup.restore.plugins.module_utils._restore_targets import resolve_targets
from ansible_collections.azbackup.restore.plugins.module_utils._vault import normalize_region, read_vault, require_crr


class PrimaryRestore(object):
    """A restore in the vault's own region (``.../recoveryPoints/{id}/restore``)."""

    secondary = False
    restore_types = tuple(RESTORE_TYPES)
    request_properties = RESTORE_REQUEST_PROPERTIES
    default_api_version = api.BACKUP
    can_rehydrate = True
    # Whether the recovery points are read only once the vault is known (their region comes from it).
    points_need_vault = False

    def __init__(self, client, params, subscription_id):
        self.client = client
        self.params = params
        self.subscription_id = subscription_id
        self.api_version = params.get("api_version") or self.default_api_version
        self.item = protected_item_ref(params, subscription_id)
        self.region = None
        self.vault = None
        self.point = None
        self.guard = None
        self.shared = None

    def locate(self, vault):
        """The region the restore writes to: the ``region`` option, else the vault's."""
        self.vault = vault
        self.region = self.params.get("region") or vault.get("location")

    def recovery_points(self):
        return RecoveryPoints(self.client, self.item, api_version=self.api_version)

    def prefetch(self, shared):
        """Start the shared reads only this flavour makes (see ``_prefetch``)."""
        vault_id, version = self.item.vault_id, self.api_version
        shared.prefetch(("guard", vault_id.lower(), version), lambda: shared.guard(vault_id, version))
        shared.prefetch_listing(self.jobs())

    def selection(self):
        return self.params

    def call(self, point, request, criteria, restore_type):
        return RestoreCall(
            url=self.item.recovery_point_path(point["name"]) + "/restore", body={"properties": request},
            api_version=self.api_version, criteria=criteria, since=point.get("time"),
            description="restore %s (%s) from recovery point %s" % (self.item.item, restore_type, point["name"]))

    def jobs(self):
        return PrimaryJobs(self.client, self.item.vault_id, self.api_version)

    def preflight(self, call, point, request):
        """The checks only this flavour makes, before the common ones."""
        vault_region = self.vault.get("location")
        if normalize_region(self.region) != normalize_region(vault_region):
            raise ValidationError("region %s is not the region of vault %s (%s): a restore in the primary region "
                                  "restores to the vault's region; use azbackup.restore.crr_restore for the "
                                  "secondary region" % (self.region, self.item.vault_name, vault_region),
                                  option="region")
        # Multi-user authorization, as the Azure CLI does it: the guard's operation request in the body and,
        # for a guard in another tenant, a token of that tenant beside the caller's.
        self.guard = self.shared.guard(self.item.vault_id, self.api_version) if self.shared else \
            guard.restore_guard(self.client, self.item.vault_id, api_version=self.api_version)
        if self.guard is not None:
            request["resourceGuardOperationRequests"] = [self.guard.operation_request]
            tenant = self.params.get("resource_guard_tenant_id")
            if tenant:
                call.headers = guard.auxiliary_headers(self.client.token_provider, tenant)

    def validate(self, call, point, request):
        """Azure's own pre-flight, after the common checks."""
        validate_with_azure(self.client, self.item.vault_id,
                            point.get("id") or self.item.recovery_point_path(point["name"]), request,
                            api_version=self.api_version)

    def fix_refusal(self, err, call):
        """A chance to correct the body once after Azure clearly refused it; True when it did."""
        if self.guard is not None and err.error_code in guard.REFUSAL_CODES:
            hint = self.guard.access_hint(self.params.get("resource_guard_tenant_id"))
            raise ValidationError("Azure refused to %s: %s" % (call.description, hint),
                                  option="resource_guard_tenant_id", azure_error=err)
        return False

    def result(self, call):
        return dict(request=call.body)


class CrossRegionRestore(PrimaryRestore):
    """A restore in the vault's secondary region (``locations/{region}/backupCrossRegionRestore``),
    with the recovery point's access token."""

    secondary = True
    restore_types = ("restore_disks", "new_vm")
    request_properties = CRR_RESTORE_REQUEST_PROPERTIES
    default_api_version = api.CRR
    can_rehydrate = False
    points_need_vault = True

    def __init__(self, client, params, subscription_id):
        super(CrossRegionRestore, self).__init__(client, params, subscription_id)
        self.given = dict(params.get("access_details") or {})
        self.secrets = set()
        self.token_source = None
        self._remember(self.given.get("accessTokenString"))

    def _remember(self, token):
        if token:
            self.secrets.add(token)
            add_secret(token)

    def locate(self, vault):
        """The vault's secondary region (refused without cross-region restore); in a list of VMs, read
        once for the vault."""
        vault_id, given = self.item.vault_id.lower(), self.params.get("secondary_region")
        self._once(("crr", vault_id), lambda: require_crr(self.client, self.item, vault))
        self.vault = vault
        self.region = self._once(("secondary region", vault_id, given), lambda: _crr.secondary_region_of(
            self.client, self.subscription_id, vault, given))

    def _once(self, key, read):
        return self.shared.once(key, read) if self.shared is not None else read()

    def recovery_points(self):
        return RecoveryPoints(self.client, self.item, secondary=True, region=self.region, api_version=self.api_version)

    def prefetch(self, shared):
        return None  # its job list and points are in the secondary region, known once the vault is read

    def selection(self):
        given_point = self.given.get("recoveryPointId")
        if not self.params.get("recovery_point_id") and given_point and not any(self.params.get(k) for k in FILTERS):
            # The token is tied to one recovery point: without other instructions, restore that one.
            return dict(self.params, recovery_point_id=str(given_point))
        return self.params

    def call(self, point, request, criteria, restore_type):
        return RestoreCall(
            url=rid.location_path(self.subscription_id, self.region) + "/backupCrossRegionRestore",
            body=_crr.crr_body({}, request), api_version=self.api_version, criteria=criteria,
            since=point.get("time"), description="restore %s (%s) from recovery point %s in %s" % (
                self.item.item, restore_type, point["name"], self.region))

    def jobs(self):
        return SecondaryJobs(self.client, self.subscription_id, self.region, self.item.vault_id, self.api_version)

    def access_details(self, point, fresh=False):
        """The given access details when usable (and not ``fresh``), else a new token from Azure."""
        if self.given and not fresh and _crr.access_details_problem(self.given, point["name"]) is None:
            self.token_source = "given"
            return dict(self.given)
        aad = self._once(("aad", self.subscription_id, self.region, self.api_version), lambda: _crr.get_aad_properties(
            self.client, self.subscription_id, self.region, api_version=self.api_version))
        details = _crr.request_access_token(self.client, self.item, point["name"], aad, api_version=self.api_version)
        self._remember(details.get("accessTokenString"))
        self.token_source = "refreshed" if self.given else "fetched"
        return details

    def preflight(self, call, point, request):
        return None

    def validate(self, call, point, request):
        # Azure has no validation call for a cross-region restore; the token is the last step.
        call.body = _crr.crr_body(self.access_details(point), request)

    def fix_refusal(self, err, call):
        # The token expired (or was refused) between the check and the request: get a new one, once.
        if err.error_code not in _crr.TOKEN_REFUSED_CODES:
            return False
        request = call.body["restoreRequest"]
        call.body = _crr.crr_body(self.access_details(self.point, fresh=True), request)
        return True

    def result(self, call):
        return dict(request=_crr.masked_body(call.body), access_token_source=self.token_source,
                    secondary_region=self.region)


def restore(flavour, check_mode=False, sleep=time.sleep, clock=time.monotonic, shared=None):
    """The restore sequence of every flavour; returns the module result (``warnings`` as a list).

    ``shared``: the reads that restores running side by side in one task share (``_fleet.SharedReads``:
    the vault, the target resources, the job list searched before the restore request); none when None.

    A refusal of the options, the vault, the recovery point or the targets raises ValidationError
    before anything that changes something is sent. From the job search on, any failure raises
    RestoreFailedError carrying the result so far (request, recovery point) and, when a restore was
    started or attached to, what runs in Azure (job id, operation URL).
    """
    params = flavour.params
    restore_type = params["restore_type"]
    flavour.shared = shared
    check_options(params, restore_type, flavour)
    if shared is not None:
        _prefetch(flavour, shared)
    point = flavour.point = _locate_and_choose(flavour, shared)
    # A cross-subscription restore writes (and stages) in the target subscription, as the CLI builds it.
    targets = resolve_targets(params, params.get("target_subscription_id") or flavour.subscription_id, flavour.region)
    request = build_request(params, restore_type, point, flavour.item.vm_id, targets)
    call = flavour.call(point, request, match_criteria(flavour.item, restore_type, point, targets), restore_type)

    resources = shared.resources if shared else ResourceCache(flavour.client)

    def preflight():
        flavour.preflight(call, point, request)
        check_point(point, params, restore_type, can_rehydrate=flavour.can_rehydrate)
        check_point_options(point, params)
        check_zone(point, params, flavour.vault, secondary=flavour.secondary)
        check_cross_subscription(flavour.vault, params)
        check_resources(resources, targets, restore_type, flavour.item.vm_id,
                        secondary=flavour.secondary, params=params)

    jobs = flavour.jobs()
    runner = RestoreRunner(flavour.client, jobs, sleep=sleep, clock=clock,
                           fix_refusal=lambda err: flavour.fix_refusal(err, call),
                           listing=shared.listing(jobs) if shared else None)
    result = dict(recovery_point=point)
    if flavour.secondary:
        result["secondary_region"] = flavour.region
    try:
        outcome = runner.run(call, force=params.get("force"), wait=params.get("wait") or "operation",
                             wait_timeout=params.get("wait_timeout"), poll_interval=params.get("poll_interval"),
                             check_mode=check_mode, preflight=preflight,
                             validate=lambda: flavour.validate(call, point, request))
    except RestoreFailedError as e:
        raise e.with_result(dict(result, **flavour.result(call)))
    except AzBackupError as e:
        raise RestoreFailedError(e, result=dict(result, **flavour.result(call)))
    result.update(flavour.result(call))
    result.update(changed=outcome.changed, attached=outcome.attached, job_id=outcome.job_id, job=outcome.job,
                  operation_url=outcome.operation_url, warnings=list(outcome.warnings))
    if restore_type == "restore_disks" and outcome.job:
        result.update(restore_outputs(outcome.job))
    return result


def _locate_and_choose(flavour, shared):
    """Read the vault (the flavour learns its region) and choose the recovery point. In a list of VMs,
    a flavour whose points do not depend on the vault reads them while the vault's read is on its way;
    a refused vault is still what the VM reports first."""
    def vault():
        return shared.vault(flavour.item) if shared else read_vault(flavour.client, flavour.item)
    if shared is None or flavour.points_need_vault:
        flavour.locate(vault())
        return flavour.recovery_points().choose(flavour.selection())
    try:
        point = flavour.recovery_points().choose(flavour.selection())
    except AzBackupError:
        flavour.locate(vault())
        raise
    flavour.locate(vault())
    return point


def _prefetch(flavour, shared):
    """Start, side by side, the reads every VM of a list needs before its restore request: the vault,
    the flavour's own (resource guard, job listing) and the target resources. The first VM sends
    them; the others find them read or on their way."""
    item, params = flavour.item, flavour.params
    shared.prefetch(("vault", item.vault_id.lower()), lambda: shared.vault(item))
    flavour.prefetch(shared)
    try:
        targets = resolve_targets(params, params.get("target_subscription_id") or flavour.subscription_id, None)
    except AzBackupError:
        return  # refused again, with its option, where the targets are resolved
    for resource_id, version in resource_reads(targets, params["restore_type"], item.vm_id, params):
        shared.prefetch(("resource", resource_id.lower()),
                        lambda r=resource_id, v=version: shared.resources.get(r, v))
