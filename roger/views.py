"""Pages of Roger itself: the language switcher and the favicon.  The error pages are Django's own handlers
rendering ``templates/403.html``, ``404.html``, ``500.html`` (and ``405.html``, by ``roger.middleware``)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from roger import languages


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """The top bar's language switcher: saved in the user's profile, and back to the page it was used on."""
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    code = request.POST.get("language", "")
    if code != languages.BROWSER and not languages.supported(code):
        return render(request, "400.html", status=400)
    response = HttpResponseRedirect(target)
    languages.choose(request, response, code)
    return response


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page says; the static file's URL is known only at run time."""
    return redirect(static("favicon.svg"), permanent=True)
