"""Bulk re-sync (R9–R10) and Requires attention's "Re-sync these" (R11): queue, progress, summary.

A selection is ticked documents (kept across the list's pages by the browser) or "every document matching this
filter": then the filter itself is sent and read again here, never thousands of ids.  Progress and summaries
count documents, each ERP's outcome beside them.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import trigger_client_event

from documents.listing import filtered_documents
from documents.models import Document
from documents.selectors import document_tabs
from integrations import selectors
from integrations.models import BulkResync, Integration
from integrations.sync.requests import BulkSummary, ResyncRefused, bulk_summary, request_bulk_resync
from integrations.views.common import refusal
from roger.access import get_for_company, membership_for, require_editor
from roger.http import HtmxHttpRequest
from roger.models import Membership

ROW_LIMIT = 200  # rows of the list on screen whose badges a progress refresh updates
# Per integration, in this order: "Xero 4 synced, 1 blocked".
OUTCOME_PHRASES = {
    "synced": gettext_lazy("%(n)s synced"),
    "blocked": gettext_lazy("%(n)s blocked"),
    "failed": gettext_lazy("%(n)s failed"),
    "waiting": gettext_lazy("%(n)s waiting"),
    "queued": gettext_lazy("%(n)s to go"),
}


def _row_ids(raw: str) -> list[int]:
    return [int(x) for x in raw.split(",") if x.strip().isdigit()][:ROW_LIMIT]


def integration_lines(summary: BulkSummary) -> list[tuple[int, str]]:
    """(integration id, "Xero 4 synced, 1 blocked") per integration of the batch."""
    lines = []
    for progress in summary.integrations:
        phrases = [
            str(text) % {"n": progress.counts[word]}
            for word, text in OUTCOME_PHRASES.items()
            if progress.counts.get(word)
        ]
        lines.append((progress.integration_id, f"{progress.name} {', '.join(phrases)}"))
    return lines


def _bulk_context(request: HtmxHttpRequest, membership: Membership, bulk: BulkResync, *, started: bool) -> dict:
    summary = bulk_summary(bulk)
    data = request.GET if request.method == "GET" else request.POST
    context = {
        "bulk": bulk,
        "summary": summary,
        "progress": summary.progress,
        "integration_lines": integration_lines(summary),
        "started": started,
        "percent": int(100 * summary.documents_done / summary.documents) if summary.documents else 100,
        "row_ids": data.get("row_ids", ""),
        "tab": data.get("tab", "all"),
    }
    # The rows of the list on screen that belong to this batch get fresh badges (out-of-band swaps).
    row_ids = _row_ids(context["row_ids"])
    if row_ids:
        ids = selectors.bulk_documents(bulk=bulk, document_ids=row_ids)
        rows = list(Document.objects.filter(company=membership.company, pk__in=ids))
        selectors.badges_for(company=membership.company, documents=rows)
        context["badge_rows"] = rows
    if summary.finished:
        context["tabs"] = document_tabs(company=membership.company)
    return context


def _selected_ids(request: HtmxHttpRequest, membership: Membership) -> list[object]:
    """The documents to re-sync: every one matching the list's filter, or the ticked ones (of any page)."""
    data = request.POST
    if data.get("select") == "filter":
        # One query, whatever the number: the filter is read again on the server.
        limit = settings.ROGER_SYNC["BULK_MAX_DOCUMENTS"]
        matching = filtered_documents(membership.company, data)
        ids = list(matching.values_list("pk", flat=True)[: limit + 1])
        if len(ids) > limit:
            raise ResyncRefused(
                {
                    "documents": _(
                        "The filter matches %(count)s documents; a bulk re-sync takes at most %(limit)s. "
                        "Narrow the filter, then select all again."
                    )
                    % {"count": matching.count(), "limit": limit}
                }
            )
        return ids
    ids = data.getlist("document_ids")
    ids += [part for part in data.get("selected_ids", "").split(",") if part.strip()]
    return list(dict.fromkeys(str(i).strip() for i in ids))


