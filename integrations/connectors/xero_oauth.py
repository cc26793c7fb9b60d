"""Xero's OAuth 2 authorization-code flow (``reference/erp_apis.md`` §1.10), on requests-oauthlib.

This module talks to Xero's login and identity hosts and lists the organisations a token may use; it never
stores anything.  The engine owns persistence: it keeps the ``TokenSet`` encrypted, refreshes under a row lock
ahead of the 30-minute expiry and stores the rotated refresh token before using the new access token.

Tokens never appear in an exception message, a ``repr`` or a log line of ours, and requests-oauthlib's own
debug logging (which prints token responses) is filtered through ``redact``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import requests
from oauthlib.oauth2 import InvalidClientError, InvalidGrantError, OAuth2Error
from requests_oauthlib import OAuth2Session

from integrations.connectors.base import N_, ConnectorError, ErpError, ErrorCategory
from integrations.connectors.http import (
    DEFAULT_TIMEOUT,
    loads,
    make_session,
    network_error,
    parse_retry_after,
    redact,
)
from integrations.connectors.xero.scopes import DEFAULT_SCOPES  # granular: what Roger needs, see scopes.py

ERP = "Xero"
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_INSECURE_LOCK = threading.Lock()


class _RedactingFilter(logging.Filter):
    """requests-oauthlib logs token responses at DEBUG; mask them before any handler sees them."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is not ours to fix; drop its arguments, keep going
            message = str(record.msg)
        record.msg, record.args = redact(message), ()
        return True


for _name in (
    "requests_oauthlib.oauth2_session",
    "oauthlib.oauth2.rfc6749.clients.base",
    "oauthlib.oauth2.rfc6749.parameters",
):
    logging.getLogger(_name).addFilter(_RedactingFilter())


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    refresh_token: str
    expires_at: datetime  # aware, UTC
    scope: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return (
            f"TokenSet(access_token='***', refresh_token='***', expires_at={self.expires_at.isoformat()!r}, "
            f"scope={self.scope!r})"
        )

    __str__ = __repr__

    def expires_within(self, seconds: float, *, now: datetime | None = None) -> bool:
        return self.expires_at - timedelta(seconds=seconds) <= (now or datetime.now(UTC))


@dataclass(frozen=True)
class XeroTenant:
    connection_id: str  # the connection's id: what DELETE /connections/{id} takes
    tenant_id: str  # the xero-tenant-id header value
    tenant_name: str
    tenant_type: str  # "ORGANISATION" for accounting


def _check_url(url: str) -> str:
    """Xero's hosts are https; plain http is allowed only on the loopback sandbox."""
    parts = urlsplit(url)
    if parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOOPBACK):
        return url.rstrip("/")
    raise ValueError(f"Xero URLs must be https (or http on the loopback sandbox): {url!r}")


@contextlib.contextmanager
def _transport_allowed(url: str) -> Iterator[None]:
    """oauthlib refuses http outright; let the loopback sandbox through, and only for this call."""
    if urlsplit(url).scheme == "https":
        yield
        return
    with _INSECURE_LOCK:
        previous = os.environ.get("OAUTHLIB_INSECURE_TRANSPORT")
        os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
        try:
            yield
        finally:
            if previous is None:
                os.environ.pop("OAUTHLIB_INSECURE_TRANSPORT", None)
            else:
                os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = previous


def _auth_error(message: str, *, code: str | None = None, status: int | None = None) -> ConnectorError:
    return ConnectorError(
        ErpError(
            category=ErrorCategory.AUTHENTICATION,
            message=message,
            hint=N_("Reconnect the Xero integration in the integration settings."),
            code=code,
            status=status,
        )
    )


