from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from documents.models import Document, Vendor
from integrations import crypto
from roger.models import Company


class Integration(models.Model):
    """One ERP connection of a company."""

    class Kind(models.TextChoices):
        XERO = "xero", "Xero"
        ECONOMIC = "economic", "Visma e-conomic"

    class Connection(models.TextChoices):
        NOT_CONNECTED = "not_connected", _("Not connected")
        CONNECTED = "connected", _("Connected")
        NEEDS_RECONNECT = "needs_reconnect", _("Needs reconnect")

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="integrations")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    name = models.CharField(max_length=100)
    enabled = models.BooleanField(default=True)
    auto_sync = models.BooleanField(default=True, help_text="Sync automatically on approval, edits and payment")
    push_drafts = models.BooleanField(default=False, help_text="Also push documents before approval (R3)")
    book_after_sync = models.BooleanField(default=False, help_text="Book the entries Roger created (e-conomic)")
    # Fernet-encrypted JSON (tokens, agreement grant…); read and written only through get/set_credentials.
    credentials_encrypted = models.TextField(blank=True, default="", editable=False)
    # Non-secret connection settings: tenant id and name (Xero), journal number (e-conomic), token expiry.
    settings = models.JSONField(default=dict, blank=True)
    # {"accounts": {category_id: code}, "tax_types": {vat_code_id: type}, "tracking": {department_id: option},
    #  "bank_account": code}
    mappings = models.JSONField(default=dict, blank=True)
    connection = models.CharField(max_length=20, choices=Connection.choices, default=Connection.NOT_CONNECTED)
    connection_message = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["company", "name"], name="integration_name_unique_per_company"),
            models.CheckConstraint(condition=Q(kind__in=["xero", "economic"]), name="integration_kind_valid"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_credentials(self) -> dict[str, Any]:
        return crypto.decrypt_json(self.credentials_encrypted)

    def set_credentials(self, values: dict[str, Any]) -> None:
        self.credentials_encrypted = crypto.encrypt_json(values)

    @property
    def is_active(self) -> bool:
        return self.enabled and self.connection == self.Connection.CONNECTED


class VendorLink(models.Model):
    """Which ERP supplier (Xero contact) a vendor is, per integration: chosen by an admin, or remembered from a sync.

    An admin's choice is never overwritten by a sync; a remembered link is only ever added, not changed, so the
    supplier a vendor's bills go to does not wander.
    """

    class Source(models.TextChoices):
        ADMIN = "admin", _("Chosen by an admin")
        MATCHED = "matched", _("Found in the ERP")
        CREATED = "created", _("Created by Roger")

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="vendor_links")
    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="erp_links")
    erp_id = models.CharField(max_length=100)
    erp_name = models.CharField(max_length=255, blank=True)  # as the ERP shows it, for people
    source = models.CharField(max_length=10, choices=Source.choices)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["integration", "vendor"], name="one_vendor_link_per_integration"),
            models.CheckConstraint(condition=Q(source__in=["admin", "matched", "created"]), name="vendor_link_source"),
        ]

    def __str__(self) -> str:
        return f"{self.vendor_id} → {self.erp_name or self.erp_id} ({self.source})"


class EntryKind(models.TextChoices):
    BILL = "bill", _("Vendor bill")
    PAYMENT = "payment", _("Vendor payment")


class ErrorCategory(models.TextChoices):
    TEMPORARY = "temporary", _("Temporary")
    AUTHENTICATION = "authentication", _("Authentication")
    SETUP = "setup", _("Setup")
    VALIDATION = "validation", _("Validation")
    BOOKED = "booked", _("Booked")
    UNSUPPORTED = "unsupported", _("Unsupported")


