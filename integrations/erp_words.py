"""The Integrations tab and the Re-sync modal in each ERP's own words (issue #15).

A credit note's two entries are not a "vendor bill" and a "vendor payment": its bill entry is Xero's *credit note*
(``ACCPAYCREDIT``) or an e-conomic *credit entry* (a negative supplier invoice in the journal); its payment entry
is an *allocation* against the bill it corrects, or the *refund* the supplier paid.  Where the ERP cannot allocate
through its API (``Connector.supports_allocation``), the tab says what the accountant does there instead.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from documents.models import Document
from integrations.connectors import get_connector_class
from integrations.models import EntryKind, Integration

# The ERP's product name, as the accountant knows it.
ERP_NAMES = {Integration.Kind.XERO: "Xero", Integration.Kind.ECONOMIC: "e-conomic"}
# The bill entry of a credit note, as each ERP calls it.
CREDIT_NOTE_ENTRY = {
    Integration.Kind.XERO: gettext_lazy("Credit note"),
    Integration.Kind.ECONOMIC: gettext_lazy("Credit entry"),
}


def erp_name(integration: Integration) -> str:
    return ERP_NAMES.get(integration.kind, integration.name)  # type: ignore[call-overload]


def allocates(integration: Integration) -> bool:
    """Whether the ERP allocates a credit note against a bill through its API."""
    try:
        return get_connector_class(integration.kind).supports_allocation
    except LookupError:
        return False


def is_allocation(document: Document) -> bool:
    """A credit note's payment entry is an allocation while it corrects a bill and no refund was paid on it."""
    return document.is_credit_note and bool(document.credits_id) and not document.is_paid


def entry_labels(document: Document, integration: Integration) -> dict[str, str]:
    """{"bill": …, "payment": …} for this document in this ERP."""
    if not document.is_credit_note:
        return {kind.value: str(kind.label) for kind in EntryKind}
    bill = CREDIT_NOTE_ENTRY.get(integration.kind, gettext_lazy("Credit note"))  # type: ignore[call-overload]
    payment = _("Allocation") if is_allocation(document) else _("Refund")
    return {EntryKind.BILL.value: str(bill), EntryKind.PAYMENT.value: payment}


def allocation_note(document: Document, integration: Integration) -> str:
    """What the accountant does in an ERP that cannot allocate: match the credit note with its bill there."""
    if not is_allocation(document) or allocates(integration):
        return ""
    bill = document.credits
    return _("%(erp)s cannot allocate credit notes through its API: match %(note)s with %(bill)s in %(erp)s.") % {
        "erp": erp_name(integration),
        "note": document.invoice_number,
        "bill": bill.invoice_number if bill else "",
    }
