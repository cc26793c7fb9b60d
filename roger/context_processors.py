from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from roger import languages as roger_languages
from roger.access import membership_for


def membership(request: HttpRequest) -> dict[str, object]:
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    try:
        return {"membership": membership_for(request)}
    except PermissionDenied:
        return {}


def languages(request: HttpRequest) -> dict[str, object]:
    """The language switcher: the languages, and what this user chose ("" = as the browser says): the profile's
    choice (copied into the session) once signed in, the switcher's cookie before."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        chosen = request.session.get(roger_languages.SESSION_KEY, "")
    else:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    return {
        "roger_languages": settings.LANGUAGES,
        "chosen_language": chosen if roger_languages.supported(chosen) else roger_languages.BROWSER,
    }
