"""Integration pages: the document's Integrations tab and Re-sync modal (R6–R8), bulk re-sync (R9–R10),
Requires attention (R11) and the admins' integration settings.

Views call selectors, services and the engine's request entry points only (never a connector, an HTTP client
or the queue: import-linter).  htmx requests get a partial of the same template, chosen here.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import push_url, trigger_client_event

from documents.models import Document
from documents.selectors import document_tabs
from integrations import log_labels, selectors, services
from integrations.forms import EconomicForm, MappingForm, OptionsForm, ResyncForm, TenantForm
from integrations.models import BulkResync, EntryKind, Integration
from integrations.sync import planning
from integrations.sync.requests import ResyncRefused, bulk_progress, request_bulk_resync, request_resync
from roger.access import get_for_company, membership_for, require_admin, require_editor
from roger.http import HtmxHttpRequest
from roger.models import Membership

logger = logging.getLogger(__name__)


def _refusal(error: ValidationError) -> str:
    return " ".join(error.messages)


def _document(membership: Membership, pk: int) -> Document:
    return get_for_company(Document.objects.select_related("vendor"), membership, pk=pk)


def _integration_param(
    membership: Membership, value: str | None, integrations: list[Integration]
) -> Integration | None:
    """The integration chosen in the dropdown; another company's id is a 404, none chosen is the first."""
    if value:
        try:
            wanted = int(value)
        except ValueError:
            wanted = -1
        for integration in integrations:
            if integration.pk == wanted:
                return integration
        return get_for_company(Integration.objects.all(), membership, pk=wanted)  # raises 404
    enabled = [i for i in integrations if i.enabled]
    return (enabled or integrations or [None])[0]


# --- the Integrations tab (R6) -----------------------------------------------------------------------------------


def _entry_rows(document: Document, entries: dict, payments: list) -> list[tuple[str, str, object]]:
    kinds = [EntryKind.BILL]
    # The payment card shows from approval on: while partly paid it says why nothing is synced yet (R5).
    if document.is_synced_state or payments or EntryKind.PAYMENT in entries:
        kinds.append(EntryKind.PAYMENT)
    return [(k.value, k.label, entries.get(k.value)) for k in kinds]


def _tab_context(request: HtmxHttpRequest, membership: Membership, document: Document) -> dict:
    integrations = selectors.company_integrations(company=membership.company)
    integration = _integration_param(membership, request.GET.get("integration"), integrations)
    context = {
        "document": document,
        "integrations": integrations,
        "integration": integration,
        "can_edit": membership.can_edit,
        "is_admin": membership.is_admin,
    }
    if integration is not None:
        before = request.GET.get("before")
        records, has_more = selectors.document_log(
            document=document, integration=integration, before_id=int(before) if (before or "").isdigit() else None
        )
        payments = list(document.payments.all())
        entries = selectors.document_entries(document=document, integration=integration)
        context |= {
            "entry_rows": _entry_rows(document, entries, payments),
            "payments": payments,
            "paid_amount": document.total if document.marked_paid else sum((p.amount for p in payments), Decimal(0)),
            "records": records,
            "has_more": has_more,
            "value_names": log_labels.value_names(integration, [r.changes for r in records]),
            "open_job": selectors.document_open_job(document=document, integration=integration),
        }
    return context


