from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from integrations.models import Integration
from roger.access import membership_for, require_admin
from roger.http import HtmxHttpRequest


@require_GET
@login_required
def integration_settings(request: HtmxHttpRequest) -> HttpResponse:
    membership = membership_for(request)
    require_admin(membership)
    integrations = Integration.objects.filter(company=membership.company)
    return render(request, "integrations/settings.html", {"integrations": integrations})
