"""Builds a configured connector for an ``Integration``: credentials, token source and shared rate limiter.

This is the one place that knows both Django (settings, the Integration row) and the framework-free connectors.
"""

from __future__ import annotations

from django.conf import settings

from integrations.connectors import get_connector_class
from integrations.connectors.base import N_, Connector, ConnectorError, ErpError, ErrorCategory, Throttle
from integrations.models import Integration
from integrations.sync.auth import DbTokenSource, xero_scopes
from integrations.sync.limiter import DbThrottle


def _setup_error(message: str, hint: str) -> ConnectorError:
    return ConnectorError(ErpError(ErrorCategory.SETUP, message, hint=hint))


def build_connector(integration: Integration, *, throttle: Throttle | None = None) -> Connector:
    throttle = throttle if throttle is not None else DbThrottle(integration)
    cls = get_connector_class(integration.kind)
    if integration.kind == Integration.Kind.XERO:
        tenant_id = integration.settings.get("tenant_id")
        if not tenant_id:
            raise _setup_error(N_("No Xero organisation is connected."), N_("Connect Xero in Integrations settings."))
        return cls(
            api_url=settings.XERO_API_URL,
            tenant_id=tenant_id,
            tokens=DbTokenSource(integration),
            throttle=throttle,
            go_url=settings.XERO_GO_URL,
            timeout=settings.ROGER_ERP_TIMEOUT,
            scopes=xero_scopes(),
            name=integration.name,
        )
    if integration.kind == Integration.Kind.ECONOMIC:
        credentials = integration.get_credentials()
        grant = credentials.get("agreement_grant_token")
        app_secret = credentials.get("app_secret_token") or settings.ECONOMIC_APP_SECRET_TOKEN
        journal = integration.settings.get("journal_number")
        if not grant or not app_secret:
            raise _setup_error(
                N_("e-conomic tokens are missing."), N_("Enter the agreement grant token in Integrations settings.")
            )
        if not journal:
            raise _setup_error(
                N_("No e-conomic journal is chosen."), N_("Choose the journal Roger books into in settings.")
            )
        return cls(
            api_url=settings.ECONOMIC_API_URL,
            apis_url=settings.ECONOMIC_APIS_URL,
            app_secret_token=app_secret,
            agreement_grant_token=grant,
            journal_number=int(journal),
            throttle=throttle,
            app_url=settings.ECONOMIC_APP_URL,
            timeout=settings.ROGER_ERP_TIMEOUT,
            name=integration.name,
        )
    raise _setup_error(f"Unsupported integration kind {integration.kind!r}.", "")