def _check_token_response(response: requests.Response) -> requests.Response:
    """Compliance hook: 5xx, 429 and unreadable bodies are temporary, before oauthlib tries to parse them."""
    if response.status_code >= 500 or response.status_code == 429:
        raise ConnectorError(
            ErpError(
                category=ErrorCategory.TEMPORARY,
                message=N_("Xero's login service is unavailable (HTTP {status})").format(status=response.status_code),
                hint=N_("Roger will try again; the previous refresh token stays valid for 30 minutes."),
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
                status=response.status_code,
            )
        )
    try:
        loads(response.content)
    except (ValueError, UnicodeDecodeError):
        raise ConnectorError(
            ErpError(
                category=ErrorCategory.TEMPORARY,
                message=N_("Xero's login service returned an unreadable response (HTTP {status})").format(
                    status=response.status_code
                ),
                hint=N_("Roger will try again."),
                code="unreadable_response",
                status=response.status_code,
            )
        ) from None
    return response


class XeroOAuthClient:
    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        redirect_uri: str,
        login_url: str = "https://login.xero.com",
        identity_url: str = "https://identity.xero.com",
        api_url: str = "https://api.xero.com",
        scopes: Sequence[str] = DEFAULT_SCOPES,
        session: requests.Session | None = None,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    ):
        self.client_id = client_id
        self._client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.authorize_endpoint = _check_url(login_url) + "/identity/connect/authorize"
        self.token_endpoint = _check_url(identity_url) + "/connect/token"
        self.connections_endpoint = _check_url(api_url) + "/connections"
        self.scopes = tuple(scopes)
        self._session = session if session is not None else make_session(timeout=timeout)
        self._timeout = timeout

    def __repr__(self) -> str:
        return f"XeroOAuthClient(client_id={self.client_id!r}, client_secret='***')"

    # --- the flow ---------------------------------------------------------------------------------------

    def authorization_url(self, state: str) -> str:
        """Where to send the admin's browser; ``state`` comes back on the redirect and must be checked."""
        oauth = self._oauth(scope=list(self.scopes), state=state)
        with _transport_allowed(self.authorize_endpoint):
            url, _ = oauth.authorization_url(self.authorize_endpoint, state=state)
        return url

    def exchange_code(self, code: str) -> TokenSet:
        oauth = self._oauth(scope=list(self.scopes))
        return self._token_call(
            lambda: oauth.fetch_token(
                self.token_endpoint,
                code=code,
                auth=requests.auth.HTTPBasicAuth(self.client_id, self._client_secret),
                include_client_id=False,
                timeout=self._timeout,
            ),
            secrets=(code,),
        )

    def refresh(self, refresh_token: str) -> TokenSet:
        """A new token pair; Xero rotates the refresh token, so the caller stores the new one before use."""
        oauth = self._oauth()
        return self._token_call(
            lambda: oauth.refresh_token(
                self.token_endpoint,
                refresh_token=refresh_token,
                auth=requests.auth.HTTPBasicAuth(self.client_id, self._client_secret),
                timeout=self._timeout,
            ),
            secrets=(refresh_token,),
            fallback_refresh=refresh_token,
        )

    def connections(self, access_token: str) -> list[XeroTenant]:
        """The organisations this token may use (``GET /connections``); the admin picks one."""
        try:
            response = self._session.get(
                self.connections_endpoint,
                headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
                timeout=self._timeout,
            )
        except requests.RequestException as exc:
            raise network_error(exc, erp=ERP, write=False) from None
        if response.status_code in (401, 403):
            raise _auth_error(
                N_("Xero refused the access token when listing organisations"), status=response.status_code
            )
        _check_token_response(response)
        if response.status_code != 200:
            raise ConnectorError(
                ErpError(
                    ErrorCategory.TEMPORARY,
                    N_("Xero answered HTTP {status} when listing organisations").format(status=response.status_code),
                    status=response.status_code,
                )
            )
        data = loads(response.content)
        return [
            XeroTenant(
                connection_id=str(c.get("id", "")),
                tenant_id=str(c.get("tenantId", "")),
                tenant_name=str(c.get("tenantName", "") or ""),
                tenant_type=str(c.get("tenantType", "") or ""),
            )
            for c in (data if isinstance(data, list) else [])
            if isinstance(c, Mapping)
        ]

    # --- plumbing ---------------------------------------------------------------------------------------

    def _oauth(self, **kwargs: Any) -> OAuth2Session:
        oauth = OAuth2Session(self.client_id, redirect_uri=self.redirect_uri, **kwargs)
        # Same transport as every other connector call: no retries, our User-Agent, the caller's hooks
        # (the conformance recorder in tests).
        for prefix, adapter in self._session.adapters.items():
            oauth.mount(prefix, adapter)
        oauth.headers["User-Agent"] = self._session.headers.get("User-Agent", "Roger")
        oauth.hooks = {k: list(v) for k, v in self._session.hooks.items()}
        oauth.register_compliance_hook("access_token_response", _check_token_response)
        oauth.register_compliance_hook("refresh_token_response", _check_token_response)
        return oauth

    def _token_call(
        self, call: Callable[[], Mapping[str, Any]], *, secrets: Sequence[str], fallback_refresh: str = ""
    ) -> TokenSet:
        try:
            with _transport_allowed(self.token_endpoint):
                try:
                    token = call()
                except Warning as warning:  # oauthlib: "Scope has changed" — the token is still good
                    token = getattr(warning, "token", None)
                    if token is None:
                        raise _auth_error(N_("Xero's token response could not be read")) from None
        except ConnectorError:
            raise
        except InvalidGrantError:
            raise _auth_error(
                # What an admin can act on: the grant is gone (disconnected in Xero, or unused for 60 days).
                N_("Xero no longer accepts Roger's connection: it was disconnected in Xero or has expired"),
                code="invalid_grant",
                status=400,
            ) from None
        except InvalidClientError:
            raise _auth_error(
                N_("Xero refused Roger's app credentials: check XERO_CLIENT_ID and XERO_CLIENT_SECRET"),
                code="invalid_client",
                status=401,
            ) from None
        except OAuth2Error as exc:
            raise _auth_error(N_("Xero refused the sign-in"), code=str(exc.error), status=exc.status_code) from None
        except requests.RequestException as exc:
            raise network_error(exc, erp=ERP, write=False) from None
        except ValueError as exc:  # oauthlib's "missing token" and other malformed answers
            raise ConnectorError(
                ErpError(
                    ErrorCategory.TEMPORARY,
                    redact(N_("Xero's token response was not usable: {reason}").format(reason=exc), secrets),
                )
            ) from None
        return _token_set(token, fallback_refresh)


