"""What a batch reads from Roger's database before it talks to the ERP: a constant number of queries per batch."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import DecimalField, OuterRef, Prefetch, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from documents.models import Document, Payment
from integrations.connectors.base import Connector
from integrations.models import ErpEntry, Integration, SyncAttempt
from integrations.sync.engine.leases import GuardedThrottle, LeaseGuard


def load_documents(ids: list[int]) -> dict[int, Document]:
    qs = Document.objects.filter(pk__in=ids).select_related("vendor", "category", "department", "vat_code", "credits")
    qs = qs.prefetch_related(Prefetch("payments", queryset=Payment.objects.order_by("paid_on", "id")))
    # What the document's approved credit notes settle, in the same query (the mapper needs it per document).
    notes = (
        Document.objects.filter(credits=OuterRef("pk"), status__in=[Document.Status.APPROVED, Document.Status.PAID])
        .values("credits")
        .annotate(total=Sum("total"))
        .values("total")
    )
    money = DecimalField(max_digits=14, decimal_places=2)
    qs = qs.annotate(
        credited_total=Coalesce(-Subquery(notes, output_field=money), Value(Decimal("0")), output_field=money)
    )
    return {d.pk: d for d in qs}


def load_entries(integration: Integration, document_ids: list[int]) -> dict[tuple[int, str], ErpEntry]:
    rows = ErpEntry.objects.filter(integration=integration, document_id__in=document_ids)
    return {(e.document_id, e.kind): e for e in rows}


def history(integration: Integration, document_ids: list[int]) -> set[tuple[int, str]]:
    """(document, kind) pairs that were ever written to this ERP: a missing link there means a *lost* link."""
    rows = (
        SyncAttempt.objects.filter(integration=integration, document_id__in=document_ids)
        .filter(Q(action__in=["create", "update", "adopt"]) | Q(outcome="unknown"))
        .values_list("document_id", "entry_kind")
        .distinct()
    )
    return set(rows)


def build_connector(integration: Integration, guard: LeaseGuard | None = None) -> Connector:
    """The integration's connector; with a guard, every call it makes keeps the batch's lease fresh."""
    from integrations.sync.connectors import build_connector as build
    from integrations.sync.limiter import DbThrottle

    throttle = DbThrottle(integration)
    return build(integration, throttle=GuardedThrottle(throttle, guard) if guard is not None else throttle)
