"""The Emulator: world + core + HTTPS server in a background thread."""

import os
import shutil
import tempfile
import threading

from . import tls
from .control import Control
from .core import Core
from .server import Server


class Emulator:
    def __init__(self, world=None, tls=True, port=0, host="127.0.0.1", state_dir=None, time_scale=None):
        self.core = Core(world, state_dir=state_dir, time_scale=time_scale)
        self.use_tls = bool(tls)
        self.host = host
        self.port = int(port)
        self.state_dir = state_dir
        self._tmp = None
        self._server = None
        self._thread = None
        self.ca_bundle = None
        self.control = Control(self.core)

    # ---------------------------------------------------------------- lifecycle
    def start(self):
        if self._server is not None:
            return self
        directory = self.state_dir
        if directory is None:
            self._tmp = tempfile.mkdtemp(prefix="azbackup-emulator-")
            directory = self._tmp
        os.makedirs(directory, exist_ok=True)
        ctx = None
        if self.use_tls:
            ca, cert, key = tls.generate(os.path.join(directory, "tls"))
            self.ca_bundle = ca
            ctx = tls.server_context(cert, key)
        self._server = Server((self.host, self.port), self.core, ctx)
        self.port = self._server.server_address[1]
        self.core.endpoint = self.endpoint
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.2},
                                        name="azbackup-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ---------------------------------------------------------------- identity
    @property
    def endpoint(self):
        host = self.host
        if ":" in host:
            host = "[%s]" % host
        return "%s://%s:%d" % ("https" if self.use_tls else "http", host, self.port)

    @property
    def tenant_id(self):
        return self.core.tenant_id

    @property
    def client_id(self):
        return self.core.client["client_id"]

    @property
    def client_secret(self):
        return self.core.client["secret"]

    @property
    def subscription_id(self):
        return self.core.subscription_id

    @property
    def clients(self):
        """Every client of the world: ``[{client_id, secret, name, display_name, tenant_id, restricted}]``
        (``restricted``: some role assignment names it; the others may do everything)."""
        out = []
        for t in self.core.world["tenants"]:
            for c in t["clients"]:
                out.append({"client_id": c["client_id"], "secret": c["secret"], "name": c["name"],
                            "display_name": c["display_name"], "tenant_id": t["id"],
                            "restricted": self.core.rbac.restricted(c["client_id"])})
        return out

    def client(self, which=None):
        """A client by ``name``, ``display_name`` or ``client_id`` (case-insensitive); the world's
        first client when ``which`` is None."""
        if which is None:
            return self.clients[0]
        low = str(which).lower()
        for c in self.clients:
            if low in (str(c["name"]).lower(), str(c["display_name"]).lower(), c["client_id"].lower()):
                return c
        raise KeyError("no client %r in the world (known: %s)" % (which, ", ".join(c["name"] for c in self.clients)))

    @property
    def control_url(self):
        return self.endpoint + "/_emulator"

    def info(self):
        return {
            "endpoint": self.endpoint,
            "ca_bundle": self.ca_bundle,
            "tenant_id": self.tenant_id,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "subscription_id": self.subscription_id,
            "control_url": self.control_url,
        }

    def env(self, client=None):
        """Environment variables a module / playbook run needs to reach the emulator, as the world's
        first client or as ``client`` (a name, display name or client id: see ``client()``)."""
        c = self.client(client) if client is not None else None
        env = {
            "AZURE_CLIENT_ID": c["client_id"] if c else self.client_id,
            "AZURE_SECRET": c["secret"] if c else self.client_secret,
            "AZURE_TENANT": c["tenant_id"] if c else self.tenant_id,
            "AZURE_SUBSCRIPTION_ID": self.subscription_id,
            "AZURE_CLOUD_ENVIRONMENT": self.endpoint,
            "ANSIBLE_AZURE_AUTH_SOURCE": "env",
        }
        if self.ca_bundle:
            env["REQUESTS_CA_BUNDLE"] = self.ca_bundle
        return env
