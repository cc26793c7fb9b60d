"""Entry points for the UI and the CLI: queue a manual re-sync of one entry (R7–R8) or a bulk re-sync (R9–R10).

Nothing here talks to an ERP: a request validates, records the intent as ``SyncJob`` rows (and a
``BulkResync`` with its items) in one transaction, and wakes the workers after commit.  Bad input is refused
with a clear message and queues nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count, Min, Q
from django.utils.translation import gettext as _

from documents.models import Document
from integrations import jobs
from integrations.connectors import get_connector_class
from integrations.models import BulkResync, BulkResyncItem, EntryKind, Integration, SyncJob
from integrations.sync.engine import bulk as engine_bulk
from roger.models import Membership


class ResyncRefused(ValidationError):
    """A re-sync request that cannot be queued; the message says why."""


def _check_may_resync(membership: Membership) -> None:
    if not membership.can_edit:
        raise PermissionDenied(_("Viewers cannot re-sync documents."))


def resync_integrations(membership: Membership, integration_id: int | None = None) -> list[Integration]:
    """The enabled, connected-at-some-point integrations of the member's company (one, when an id is given)."""
    qs = Integration.objects.filter(company=membership.company, enabled=True).exclude(
        connection=Integration.Connection.NOT_CONNECTED
    )
    if integration_id is not None:
        qs = qs.filter(pk=integration_id)
    integrations = list(qs)
    if integration_id is not None and not integrations:
        raise ResyncRefused({"integration": _("No such enabled integration in your company.")})
    if not integrations:
        raise ResyncRefused({"integration": _("Connect and enable an integration first (Integrations settings).")})
    return integrations


@transaction.atomic
def request_resync(*, membership: Membership, document: Document, integration: Integration, kind: str) -> SyncJob:
    """Queue a manual re-sync of one entry of one document (R7–R8)."""
    _check_may_resync(membership)
    if document.company_id != membership.company_id or integration.company_id != membership.company_id:
        raise PermissionDenied(_("Not your company's document or integration."))
    if kind not in EntryKind.values:
        raise ResyncRefused({"kind": _("Choose the vendor bill or the vendor payment.")})
    if not integration.enabled or integration.connection == Integration.Connection.NOT_CONNECTED:
        raise ResyncRefused(
            {"integration": _("%(name)s is not connected or is disabled.") % {"name": integration.name}}
        )
    if not (document.is_synced_state or integration.push_drafts):
        raise ResyncRefused({"kind": _("Only approved documents are synced; approve it first.")})
    # A credit note correcting a bill has a payment entry before any refund — its allocation — where the ERP allocates.
    allocating = document.is_credit_note and document.credits_id is not None
    allocating = allocating and bool(get_connector_class(integration.kind).supports_allocation)
    if kind == EntryKind.PAYMENT and not (document.is_paid or allocating):
        raise ResyncRefused({"kind": _("The vendor payment can only be synced once the document is paid.")})
    jobs.stage(
        document_ids=[document.pk],
        integration_ids=[integration.pk],
        trigger=SyncJob.Trigger.MANUAL,
        event=f"resync_{kind}",
        requested_by_id=membership.user_id,
        want_bill=kind == EntryKind.BILL,
        want_payment=kind == EntryKind.PAYMENT,
    )
    return SyncJob.objects.get(document=document, integration=integration, state__in=SyncJob.OPEN_STATES)


def parse_document_ids(raw: Iterable[object]) -> list[int]:
    """Ids from a form or the CLI; anything non-numeric is refused (never silently dropped)."""
    ids: list[int] = []
    bad: list[str] = []
    for value in raw:
        text = str(value).strip()
        if text.isdigit() and int(text) > 0:
            ids.append(int(text))
        elif text:
            bad.append(text)
    if bad:
        raise ResyncRefused({"documents": _("Not document ids: %(ids)s.") % {"ids": ", ".join(bad[:5])}})
    return list(dict.fromkeys(ids))


