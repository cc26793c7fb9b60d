"""``python manage.py erp_sandbox --port 8765``: serve the emulated ERPs (see integrations/sandbox/)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve the ERP sandboxes (Xero under /xero/) with their control API under /_sandbox/."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--state-file", default=None, help="SQLite file to keep state across restarts")
        parser.add_argument("--time-scale", type=float, default=1.0, help=">1 runs rate-limit windows faster")

    def handle(self, *args: Any, **options: Any) -> None:
        # Imported here so the command stays a thin shell around the Django-free sandbox.
        from integrations.sandbox.server import serve

        serve(options["host"], options["port"], options["time_scale"], options["state_file"])
