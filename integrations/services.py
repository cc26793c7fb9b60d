"""Admin operations on integrations: connect (Xero OAuth 2, e-conomic tokens), test, catalogues, mappings, options.

Services may talk to an ERP (views never do, DESIGN §4): the OAuth callback and "test connection" are in-request
ERP calls with the connectors' short timeouts.  Every failure becomes an ``IntegrationServiceError`` whose message
an admin can act on; tokens are stored encrypted (``Integration.set_credentials``) and never logged or shown.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from documents.models import Category, Department, VatCode
from integrations import jobs, stored_text
from integrations.connectors.base import N_, CatalogItem, ConnectorError
from integrations.connectors.xero_oauth import TokenSet, XeroOAuthClient
from integrations.models import Integration
from integrations.sync import auth
from roger.models import Membership

logger = logging.getLogger(__name__)

SESSION_KEY = "roger_xero_oauth"
CATALOGUE_TTL = 300  # seconds: the mapping editor re-reads the ERP at most every 5 minutes unless asked


class IntegrationServiceError(ValidationError):
    """An admin operation that failed; the message says what happened and what to do."""


def _erp_message(exc: ConnectorError) -> str:
    """The connector's message and hint for an admin who is waiting for the answer: in their language."""
    error = exc.error
    text = f"{error.message.rstrip('.')}. {error.hint}".strip() if error.hint else error.message
    return stored_text.translate(text)


# --- Xero OAuth 2 ----------------------------------------------------------------------------------------------


def xero_oauth_client(*, redirect_uri: str) -> XeroOAuthClient:
    try:
        return auth.xero_oauth_client(redirect_uri=redirect_uri)
    except auth.XeroNotConfigured as exc:
        raise IntegrationServiceError(stored_text.translate(str(exc))) from None


def xero_connect_start(
    *, session: MutableMapping[str, Any], membership: Membership, redirect_uri: str, integration: Integration | None
) -> str:
    """Where to send the admin: Xero's consent page.  The ``state`` kept in the session is checked on return."""
    state = secrets.token_urlsafe(24)
    session[SESSION_KEY] = {
        "state": state,
        "company_id": membership.company_id,
        "integration_id": integration.pk if integration else None,
    }
    return xero_oauth_client(redirect_uri=redirect_uri).authorization_url(state)


@dataclass(frozen=True)
class ConnectResult:
    integration: Integration
    needs_tenant_choice: bool


def _store_tokens(integration: Integration, tokens: TokenSet) -> None:
    integration.set_credentials({"access_token": tokens.access_token, "refresh_token": tokens.refresh_token})
    integration.settings["token_expires_at"] = tokens.expires_at.astimezone(UTC).isoformat()


def xero_connect_finish(
    *,
    session: MutableMapping[str, Any],
    membership: Membership,
    code: str,
    state: str,
    redirect_uri: str,
) -> ConnectResult:
    """The OAuth callback: check ``state``, exchange the code, list the organisations, save the connection."""
    pending = session.pop(SESSION_KEY, None)
    if not pending or not state or not secrets.compare_digest(str(pending.get("state", "")), state):
        raise IntegrationServiceError(_("The Xero sign-in could not be verified. Please try again."))
    if pending.get("company_id") != membership.company_id:
        raise IntegrationServiceError(_("The Xero sign-in was started for another company. Please try again."))
    if not code:
        raise IntegrationServiceError(_("Xero did not return an authorisation code. Please try again."))
    client = xero_oauth_client(redirect_uri=redirect_uri)
    try:
        tokens = client.exchange_code(code)
        tenants = [t for t in client.connections(tokens.access_token) if t.tenant_type in ("ORGANISATION", "")]
    except ConnectorError as exc:
        raise IntegrationServiceError(
            _("Connecting to Xero failed: %(reason)s") % {"reason": _erp_message(exc)}
        ) from None
    if not tenants:
        raise IntegrationServiceError(
            _("Your Xero user has no organisation Roger may use. Add one in Xero, then retry.")
        )
    return _save_xero(membership, pending.get("integration_id"), tokens, tenants)


