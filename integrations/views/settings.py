"""The admins' integration settings: connect, test, options, mappings, Xero's organisation."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from integrations import selectors, services, stored_text
from integrations.forms import EconomicForm, MappingForm, OptionsForm, TenantForm
from integrations.models import Integration
from integrations.views.common import refusal
from roger.access import get_for_company, membership_for, require_admin
from roger.http import HtmxHttpRequest
from roger.models import Membership

logger = logging.getLogger(__name__)


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
    (messages.success if check.ok else messages.error)(
        request, f"{integration.name}: {stored_text.translate(check.message)}"
    )
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
        context["error"] = refusal(error)
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
        messages.error(request, refusal(error))
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
        messages.error(request, refusal(error))
        return redirect("integrations:settings")
    if result.needs_tenant_choice:
        return redirect("integrations:xero_tenant", pk=result.integration.pk)
    messages.success(
        request, f"{result.integration.name}: {stored_text.translate(result.integration.connection_message)}"
    )
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
            form.add_error(None, refusal(error))
        else:
            messages.success(request, f"{integration.name}: {stored_text.translate(integration.connection_message)}")
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
            messages.error(request, refusal(error))
        else:
            check = services.integration_test_connection(integration=integration)
            (messages.success if check.ok else messages.warning)(
                request, f"{integration.name}: {stored_text.translate(check.message)}"
            )
            return redirect(reverse("integrations:settings") + f"#integration-{integration.pk}")
    else:
        problems = "; ".join(
            f"{form.fields[k].label if k in form.fields else k}: {' '.join(v)}" for k, v in form.errors.items()
        )
        messages.error(request, _("Check the e-conomic form: %(problems)s") % {"problems": problems})
    return redirect("integrations:settings")
