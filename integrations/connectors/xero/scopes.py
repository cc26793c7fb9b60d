"""The OAuth scopes Roger asks Xero for, and which one an endpoint needs.

Xero apps created on or after 2 March 2026 must request *granular* scopes — the broad
``accounting.transactions`` is refused as an invalid scope — and older apps move to them by September 2027
(developer.xero.com/faq/granular-scopes).  Roger needs (developer.xero.com/documentation/guides/oauth2/scopes/):

* ``accounting.invoices`` — bills (``/Invoices``) and supplier credit notes with their allocations
  (``/CreditNotes``: the granular scope covers credit notes as it covers invoices);
* ``accounting.payments`` — their payments (``/Payments``), refunds of credit notes included;
* ``accounting.attachments`` — the document's file on its bill or credit note (every ``…/Attachments`` operation
  in Xero's OpenAPI description; a scope that was never broad, so both lists carry it);
* ``accounting.contacts`` — finding and creating suppliers (``/Contacts``);
* ``accounting.settings.read`` — the organisation and its lock dates, accounts, tax rates, tracking categories;
* ``offline_access`` — a refresh token.

An app created before 2 March 2026 may still ask for the broad scope (``BROAD_SCOPES``, settings
``XERO_BROAD_SCOPES=True``), or any list (``XERO_SCOPES``).
"""

from __future__ import annotations

from collections.abc import Sequence

GRANULAR_SCOPES: tuple[str, ...] = (
    "offline_access",
    "accounting.invoices",
    "accounting.payments",
    "accounting.contacts",
    "accounting.settings.read",
    "accounting.attachments",
)
BROAD_SCOPES: tuple[str, ...] = (
    "offline_access",
    "accounting.transactions",
    "accounting.contacts",
    "accounting.settings.read",
    "accounting.attachments",
)
DEFAULT_SCOPES = GRANULAR_SCOPES

_FAMILY = {
    "invoices": "accounting.invoices",
    "creditnotes": "accounting.invoices",
    "payments": "accounting.payments",
    "contacts": "accounting.contacts",
}
_BROAD_COVERS = {"accounting.invoices", "accounting.payments"}


def permission_for(path: str, scopes: Sequence[str]) -> str:
    """The scope Roger requests that covers ``path`` (``/Invoices``, ``/Payments/…``), named as the admin approves
    it in Xero's consent screen.  Everything Roger reads besides bills, payments and contacts is a setting."""
    parts = path.strip("/").split("/")
    if len(parts) > 2 and parts[2].lower() == "attachments":
        return "accounting.attachments"
    resource = parts[0].lower()
    family = _FAMILY.get(resource)
    if family is None:
        return "accounting.settings.read"
    if family in _BROAD_COVERS and "accounting.transactions" in scopes:
        return "accounting.transactions"
    return family
