"""Company-scoped reads of the integration state for views (DESIGN §4).  Nothing here writes.

Everything that works on a page of documents does so in a constant number of queries, whatever the page size or
the amount of history, so the document list and the Integrations tab stay fast (DESIGN §10).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache

from django.db.models import Case, CharField, Count, Exists, F, Max, Min, OuterRef, Q, QuerySet, Value, When
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from documents.models import Document
from integrations import stored_text
from integrations.connectors import CONNECTOR_KINDS, get_connector_class
from integrations.models import BulkResync, ErpEntry, ErrorCategory, Integration, SyncAttempt, SyncJob
from roger.models import Company

LOG_PAGE_SIZE = 50
_FILE_HINT = gettext_lazy("Replace the file on the document with a PDF, PNG or JPEG the ERP takes, then re-sync.")

# Badge states, in the order a filter offers them.
SYNC_STATES = [
    ("synced", gettext_lazy("Synced")),
    ("queued", gettext_lazy("Queued")),
    ("failed", gettext_lazy("Failed")),
    ("blocked", gettext_lazy("Blocked")),
    ("not_synced", gettext_lazy("Not synced")),
    ("attention", gettext_lazy("Requires attention")),
]
_BAD_STATES = (ErpEntry.State.FAILED, ErpEntry.State.UNCERTAIN)


def company_integrations(*, company: Company) -> list[Integration]:
    return list(Integration.objects.filter(company=company).order_by("kind", "name"))


# --- badges ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Badge:
    integration_id: int
    integration: str
    state: str  # synced / queued / failed / blocked / not_synced
    label: str
    detail: str  # the tooltip: what happened, in words


def _when(value) -> str:
    return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT") if value else ""


def _badge(document: Document, integration: Integration, entries: dict[str, ErpEntry], job: dict | None) -> Badge:
    def make(state: str, label: str, detail: str) -> Badge:
        return Badge(integration.pk, integration.name, state, label, f"{integration.name}: {detail}")

    if job is not None:
        if job["state"] == SyncJob.State.PAUSED:
            return make("queued", _("Paused"), _("waiting for the integration to be reconnected"))
        if any(e.state == ErpEntry.State.UNCERTAIN for e in entries.values()):
            # A write whose outcome is unknown is being waited out, not a failure (issue #11).
            return make(
                "queued",
                _("Pending"),
                _(
                    "the outcome of the last write is unknown; Roger checks the ERP again at %(time)s before writing anything"
                )
                % {"time": _when(job["next_attempt_at"])},
            )
        if job["attempts"]:
            return make(
                "queued",
                _("Retrying"),
                _("temporary error, will retry at %(time)s") % {"time": _when(job["next_attempt_at"])},
            )
        return make("queued", _("Queued"), _("a sync is queued or running"))
    failed = [e for e in entries.values() if e.state in _BAD_STATES or (e.needs_attention and not e.booked)]
    if failed:
        entry = failed[0]
        text = stored_text.translate(entry.error_message) or _("the last sync failed")
        hint = stored_text.translate(entry.error_hint)
        return make("failed", _("Failed"), f"{entry.get_kind_display()}: {text}" + (f" — {hint}" if hint else ""))
    blocked = [e for e in entries.values() if e.state == ErpEntry.State.BLOCKED]
    if blocked:
        entry = blocked[0]
        return make(
            "blocked",
            _("Blocked"),
            _("%(entry)s is booked in the ERP: %(reason)s")
            % {
                "entry": entry.get_kind_display(),
                "reason": stored_text.translate(entry.booked_reason or entry.error_message),
            },
        )
    wanted = ["bill", "payment"] if document.is_paid else ["bill"]
    if all(k in entries and entries[k].state == ErpEntry.State.SYNCED for k in wanted):
        numbers = ", ".join(
            f"{entries[k].get_kind_display()} {entries[k].erp_number or entries[k].erp_id}" for k in wanted
        )
        when = _when(max(entries[k].last_synced_at or timezone.now() for k in wanted))
        return make("synced", _("Synced"), _("%(numbers)s; last synced %(when)s") % {"numbers": numbers, "when": when})
    if not document.is_synced_state:
        return make("not_synced", _("Not synced"), _("documents are synced from approval on"))
    return make("not_synced", _("Not synced"), _("not in the ERP yet"))


def badges_for(*, company: Company, documents: Sequence[Document]) -> None:
    """Sets ``document.sync_badges`` (one per integration) on a page of documents in three queries."""
    integrations = company_integrations(company=company)
    ids = [d.pk for d in documents]
    if not ids or not integrations:
        for document in documents:
            document.sync_badges = []
        return
    entries: dict[tuple[int, int], dict[str, ErpEntry]] = defaultdict(dict)
    for entry in ErpEntry.objects.filter(document_id__in=ids, integration__company=company):
        entries[(entry.document_id, entry.integration_id)][entry.kind] = entry
    jobs = {
        (row["document_id"], row["integration_id"]): row
        for row in SyncJob.objects.filter(document_id__in=ids, state__in=SyncJob.OPEN_STATES).values(
            "document_id", "integration_id", "state", "attempts", "next_attempt_at"
        )
    }
    for document in documents:
        document.sync_badges = [
            _badge(document, i, entries.get((document.pk, i.pk), {}), jobs.get((document.pk, i.pk)))
            for i in integrations
            if i.enabled or (document.pk, i.pk) in entries
        ]


def filter_by_sync_state(qs: QuerySet, company: Company, state: str) -> QuerySet:
    """The list's "integration sync state" filter: any integration of the document in that state."""
    entry = ErpEntry.objects.filter(document=OuterRef("pk"))
    open_job = SyncJob.objects.filter(document=OuterRef("pk"), state__in=SyncJob.OPEN_STATES)
    if state == "queued":
        return qs.filter(Exists(open_job))
    if state == "failed":
        bad = Q(state=ErpEntry.State.FAILED) | Q(needs_attention=True, booked=False)
        # An unknown outcome with its job still open is pending (being waited out), not failed.
        return qs.filter(
            Exists(entry.filter(bad)) | (Exists(entry.filter(state=ErpEntry.State.UNCERTAIN)) & ~Exists(open_job))
        )
    if state == "blocked":
        return qs.filter(Exists(entry.filter(state=ErpEntry.State.BLOCKED)))
    if state == "attention":
        return attention_filter(qs, company)
    if state == "synced":
        not_synced = entry.exclude(state=ErpEntry.State.SYNCED)
        return qs.filter(Exists(entry.filter(state=ErpEntry.State.SYNCED)), ~Exists(not_synced), ~Exists(open_job))
    if state == "not_synced":
        return qs.filter(~Exists(entry.exclude(state=ErpEntry.State.NOT_SYNCED)), ~Exists(open_job))
    return qs


