"""What `make run` needs before the web server starts: demo data when the database is empty, the sweeper's
schedule, and (once the sandbox answers) the demo company connected to the ERP sandboxes."""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand

from documents.models import Document


class Command(BaseCommand):
    help = "Prepare the demo: seed when empty, schedule the sweeper, connect the ERP sandbox."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--wait-for-sandbox", action="store_true", help="Wait up to 30 s for the ERP sandbox")

    def handle(self, *args, **options) -> None:
        if not Document.objects.exists():
            call_command("seed_demo")
        from integrations import tasks

        tasks.ensure_schedules()
