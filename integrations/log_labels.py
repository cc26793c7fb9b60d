"""The integration log in words people use (R14): what each record did, which fields changed (labels, not field
codes), which event caused it, and mapped values by name (an account code with the categories booked to it).

The engine stores codes (``due_date``, ``payment_registered``, action ``blocked`` with outcome ``blocked``); this
module turns them into one phrase per record in the viewer's language, so a record never reads "Blocked ·
Blocked" or "Not attempted · Failed".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation

from django.utils import formats
from django.utils.dateparse import parse_date
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from documents.models import Category, Department, VatCode
from integrations.models import Integration, SyncAttempt
from roger.amounts import format_amount

# The keys of the data the connectors compare and send (BillData/PaymentData.comparable) and the document fields
# a validation error names.
FIELD_LABELS = {
    "vendor": _("Vendor"),
    "invoice_number": _("Invoice number"),
    "issue_date": _("Issue date"),
    "due_date": _("Due date"),
    "currency": _("Currency"),
    "total": _("Total"),
    "vat": _("VAT"),
    "vat_code": _("VAT code"),
    "account": _("Account"),
    "category": _("Category"),
    "tax_type": _("Tax type"),
    "tracking": _("Department (tracking)"),
    "department": _("Department"),
    "description": _("Description"),
    "bank_account": _("Bank account"),
    "payment_date": _("Payment date"),
    "amount": _("Amount"),
    "marker": _("Roger's marker"),
    "reference": _("Reference"),
}

EVENT_LABELS = {
    "created": _("Document created"),
    "submitted": _("Submitted for approval"),
    "approved": _("Approved"),
    "updated": _("Document edited"),
    "paid": _("Document paid"),
    "payment_registered": _("Payment registered"),
    "resync_bill": _("Re-sync of the vendor bill"),
    "resync_payment": _("Re-sync of the vendor payment"),
    "bulk_resync": _("Bulk re-sync"),
    "connected": _("Integration connected"),
    "file_added": _("File uploaded"),
    "file_replaced": _("File replaced in Roger"),
    "credited_bill_synced": _("The bill it corrects reached the ERP"),
}

# One phrase per (action, outcome); the entry (vendor bill / payment) is shown beside it.
_SUCCESS = {
    "create": _("Created"),
    "update": _("Updated"),
    "no_change": _("Already up to date"),
    "adopt": _("Found and linked (no duplicate)"),
    "book": _("Booked in the ERP"),
    "attach": _("File attached"),
}
_FAILED = {
    "create": _("Creating it failed"),
    "update": _("Updating it failed"),
    "adopt": _("Linking it failed"),
    "book": _("Booking it failed"),
    "attach": _("Attaching the file failed"),
    "no_change": _("Checking it failed"),
    "none": pgettext_lazy("log record", "Failed before anything was sent"),
    "blocked": _("Blocked: booked in the ERP"),
}
_RETRYING = {
    "create": _("Creating it failed; Roger retries"),
    "update": _("Updating it failed; Roger retries"),
    "book": _("Booking it failed; Roger retries"),
    "attach": _("Attaching the file failed; Roger retries"),
    "none": _("Not sent yet; Roger retries"),
}
_UNKNOWN = {
    "create": _("Sent; the ERP's answer never came"),
    "update": _("Sent; the ERP's answer never came"),
    "book": _("Sent; the ERP's answer never came"),
    "attach": _("Sent; the ERP's answer never came"),
    "none": _("Interrupted; the outcome is unknown"),
}
# Actions after which something went to the ERP: only their records show "Data sent".
WRITES = frozenset({"create", "update", "book", "attach"})


def record_title(record: SyncAttempt) -> str:
    action, outcome = record.action, record.outcome
    if action == SyncAttempt.Action.ATTACH:
        if outcome == SyncAttempt.Outcome.BLOCKED:
            return str(_("File not attached: the entry is booked"))
        if outcome == SyncAttempt.Outcome.SUCCESS and (record.request_data or {}).get("replaced"):
            return str(_("File replaced"))
    if outcome == SyncAttempt.Outcome.BLOCKED or action == SyncAttempt.Action.BLOCKED:
        return str(_("Blocked: booked in the ERP"))
    table = {
        SyncAttempt.Outcome.SUCCESS: _SUCCESS,
        SyncAttempt.Outcome.FAILED: _FAILED,
        SyncAttempt.Outcome.RETRYING: _RETRYING,
        SyncAttempt.Outcome.UNKNOWN: _UNKNOWN,
    }.get(outcome, {})
    phrase = table.get(action)
    return str(phrase) if phrase else str(record.get_outcome_display())


def sent_something(record: SyncAttempt) -> bool:
    """Whether the record's data reached (or was on its way to) the ERP — not a no change, a block or a failure
    before any call."""
    return bool(record.request_data) and record.action in WRITES and record.outcome != SyncAttempt.Outcome.BLOCKED


def field_label(code: str) -> str:
    label = FIELD_LABELS.get(code)
    return str(label) if label else code.replace("_", " ").capitalize()


def event_label(code: str) -> str:
    label = EVENT_LABELS.get(code)
    return str(label) if label else code.replace("_", " ").capitalize()


def value_names(integration: Integration, changes: Iterable[Mapping]) -> dict[str, dict[str, str]]:
    """What the mapped codes in the page's changes mean in Roger: account 461 → "Office supplies", a tax type →
    its VAT code, a tracking option → its department.  At most three small queries, only when a change shows one.
    """
    wanted = {key for change in changes for key in (change or {}) if key in ("account", "tax_type", "tracking")}
    mappings = integration.mappings or {}
    names: dict[str, dict[str, str]] = {}
    sources = {
        "account": ("accounts", Category.objects.filter(company_id=integration.company_id), str),
        "tax_type": ("tax_types", VatCode.objects.filter(company_id=integration.company_id), str),
        "tracking": ("tracking", Department.objects.filter(company_id=integration.company_id), lambda d: d.name),
    }
    for key in wanted:
        mapping_key, queryset, label = sources[key]
        mapped = mappings.get(mapping_key, {})
        by_code: dict[str, list[str]] = {}
        for obj in queryset.filter(pk__in=[int(k) for k in mapped if str(k).isdigit()]):
            by_code.setdefault(str(mapped[str(obj.pk)]), []).append(label(obj))
        names[key] = {code: ", ".join(sorted(labels)) for code, labels in by_code.items()}
    return names


DATE_KEYS = frozenset({"issue_date", "due_date", "payment_date"})
AMOUNT_KEYS = frozenset({"total", "vat", "amount"})


def display_value(names: dict[str, dict[str, str]], key: str, value: object) -> str:
    """A compared or sent value as the viewer reads it: dates and amounts in their language, codes with names."""
    text = "" if value is None else str(value)
    if not text:
        return ""
    if key in DATE_KEYS:
        day = parse_date(text[:10])
        return formats.date_format(day, "SHORT_DATE_FORMAT") if day else text
    if key in AMOUNT_KEYS:
        try:
            return format_amount(Decimal(text))
        except InvalidOperation:
            return text
    name = names.get(key, {}).get(text)
    return f"{text} · {name}" if name and name not in text else text