class ErpEntry(models.Model):
    """Roger's link to one ERP entry (R4): at most one bill and one payment per document and integration."""

    class State(models.TextChoices):
        SYNCED = "synced", _("Synced")
        BLOCKED = "blocked", _("Blocked (booked in the ERP)")
        FAILED = "failed", _("Failed")
        UNCERTAIN = "uncertain", _("Pending (outcome unknown)")
        NOT_SYNCED = "not_synced", _("Not synced")

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="erp_entries")
    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(max_length=10, choices=EntryKind.choices)
    erp_id = models.CharField(max_length=100, blank=True)
    erp_number = models.CharField(max_length=100, blank=True)
    erp_url = models.URLField(max_length=500, blank=True)
    erp_status = models.CharField(max_length=40, blank=True)
    booked = models.BooleanField(default=False)
    booked_reason = models.CharField(max_length=300, blank=True)
    state = models.CharField(max_length=20, choices=State.choices, default=State.NOT_SYNCED)
    # sha256 of the data last sent: an unchanged document needs no write (R8 "no change").
    fingerprint = models.CharField(max_length=64, blank=True)
    synced_version = models.PositiveIntegerField(default=0)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    # A write whose outcome is unknown (timeout, 5xx, killed worker): look up by marker before any create.
    uncertain = models.BooleanField(default=False)
    # When the last write whose outcome is unknown was sent (the database's clock).  The ERP may still be processing
    # it — a client's timeout is not the ERP's — so nothing is written to this entry again until the ERP's settle
    # time has passed since then (DESIGN §5 step 5).  Cleared once an answer settles the outcome.
    write_sent_at = models.DateTimeField(null=True, blank=True)
    # Writes to this entry whose outcome became known.  Part of the idempotency key: a retry of a write of unknown
    # outcome reuses its key (the ERP replays the first answer if it got it), while any later write gets a new one —
    # Xero replays the answer to a key for 6 minutes, so a write re-made after the entry was deleted or its data's
    # mapping fixed would otherwise be answered with the old response (a create that creates nothing).
    write_generation = models.PositiveIntegerField(default=0)
    # The document's file on this entry (R17): the checksum Roger last attached decides whether to upload again.
    attachment_sha256 = models.CharField(max_length=64, blank=True)
    attachment_erp_id = models.CharField(max_length=100, blank=True)  # the ERP's id of that attachment
    attachment_note = models.CharField(max_length=500, blank=True)  # why the entry lacks its file, when it does
    # Requires attention (R11): the latest attempt for this entry failed after retries (or is blocked).
    needs_attention = models.BooleanField(default=False)
    error_category = models.CharField(max_length=20, choices=ErrorCategory.choices, blank=True)
    error_message = models.CharField(max_length=1000, blank=True)
    error_hint = models.CharField(max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "ERP entries"
        constraints = [
            models.UniqueConstraint(
                fields=["document", "integration", "kind"], name="one_entry_per_document_integration_kind"
            ),
            models.UniqueConstraint(
                fields=["integration", "kind", "erp_id"], condition=~Q(erp_id=""), name="erp_id_unique_per_integration"
            ),
            models.CheckConstraint(condition=Q(kind__in=["bill", "payment"]), name="erp_entry_kind_valid"),
        ]
        indexes = [
            models.Index(fields=["integration", "needs_attention"], name="entry_attention_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.document_id} in {self.integration}"


class BulkResync(models.Model):
    """A bulk re-sync request (R9–R10): who asked, which documents, and how far it got."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="bulk_resyncs")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    total = models.PositiveIntegerField(default=0)  # document × integration pairs
    finished_at = models.DateTimeField(null=True, blank=True)
    # Selected documents that were not queued, by reason: {"not_approved": 2} (drafts among approved documents do
    # not refuse the batch; they are left out and the summary says so).
    skipped = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Bulk re-sync #{self.pk} ({self.total})"


class BulkResyncItem(models.Model):
    """One document × integration of a bulk re-sync, with its outcome.

    queued → done, or queued → waiting → done: *waiting* is an outcome too (a retry with backoff, a rate limit, an
    unknown outcome being waited out, an integration to reconnect), so a bulk finishes once no item is queued; a
    waiting item moves on to its final outcome when its job runs again.
    """

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        WAITING = "waiting", _("Waiting")
        DONE = "done", _("Done")

    bulk = models.ForeignKey(BulkResync, on_delete=models.CASCADE, related_name="items")
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="+")
    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    # created / updated / unchanged / blocked / failed / waiting — the worst of the document's entries
    outcome = models.CharField(max_length=20, blank=True)
    message = models.CharField(max_length=500, blank=True)
    retry_at = models.DateTimeField(null=True, blank=True)  # when a waiting item's job runs next
    # The document's file on its bill entry: attached / unchanged / refused / blocked, or "" when it has none.
    attachment = models.CharField(max_length=10, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["bulk", "document", "integration"], name="bulk_item_unique"),
        ]
        indexes = [models.Index(fields=["document", "integration", "state"], name="bulk_item_open_idx")]


class SyncJob(models.Model):
    """The durable intent to bring one document × integration in line with the ERP (DESIGN §5, R2)."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        RUNNING = "running", _("Running")
        PAUSED = "paused", _("Paused (integration needs reconnect)")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    OPEN_STATES = ("pending", "running", "paused")

    class Trigger(models.TextChoices):
        EVENT = "event", _("Automatic")
        MANUAL = "manual", _("Manual re-sync")
        BULK = "bulk", _("Bulk re-sync")
        SYSTEM = "system", _("System")

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="sync_jobs")
    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="sync_jobs")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    wanted_version = models.PositiveIntegerField()
    # wanted_version when the current run claimed the job: a newer wanted version at finalize means an edit
    # arrived mid-run, so the job goes back to pending and runs once more (R2).
    claimed_version = models.PositiveIntegerField(default=0)
    # Manual and bulk requests staged on this job, and how many of them the current run had seen when it claimed
    # the job: a request that lands on a running job is answered by one more run after it (R2a), since the run
    # that was already going read the document, the mappings and the connection before the request.
    requests = models.PositiveIntegerField(default=0)
    claimed_requests = models.PositiveIntegerField(default=0)
    # Which entries this job must bring in line; a manual re-sync may ask for one, events for both.
    want_bill = models.BooleanField(default=True)
    want_payment = models.BooleanField(default=True)
    trigger = models.CharField(max_length=10, choices=Trigger.choices, default=Trigger.EVENT)
    event = models.CharField(max_length=40, blank=True)  # approved / updated / paid …
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    bulk = models.ForeignKey(BulkResync, on_delete=models.SET_NULL, null=True, blank=True, related_name="jobs")
    attempts = models.PositiveIntegerField(default=0)  # consecutive temporary failures
    next_attempt_at = models.DateTimeField()
    lease_token = models.CharField(max_length=32, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["document", "integration"],
                condition=Q(state__in=["pending", "running", "paused"]),
                name="one_open_sync_job_per_document_integration",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="sync_job_due_idx"),
            models.Index(fields=["integration", "state"], name="sync_job_integration_idx"),
        ]

    def __str__(self) -> str:
        return f"SyncJob {self.pk} ({self.state})"