@transaction.atomic
def _save_xero(membership: Membership, integration_id: int | None, tokens: TokenSet, tenants: list) -> ConnectResult:
    company = membership.company
    integration = None
    if integration_id:
        integration = Integration.objects.select_for_update().filter(pk=integration_id, company=company).first()
    if integration is None:
        integration = Integration(company=company, kind=Integration.Kind.XERO, name=_free_name(company, "Xero"))
    _store_tokens(integration, tokens)
    choices = [{"tenant_id": t.tenant_id, "tenant_name": t.tenant_name} for t in tenants]
    current = integration.settings.get("tenant_id")
    if len(choices) == 1 or any(c["tenant_id"] == current for c in choices):
        chosen = choices[0] if len(choices) == 1 else next(c for c in choices if c["tenant_id"] == current)
        _set_tenant(integration, chosen)
        integration.save()
        jobs.resume_integration(integration.pk)
        return ConnectResult(integration, needs_tenant_choice=False)
    integration.settings["pending_tenants"] = choices
    integration.connection_message = N_("Choose the Xero organisation Roger should use.")
    integration.save()
    return ConnectResult(integration, needs_tenant_choice=True)


def _set_tenant(integration: Integration, chosen: Mapping[str, str]) -> None:
    integration.settings["tenant_id"] = chosen["tenant_id"]
    integration.settings["tenant_name"] = chosen["tenant_name"]
    integration.settings.pop("pending_tenants", None)
    integration.connection = Integration.Connection.CONNECTED
    integration.connection_message = N_("Connected to {organisation}.").format(organisation=chosen["tenant_name"])


def _free_name(company, base: str) -> str:
    taken = set(Integration.objects.filter(company=company).values_list("name", flat=True))
    name, n = base, 2
    while name in taken:
        name, n = f"{base} {n}", n + 1
    return name


@transaction.atomic
def xero_choose_tenant(*, integration: Integration, tenant_id: str) -> Integration:
    integration = Integration.objects.select_for_update().get(pk=integration.pk)
    for choice in integration.settings.get("pending_tenants", []):
        if choice["tenant_id"] == tenant_id:
            _set_tenant(integration, choice)
            integration.save()
            jobs.resume_integration(integration.pk)
            return integration
    raise IntegrationServiceError({"tenant_id": _("Choose one of the organisations listed.")})


# --- e-conomic -------------------------------------------------------------------------------------------------


@transaction.atomic
def economic_connect(
    *,
    membership: Membership,
    integration: Integration | None,
    agreement_grant_token: str,
    journal_number: int,
    name: str = "",
    app_secret_token: str = "",
) -> Integration:
    """Save the tokens (encrypted) and the journal; the connection is then tested.

    The app secret token identifies the e-conomic app: Roger's own (``ECONOMIC_APP_SECRET_TOKEN``) unless the
    company uses an app of its own, whose token the admin pastes beside the agreement grant token.
    """
    if integration is None:
        integration = Integration(
            company=membership.company,
            kind=Integration.Kind.ECONOMIC,
            name=name or _free_name(membership.company, "e-conomic"),
        )
    elif integration.kind != Integration.Kind.ECONOMIC:
        raise IntegrationServiceError(_("This is not an e-conomic integration."))
    credentials = integration.get_credentials() if integration.credentials_encrypted else {}
    if agreement_grant_token.strip():
        credentials["agreement_grant_token"] = agreement_grant_token.strip()
    if app_secret_token.strip():
        credentials["app_secret_token"] = app_secret_token.strip()
    if not credentials.get("agreement_grant_token"):
        raise IntegrationServiceError({"agreement_grant_token": _("Paste the agreement grant token from e-conomic.")})
    if not credentials.get("app_secret_token") and not settings.ECONOMIC_APP_SECRET_TOKEN:
        raise IntegrationServiceError(
            {"app_secret_token": _("Roger has no e-conomic app configured here: paste your app's secret token.")}
        )
    integration.set_credentials(credentials)
    integration.settings["journal_number"] = int(journal_number)
    integration.connection = Integration.Connection.CONNECTED
    integration.connection_message = ""
    integration.full_clean(exclude=["credentials_encrypted"])
    integration.save()
    jobs.resume_integration(integration.pk)
    return integration


# --- checks and catalogues ----------------------------------------------------------------------------------------


def _connector(integration: Integration):
    """The configured connector (built by the engine, which owns tokens and rate limits)."""
    from integrations.sync.connectors import build_connector

    return build_connector(integration)


@dataclass(frozen=True)
class ConnectionCheck:
    ok: bool
    message: str


