from __future__ import annotations

from collections.abc import Callable

from django.contrib.messages import get_messages
from django.http import HttpRequest, HttpResponse
from django_htmx.http import trigger_client_event


class HtmxMessagesMiddleware:
    """Moves Django messages into an ``HX-Trigger: toast`` event on htmx responses (full pages render them)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not getattr(request, "htmx", False) or 300 <= response.status_code < 400 or "HX-Redirect" in response:
            return response
        items = [{"level": m.level_tag, "text": str(m)} for m in get_messages(request)]
        if items:
            trigger_client_event(response, "toast", {"items": items})
        return response
