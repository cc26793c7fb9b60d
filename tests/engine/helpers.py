"""Plain helpers for the engine tests (fixtures live in conftest.py)."""

from __future__ import annotations

from django.utils import timezone

from integrations.models import SyncJob
from integrations.sync import engine


def run(integration) -> None:
    """What a worker does when woken; repeated while retries are due (the tests' clock does not wait)."""
    for _ in range(10):
        SyncJob.objects.filter(integration=integration, state="pending").update(next_attempt_at=timezone.now())
        if not engine.drain(integration.pk):
            return


def membership(document):
    """An accountant of the document's company (created when there is none): who presses Re-sync."""
    from roger.models import Membership
    from tests.factories import MembershipFactory

    return Membership.objects.select_related("company", "user").filter(
        company=document.company, role="accountant"
    ).first() or MembershipFactory(company=document.company, role="accountant")
