"""OAuth tokens of an integration, kept fresh for every worker (DESIGN §5 step 3).

Refreshes are serialized per integration by a row lock on the Integration: the first worker refreshes and
commits the rotated refresh token (encrypted) before anyone uses the new access token; the others wait on the
lock, then find a fresh token and use it.  A refused grant marks the integration *needs reconnect* under the
same lock, so it can never overwrite a reconnect that an admin completed meanwhile.

Why this order is safe (Xero rotates refresh tokens; a used one stays valid for a 30-minute grace period):

* Xero answers, then our commit fails: the new pair is thrown away and never used; the database still holds
  the previous refresh token, which Xero accepts again within the grace period, so the next attempt
  (seconds later, with backoff) refreshes again.  Nothing is lost as long as the database is back within
  30 minutes.
* Xero's answer is lost (timeout): the same — the stored refresh token is retried within the grace period.
* The opposite order — using the new access token before its refresh token is committed — could leave the
  only valid refresh token in a worker's memory when that worker dies; after the grace period the
  integration would need a reconnect.  So the commit comes first (``durable=True`` makes sure no caller's
  outer transaction postpones it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError, transaction
from django.urls import reverse
from django.utils import timezone

from integrations.connectors.base import N_, ConnectorError, ErpError, ErrorCategory
from integrations.models import Integration

REFRESH_AHEAD = dt.timedelta(minutes=5)  # Xero's access tokens live 30 minutes
PAUSED_NOTE = N_("Syncing is paused: reconnect it and Roger sends the latest data, including changes made meanwhile.")


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
    raise XeroNotConfigured(N_("Xero is not configured: set XERO_CLIENT_ID and XERO_CLIENT_SECRET."))


def xero_scopes() -> tuple[str, ...]:
    """The scopes Roger asks Xero for: ``XERO_SCOPES`` if set, else the broad ones for an app created before
    2 March 2026 (``XERO_BROAD_SCOPES``), else the granular ones (``integrations/connectors/xero/scopes.py``)."""
    from integrations.connectors.xero.scopes import BROAD_SCOPES, GRANULAR_SCOPES

    if settings.XERO_SCOPES:
        return tuple(settings.XERO_SCOPES)
    return BROAD_SCOPES if settings.XERO_BROAD_SCOPES else GRANULAR_SCOPES


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
        scopes=xero_scopes(),
        timeout=settings.ROGER_ERP_TIMEOUT,  # a refresh is an ERP call like any other: same short timeouts
    )


def store_tokens(integration: Integration, token_set) -> None:
    """Persist a new token pair (encrypted) with its expiry; caller holds the row lock or owns the row."""
    credentials = integration.get_credentials()
    credentials.update(access_token=token_set.access_token, refresh_token=token_set.refresh_token)
    integration.set_credentials(credentials)
    integration.settings = {**integration.settings, "token_expires_at": token_set.expires_at.isoformat()}
    integration.save(update_fields=["credentials_encrypted", "settings"])


def reconnect_message(message: str) -> str:
    """What the admin reads on the integration card: what happened, and that nothing is lost meanwhile."""
    return f"{message.rstrip('. ')}. {PAUSED_NOTE}"[:500]


def mark_needs_reconnect(integration_id: int, message: str, *, credentials: str | None = None) -> bool:
    """Stop syncing with this integration until an admin reconnects it; its open jobs wait (paused).

    ``credentials`` (the encrypted credentials the refused call was made with) guards against a reconnect
    that committed after that call: new credentials mean the refusal is old news, so nothing is marked.
    Returns whether the integration was marked.
    """
    from integrations.models import SyncJob

    with transaction.atomic():
        rows = Integration.objects.filter(pk=integration_id)  # the UPDATE locks the row, as a reconnect does
        if credentials is not None:
            rows = rows.filter(credentials_encrypted=credentials)
        if not rows.update(
            connection=Integration.Connection.NEEDS_RECONNECT, connection_message=reconnect_message(message)
        ):
            return False
        from integrations.jobs import lock_jobs

        pending = lock_jobs(SyncJob.objects.filter(integration_id=integration_id, state=SyncJob.State.PENDING))
        SyncJob.objects.filter(pk__in=pending).update(state=SyncJob.State.PAUSED)
    return True


def _expires_at(integration: Integration) -> dt.datetime:
    raw = integration.settings.get("token_expires_at")
    return dt.datetime.fromisoformat(raw) if raw else timezone.now()


def _fresh(integration: Integration) -> bool:
    return _expires_at(integration) - REFRESH_AHEAD > timezone.now()


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
        if token and _fresh(integration):
            self._cached = (token, _expires_at(integration))
            return token
        return self._refresh(stale=token)

    def refresh_after_401(self, stale: str) -> str:
        """Xero refused ``stale``: use a token another worker stored since, else refresh (once for all)."""
        self._cached = None
        return self._refresh(stale=stale)

    def _refresh(self, *, stale: str) -> str:
        token_set = None
        refused: ConnectorError | None = None
        try:
            with transaction.atomic(durable=True):
                integration = Integration.objects.select_for_update().get(pk=self._integration_id)
                credentials = integration.get_credentials()
                current = credentials.get("access_token", "")
                if current and current != stale and _fresh(integration):
                    # Another worker refreshed while we waited for the lock (or since `stale` was handed out).
                    self._cached = (current, _expires_at(integration))
                    return current
                try:
                    token_set = self._client_factory().refresh(self._refresh_token(credentials))
                except ConnectorError as exc:
                    if exc.error.category != ErrorCategory.AUTHENTICATION:
                        raise  # temporary: the stored refresh token stays valid (grace period), retry later
                    # Under the lock that a reconnect also takes: this refusal concerns the stored grant.
                    refused = exc
                    self._mark_refused(integration, exc.error.message)
                else:
                    store_tokens(integration, token_set)
        except DatabaseError:
            if token_set is None:
                raise
            raise self._not_stored() from None
        if refused is not None:
            raise refused
        self._cached = (token_set.access_token, token_set.expires_at)
        return token_set.access_token

    @staticmethod
    def _refresh_token(credentials: dict) -> str:
        refresh_token = credentials.get("refresh_token")
        if not refresh_token:
            raise ConnectorError(
                ErpError(
                    ErrorCategory.AUTHENTICATION, N_("Roger holds no Xero refresh token."), hint=N_("Reconnect Xero.")
                )
            )
        return refresh_token

    @staticmethod
    def _mark_refused(integration: Integration, message: str) -> None:
        # Same transaction and lock as the refresh: the mark commits with it, atomically.
        mark_needs_reconnect(integration.pk, message, credentials=integration.credentials_encrypted)

    @staticmethod
    def _not_stored() -> ConnectorError:
        # The new pair is discarded unused: the previous refresh token, still stored, stays valid at Xero for
        # its 30-minute grace period, so the retry refreshes again.
        return ConnectorError(
            ErpError(
                ErrorCategory.TEMPORARY,
                N_("Xero renewed Roger's access but Roger could not save it; the renewal will be repeated."),
                hint=N_("Nothing to do: Roger retries automatically."),
                code="token_not_stored",
            )
        )