@require_GET
@login_required
@vary_on_headers("HX-Request")
def document_tab(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    membership = membership_for(request)
    document = _document(membership, pk)
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
    document = _document(membership, pk)
    require_editor(membership)
    integrations = selectors.company_integrations(company=membership.company)
    integration = _integration_param(membership, data.get("integration"), integrations)
    if integration is None:
        raise Http404(_("The company has no integration to re-sync."))
    form = ResyncForm(data if "kind" in data else None, document=document)
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
        "form": ResyncForm(initial={"kind": kind}, document=document),
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
            error = _refusal(refused)
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


# --- bulk re-sync (R9–R10) -----------------------------------------------------------------------------------------


def _row_ids(raw: str) -> list[int]:
    return [int(x) for x in raw.split(",") if x.strip().isdigit()][:200]


def _bulk_context(request: HtmxHttpRequest, membership: Membership, bulk: BulkResync, *, started: bool) -> dict:
    progress = bulk_progress(bulk)
    outcomes = progress.outcomes
    context = {
        "bulk": bulk,
        "progress": progress,
        "started": started,
        "synced": sum(outcomes.get(k, 0) for k in ("created", "updated", "unchanged")),
        "blocked": outcomes.get("blocked", 0),
        "failed": progress.failed,
        "percent": int(100 * progress.done / progress.total) if progress.total else 100,
        "row_ids": request.GET.get("row_ids", "") or request.POST.get("row_ids", ""),
        "tab": request.GET.get("tab", "") or request.POST.get("tab", "all"),
    }
    # The rows of the list on screen that belong to this batch get fresh badges (out-of-band swaps).
    raw_rows = request.GET.get("row_ids", "") or request.POST.get("row_ids", "")
    row_ids = _row_ids(raw_rows)
    if row_ids:
        ids = selectors.bulk_documents(bulk=bulk, document_ids=row_ids)
        rows = list(Document.objects.filter(company=membership.company, pk__in=ids))
        selectors.badges_for(company=membership.company, documents=rows)
        context["badge_rows"] = rows
    if progress.finished:
        context["tabs"] = document_tabs(company=membership.company)
    return context


@require_POST
@login_required
def bulk_resync(request: HtmxHttpRequest) -> HttpResponse:
    membership = membership_for(request)
    require_editor(membership)
    integration_id = request.POST.get("integration") or None
    if integration_id is not None:
        integration_id = get_for_company(Integration.objects.all(), membership, pk=integration_id).pk
    raw_ids = request.POST.getlist("document_ids")
    # Another company's document is a 404 like everywhere else (its existence is not revealed).
    if selectors.foreign_document_ids(company=membership.company, raw_ids=raw_ids):
        raise Http404(_("No document matches the given query."))
    return _queue_bulk(request, membership, raw_ids, integration_id, refused_url=reverse("documents:list"))


def _queue_bulk(
    request: HtmxHttpRequest, membership, document_ids, integration_id, *, refused_url: str, queued_message: str = ""
) -> HttpResponse:
    """Queue a bulk re-sync; answer with its progress panel (htmx) or its page, or say why it was refused."""
    try:
        bulk = request_bulk_resync(membership=membership, document_ids=document_ids, integration_id=integration_id)
    except ResyncRefused as refused:
        messages.error(request, _refusal(refused))
        if not request.htmx:
            return redirect(refused_url)
        return render(request, "integrations/bulk_progress.html#bulk-error", {"error": _refusal(refused)})
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
    if request.htmx and context["progress"].finished:
        trigger_client_event(response, "bulkFinished", {"bulk": bulk.pk, "failed": context["failed"]})
    return response


@require_POST
@login_required
def attention_resync(request: HtmxHttpRequest) -> HttpResponse:
    """ "Re-sync these": a bulk re-sync of one Requires attention group."""
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


# --- integration settings (admins) -------------------------------------------------------------------------------


def _admin(request: HtmxHttpRequest) -> Membership:
    membership = membership_for(request)
    require_admin(membership)
    return membership


def _card_context(integration: Integration) -> dict:
    return {"integration": integration, "options_form": OptionsForm(instance=integration, prefix=f"i{integration.pk}")}


@require_GET
@login_required
def integration_settings(request: HtmxHttpRequest) -> HttpResponse:
    membership = _admin(request)
    integrations = selectors.company_integrations(company=membership.company)
    has_xero = any(i.kind == Integration.Kind.XERO for i in integrations)
    return render(
        request,
        "integrations/settings.html",
        {
            "cards": [_card_context(i) for i in integrations],
            "has_xero": has_xero,
            "economic_form": EconomicForm(),
        },
    )


def _card_response(request: HtmxHttpRequest, integration: Integration) -> HttpResponse:
    if not request.htmx:
        return redirect(reverse("integrations:settings") + f"#integration-{integration.pk}")
    return render(request, "integrations/settings.html#integration-card", _card_context(integration))


@require_POST
@login_required
def integration_options(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    membership = _admin(request)
    integration = get_for_company(Integration.objects.all(), membership, pk=pk)
    form = OptionsForm(request.POST, instance=integration, prefix=f"i{integration.pk}")
    if form.is_valid():
        services.integration_set_options(integration=integration, **form.options())
        messages.success(request, _("%(name)s: settings saved.") % {"name": integration.name})
    return _card_response(request, integration)


@require_POST
@login_required
def integration_test(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    membership = _admin(request)
    integration = get_for_company(Integration.objects.all(), membership, pk=pk)
    check = services.integration_test_connection(integration=integration)
    (messages.success if check.ok else messages.error)(request, f"{integration.name}: {check.message}")
    return _card_response(request, integration)


@require_http_methods(["GET", "POST"])
@login_required
@vary_on_headers("HX-Request")
def integration_mappings(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    membership = _admin(request)
    integration = get_for_company(Integration.objects.all(), membership, pk=pk)
    context: dict = {"integration": integration}
    try:
        catalogues = services.integration_catalogues(integration=integration, refresh=bool(request.GET.get("refresh")))
    except services.IntegrationServiceError as error:
        context["error"] = _refusal(error)
        catalogues = None
    if catalogues is not None:
        data = request.POST if request.method == "POST" else None
        form = MappingForm(data, company=membership.company, integration=integration, catalogues=catalogues)
        if request.method == "POST" and form.is_valid():
            services.integration_save_mappings(
                integration=integration,
                accounts=form.mapping("accounts"),
                tax_types=form.mapping("tax_types"),
                tracking=form.mapping("tracking"),
                bank_account=form.cleaned_data["bank_account"],
            )
            messages.success(request, _("%(name)s: mappings saved.") % {"name": integration.name})
            if not request.htmx:
                return redirect(reverse("integrations:settings") + f"#mappings-{integration.pk}")
            integration.refresh_from_db()
            form = MappingForm(company=membership.company, integration=integration, catalogues=catalogues)
        context["form"] = form
    elif request.method == "POST":
        messages.error(request, context["error"])
    template = "integrations/mappings.html" + ("#mapping-editor" if request.htmx else "")
    return render(request, template, context)


def _callback_url(request: HtmxHttpRequest) -> str:
    return request.build_absolute_uri(reverse("integrations:xero_callback"))


@require_POST
@login_required
def xero_connect(request: HtmxHttpRequest) -> HttpResponse:
    membership = _admin(request)
    integration = None
    if request.POST.get("integration"):
        integration = get_for_company(Integration.objects.all(), membership, pk=request.POST["integration"])
    try:
        url = services.xero_connect_start(
            session=request.session, membership=membership, redirect_uri=_callback_url(request), integration=integration
        )
    except services.IntegrationServiceError as error:
        messages.error(request, _refusal(error))
        return redirect("integrations:settings")
    # A full-page redirect to Xero's consent screen (htmx must not follow it into a fragment).
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


@require_GET
@login_required
def xero_callback(request: HtmxHttpRequest) -> HttpResponse:
    """Xero sends the admin back here with ``code`` and ``state`` (a GET by OAuth's design; ``state`` guards it)."""
    membership = _admin(request)
    if request.GET.get("error"):
        request.session.pop(services.SESSION_KEY, None)
        messages.error(
            request,
            _("Xero did not connect: %(reason)s.")
            % {"reason": request.GET.get("error_description") or request.GET["error"]},
        )
        return redirect("integrations:settings")
    try:
        result = services.xero_connect_finish(
            session=request.session,
            membership=membership,
            code=request.GET.get("code", ""),
            state=request.GET.get("state", ""),
            redirect_uri=_callback_url(request),
        )
    except services.IntegrationServiceError as error:
        messages.error(request, _refusal(error))
        return redirect("integrations:settings")
    if result.needs_tenant_choice:
        return redirect("integrations:xero_tenant", pk=result.integration.pk)
    messages.success(request, f"{result.integration.name}: {result.integration.connection_message}")
    return redirect(reverse("integrations:settings") + f"#integration-{result.integration.pk}")


@require_http_methods(["GET", "POST"])
@login_required
def xero_tenant(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    membership = _admin(request)
    integration = get_for_company(Integration.objects.filter(kind=Integration.Kind.XERO), membership, pk=pk)
    form = TenantForm(request.POST or None, integration=integration)
    if request.method == "POST" and form.is_valid():
        try:
            integration = services.xero_choose_tenant(integration=integration, tenant_id=form.cleaned_data["tenant_id"])
        except services.IntegrationServiceError as error:
            form.add_error(None, _refusal(error))
        else:
            messages.success(request, f"{integration.name}: {integration.connection_message}")
            return redirect(reverse("integrations:settings") + f"#integration-{integration.pk}")
    return render(request, "integrations/tenant.html", {"integration": integration, "form": form})


@require_POST
@login_required
def economic_connect(request: HtmxHttpRequest) -> HttpResponse:
    membership = _admin(request)
    integration = None
    if request.POST.get("integration"):
        integration = get_for_company(Integration.objects.all(), membership, pk=request.POST["integration"])
    form = EconomicForm(request.POST)
    if form.is_valid():
        try:
            integration = services.economic_connect(membership=membership, integration=integration, **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, _refusal(error))
        else:
            check = services.integration_test_connection(integration=integration)
            (messages.success if check.ok else messages.warning)(request, f"{integration.name}: {check.message}")
            return redirect(reverse("integrations:settings") + f"#integration-{integration.pk}")
    else:
        problems = "; ".join(
            f"{form.fields[k].label if k in form.fields else k}: {' '.join(v)}" for k, v in form.errors.items()
        )
        messages.error(request, _("Check the e-conomic form: %(problems)s") % {"problems": problems})
    return redirect("integrations:settings")
