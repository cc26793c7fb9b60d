"""Start-up checks of the sync engine's timing settings: a wrong combination would let two workers write at once."""

from __future__ import annotations

from django.conf import settings
from django.core import checks
from django.core.checks import Error, register

XERO_IDEMPOTENCY_KEY_SECONDS = 360  # how long Xero keeps an Idempotency-Key's answer


@register()
def lease_outlives_a_call(app_configs=None, **kwargs) -> list[Error]:
    """A lease is renewed once a third of it has passed (``integrations.sync.engine.leases``), so two thirds of it
    must cover the longest ERP call — connect and read timeouts — plus a token refresh made just before it."""
    connect, read = settings.ROGER_ERP_TIMEOUT
    call = connect + read
    lease = settings.ROGER_SYNC["LEASE_SECONDS"]
    if lease * 2 / 3 <= 2 * call:
        return [
            Error(
                f"ROGER_SYNC_LEASE_SECONDS={lease} is too short for ERP calls of up to {call:.0f} s "
                f"(ROGER_ERP_READ_TIMEOUT): another worker could take over a batch while its write is in flight.",
                hint=f"Set ROGER_SYNC_LEASE_SECONDS above {int(3 * call) + 1}, or lower ROGER_ERP_READ_TIMEOUT.",
                id="roger.E001",
            )
        ]
    return []


@register()
def settle_outlasts_replayed_errors(app_configs=None, **kwargs) -> list[checks.Warning]:
    """Xero keeps the answer to an ``Idempotency-Key`` — an error included — for 6 minutes and replays it to a retry
    with the same key and body (developer.xero.com idempotency guide, as quoted in reference/erp_apis.md §1.6).  A
    retry after an unknown outcome waits ``WRITE_SETTLE_SECONDS``; shorter than that, it would only see the same
    cached error again until the key expires."""
    settle = settings.ROGER_SYNC["WRITE_SETTLE_SECONDS"]
    if settle < XERO_IDEMPOTENCY_KEY_SECONDS:
        return [
            checks.Warning(
                f"ROGER_WRITE_SETTLE_SECONDS={settle:g} is shorter than Xero's {XERO_IDEMPOTENCY_KEY_SECONDS} s "
                f"idempotency-key window: a retry after an unknown outcome may be answered with a cached error.",
                hint=f"Use at least {XERO_IDEMPOTENCY_KEY_SECONDS} (the default is 600) outside tests.",
                id="roger.W001",
            )
        ]
    return []

