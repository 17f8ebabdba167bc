"""Helpers for the emulator's own tests: a minimal ARM client bound to an Emulator."""

import requests

PRIMARY = "2024-04-01"
CRR = "2023-01-15"


class Api:
    """A minimal ARM client for tests: bearer token, api-version, absolute or relative URLs."""

    def __init__(self, emu, token=None):
        self.emu = emu
        self.s = requests.Session()
        self.s.trust_env = False
        self.s.verify = emu.ca_bundle if emu.ca_bundle else True
        self.sub = emu.subscription_id
        if token is None:
            token = self.token()
        if token:
            self.s.headers["Authorization"] = "Bearer " + token

    def token(self, secret=None, scope=None):
        r = self.s.post("%s/%s/oauth2/v2.0/token" % (self.emu.endpoint, self.emu.tenant_id), data={
            "grant_type": "client_credentials", "client_id": self.emu.client_id,
            "client_secret": secret or self.emu.client_secret, "scope": scope or self.emu.endpoint + "/.default"})
        r.raise_for_status()
        return r.json()["access_token"]

    def url(self, path):
        return path if path.startswith("http") else self.emu.endpoint + path

    def get(self, path, api_version=PRIMARY, **params):
        if api_version and "api-version=" not in path:
            params["api-version"] = api_version
        return self.s.get(self.url(path), params=params)

    def post(self, path, json=None, api_version=PRIMARY, **params):
        if api_version and "api-version=" not in path:
            params["api-version"] = api_version
        return self.s.post(self.url(path), params=params, json=json)

    def send(self, method, path, json=None, api_version=PRIMARY, **params):
        """Any method (PUT, PATCH, DELETE, ...) with the api-version."""
        if api_version and "api-version=" not in path:
            params["api-version"] = api_version
        return self.s.request(method, self.url(path), params=params, json=json)

    # world paths
    @property
    def vault(self):
        return "/subscriptions/%s/resourceGroups/rg-vault/providers/Microsoft.RecoveryServices/vaults/rsv-prod" % self.sub

    @property
    def vault_lrs(self):
        return "/subscriptions/%s/resourceGroups/rg-vault/providers/Microsoft.RecoveryServices/vaults/rsv-lrs" % self.sub

    def item(self, vm, rg="rg-prod", vault=None, encoded=True):
        sep = "%3B" if encoded else ";"
        return "%s/backupFabrics/Azure/protectionContainers/IaasVMContainer%siaasvmcontainerv2%s%s%s%s" \
               "/protectedItems/VM%siaasvmcontainerv2%s%s%s%s" % (
                   vault or self.vault, sep, sep, rg, sep, vm, sep, sep, rg, sep, vm)

    def rg_id(self, rg):
        return "/subscriptions/%s/resourceGroups/%s" % (self.sub, rg)

    def vm_id(self, vm, rg="rg-prod"):
        return "%s/providers/Microsoft.Compute/virtualMachines/%s" % (self.rg_id(rg), vm)

    def sa_id(self, name, rg="rg-restore"):
        return "%s/providers/Microsoft.Storage/storageAccounts/%s" % (self.rg_id(rg), name)

    def vnet_id(self, name, rg="rg-restore"):
        return "%s/providers/Microsoft.Network/virtualNetworks/%s" % (self.rg_id(rg), name)

    def rps(self, vm, api_version=PRIMARY, vault=None, rg="rg-prod"):
        r = self.get(self.item(vm, rg=rg, vault=vault) + "/recoveryPoints", api_version)
        assert r.status_code == 200, r.text
        return r.json()["value"]

    def restore_body(self, vm, rp, recovery_type="RestoreDisks", sa="strestorewe", sa_rg="rg-restore",
                     region="westeurope", target_rg="rg-restore", **extra):
        props = {
            "objectType": "IaasVMRestoreRequest",
            "recoveryPointId": rp,
            "recoveryType": recovery_type,
            "sourceResourceId": self.vm_id(vm),
            "storageAccountId": self.sa_id(sa, sa_rg),
            "region": region,
            "createNewCloudService": False,
            "originalStorageAccountOption": False,
            "encryptionDetails": {"encryptionEnabled": False},
        }
        if target_rg:
            props["targetResourceGroupId"] = self.rg_id(target_rg)
        props.update(extra)
        return {"properties": props}

    def restore(self, vm, rp=None, vault=None, **kw):
        if rp is None:
            rp = self.rps(vm, vault=vault)[0]["name"]
        return self.post(self.item(vm, vault=vault) + "/recoveryPoints/%s/restore" % rp, self.restore_body(vm, rp, **kw))

    def job_of(self, resp):
        assert resp.status_code == 202, resp.text
        st = self.s.get(resp.headers["Azure-AsyncOperation"])
        assert st.status_code == 200, st.text
        assert st.json()["status"] == "Succeeded", st.json()
        return st.json()["properties"]["jobId"]

    def job(self, job_id, vault=None):
        r = self.get("%s/backupJobs/%s" % (vault or self.vault, job_id))
        assert r.status_code == 200, r.text
        return r.json()
