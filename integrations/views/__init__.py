"""Integration pages: the document's Integrations tab and Re-sync modal (R6–R8), bulk re-sync (R9–R10),
Requires attention (R11) and the admins' integration settings.

Views call selectors, services and the engine's request entry points only (never a connector, an HTTP client
or the queue: import-linter).  htmx requests get a partial of the same template, chosen here.
"""

from __future__ import annotations

from integrations.views.bulk import attention_groups, attention_resync, bulk_resync, bulk_status
from integrations.views.document_tab import document_tab, resync_modal, resync_plan, resync_submit
from integrations.views.settings import (
    economic_connect,
    integration_mappings,
    integration_options,
    integration_settings,
    integration_test,
    xero_callback,
    xero_connect,
    xero_tenant,
)

__all__ = [
    "attention_groups",
    "attention_resync",
    "bulk_resync",
    "bulk_status",
    "document_tab",
    "economic_connect",
    "integration_mappings",
    "integration_options",
    "integration_settings",
    "integration_test",
    "resync_modal",
    "resync_plan",
    "resync_submit",
    "xero_callback",
    "xero_connect",
    "xero_tenant",
]