def _token_set(token: Mapping[str, Any], fallback_refresh: str) -> TokenSet:
    access = str(token.get("access_token") or "")
    if not access:
        raise ConnectorError(ErpError(ErrorCategory.TEMPORARY, N_("Xero's token response had no access token")))
    expires_at = token.get("expires_at")
    if expires_at is None:
        expires_at = datetime.now(UTC).timestamp() + float(token.get("expires_in") or 1800)
    scope = token.get("scope") or ()
    if isinstance(scope, str):
        scope = scope.split()
    return TokenSet(
        access_token=access,
        refresh_token=str(token.get("refresh_token") or fallback_refresh),
        expires_at=datetime.fromtimestamp(float(expires_at), UTC),
        scope=tuple(scope),
    )


class MemoryTokenSource:
    """A ``TokenSource`` that keeps the pair in memory (tools, tests, the demo); the engine has its own,
    persisted under a row lock.  ``on_rotate`` gets every new pair so a caller can store it before use."""

    def __init__(
        self,
        client: XeroOAuthClient,
        tokens: TokenSet,
        *,
        on_rotate: Callable[[TokenSet], None] | None = None,
        refresh_margin: float = 120.0,
    ):
        self._client = client
        self._tokens = tokens
        self._on_rotate = on_rotate
        self._margin = refresh_margin
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"MemoryTokenSource({self._tokens!r})"

    @property
    def tokens(self) -> TokenSet:
        return self._tokens

    def access_token(self) -> str:
        with self._lock:
            if self._tokens.expires_within(self._margin):
                self._refresh_locked()
            return self._tokens.access_token

    def refresh_after_401(self, stale: str) -> str:
        with self._lock:
            if self._tokens.access_token == stale:  # nobody refreshed since that token was handed out
                self._refresh_locked()
            return self._tokens.access_token

    def _refresh_locked(self) -> None:
        fresh = self._client.refresh(self._tokens.refresh_token)
        if self._on_rotate is not None:
            self._on_rotate(fresh)
        self._tokens = fresh
