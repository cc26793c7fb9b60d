"""The admins' vendor → ERP supplier editor (issue 12), beside the other mapping editors of the settings page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from integrations import vendor_contacts
from integrations.forms import VendorContactForm, contact_label
from integrations.models import Integration
from integrations.services import IntegrationServiceError
from roger.access import get_for_company, membership_for, require_admin
from roger.http import HtmxHttpRequest


@require_http_methods(["GET", "POST"])
@login_required
def integration_contacts(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    membership = membership_for(request)
    require_admin(membership)
    integration = get_for_company(Integration.objects.all(), membership, pk=pk)
    query = (request.GET.get("q") or request.POST.get("q") or "").strip()[:100]
    page_number = request.GET.get("page") or request.POST.get("page") or 1
    context: dict = {"integration": integration, "query": query}
    try:
        catalogue = vendor_contacts.contact_catalogue(integration=integration, refresh=bool(request.GET.get("refresh")))
    except IntegrationServiceError as error:
        context["error"] = " ".join(error.messages)
        return render(request, "integrations/vendor_contacts.html", context)
    page = vendor_contacts.vendor_rows(integration=integration, query=query, page=page_number)
    form = VendorContactForm(
        request.POST if request.method == "POST" else None, rows=page.object_list, catalogue=catalogue
    )
    if request.method == "POST" and form.is_valid():
        try:
            chosen, cleared = vendor_contacts.save_vendor_contacts(
                integration=integration, choices=form.choices(), catalogue=catalogue
            )
        except IntegrationServiceError as error:
            form.add_error(None, " ".join(error.messages))
        else:
            messages.success(
                request,
                ngettext(
                    "%(name)s: %(chosen)s supplier chosen, %(cleared)s cleared. "
                    "Re-sync the documents waiting under Requires attention.",
                    "%(name)s: %(chosen)s suppliers chosen, %(cleared)s cleared. "
                    "Re-sync the documents waiting under Requires attention.",
                    chosen,
                )
                % {"name": integration.name, "chosen": chosen, "cleared": cleared},
            )
            url = reverse("integrations:contacts", args=[integration.pk])
            return redirect(f"{url}?q={query}&page={page.number}" if query or page.number > 1 else url)
    context |= {"form": form, "page": page, "catalogue": [(contact_label(c), c.name) for c in catalogue]}
    return render(request, "integrations/vendor_contacts.html", context)
