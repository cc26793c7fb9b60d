"""Xero's OAuth 2 side: authorization codes, rotating refresh tokens with a grace period, grants, connections.

Lifetimes are real seconds (not time-scaled): access tokens 30 minutes, authorization codes 5 minutes,
unused refresh tokens 60 days, and a used refresh token stays usable for a 30-minute grace period — each
use inside the grace period issues a fresh pair (Xero: "the same token can be used as many times as needed,
in case the initial response containing your new Refresh and Access tokens is lost").
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

ACCESS_TTL = 30 * 60
CODE_TTL = 5 * 60
REFRESH_TTL = 60 * 24 * 3600
REFRESH_GRACE = 30 * 60


@dataclass
class Grant:
    """One user's consent for one app: the tenants it reaches, each through a connection."""

    grant_id: str
    client_id: str
    scope: str
    auth_event_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    connections: dict[str, dict[str, str]] = field(default_factory=dict)  # tenant id -> connection
    revoked: bool = False
    bound_client: bool = True  # False for grants made by the control API: any client may refresh them


@dataclass
class AccessToken:
    grant_id: str
    expires_at: float


@dataclass
class RefreshToken:
    grant_id: str
    issued_at: float
    used_at: float | None = None


@dataclass
class AuthCode:
    grant_id: str
    redirect_uri: str
    expires_at: float


