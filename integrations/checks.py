"""Start-up checks of the sync engine's timing settings: a wrong combination would let two workers write at once."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register


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
