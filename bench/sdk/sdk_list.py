# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The recovery point list through the Azure management SDK (azure-mgmt-recoveryservicesbackup).

Runs in .venv-bench. Same call, credentials and endpoint as recovery_point_info: a client secret
from AZURE_* (ClientSecretCredential), the Resource Manager endpoint AZURE_CLOUD_ENVIRONMENT
(the emulator, a custom cloud), its CA bundle from REQUESTS_CA_BUNDLE. Prints the points as JSON.

usage: sdk_list.py ARGS.json   (the module's arguments: {"ANSIBLE_MODULE_ARGS": {...}})
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import sys

from azure.identity import ClientSecretCredential
from azure.mgmt.recoveryservicesbackup import RecoveryServicesBackupClient


def main():
    with open(sys.argv[1]) as f:
        args = json.load(f)["ANSIBLE_MODULE_ARGS"]
    endpoint = os.environ["AZURE_CLOUD_ENVIRONMENT"].rstrip("/")
    ca_bundle = os.environ["REQUESTS_CA_BUNDLE"]
    credential = ClientSecretCredential(os.environ["AZURE_TENANT"], os.environ["AZURE_CLIENT_ID"],
                                        os.environ["AZURE_SECRET"], authority=endpoint,
                                        disable_instance_discovery=True, connection_verify=ca_bundle)
    client = RecoveryServicesBackupClient(credential, os.environ["AZURE_SUBSCRIPTION_ID"], base_url=endpoint,
                                          credential_scopes=[endpoint + "/.default"], connection_verify=ca_bundle,
                                          api_version="2024-04-01")
    rg, vm = args["vm_resource_group"], args["vm_name"]
    points = client.recovery_points.list(args["vault_name"], args["vault_resource_group"], "Azure",
                                         "IaasVMContainer;iaasvmcontainerv2;%s;%s" % (rg, vm),
                                         "VM;iaasvmcontainerv2;%s;%s" % (rg, vm))
    json.dump({"changed": False, "recovery_points": [p.as_dict() for p in points]}, sys.stdout)


if __name__ == "__main__":
    main()
