# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The same recovery point list as an SDK-based Ansible module would make it (bench only).

Built into an AnsiballZ payload like recovery_point_info and run with .venv-bench's Python: the
module imports the SDK at the top, as SDK-based Azure modules do.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible.module_utils.basic import AnsibleModule

from azure.identity import ClientSecretCredential
from azure.mgmt.recoveryservicesbackup import RecoveryServicesBackupClient


def main():
    module = AnsibleModule(argument_spec=dict(
        vault_name=dict(type="str", required=True),
        vault_resource_group=dict(type="str", required=True),
        vm_name=dict(type="str", required=True),
        vm_resource_group=dict(type="str", required=True),
    ), supports_check_mode=True)
    p = module.params
    endpoint = os.environ["AZURE_CLOUD_ENVIRONMENT"].rstrip("/")
    ca_bundle = os.environ["REQUESTS_CA_BUNDLE"]
    credential = ClientSecretCredential(os.environ["AZURE_TENANT"], os.environ["AZURE_CLIENT_ID"],
                                        os.environ["AZURE_SECRET"], authority=endpoint,
                                        disable_instance_discovery=True, connection_verify=ca_bundle)
    client = RecoveryServicesBackupClient(credential, os.environ["AZURE_SUBSCRIPTION_ID"], base_url=endpoint,
                                          credential_scopes=[endpoint + "/.default"], connection_verify=ca_bundle,
                                          api_version="2024-04-01")
    rg, vm = p["vm_resource_group"], p["vm_name"]
    points = client.recovery_points.list(p["vault_name"], p["vault_resource_group"], "Azure",
                                         "IaasVMContainer;iaasvmcontainerv2;%s;%s" % (rg, vm),
                                         "VM;iaasvmcontainerv2;%s;%s" % (rg, vm))
    module.exit_json(changed=False, recovery_points=[x.as_dict() for x in points])


if __name__ == "__main__":
    main()