# --- Requires attention (R11) ----------------------------------------------------------------------------------


def attention_filter(qs: QuerySet, company: Company) -> QuerySet:
    return qs.filter(Exists(ErpEntry.objects.filter(document=OuterRef("pk"), needs_attention=True)))


def attention_count(company: Company) -> int:
    return attention_filter(Document.objects.filter(company=company), company).count()


@dataclass(frozen=True)
class AttentionGroup:
    integration_id: int
    integration: str
    category: str
    message: str
    hint: str
    documents: int
    first_document_id: int
    fix_url: str = ""
    fix_label: str = ""
    category_label: str = field(default="")


def _fix(category: str, integration_id: int, first_document_id: int, documents: int) -> tuple[str, str]:
    settings_url = reverse("integrations:settings")
    if category == ErrorCategory.SETUP:
        return f"{settings_url}#mappings-{integration_id}", _("Fix the mapping")
    if category == ErrorCategory.AUTHENTICATION:
        return f"{settings_url}#integration-{integration_id}", _("Reconnect the integration")
    url = reverse("integrations:document_tab", args=[first_document_id]) + f"?integration={integration_id}"
    return url, _("Open the document") if documents == 1 else _("Open the first document")


def _cause() -> Case:
    """What needs attention on an entry: its error, or — for a bill in step with the ERP whose file the ERP refused
    (issue #15) — why its file is missing.  An error that only names the entry ("Booked in e-conomic (voucher 30)")
    is its connector's cause ("Booked in e-conomic"), so such entries are one group, not one each."""
    return Case(
        When(error_message="", then=F("attachment_note")),
        *_entry_detail_causes(),
        default=F("error_message"),
        output_field=CharField(),
    )


