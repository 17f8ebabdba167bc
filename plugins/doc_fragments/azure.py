# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Authentication and connection options shared by every module of the collection. The matching
# argument spec is AUTH_ARGSPEC in plugins/module_utils/_auth.py: the two must not drift.

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    DOCUMENTATION = r"""
options:
  auth_source:
    description:
      - Where the credentials come from.
      - If not set, the E(ANSIBLE_AZURE_AUTH_SOURCE) environment variable, else V(auto).
      - V(auto) uses a service principal when O(client_id), O(secret) and O(tenant) are known (from the
        options or the environment variables named there), else the O(profile) (or V(default)) section
        of C(~/.azure/credentials) when that file exists, else the chain of azure-identity's
        C(DefaultAzureCredential) (environment, workload identity, managed identity, Azure CLI...).
      - V(env) uses a service principal from the options or the environment variables E(AZURE_CLIENT_ID),
        E(AZURE_SECRET) (or E(AZURE_CLIENT_SECRET)) and E(AZURE_TENANT) (or E(AZURE_TENANT_ID)).
      - V(credential_file) reads C(~/.azure/credentials), an INI file whose O(profile) section (default
        V(default)) holds C(subscription_id), C(client_id), C(secret), C(tenant) and optionally
        C(cloud_environment). Options given explicitly win over the file.
      - V(cli) uses the login of the Azure CLI (C(az login)) of the user that runs the module.
      - V(msi) uses the managed identity of the Azure host that runs the module; O(client_id) selects a
        user-assigned identity.
      - V(workload_identity) uses a federated token (Kubernetes workload identity) with O(tenant),
        O(client_id) and the token file named by E(AZURE_FEDERATED_TOKEN_FILE).
    type: str
    default: auto
    choices: [auto, cli, credential_file, env, msi, workload_identity]
  subscription_id:
    description:
      - The Azure subscription to work in.
      - If not set, the E(AZURE_SUBSCRIPTION_ID) environment variable, then C(subscription_id) of the
        credential file, then (with O(auth_source=auto) or O(auth_source=cli)) the default subscription of
        the Azure CLI.
    type: str
  client_id:
    description:
      - The application (client) id of a service principal, or of a user-assigned managed identity with
        O(auth_source=msi).
      - If not set, the E(AZURE_CLIENT_ID) environment variable (not with O(auth_source=msi)).
    type: str
  secret:
    description:
      - The client secret of the service principal O(client_id).
      - If not set, the E(AZURE_SECRET) or E(AZURE_CLIENT_SECRET) environment variable.
    type: str
  tenant:
    description:
      - The Microsoft Entra (Azure AD) tenant id of the service principal.
      - If not set, the E(AZURE_TENANT) or E(AZURE_TENANT_ID) environment variable.
    type: str
  profile:
    description:
      - The section of C(~/.azure/credentials) to read credentials from.
      - If not set, the E(AZURE_PROFILE) environment variable, else V(default).
    type: str
  cloud_environment:
    description:
      - The Azure cloud to talk to - V(AzureCloud), V(AzureUSGovernment) or V(AzureChinaCloud) - or the
        https URL of a Resource Manager endpoint (Azure Stack Hub). For a URL the endpoints are discovered
        from C({url}/metadata/endpoints?api-version=2015-01-01).
      - If not set, the E(AZURE_CLOUD_ENVIRONMENT) environment variable, then C(cloud_environment) of the
        credential file, else V(AzureCloud).
      - To trust a private certificate authority (Azure Stack Hub, a proxy), point the
        E(REQUESTS_CA_BUNDLE) environment variable at its CA bundle.
    type: str
  api_timeout:
    description:
      - Seconds to wait for Azure to answer one HTTP request.
    type: int
    default: 60
  max_retries:
    description:
      - How often one HTTP request is retried after throttling (HTTP 429), a server error (HTTP 500, 502,
        503, 504) or a lost connection, waiting as the server's C(Retry-After) asks or with exponential
        backoff (at most 120 seconds of retrying in all). V(0) disables retries.
      - Requests that start something (such as triggering a restore) are not retried after a server error
        or a connection lost mid-request, because Azure may have acted on them.
    type: int
    default: 6
requirements:
  - python >= 3.9
  - requests >= 2.28.0
  - azure-identity >= 1.15.0
notes:
  - The credentials need read access to the vault and the virtual machines, and the C(Backup Operator)
    role (or equivalent) on the vault to start restores.
  - Options given in the task win over environment variables.
  - E(AZURE_HTTP_USER_AGENT) is appended to the User-Agent of every request.
"""
