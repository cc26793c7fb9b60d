"""Start-up checks of the sync engine's timing settings (``integrations/checks.py``), through Django's check
framework as ``manage.py check`` and every management command run them: silent on the shipped defaults, loud on
a combination that would let two workers write at once (roger.E001) or a retry meet Xero's cached answer
(roger.W001)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.checks import run_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

# roger/settings.py without environment overrides: (3.05, 30) s per call, a 240 s lease, a 600 s settle.
DEFAULT_TIMEOUT = (3.05, 30.0)
DEFAULT_LEASE, DEFAULT_SETTLE = 240, 600.0


def timing(*, lease: int = DEFAULT_LEASE, settle: float = DEFAULT_SETTLE, timeout=DEFAULT_TIMEOUT):
    return override_settings(
        ROGER_ERP_TIMEOUT=timeout,
        ROGER_SYNC={**settings.ROGER_SYNC, "LEASE_SECONDS": lease, "WRITE_SETTLE_SECONDS": settle},
    )


def roger_messages():
    return {m.id: m for m in run_checks() if m.id and m.id.startswith("roger.")}


def test_the_defaults_pass_both_checks():
    with timing():
        assert roger_messages() == {}
        call_command("check", stdout=None)  # no SystemCheckError: the app starts


def test_a_lease_too_short_for_the_http_timeouts_is_an_error_that_stops_start_up():
    with timing(lease=60):  # two thirds of a minute cannot cover a 33 s call and a token refresh before it
        messages = roger_messages()
        assert set(messages) == {"roger.E001"}
        error = messages["roger.E001"]
        assert error.is_serious()
        assert "ROGER_SYNC_LEASE_SECONDS=60" in error.msg
        with pytest.raises(SystemCheckError, match=r"roger\.E001"):
            call_command("check")


def test_a_longer_read_timeout_needs_a_longer_lease():
    with timing(timeout=(3.05, 120.0)):  # the default lease no longer covers two 123 s calls
        assert set(roger_messages()) == {"roger.E001"}


def test_the_lease_the_hint_suggests_passes_and_one_less_than_that_does_not():
    with timing(lease=10):
        hint = roger_messages()["roger.E001"].hint
    suggested = int(hint.split("above ")[1].split(",")[0]) + 1  # "Set ROGER_SYNC_LEASE_SECONDS above N, …"
    with timing(lease=suggested):
        assert "roger.E001" not in roger_messages()
    with timing(lease=99):  # 99 × 2/3 = 66 s ≤ 2 × 33.05 s
        assert "roger.E001" in roger_messages()


def test_a_settle_shorter_than_xeros_idempotency_window_warns_without_stopping_start_up():
    with timing(settle=300):  # Xero replays a key's answer, errors included, for 6 minutes
        messages = roger_messages()
        assert set(messages) == {"roger.W001"}
        warning = messages["roger.W001"]
        assert not warning.is_serious()
        assert "ROGER_WRITE_SETTLE_SECONDS=300" in warning.msg and "360" in warning.msg
        call_command("check", stdout=None)  # a warning is printed, the app still starts


def test_a_settle_of_exactly_six_minutes_is_enough():
    with timing(settle=360):
        assert roger_messages() == {}
    with timing(settle=359.5):
        assert set(roger_messages()) == {"roger.W001"}