def new_attempt_reference() -> str:
    # Unambiguous (no 0/O/1/I) and quotable over the phone to support.  Ten characters (32^10 ≈ 10^15): the log
    # grows without end and a collision would fail a whole batch's insert; with seven, one insert in ~3,000
    # would collide once the log held 10 million records.
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "SA-" + "".join(secrets.choice(alphabet) for _ in range(10))


class SyncAttemptQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise ValidationError("Integration log records are append-only and cannot be changed.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ValidationError("Integration log records are append-only and cannot be deleted.")


class SyncAttempt(models.Model):
    """One record of the integration log (R14): written once, never updated or deleted."""

    class Action(models.TextChoices):
        CREATE = "create", _("Create")
        UPDATE = "update", _("Update")
        NO_CHANGE = "no_change", _("No change")
        BLOCKED = "blocked", _("Blocked")
        ADOPT = "adopt", _("Adopted existing entry")
        BOOK = "book", _("Booked in the ERP")  # "book after sync" (e-conomic): a record of its own
        ATTACH = "attach", _("Attached the file")  # the document's file uploaded to its entry (R17)
        NONE = "none", _("Not attempted")

    class Outcome(models.TextChoices):
        SUCCESS = "success", _("Success")
        FAILED = "failed", _("Failed")
        RETRYING = "retrying", _("Failed, will retry")
        BLOCKED = "blocked", _("Blocked")
        UNKNOWN = "unknown", _("Outcome unknown")

    reference = models.CharField(max_length=16, unique=True, default=new_attempt_reference, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # PROTECT: the log outlives nothing it describes; a document with history cannot silently vanish.
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="sync_attempts")
    integration = models.ForeignKey(Integration, on_delete=models.PROTECT, related_name="sync_attempts")
    entry_kind = models.CharField(max_length=10, choices=EntryKind.choices)
    document_version = models.PositiveIntegerField(default=0)
    trigger = models.CharField(max_length=10, choices=SyncJob.Trigger.choices)
    event = models.CharField(max_length=40, blank=True)
    triggered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    bulk = models.ForeignKey(BulkResync, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    action = models.CharField(max_length=10, choices=Action.choices)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    duration_ms = models.PositiveIntegerField(default=0)
    request_data = models.JSONField(default=dict, blank=True)  # what Roger sent, secrets never included
    changes = models.JSONField(default=dict, blank=True)  # {field: [old, new]} for updates
    erp_id = models.CharField(max_length=100, blank=True)
    erp_number = models.CharField(max_length=100, blank=True)
    erp_url = models.URLField(max_length=500, blank=True)
    erp_status = models.CharField(max_length=40, blank=True)  # the ERP's own status word after the attempt
    error_category = models.CharField(max_length=20, choices=ErrorCategory.choices, blank=True)
    error_field = models.CharField(max_length=50, blank=True)
    erp_message = models.TextField(blank=True)
    hint = models.CharField(max_length=500, blank=True)
    retry_at = models.DateTimeField(null=True, blank=True)

    objects = SyncAttemptQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["document", "integration", "-created_at"], name="attempt_document_log_idx"),
            models.Index(fields=["company", "-created_at"], name="attempt_company_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.entry_kind} {self.action} {self.outcome}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValidationError("Integration log records are append-only and cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValidationError("Integration log records are append-only and cannot be deleted.")


class RateLimit(models.Model):
    """Per-integration rate-limit state shared by every worker (see ``integrations.sync.limiter``).

    Times are epoch seconds on the database's clock, so workers on different hosts agree on them.
    """

    integration = models.OneToOneField(Integration, on_delete=models.CASCADE, related_name="rate_limit")
    # Sliding log of the calls let out in the last (scaled) minute: a hard bound over every rolling minute.
    recent_calls = models.JSONField(default=list, blank=True)
    # Pacing (GCRA): the theoretical time of the next call; spreads calls so no worker waits long for a slot.
    paced_until = models.FloatField(default=0.0)
    # Calls per (scaled) hour bucket over the last day: {bucket start: count}; whole buckets count, so the
    # rolling day is over- rather than under-estimated.
    day_buckets = models.JSONField(default=dict, blank=True)
    minute_count = models.PositiveIntegerField(default=0)  # for the admin: calls in the last minute / day
    day_count = models.PositiveIntegerField(default=0)
    # Concurrency slots in use: {token: expiry epoch}.  Slots expire, so a killed worker cannot stall its tenant.
    slots = models.JSONField(default=dict, blank=True)
    blocked_until = models.DateTimeField(null=True, blank=True)
    blocked_reason = models.CharField(max_length=50, blank=True)
