from __future__ import annotations

from collections.abc import Callable

from django.contrib.messages import get_messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django_htmx.http import trigger_client_event

from roger import languages
from roger.access import NoCompany


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


class UserLanguageMiddleware:
    """The signed-in user's chosen language, over the browser's (``LocaleMiddleware`` ran before, from the
    Accept-Language header or the language cookie).  Read from the session: no query per request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.session.get(languages.SESSION_KEY, "") if request.user.is_authenticated else ""
        if chosen and languages.supported(chosen) and chosen != translation.get_language():
            translation.activate(chosen)
            request.LANGUAGE_CODE = chosen
        return self.get_response(request)


class MethodNotAllowedPageMiddleware:
    """Django's ``require_POST`` and friends answer with an empty 405; a person gets a page saying what happened
    (the ``Allow`` header stays).  htmx requests keep the empty answer."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code != 405 or response.content or getattr(request, "htmx", False):
            return response
        page = render(request, "405.html", {"allowed": response.get("Allow", "")}, status=405)
        if "Allow" in response:
            page["Allow"] = response["Allow"]
        return page


class StaffWithoutCompanyMiddleware:
    """Roger's operator is staff and a member of no company: their work is in the admin site.  Opening one of
    Roger's pages (the page after login, ``/``, ``/documents/``) takes them there instead of a 403.  Forms and htmx
    requests keep the 403."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, NoCompany) or not getattr(request.user, "is_staff", False):
            return None
        if request.method != "GET" or getattr(request, "htmx", False):
            return None
        return redirect("admin:index")