@transaction.atomic
def request_bulk_resync(
    *, membership: Membership, document_ids: Iterable[object], integration_id: int | None = None
) -> BulkResync:
    """Queue a re-sync of many documents (R9–R10): every existing entry updated, missing ones created.

    Constant work in the database whatever the selection: one query checks the ids, one inserts the items, one
    upserts the jobs.
    """
    _check_may_resync(membership)
    ids = parse_document_ids(document_ids)
    if not ids:
        raise ResyncRefused({"documents": _("Select at least one document.")})
    limit = settings.ROGER_SYNC["BULK_MAX_DOCUMENTS"]
    if len(ids) > limit:
        raise ResyncRefused(
            {
                "documents": _("Select at most %(limit)s documents per re-sync (you selected %(count)s).")
                % {"limit": limit, "count": len(ids)}
            }
        )
    integrations = resync_integrations(membership, integration_id)
    found = _company_status_counts(ids)
    foreign = sum(n for (company_id, _), n in found.items() if company_id != membership.company_id)
    missing = len(ids) - sum(found.values())
    if foreign or missing:
        raise ResyncRefused(
            {
                "documents": _("Selected documents that do not exist in your company: %(count)s.")
                % {"count": foreign + missing}
            }
        )
    # Drafts and documents awaiting approval among the selection do not refuse the batch (issue #14): they are
    # left out for the integrations that sync from approval on (R3), and the summary says so.
    not_synced = sum(n for (_, status), n in found.items() if status not in SYNCED_STATUSES)
    drafts = set(_not_approved(ids)) if not_synced else set()
    approved = [i for i in ids if i not in drafts]
    groups = [
        (approved, [i.pk for i in integrations if not i.push_drafts]),
        (ids, [i.pk for i in integrations if i.push_drafts]),  # "push drafts on upload" (R3): drafts too
    ]
    groups = [(docs, integration_ids) for docs, integration_ids in groups if docs and integration_ids]
    if not groups:
        raise ResyncRefused(
            {"documents": _("None of the selected documents is approved yet; only approved documents sync.")}
        )
    bulk = BulkResync.objects.create(
        company=membership.company,
        requested_by=membership.user,
        integration=integrations[0] if integration_id else None,
        total=sum(len(docs) * len(integration_ids) for docs, integration_ids in groups),
        skipped={"not_approved": len(drafts)} if drafts and any(not i.push_drafts for i in integrations) else {},
    )
    for docs, integration_ids in groups:
        _insert_items(bulk, docs, integration_ids)
    engine_bulk.wait_for_reconnect(bulk, [i.pk for i in integrations])
    for docs, integration_ids in groups:
        jobs.stage(
            document_ids=docs,
            integration_ids=integration_ids,
            trigger=SyncJob.Trigger.BULK,
            event="bulk_resync",
            requested_by_id=membership.user_id,
            bulk_id=bulk.pk,
        )
    return bulk


SYNCED_STATUSES = (Document.Status.APPROVED, Document.Status.PAID)


def _not_approved(ids: list[int]) -> list[int]:
    """The documents among ``ids`` that are not approved yet: one query, asked only when there are some."""
    return list(Document.objects.filter(pk__in=ids).exclude(status__in=SYNCED_STATUSES).values_list("pk", flat=True))


def _company_status_counts(ids: list[int]) -> Counter:
    """(company, status) → documents among the ids: aggregated in the database, one query at any size."""
    rows = Document.objects.filter(pk__in=ids).values("company_id", "status").annotate(n=Count("id"))
    return Counter({(row["company_id"], row["status"]): row["n"] for row in rows})


