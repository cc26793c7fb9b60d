"""OAuth scopes as Xero enforces them: per endpoint, granular for new apps (developer.xero.com/documentation/guides/
oauth2/scopes/ and /faq/granular-scopes).

* ``/Invoices`` and ``/CreditNotes`` need ``accounting.invoices`` (GET also ``.read``; the granular scope covers
  credit notes as it does invoices), ``/Payments`` ``accounting.payments``, any ``…/Attachments`` operation
  ``accounting.attachments`` (Xero's OpenAPI description, every attachments operation; a scope that was never
  broad),
  ``/Contacts`` ``accounting.contacts``, and settings (``/Accounts``, ``/TaxRates``, ``/TrackingCategories``,
  ``/Organisation``, ``/Currencies``) ``accounting.settings`` — or, for apps created before 2 March 2026, the broad
  ``accounting.transactions`` for invoices and payments.
* Apps created on or after 2 March 2026 cannot ask for the broad scopes: the authorize endpoint answers
  ``invalid_scope`` (config ``granular_only``, on by default: Roger's app is such an app).
* A token without the scope is refused with ``Detail: AuthorizationUnsuccessful`` — HTTP 401 in every report we
  found (XeroAPI/Xero-NetStandard#97, #100, #178; XeroAPI/xero-ruby-oauth2-app#82), 403 per the general meaning
  of the code ("User doesn't have permission to access the resource", developer.xero.com/documentation/api/
  http-response-codes).  No source settles which one granular scopes use, so the status is configurable
  (``scope_denied_status``, 401 by default) and the connector must handle both.
"""

from __future__ import annotations

GRANULAR = (
    "offline_access accounting.invoices accounting.payments accounting.contacts accounting.settings "
    "accounting.attachments"
)
BROAD = frozenset({"accounting.transactions", "accounting.transactions.read", "accounting.reports.read"})
_FAMILIES = {
    "invoices": ("accounting.invoices", "accounting.transactions"),
    "creditnotes": ("accounting.invoices", "accounting.transactions"),
    "attachments": ("accounting.attachments",),
    "payments": ("accounting.payments", "accounting.transactions"),
    "contacts": ("accounting.contacts",),
    "accounts": ("accounting.settings",),
    "taxrates": ("accounting.settings",),
    "trackingcategories": ("accounting.settings",),
    "organisation": ("accounting.settings",),
    "currencies": ("accounting.settings",),
}


def allowed(scope: str, resource: str, method: str) -> bool:
    """Whether a token granted ``scope`` may call ``method`` on ``/<resource>``."""
    families = _FAMILIES.get(resource.lower())
    if families is None:
        return True
    granted = set(scope.split())
    return any(f in granted or (method == "GET" and f"{f}.read" in granted) for f in families)


def refused_broad(scope: str) -> list[str]:
    """The broad scopes an app created on or after 2 March 2026 may not request."""
    return sorted(set(scope.split()) & BROAD)
