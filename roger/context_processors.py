from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from roger.access import membership_for


def membership(request: HttpRequest) -> dict[str, object]:
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    try:
        return {"membership": membership_for(request)}
    except PermissionDenied:
        return {}