def integration_test_connection(*, integration: Integration) -> ConnectionCheck:
    """Ask the ERP who we are; a refused grant marks the integration *needs reconnect*."""
    try:
        info = _connector(integration).check_connection()
    except ConnectorError as exc:
        check = ConnectionCheck(False, _erp_message(exc))
        if exc.error.category == "authentication":
            # As when a worker meets the refusal: the card explains it and queued syncs wait (paused).
            auth.mark_needs_reconnect(integration.pk, exc.error.message)
            integration.refresh_from_db(fields=["connection", "connection_message"])
        return check
    except ImportError:
        return ConnectionCheck(False, N_("The sync engine is not installed yet, so the connection cannot be tested."))
    if info.ok:
        message = (
            N_("Connected to {organisation}.").format(organisation=info.organisation)
            if info.organisation
            else N_("Connected.")
        )
        _set_connection(integration, Integration.Connection.CONNECTED, message)
        return ConnectionCheck(True, message)
    return ConnectionCheck(False, info.message or N_("The ERP refused the connection."))


def _set_connection(integration: Integration, state: str, message: str) -> None:
    Integration.objects.filter(pk=integration.pk).update(connection=state, connection_message=message[:500])
    integration.connection, integration.connection_message = state, message[:500]


@dataclass(frozen=True)
class Catalogues:
    accounts: list[CatalogItem]
    tax_rates: list[CatalogItem]
    tracking: list[CatalogItem]
    bank_accounts: list[CatalogItem]


def _catalogue_key(integration: Integration) -> str:
    return f"roger:catalogues:{integration.pk}"


def integration_catalogues(*, integration: Integration, refresh: bool = False) -> Catalogues:
    """The ERP's accounts, tax types, tracking options and bank accounts (cached briefly: the ERP is slow)."""
    if not refresh:
        cached = cache.get(_catalogue_key(integration))
        if cached is not None:
            return cached
    try:
        connector = _connector(integration)
        catalogues = Catalogues(
            accounts=[i for i in connector.accounts() if i.active],
            tax_rates=[i for i in connector.tax_rates() if i.active],
            tracking=[i for i in connector.tracking_options() if i.active],
            bank_accounts=[i for i in connector.bank_accounts() if i.active],
        )
    except ConnectorError as exc:
        raise IntegrationServiceError(
            _("Could not load the lists from %(name)s: %(reason)s")
            % {"name": integration.name, "reason": _erp_message(exc)}
        ) from None
    except ImportError:
        raise IntegrationServiceError(
            _("The sync engine is not installed yet, so the ERP's lists cannot be read.")
        ) from None
    cache.set(_catalogue_key(integration), catalogues, CATALOGUE_TTL)
    return catalogues


@transaction.atomic
def integration_save_mappings(
    *,
    integration: Integration,
    accounts: Mapping[int, str],
    tax_types: Mapping[int, str],
    tracking: Mapping[int, str],
    bank_account: str,
) -> Integration:
    """Replace the mappings; ids must be the company's own (tenancy), empty choices are dropped."""
    company_id = integration.company_id
    _check_ids(Category, company_id, accounts, "accounts")
    _check_ids(VatCode, company_id, tax_types, "tax_types")
    _check_ids(Department, company_id, tracking, "tracking")
    integration = Integration.objects.select_for_update().get(pk=integration.pk)
    integration.mappings = {
        "accounts": {str(k): v for k, v in accounts.items() if v},
        "tax_types": {str(k): v for k, v in tax_types.items() if v},
        "tracking": {str(k): v for k, v in tracking.items() if v},
        "bank_account": bank_account or "",
    }
    integration.save(update_fields=["mappings"])
    return integration


def _check_ids(model, company_id: int, values: Mapping[int, str], field: str) -> None:
    ids = {int(k) for k in values}
    if ids and model.objects.filter(company_id=company_id, pk__in=ids).count() != len(ids):
        raise IntegrationServiceError({field: _("Unknown ids in the mapping.")})


def integration_set_options(
    *, integration: Integration, enabled: bool, auto_sync: bool, push_drafts: bool, book_after_sync: bool
) -> Integration:
    integration.enabled = enabled
    integration.auto_sync = auto_sync
    integration.push_drafts = push_drafts
    integration.book_after_sync = book_after_sync
    integration.save(update_fields=["enabled", "auto_sync", "push_drafts", "book_after_sync"])
    return integration


def token_expires_at(integration: Integration) -> datetime | None:
    value = integration.settings.get("token_expires_at")
    return datetime.fromisoformat(value) if value else None
