"""Operator CLI: queue a bulk re-sync (or print its plan), optionally wait with a progress bar, then summarise."""

from __future__ import annotations

import sys
import time
from collections import Counter

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from documents.models import Document
from integrations.sync.planning import plan_document
from integrations.sync.requests import bulk_progress, parse_document_ids, request_bulk_resync, resync_integrations
from roger.models import Company, Membership

OUTCOMES = ["created", "updated", "unchanged", "blocked", "failed", "waiting"]


class Command(BaseCommand):
    help = "Re-sync documents of a company to its ERP integrations (R9–R10)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--company", required=True, help="company slug")
        parser.add_argument("--integration", type=int, help="only this integration id")
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--all", action="store_true", help="every approved or paid document")
        which.add_argument("--status", choices=["unpaid", "paid"])
        which.add_argument("--ids", help="comma-separated document ids")
        parser.add_argument("--dry-run", action="store_true", help="print what would happen; write nothing")
        parser.add_argument("--wait", action="store_true", help="wait for the batch, with a progress bar")
        parser.add_argument("--timeout", type=float, default=3600, help="seconds to wait at most with --wait")

    def handle(self, *args, **options) -> None:
        try:
            company = Company.objects.get(slug=options["company"])
        except Company.DoesNotExist:
            raise CommandError(f"No company with slug {options['company']!r}.") from None
        membership = self.operator_membership(company)
        ids = self.document_ids(company, options)
        try:
            if options["dry_run"]:
                self.dry_run(membership, ids, options["integration"])
                return
            bulk = request_bulk_resync(membership=membership, document_ids=ids, integration_id=options["integration"])
        except (ValidationError, PermissionDenied) as exc:
            raise CommandError(" ".join(getattr(exc, "messages", [str(exc)]))) from None
        self.stdout.write(
            f"Queued bulk re-sync #{bulk.pk}: {len(ids)} documents, {bulk.total} document × integration pairs."
        )
        if options["wait"]:
            self.wait(bulk, options["timeout"])

    def operator_membership(self, company: Company) -> Membership:
        """The CLI acts as the company's first admin (the log records who asked)."""
        membership = Membership.objects.filter(company=company, role="admin").select_related("user", "company").first()
        if membership is None:
            raise CommandError(f"{company.name} has no admin to act as.")
        return membership

    def document_ids(self, company: Company, options) -> list[object]:
        if options["ids"]:
            try:
                return parse_document_ids(options["ids"].split(","))
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from None
        qs = Document.objects.filter(company=company)
        qs = {"unpaid": qs.unpaid(), "paid": qs.paid()}.get(options["status"], qs.synced())
        return list(qs.values_list("pk", flat=True))

    def dry_run(self, membership: Membership, ids: list, integration_id: int | None) -> None:
        integrations = resync_integrations(membership, integration_id)
        documents = Document.objects.filter(company=membership.company, pk__in=ids).select_related("vendor")
        found = {d.pk: d for d in documents}
        missing = [i for i in ids if i not in found]
        if missing:
            raise CommandError(f"Not documents of {membership.company.name}: {', '.join(map(str, missing[:10]))}.")
        totals: Counter = Counter()
        for integration in integrations:
            for document in found.values():
                for plan in plan_document(document=document, integration=integration):
                    totals[plan.action] += 1
                    detail = ", ".join(f"{k}: {old!r} → {new!r}" for k, (old, new) in plan.changes.items())
                    self.stdout.write(
                        f"{integration.name:10} #{document.pk:<6} {plan.kind:8} {plan.action:15} "
                        f"{plan.reason or detail}"
                    )
        self.stdout.write("Plan: " + ", ".join(f"{n} {action}" for action, n in sorted(totals.items())))

    def wait(self, bulk, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            progress = bulk_progress(bulk)
            width = 40
            filled = int(width * progress.done / max(progress.total, 1))
            sys.stdout.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {progress.done}/{progress.total}")
            sys.stdout.flush()
            if progress.finished or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        self.stdout.write("")
        self.stdout.write(f"{'outcome':<12}{'count':>8}")
        for outcome in OUTCOMES:
            self.stdout.write(f"{outcome:<12}{progress.outcomes.get(outcome, 0):>8}")
        if progress.queued:
            self.stdout.write(f"{'queued':<12}{progress.queued:>8}")
        self.stdout.write(f"{'total':<12}{progress.total:>8}")
        if progress.waiting:
            when = (
                f", the next at {timezone.localtime(progress.next_retry_at):%H:%M:%S}" if progress.next_retry_at else ""
            )
            self.stdout.write(
                f"{progress.waiting} waiting items run again by themselves{when}; each says why in its log."
            )
        if not progress.finished:
            raise CommandError(f"Timed out with {progress.queued} still queued (they continue).")