class AuthError(Exception):
    def __init__(self, error: str, detail: str = "") -> None:
        super().__init__(error)
        self.error, self.detail = error, detail


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _utc_text(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f0")


class AuthStore:
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self.grants: dict[str, Grant] = {}
        self.access: dict[str, AccessToken] = {}
        self.refresh: dict[str, RefreshToken] = {}
        self.codes: dict[str, AuthCode] = {}

    def reset(self) -> None:
        with self._lock:
            self.grants.clear()
            self.access.clear()
            self.refresh.clear()
            self.codes.clear()

    # -- grants -----------------------------------------------------------------------------------------------
    def new_grant(self, client_id: str, tenants: list[tuple[str, str]], scope: str, bound: bool = True) -> Grant:
        with self._lock:
            grant = Grant(grant_id=str(uuid.uuid4()), client_id=client_id, scope=scope, bound_client=bound)
            now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f0")
            for tenant_id, tenant_name in tenants:
                grant.connections[tenant_id] = {
                    "id": str(uuid.uuid4()),
                    "authEventId": grant.auth_event_id,
                    "tenantId": tenant_id,
                    "tenantType": "ORGANISATION",
                    "tenantName": tenant_name,
                    "createdDateUtc": now,
                    "updatedDateUtc": now,
                }
            self.grants[grant.grant_id] = grant
            return grant

    def issue_code(self, grant: Grant, redirect_uri: str) -> str:
        with self._lock:
            code = secrets.token_urlsafe(24)
            self.codes[code] = AuthCode(grant.grant_id, redirect_uri, time.time() + CODE_TTL)
            return code

    def issue_tokens(self, grant: Grant) -> dict[str, Any]:
        """A new access + refresh pair in the token endpoint's JSON shape."""
        with self._lock:
            now = time.time()
            claims = {
                "nbf": int(now),
                "exp": int(now + ACCESS_TTL),
                "iss": "https://identity.xero.com",
                "aud": "https://identity.xero.com/resources",
                "client_id": grant.client_id,
                "authentication_event_id": grant.auth_event_id,
                "scope": grant.scope.split(),
                "jti": secrets.token_hex(16),
            }
            # Shaped like Xero's JWT so clients that peek at ``exp`` work; the signature is random.
            access = ".".join([_b64({"alg": "RS256", "typ": "JWT"}), _b64(claims), secrets.token_urlsafe(32)])
            refresh = secrets.token_hex(32)
            self.access[access] = AccessToken(grant.grant_id, now + ACCESS_TTL)
            self.refresh[refresh] = RefreshToken(grant.grant_id, now)
            body: dict[str, Any] = {
                "access_token": access,
                "expires_in": ACCESS_TTL,
                "token_type": "Bearer",
                "refresh_token": refresh,
                "scope": grant.scope,
            }
            if "openid" in grant.scope.split():
                body["id_token"] = ".".join(
                    [
                        _b64({"alg": "RS256", "typ": "JWT"}),
                        _b64({"sub": grant.grant_id, "exp": int(now + 300)}),
                        secrets.token_urlsafe(16),
                    ]
                )
            return body

    # -- token endpoint ------------------------------------------------------------------------------------------
    def exchange_code(self, client_id: str, code: str, redirect_uri: str) -> dict[str, Any]:
        with self._lock:
            entry = self.codes.pop(code, None)  # codes are single-use
            if entry is None or entry.expires_at < time.time():
                raise AuthError("invalid_grant")
            grant = self.grants.get(entry.grant_id)
            if grant is None or grant.revoked or grant.client_id != client_id:
                raise AuthError("invalid_grant")
            if redirect_uri and redirect_uri != entry.redirect_uri:
                raise AuthError("invalid_grant")
            return self.issue_tokens(grant)

    def use_refresh_token(self, client_id: str, token: str) -> dict[str, Any]:
        with self._lock:
            entry = self.refresh.get(token)
            now = time.time()
            if entry is None:
                raise AuthError("invalid_grant")
            grant = self.grants.get(entry.grant_id)
            if grant is None or grant.revoked or (grant.bound_client and grant.client_id != client_id):
                raise AuthError("invalid_grant")
            if entry.used_at is None and now - entry.issued_at > REFRESH_TTL:
                raise AuthError("invalid_grant")
            if entry.used_at is not None and now - entry.used_at > REFRESH_GRACE:
                raise AuthError("invalid_grant")
            if entry.used_at is None:
                entry.used_at = now
            return self.issue_tokens(grant)

    # -- API access --------------------------------------------------------------------------------------------------
    def check_access(self, token: str) -> Grant:
        """The grant behind a bearer token; raises AuthError("TokenExpired"|"Unauthorized")."""
        with self._lock:
            entry = self.access.get(token)
            if entry is None:
                raise AuthError("Unauthorized", "AuthenticationUnsuccessful")
            grant = self.grants.get(entry.grant_id)
            if grant is None or grant.revoked:
                raise AuthError("Unauthorized", "AuthenticationUnsuccessful")
            if entry.expires_at <= time.time():
                raise AuthError("TokenExpired", f"TokenExpired: token expired at {_utc_text(entry.expires_at)}")
            return grant

    # -- accountant / control actions ----------------------------------------------------------------------------
    def grants_for(self, tenant_id: str) -> list[Grant]:
        with self._lock:
            return [g for g in self.grants.values() if tenant_id in g.connections]

    def revoke_tenant(self, tenant_id: str) -> int:
        with self._lock:
            grants = self.grants_for(tenant_id)
            for grant in grants:
                grant.revoked = True
            return len(grants)

    def expire_access(self, tenant_id: str, token: str | None = None) -> int:
        with self._lock:
            ids = {g.grant_id for g in self.grants_for(tenant_id)}
            count = 0
            for value, entry in self.access.items():
                if entry.grant_id in ids and (token is None or value == token):
                    entry.expires_at = time.time() - 1
                    count += 1
            return count

    def disconnect(self, grant: Grant, connection_id: str) -> bool:
        with self._lock:
            for tenant_id, connection in list(grant.connections.items()):
                if connection["id"] == connection_id:
                    del grant.connections[tenant_id]
                    return True
            return False

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"grants": self.grants, "access": self.access, "refresh": self.refresh}

    def restore(self, data: dict[str, Any]) -> None:
        with self._lock:
            self.grants, self.access, self.refresh = data["grants"], data["access"], data["refresh"]