@cache
def _entry_detail_causes() -> tuple[When, ...]:
    whens = []
    for kind in CONNECTOR_KINDS:
        for template, cause in get_connector_class(kind).attention_causes.items():
            pattern = _stored_pattern(template)
            whens.append(When(integration__kind=kind, error_message__regex=pattern, then=Value(cause)))
    return tuple(whens)


def _stored_pattern(template: str) -> str:
    """The stored messages made from ``template``, as a regular expression for the database (any placeholder
    value; every other character literal)."""
    parts = stored_text.PLACEHOLDER.split(template)
    literal = [re.sub(r"([^\w\s])", r"\\\1", part) for part in parts[::2]]
    return "^" + ".+".join(literal) + "$"


def attention_groups(company: Company) -> list[AttentionGroup]:
    """Requires attention grouped by cause (integration, error category, message): one aggregate query."""
    rows = (
        ErpEntry.objects.filter(integration__company=company, needs_attention=True)
        .annotate(cause=_cause())
        .values("integration_id", "integration__name", "error_category", "cause")
        .annotate(documents=Count("document_id", distinct=True), first=Min("document_id"), hint=Max("error_hint"))
        .order_by("-documents", "integration__name", "cause")
    )
    labels = dict(ErrorCategory.choices)
    groups = []
    for row in rows:
        url, label = _fix(row["error_category"], row["integration_id"], row["first"], row["documents"])
        file_refused = not row["error_category"] and bool(row["cause"])
        groups.append(
            AttentionGroup(
                integration_id=row["integration_id"],
                integration=row["integration__name"],
                category=row["error_category"],
                message=row["cause"] or "",  # empty: shown as "The last sync failed."
                hint=row["hint"] or (_FILE_HINT if file_refused else ""),
                documents=row["documents"],
                first_document_id=row["first"],
                fix_url=url,
                fix_label=label,
                category_label=str(
                    _("File refused") if file_refused else labels.get(row["error_category"], _("Error"))
                ),
            )
        )
    return groups


def attention_group_document_ids(*, company: Company, integration_id: int, category: str, message: str) -> list[int]:
    """The documents of one Requires attention group, for "Re-sync these"."""
    qs = ErpEntry.objects.filter(
        integration__company=company, integration_id=integration_id, needs_attention=True, error_category=category
    )
    qs = qs.annotate(cause=_cause()).filter(cause=message)
    return sorted(set(qs.values_list("document_id", flat=True)))


def attention_header_context(company: Company) -> dict:
    return {"attention_groups": attention_groups(company)}


# --- one document × integration (R6) ---------------------------------------------------------------------------


def document_entries(*, document: Document, integration: Integration) -> dict[str, ErpEntry]:
    return {e.kind: e for e in ErpEntry.objects.filter(document=document, integration=integration)}


def document_open_job(*, document: Document, integration: Integration) -> SyncJob | None:
    return SyncJob.objects.filter(document=document, integration=integration, state__in=SyncJob.OPEN_STATES).first()


def document_log(
    *, document: Document, integration: Integration, before_id: int | None = None, limit: int = LOG_PAGE_SIZE
) -> tuple[list[SyncAttempt], bool]:
    """The log newest first, a page at a time (keyset by id, so page N costs what page 1 costs)."""
    qs = SyncAttempt.objects.filter(document=document, integration=integration).select_related("triggered_by")
    if before_id:
        qs = qs.filter(id__lt=before_id)
    records = list(qs.order_by("-id")[: limit + 1])
    return records[:limit], len(records) > limit


def bulk_documents(*, bulk: BulkResync, document_ids: Sequence[int]) -> list[int]:
    """Which of the given documents (a page of the list) belong to the bulk re-sync."""
    return list(bulk.items.filter(document_id__in=document_ids).values_list("document_id", flat=True).distinct())


def foreign_document_ids(*, company: Company, raw_ids: Sequence[object]) -> bool:
    """Whether any of the (numeric) ids is another company's document: one query whatever the selection."""
    ids = [int(str(v)) for v in raw_ids if str(v).strip().isdigit()]
    return bool(ids) and Document.objects.filter(pk__in=ids).exclude(company=company).exists()
