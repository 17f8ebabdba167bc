"""Azure AD for the emulator: discovery documents, the token endpoint and bearer validation."""

import hashlib
import hmac
import json
import os
import time
import urllib.parse

from .errors import ApiError
from .util import b64url, b64url_decode, det_uuid, from_ts, new_uuid, us_time, utcnow


class AadError(Exception):
    def __init__(self, status, error, code, description, endpoint):
        super().__init__(description)
        self.status = status
        self.error = error
        self.code = code
        self.description = description
        self.endpoint = endpoint

    def to_body(self):
        trace, corr = new_uuid(), new_uuid()
        now = utcnow()
        return {
            "error": self.error,
            "error_description": "AADSTS%d: %s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: %s"
                                 % (self.code, self.description, trace, corr,
                                    now.strftime("%Y-%m-%d %H:%M:%SZ")),
            "error_codes": [self.code],
            "timestamp": now.strftime("%Y-%m-%d %H:%M:%SZ"),
            "trace_id": trace,
            "correlation_id": corr,
            "error_uri": "%s/error?code=%d" % (self.endpoint, self.code),
        }


class Auth:
    """Issues HS256 JWTs and validates them on ARM calls. Token lifetimes use real time
    (clients cache tokens by the wall clock)."""

    def __init__(self, state_getter, settings_getter, endpoint_getter):
        self._state = state_getter
        self._settings = settings_getter
        self._endpoint = endpoint_getter
        self._key = os.urandom(32)
        self.issued = {}

    # ---------------------------------------------------------------- discovery
    def openid_configuration(self, tenant, v2=True):
        ep = self._endpoint()
        state = self._state()
        t = state.tenants.get(tenant.lower())
        if t is None and tenant.lower() not in ("common", "organizations"):
            raise AadError(400, "invalid_tenant", 90002,
                           "Tenant '%s' not found. Check to make sure you have the correct tenant ID "
                           "and are signing into the correct cloud. Check with your subscription "
                           "administrator, this may happen if there are no active subscriptions for "
                           "the tenant." % tenant, ep)
        tid = t["id"] if t else tenant
        suffix = "/v2.0" if v2 else ""
        base = "%s/%s" % (ep, tid)
        return {
            "token_endpoint": "%s/oauth2%s/token" % (base, suffix),
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt",
                                                      "client_secret_basic"],
            "jwks_uri": "%s/discovery%s/keys" % (base, suffix),
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": "%s%s" % (base, suffix) if v2 else "%s/" % base,
            "request_uri_parameter_supported": False,
            "userinfo_endpoint": "%s/openid/userinfo" % base,
            "authorization_endpoint": "%s/oauth2%s/authorize" % (base, suffix),
            "device_authorization_endpoint": "%s/oauth2%s/devicecode" % (base, suffix),
            "http_logout_supported": True,
            "frontchannel_logout_supported": True,
            "end_session_endpoint": "%s/oauth2%s/logout" % (base, suffix),
            "claims_supported": ["sub", "iss", "cloud_instance_name", "cloud_instance_host_name",
                                 "cloud_graph_host_name", "msgraph_host", "aud", "exp", "iat",
                                 "auth_time", "acr", "nonce", "preferred_username", "name", "tid",
                                 "ver", "at_hash", "c_hash", "email"],
            "kerberos_endpoint": "%s/kerberos" % base,
            "tenant_region_scope": "EU",
            "cloud_instance_name": "emulator",
            "cloud_graph_host_name": "graph.emulator",
            "msgraph_host": "graph.emulator",
            "rbac_url": ep,
        }

    def instance_discovery(self, query):
        ep = self._endpoint()
        host = urllib.parse.urlparse(ep).netloc
        auth_ep = query.get("authorization_endpoint", "%s/common/oauth2/v2.0/authorize" % ep)
        parts = urllib.parse.urlparse(auth_ep).path.split("/")
        tenant = parts[1] if len(parts) > 1 and parts[1] else "common"
        return {
            "tenant_discovery_endpoint": "%s/%s/v2.0/.well-known/openid-configuration" % (ep, tenant),
            "api-version": "1.1",
            "metadata": [{"preferred_network": host, "preferred_cache": host, "aliases": [host]}],
        }

    # ---------------------------------------------------------------- token endpoint
    def token(self, tenant, form, auth_header=None, v2=True):
        ep = self._endpoint()
        state = self._state()
        t = state.tenants.get(tenant.lower())
        if t is None:
            raise AadError(400, "invalid_request", 90002,
                           "Tenant '%s' not found. Check to make sure you have the correct tenant ID "
                           "and are signing into the correct cloud." % tenant, ep)
        grant = form.get("grant_type")
        if grant != "client_credentials":
            raise AadError(400, "unsupported_grant_type", 70003,
                           "The app requested an unsupported grant type '%s'." % grant, ep)
        client_id = form.get("client_id")
        secret = form.get("client_secret")
        if auth_header and auth_header.lower().startswith("basic "):
            try:
                raw = b64url_decode(auth_header.split(" ", 1)[1].strip().replace("+", "-").replace("/", "_"))
                cid, _unused, sec = raw.decode("utf-8").partition(":")
                client_id = client_id or urllib.parse.unquote_plus(cid)
                secret = secret or urllib.parse.unquote_plus(sec)
            except Exception:  # noqa: BLE001 - a malformed header is an invalid client
                pass
        if not client_id:
            raise AadError(400, "invalid_request", 900144,
                           "The request body must contain the following parameter: 'client_id'.", ep)
        client = state.clients.get(client_id.lower())
        guest = client is not None and client_id.lower() in [g.lower() for g in t.get("guest_clients") or []]
        if client is None or (client["tenant"].lower() != t["id"].lower() and not guest):
            raise AadError(401, "invalid_client", 700016,
                           "Application with identifier '%s' was not found in the directory '%s'. "
                           "This can happen if the application has not been installed by the "
                           "administrator of the tenant or consented to by any user in the tenant. "
                           "You may have sent your authentication request to the wrong tenant."
                           % (client_id, t.get("display_name", t["id"])), ep)
        if not secret:
            raise AadError(401, "invalid_client", 7000216,
                           "'client_assertion', 'client_secret' or 'request' is required for the "
                           "'client_credentials' grant type.", ep)
        if not hmac.compare_digest(str(secret).encode("utf-8"), str(client["secret"]).encode("utf-8")):
            raise AadError(401, "invalid_client", 7000215,
                           "Invalid client secret provided. Ensure the secret being sent in the "
                           "request is the client secret value, not the client secret ID, for a "
                           "secret added to app '%s'." % client["client_id"], ep)
        if v2:
            scope = form.get("scope") or ""
            scopes = [s for s in scope.split() if s.endswith("/.default")]
            if not scopes:
                raise AadError(400, "invalid_scope", 1002012,
                               "The provided value for scope %s is not valid. Client credential "
                               "flows must have a scope value with /.default suffixed to the "
                               "resource identifier (application ID URI)." % (scope or "(empty)"), ep)
            audience = scopes[0][: -len(".default")]
        else:
            audience = form.get("resource") or ""
            if not audience:
                raise AadError(400, "invalid_resource", 500011,
                               "The resource principal named (empty) was not found in the tenant.", ep)
        lifetime = int(self._settings().get("token_lifetime_seconds", 3600))
        now = time.time()
        jti = b64url(os.urandom(12))
        claims = {
            "aud": audience,
            "iss": "%s/%s/" % (ep, t["id"]),
            "iat": int(now),
            "nbf": int(now),
            "exp": int(now) + lifetime,
            "aio": b64url(os.urandom(24)),
            "appid": client["client_id"],
            "appidacr": "1",
            "idp": "%s/%s/" % (ep, t["id"]),
            "idtyp": "app",
            "oid": det_uuid("sp", client["client_id"].lower()),
            "sub": det_uuid("sp", client["client_id"].lower()),
            "tid": t["id"],
            "uti": jti,
            "ver": "1.0",
        }
        token = self._sign(claims)
        # The token itself is kept for the control API (GET /_emulator/tokens), never for the log.
        self.issued[jti] = {"exp": claims["exp"], "revoked_at": None, "client_id": client["client_id"],
                            "token": token}
        if v2:
            return {"token_type": "Bearer", "expires_in": lifetime, "ext_expires_in": lifetime,
                    "access_token": token}
        return {"token_type": "Bearer", "expires_in": str(lifetime), "ext_expires_in": str(lifetime),
                "expires_on": str(claims["exp"]), "not_before": str(claims["nbf"]),
                "resource": audience, "access_token": token}

    def _sign(self, claims):
        header = b64url(json.dumps({"typ": "JWT", "alg": "HS256", "kid": "emulator"}, separators=(",", ":")))
        payload = b64url(json.dumps(claims, separators=(",", ":")))
        sig = hmac.new(self._key, ("%s.%s" % (header, payload)).encode("ascii"), hashlib.sha256).digest()
        return "%s.%s.%s" % (header, payload, b64url(sig))

    def issued_tokens(self):
        """Every bearer token issued since start: ``[{token, client_id, exp, revoked}]``, oldest first."""
        return [{"token": rec["token"], "client_id": rec["client_id"], "exp": rec["exp"],
                 "revoked": rec["revoked_at"] is not None} for rec in self.issued.values()]

    def expire_all(self):
        now = time.time()
        for rec in self.issued.values():
            if rec["revoked_at"] is None:
                rec["revoked_at"] = now

    def reset(self):
        for rec in self.issued.values():
            rec["revoked_at"] = None

    # ---------------------------------------------------------------- bearer validation
    def validate(self, authorization, subscription=None):
        """Return the claims of a valid bearer token or raise the ARM 401."""
        ep = self._endpoint()
        if not authorization:
            raise self._unauthorized(
                "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.",
                "The authentication failed because of missing 'Authorization' header.")
        scheme, _unused, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise self._unauthorized(
                "AuthenticationFailedInvalidHeader",
                "Authentication failed. The 'Authorization' header is provided in an invalid format.",
                "The authentication failed because of invalid 'Authorization' header format.")
        claims = self._decode(token.strip())
        if claims is None:
            raise self._unauthorized("InvalidAuthenticationToken", "The access token is invalid.",
                                     "The access token is invalid.")
        rec = self.issued.get(claims.get("uti"))
        now = time.time()
        exp = claims.get("exp", 0)
        if rec is not None and rec["revoked_at"] is not None:
            exp = min(exp, rec["revoked_at"])
        if now >= exp:
            msg = ("The access token expiry UTC time '%s' is earlier than current UTC time '%s'."
                   % (us_time(from_ts(exp)), us_time(from_ts(now))))
            raise self._unauthorized("ExpiredAuthenticationToken", msg,
                                     "The access token expiry UTC time is earlier than current UTC time.")
        aud = str(claims.get("aud", "")).rstrip("/").lower()
        if aud not in self._audiences(ep):
            raise self._unauthorized(
                "InvalidAuthenticationTokenAudience",
                "The access token has been obtained for wrong audience or resource '%s'. It should "
                "exactly match with one of the allowed audiences '%s/'." % (claims.get("aud"), ep),
                "The access token has been obtained from wrong audience or resource.")
        if subscription:
            sub = self._state().subscriptions.get(subscription.lower())
            if sub is not None and sub["tenant"].lower() != str(claims.get("tid", "")).lower():
                raise self._unauthorized(
                    "InvalidAuthenticationTokenTenant",
                    "The access token is from the wrong issuer '%s'. It must match the tenant "
                    "'%s/%s/' associated with this subscription. Please use the authority (URL) "
                    "'%s/%s' to get the token." % (claims.get("iss"), ep, sub["tenant"], ep, sub["tenant"]),
                    "The access token is from the wrong issuer.")
        return claims

    def auxiliary_claims(self, header):
        """The claims of the valid, unexpired tokens of an ``x-ms-authorization-auxiliary`` header
        (``Bearer t1, Bearer t2``); invalid ones are left out."""
        out = []
        for part in str(header or "").split(","):
            scheme, _unused, token = part.strip().partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                continue
            claims = self._decode(token.strip())
            if claims is None or time.time() >= claims.get("exp", 0):
                continue
            rec = self.issued.get(claims.get("uti"))
            if rec is not None and rec["revoked_at"] is not None:
                continue
            out.append(claims)
        return out

    def _audiences(self, ep):
        parsed = urllib.parse.urlparse(ep)
        port = parsed.port
        out = {ep.rstrip("/").lower()}
        for host in ("127.0.0.1", "localhost", "[::1]"):
            out.add(("%s://%s:%s" % (parsed.scheme, host, port)).lower())
        return out

    def _decode(self, token):
        try:
            header, payload, sig = token.split(".")
            expected = hmac.new(self._key, ("%s.%s" % (header, payload)).encode("ascii"),
                                hashlib.sha256).digest()
            if not hmac.compare_digest(expected, b64url_decode(sig)):
                return None
            return json.loads(b64url_decode(payload))
        except Exception:  # noqa: BLE001 - any malformed token is invalid
            return None

    def _unauthorized(self, code, message, description):
        ep = self._endpoint()
        return ApiError(401, code, message, headers={
            "WWW-Authenticate": 'Bearer authorization_uri="%s/", error="invalid_token", '
                                'error_description="%s"' % (ep, description)})


def metadata_endpoints(endpoint):
    ep = endpoint.rstrip("/")
    return {
        "galleryEndpoint": ep + "/",
        "graphEndpoint": ep + "/graph/",
        "portalEndpoint": ep + "/portal/",
        "authentication": {
            "loginEndpoint": ep + "/",
            "audiences": [ep + "/"],
        },
    }


def token_issued_log_view(body):
    """Copy of a token response for the request log, with the token itself redacted."""
    if isinstance(body, dict) and "access_token" in body:
        body = dict(body)
        body["access_token"] = "<redacted>"
    return body


__all__ = ["Auth", "AadError", "metadata_endpoints", "token_issued_log_view"]
