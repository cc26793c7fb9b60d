"""OAuth tokens of an integration, kept fresh for every worker (DESIGN §5 step 3).

Refreshes are serialized per integration by a row lock on the Integration: the first worker refreshes and
stores the rotated refresh token (encrypted) before anyone uses the new access token; the others wait on the
lock, then find a fresh token and use it.  A refused grant marks the integration *needs reconnect*.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from integrations.connectors.base import ConnectorError, ErpError, ErrorCategory
from integrations.models import Integration

REFRESH_AHEAD = dt.timedelta(minutes=5)  # Xero's access tokens live 30 minutes


# The sandbox accepts any client; the demo (`make run`) sets no Xero app, so it uses this one there.
SANDBOX_CLIENT = ("roger-demo", "roger-demo-secret")


class XeroNotConfigured(Exception):
    """No Xero app (client id and secret) is configured for a real Xero."""


def xero_app_credentials() -> tuple[str, str]:
    """The Xero app's client id and secret; the demo's sandbox gets a fixed pair when none is configured."""
    if settings.XERO_CLIENT_ID:
        return settings.XERO_CLIENT_ID, settings.XERO_CLIENT_SECRET
    if settings.XERO_LOGIN_URL.startswith(settings.ROGER_SANDBOX_URL):
        return SANDBOX_CLIENT
    raise XeroNotConfigured("Xero is not configured: set XERO_CLIENT_ID and XERO_CLIENT_SECRET.")


def xero_oauth_client(*, redirect_uri: str = ""):
    """One OAuth client for the connect flow (services) and the workers' token refresh: the same app identity."""
    from integrations.connectors.xero_oauth import XeroOAuthClient

    client_id, client_secret = xero_app_credentials()
    return XeroOAuthClient(
        client_id,
        client_secret,
        redirect_uri=redirect_uri or settings.SITE_URL + reverse("integrations:xero_callback"),
        login_url=settings.XERO_LOGIN_URL,
        identity_url=settings.XERO_IDENTITY_URL,
        api_url=settings.XERO_API_URL,
    )


def store_tokens(integration: Integration, token_set) -> None:
    """Persist a new token pair (encrypted) with its expiry; caller holds the row lock or owns the row."""
    credentials = integration.get_credentials()
    credentials.update(access_token=token_set.access_token, refresh_token=token_set.refresh_token)
    integration.set_credentials(credentials)
    integration.settings = {**integration.settings, "token_expires_at": token_set.expires_at.isoformat()}
    integration.save(update_fields=["credentials_encrypted", "settings"])


def mark_needs_reconnect(integration_id: int, message: str) -> None:
    """Stop syncing with this integration until an admin reconnects it; its open jobs wait (paused)."""
    from integrations.models import SyncJob

    with transaction.atomic():
        Integration.objects.filter(pk=integration_id).update(
            connection=Integration.Connection.NEEDS_RECONNECT, connection_message=message[:500]
        )
        SyncJob.objects.filter(integration_id=integration_id, state=SyncJob.State.PENDING).update(
            state=SyncJob.State.PAUSED
        )


def _expires_at(integration: Integration) -> dt.datetime:
    raw = integration.settings.get("token_expires_at")
    return dt.datetime.fromisoformat(raw) if raw else timezone.now()


class DbTokenSource:
    """``TokenSource`` for a Xero integration, backed by the Integration row."""

    def __init__(self, integration: Integration, *, client_factory: Callable = xero_oauth_client):
        self._integration_id = integration.pk
        self._client_factory = client_factory
        self._cached: tuple[str, dt.datetime] | None = None

    def __repr__(self) -> str:
        return f"DbTokenSource(integration={self._integration_id})"

    def access_token(self) -> str:
        if self._cached and self._cached[1] - REFRESH_AHEAD > timezone.now():
            return self._cached[0]
        integration = Integration.objects.get(pk=self._integration_id)
        token = integration.get_credentials().get("access_token", "")
        if token and _expires_at(integration) - REFRESH_AHEAD > timezone.now():
            self._cached = (token, _expires_at(integration))
            return token
        return self._refresh(stale=token)

    def refresh_after_401(self, stale: str) -> str:
        return self._refresh(stale=stale)

    def _refresh(self, *, stale: str) -> str:
        try:
            return self._refresh_locked(stale)
        except ConnectorError as exc:
            if exc.error.category == ErrorCategory.AUTHENTICATION:
                mark_needs_reconnect(self._integration_id, exc.error.message)
            raise

    def _refresh_locked(self, stale: str) -> str:
        with transaction.atomic():
            integration = Integration.objects.select_for_update().get(pk=self._integration_id)
            credentials = integration.get_credentials()
            current = credentials.get("access_token", "")
            if current and current != stale and _expires_at(integration) - REFRESH_AHEAD > timezone.now():
                # Another worker refreshed while we waited for the lock: use its token.
                self._cached = (current, _expires_at(integration))
                return current
            refresh_token = credentials.get("refresh_token")
            if not refresh_token:
                error = ErpError(ErrorCategory.AUTHENTICATION, "No refresh token stored.", hint="Reconnect Xero.")
                raise ConnectorError(error)
            # The rotated refresh token is stored (this transaction) before the new access token is used.
            token_set = self._client_factory().refresh(refresh_token)
            store_tokens(integration, token_set)
        self._cached = (token_set.access_token, token_set.expires_at)
        return token_set.access_token