def _insert_items(bulk: BulkResync, document_ids: list[int], integration_ids: list[int]) -> None:
    table = BulkResyncItem._meta.db_table
    sql = f"""
        INSERT INTO {table} (bulk_id, document_id, integration_id, state, outcome, message, attachment)
        SELECT %s, d.id, i.id, 'queued', '', '', ''
        FROM documents_document d JOIN integrations_integration i ON i.company_id = d.company_id
        WHERE {jobs._id_list_sql()} AND i.id IN ({", ".join(["%s"] * len(integration_ids))})
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [bulk.pk, jobs._id_param(document_ids), *integration_ids])


@dataclass(frozen=True)
class BulkProgress:
    """How far a bulk re-sync is, counted over its items (document × integration).

    ``done`` counts every item with an outcome, *waiting* included: an item waiting for a retry, a rate limit, an
    unknown outcome to settle or a reconnect has been tried and says when it runs next (``next_retry_at``), so the
    bulk finishes when nothing is queued any more; the item takes its final outcome when its job runs again.
    """

    total: int
    done: int
    outcomes: dict[str, int]  # created / updated / unchanged / blocked / failed / waiting → items
    next_retry_at: datetime | None = None
    files: dict[str, int] = field(default_factory=dict)  # attached / unchanged / refused / blocked → items (R17)

    @property
    def finished(self) -> bool:
        return self.done >= self.total

    @property
    def failed(self) -> int:
        return self.outcomes.get("failed", 0)

    @property
    def waiting(self) -> int:
        return self.outcomes.get("waiting", 0)

    @property
    def queued(self) -> int:
        return self.total - self.done


def bulk_progress(bulk: BulkResync) -> BulkProgress:
    """One query, whatever the size of the batch.  Items, not the total asked for, are counted: an item goes with
    its document or integration when either is deleted, and the bulk still finishes."""
    rows = (
        BulkResyncItem.objects.filter(bulk=bulk)
        .values("state", "outcome", "attachment")
        .annotate(n=Count("id"), next_retry=Min("retry_at"))
    )
    return _progress(rows)


def _progress(rows) -> BulkProgress:
    """Items grouped by (state, outcome) with their count and earliest retry → progress."""
    counts: dict[str, int] = {}
    files: dict[str, int] = {}
    total = 0
    next_retry = None
    for row in rows:
        total += row["n"]
        if row["state"] == BulkResyncItem.State.QUEUED:
            continue
        counts[row["outcome"]] = counts.get(row["outcome"], 0) + row["n"]
        if row.get("attachment"):
            files[row["attachment"]] = files.get(row["attachment"], 0) + row["n"]
        if row["next_retry"] is not None and (next_retry is None or row["next_retry"] < next_retry):
            next_retry = row["next_retry"]
    return BulkProgress(total=total, done=sum(counts.values()), outcomes=counts, next_retry_at=next_retry, files=files)


# --- what a person reads: documents, with each ERP's detail beside them (issue #14) -------------------------------

# Item outcomes in the words of a summary: created, updated and unchanged entries are all "synced".
SUMMARY_OUTCOMES = {"created": "synced", "updated": "synced", "unchanged": "synced", "blocked": "blocked"}


@dataclass(frozen=True)
class IntegrationProgress:
    integration_id: int
    name: str
    counts: dict[str, int]  # synced / blocked / failed / waiting / queued → documents of this integration


@dataclass(frozen=True)
class BulkSummary:
    """A bulk re-sync counted in documents (a document is done when none of its integrations is still queued),
    with the per-integration detail: "5 documents: Xero 4 synced, 1 blocked; e-conomic 5 synced"."""

    progress: BulkProgress  # the items (document × integration), as the engine counts them
    documents: int
    documents_done: int
    integrations: list[IntegrationProgress]
    skipped: dict[str, int]

    @property
    def finished(self) -> bool:
        return self.progress.finished

    def count(self, outcome: str) -> int:
        """Documents with ``outcome`` in at least one integration."""
        return max((i.counts.get(outcome, 0) for i in self.integrations), default=0)


def bulk_summary(bulk: BulkResync) -> BulkSummary:
    """``bulk_progress`` in documents, with each integration's outcomes: two queries, whatever the batch's size."""
    rows = list(
        BulkResyncItem.objects.filter(bulk=bulk)
        .values("integration_id", "integration__name", "state", "outcome", "attachment")
        .annotate(n=Count("id"), next_retry=Min("retry_at"))
        .order_by("integration__name", "integration_id")
    )
    per_integration: dict[int, IntegrationProgress] = {}
    states: dict[tuple[str, str], dict] = {}
    for row in rows:
        entry = per_integration.setdefault(
            row["integration_id"], IntegrationProgress(row["integration_id"], row["integration__name"], {})
        )
        queued = row["state"] == BulkResyncItem.State.QUEUED
        word = "queued" if queued else SUMMARY_OUTCOMES.get(row["outcome"], row["outcome"] or "failed")
        entry.counts[word] = entry.counts.get(word, 0) + row["n"]
        merged = states.setdefault(
            (row["state"], row["outcome"], row["attachment"]), {**row, "n": 0, "next_retry": None}
        )
        merged["n"] += row["n"]
        if row["next_retry"] and (merged["next_retry"] is None or row["next_retry"] < merged["next_retry"]):
            merged["next_retry"] = row["next_retry"]
    documents = (
        BulkResyncItem.objects.filter(bulk=bulk)
        .values("document_id")
        .annotate(open=Count("id", filter=Q(state=BulkResyncItem.State.QUEUED)))
        .aggregate(total=Count("document_id"), done=Count("document_id", filter=Q(open=0)))
    )
    return BulkSummary(
        progress=_progress(list(states.values())),
        documents=documents["total"] or 0,
        documents_done=documents["done"] or 0,
        integrations=list(per_integration.values()),
        skipped=dict(bulk.skipped or {}),
    )
