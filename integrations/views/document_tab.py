"""The document's Integrations tab (R6) and its Re-sync modal (R7–R8)."""

from __future__ import annotations

import logging
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import push_url, trigger_client_event

from documents.models import Document
from integrations import entry_files, erp_words, log_labels, selectors
from integrations.forms import ResyncForm
from integrations.models import EntryKind, Integration
from integrations.sync import planning
from integrations.sync.requests import ResyncRefused, request_resync
from integrations.views.common import chosen_integration, company_document, refusal
from roger.access import membership_for, require_editor
from roger.http import HtmxHttpRequest
from roger.models import Membership

logger = logging.getLogger(__name__)


# --- the Integrations tab (R6) -----------------------------------------------------------------------------------


def _entry_rows(document: Document, entries: dict, payments: list, labels: dict) -> list[tuple[str, str, object]]:
    kinds = [EntryKind.BILL]
    # The payment card shows from approval on: while partly paid it says why nothing is synced yet (R5).
    if document.is_synced_state or payments or EntryKind.PAYMENT in entries:
        kinds.append(EntryKind.PAYMENT)
    return [(k.value, labels[k.value], entries.get(k.value)) for k in kinds]


def _tab_context(request: HtmxHttpRequest, membership: Membership, document: Document) -> dict:
    integrations = selectors.company_integrations(company=membership.company)
    integration = chosen_integration(membership, request.GET.get("integration"), integrations)
    context = {
        "document": document,
        "integrations": integrations,
        "integration": integration,
        "can_edit": membership.can_edit,
        "is_admin": membership.is_admin,
    }
    if integration is not None:
        # The open job first: a run commits its log records and closes its job in one transaction, so once no job
        # is open here the records read below include the run's.  Read the other way round, a run ending between
        # the two reads left a panel with the run's entry but not its records, and no job to poll for them.
        open_job = selectors.document_open_job(document=document, integration=integration)
        before = request.GET.get("before")
        records, has_more = selectors.document_log(
            document=document, integration=integration, before_id=int(before) if (before or "").isdigit() else None
        )
        payments = list(document.payments.all())
        entries = selectors.document_entries(document=document, integration=integration)
        labels = erp_words.entry_labels(document, integration)  # a credit note in the ERP's words (issue #15)
        context |= {
            "entry_rows": _entry_rows(document, entries, payments, labels),
            "entry_labels": labels,
            "entry_file": entry_files.entry_file(document, integration, entries.get(EntryKind.BILL.value)),
            "allocation_note": erp_words.allocation_note(document, integration),
            "payments": payments,
            "paid_amount": document.total if document.marked_paid else sum((p.amount for p in payments), Decimal(0)),
            "records": records,
            "has_more": has_more,
            "value_names": log_labels.value_names(integration, [r.changes for r in records]),
            "open_job": open_job,
        }
    return context


@require_GET
@login_required
@vary_on_headers("HX-Request")
def document_tab(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    membership = membership_for(request)
    document = company_document(membership, pk)
    context = _tab_context(request, membership, document)
    template = "integrations/document_tab.html"
    if request.htmx:
        # "Show older" appends a page of log rows; everything else swaps the whole panel.
        template += "#log-page" if request.GET.get("before") else "#integration-panel"
    response = render(request, template, context)
    if request.htmx and request.htmx.trigger == "integration-picker" and context.get("integration"):
        # The chosen integration stays in the address: a reload or a shared link shows the same log.
        detail = reverse("documents:detail", args=[document.pk])
        push_url(response, f"{detail}?tab=integrations&integration={context['integration'].pk}")
    return response


# --- the Re-sync modal (R7) --------------------------------------------------------------------------------------


def _plan(document: Document, integration: Integration, kind: str) -> planning.EntryPlan:
    """What a re-sync would do; the plan reads the ERP, so its failure is shown, not raised."""
    try:
        plans = planning.plan_document(document=document, integration=integration, kinds=[kind])
    except Exception as exc:  # an ERP outage must not break the modal: show it and let the user decide
        logger.warning("plan_document failed for document %s: %s", document.pk, type(exc).__name__)
        reason = _("Could not read %(name)s: %(error)s") % {"name": integration.name, "error": exc}
        return planning.EntryPlan(kind=kind, action="error", reason=reason)
    for plan in plans:
        if plan.kind == kind:
            return plan
    return planning.EntryPlan(kind=kind, action="not_applicable", reason=_("Nothing to sync for this entry."))


def _resync_setup(request: HtmxHttpRequest, pk: int, data) -> tuple[Membership, Document, Integration, ResyncForm]:
    membership = membership_for(request)
    document = company_document(membership, pk)
    require_editor(membership)
    integrations = selectors.company_integrations(company=membership.company)
    integration = chosen_integration(membership, data.get("integration"), integrations)
    if integration is None:
        raise Http404(_("The company has no integration to re-sync."))
    form = ResyncForm(data if "kind" in data else None, document=document, integration=integration)
    return membership, document, integration, form


def _chosen_kind(form: ResyncForm, data) -> str:
    kind = data.get("kind", EntryKind.BILL.value)
    return kind if kind in dict(form.fields["kind"].choices) else EntryKind.BILL.value


@require_GET
@login_required
@vary_on_headers("HX-Request")
def resync_modal(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    _, document, integration, form = _resync_setup(request, pk, request.GET)
    kind = _chosen_kind(form, request.GET)
    plan = _plan(document, integration, kind)
    context = {
        "document": document,
        "integration": integration,
        "form": ResyncForm(initial={"kind": kind}, document=document, integration=integration),
        "plan": plan,
        "value_names": log_labels.value_names(integration, [plan.changes]),
    }
    template = "integrations/resync_modal.html"
    if request.htmx:
        template += "#resync-dialog"
    return render(request, template, context)


@require_GET
@login_required
def resync_plan(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The plan for the entry chosen in the modal (fetched when the radio changes)."""
    _, document, integration, form = _resync_setup(request, pk, request.GET)
    plan = _plan(document, integration, _chosen_kind(form, request.GET))
    context = {
        "plan": plan,
        "integration": integration,
        "value_names": log_labels.value_names(integration, [plan.changes]),
    }
    return render(request, "integrations/resync_modal.html#resync-plan", context)


@require_POST
@login_required
def resync_submit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    membership, document, integration, form = _resync_setup(request, pk, request.POST)
    error = ""
    if form.is_valid():
        try:
            job = request_resync(
                membership=membership, document=document, integration=integration, kind=form.cleaned_data["kind"]
            )
        except ResyncRefused as refused:
            error = refusal(refused)
        else:
            entry = str(dict(form.fields["kind"].choices)[form.cleaned_data["kind"]]).lower()
            messages.success(
                request, _("Re-sync of the %(entry)s to %(name)s queued.") % {"entry": entry, "name": integration.name}
            )
            tab_url = reverse("integrations:document_tab", args=[document.pk]) + f"?integration={integration.pk}"
            if not request.htmx:
                return redirect(tab_url)
            response = HttpResponse(status=204)
            trigger_client_event(response, "closeModal", {})
            trigger_client_event(response, "syncStarted", {"job": job.pk, "integration": integration.pk})
            return response
    # Invalid input re-renders the form with 200: htmx 2 does not swap 4xx responses.
    context = {
        "document": document,
        "integration": integration,
        "form": form,
        "error": error,
        "plan": _plan(document, integration, _chosen_kind(form, request.POST)),
    }
    context["value_names"] = log_labels.value_names(integration, [context["plan"].changes])
    template = "integrations/resync_modal.html" + ("#resync-form" if request.htmx else "")
    return render(request, template, context)
