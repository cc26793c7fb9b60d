"""The user's language: chosen in their profile (the switcher in the top bar), else the browser's.

The choice is copied into the session at login and when it changes, so a request reads it without a query; the
language cookie carries it to pages before login (the login page after a logout).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from roger.models import Profile

SESSION_KEY = "roger_language"
BROWSER = ""  # the choice "as my browser says"


def supported(code: str) -> bool:
    return code in dict(settings.LANGUAGES)


def choose(request: HttpRequest, response: HttpResponse, code: str) -> None:
    """Remember ``code`` (or the browser's language, for "") for this user, this session and this browser."""
    if code != BROWSER and not supported(code):
        raise ValueError(code)
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        Profile.objects.update_or_create(user=user, defaults={"language": code})
        request.session[SESSION_KEY] = code
    if code == BROWSER:
        response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
    else:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            code,
            max_age=settings.LANGUAGE_COOKIE_AGE or 365 * 24 * 3600,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
        )
    translation.activate(code or translation.get_language_from_request(request))


@receiver(user_logged_in)
def _remember_profile_language(sender, request: HttpRequest | None, user, **kwargs) -> None:
    if request is None or not hasattr(request, "session"):
        return
    language = Profile.objects.filter(user=user).values_list("language", flat=True).first() or BROWSER
    request.session[SESSION_KEY] = language