@require_POST
@login_required
def bulk_resync(request: HtmxHttpRequest) -> HttpResponse:
    membership = membership_for(request)
    require_editor(membership)
    integration_id = request.POST.get("integration") or None
    if integration_id is not None:
        integration_id = get_for_company(Integration.objects.all(), membership, pk=integration_id).pk
    try:
        raw_ids = _selected_ids(request, membership)
    except ResyncRefused as refused:
        return _refused(request, refused, reverse("documents:list"))
    # Another company's document is a 404 like everywhere else (its existence is not revealed).
    if selectors.foreign_document_ids(company=membership.company, raw_ids=raw_ids):
        raise Http404(_("No document matches the given query."))
    return _queue_bulk(request, membership, raw_ids, integration_id, refused_url=reverse("documents:list"))


def _refused(request: HtmxHttpRequest, refused: ResyncRefused, url: str) -> HttpResponse:
    messages.error(request, refusal(refused))
    if not request.htmx:
        return redirect(url)
    return render(request, "integrations/bulk_progress.html#bulk-error", {"error": refusal(refused)})


def _queue_bulk(
    request: HtmxHttpRequest, membership, document_ids, integration_id, *, refused_url: str, queued_message: str = ""
) -> HttpResponse:
    """Queue a bulk re-sync; answer with its progress panel (htmx) or its page, or say why it was refused."""
    try:
        bulk = request_bulk_resync(membership=membership, document_ids=document_ids, integration_id=integration_id)
    except ResyncRefused as refused:
        return _refused(request, refused, refused_url)
    if queued_message:
        messages.success(request, queued_message)
    if not request.htmx:
        return redirect("integrations:bulk_status", pk=bulk.pk)
    response = render(
        request, "integrations/bulk_progress.html#bulk-progress", _bulk_context(request, membership, bulk, started=True)
    )
    trigger_client_event(response, "bulkStarted", {"bulk": bulk.pk, "total": bulk.total})
    return response


@require_GET
@login_required
@vary_on_headers("HX-Request")
def bulk_status(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    membership = membership_for(request)
    bulk = get_for_company(BulkResync.objects.all(), membership, pk=pk)
    context = _bulk_context(request, membership, bulk, started=False)
    template = "integrations/bulk_progress.html" + ("#bulk-progress" if request.htmx else "")
    response = render(request, template, context)
    if request.htmx and context["summary"].finished:
        failed = context["progress"].failed
        trigger_client_event(response, "bulkFinished", {"bulk": bulk.pk, "failed": failed})
    return response


@require_POST
@login_required
def attention_resync(request: HtmxHttpRequest) -> HttpResponse:
    """ "Re-sync these": a bulk re-sync of one Requires attention group; its progress shows beside the button."""
    membership = membership_for(request)
    require_editor(membership)
    integration = get_for_company(Integration.objects.all(), membership, pk=request.POST.get("integration"))
    ids = selectors.attention_group_document_ids(
        company=membership.company,
        integration_id=integration.pk,
        category=request.POST.get("category", ""),
        message=request.POST.get("message", ""),
    )
    return _queue_bulk(
        request,
        membership,
        ids,
        integration.pk,
        refused_url=reverse("documents:list") + "?tab=attention",
        queued_message=ngettext(
            "Re-sync of %(count)d document queued.", "Re-sync of %(count)d documents queued.", len(ids)
        )
        % {"count": len(ids)},
    )


@require_GET
@login_required
def attention_groups(request: HtmxHttpRequest) -> HttpResponse:
    """Requires attention's groups, fetched again when a batch ends (no reload), with that batch's summary."""
    membership = membership_for(request)
    context = {
        **selectors.attention_header_context(membership.company),
        "membership": membership,
        "can_edit": membership.can_edit,
    }
    bulk_id = request.GET.get("bulk", "")
    if bulk_id.isdigit():
        bulk = get_for_company(BulkResync.objects.all(), membership, pk=int(bulk_id))
        summary = bulk_summary(bulk)
        if summary.finished:
            context |= {"finished_bulk": bulk, "summary": summary, "integration_lines": integration_lines(summary)}
    return render(request, "integrations/_attention_groups.html", context)
