from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

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

    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="integrations", verbose_name=_("company")
    )
    kind = models.CharField(_("ERP"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100)
    enabled = models.BooleanField(_("enabled"), default=True)
    auto_sync = models.BooleanField(
        _("sync automatically"), default=True, help_text=_("Sync automatically on approval, edits and payment")
    )
    push_drafts = models.BooleanField(
        _("push drafts"), default=False, help_text=_("Also push documents before approval (R3)")
    )
    book_after_sync = models.BooleanField(
        _("book after sync"), default=False, help_text=_("Book the entries Roger created (e-conomic)")
    )
    # Fernet-encrypted JSON (tokens, agreement grant…); read and written only through get/set_credentials.
    credentials_encrypted = models.TextField(blank=True, default="", editable=False)
    # Non-secret connection settings: tenant id and name (Xero), journal number (e-conomic), token expiry.
    settings = models.JSONField(_("settings"), default=dict, blank=True)
    # {"accounts": {category_id: code}, "tax_types": {vat_code_id: type}, "tracking": {department_id: option},
    #  "bank_account": code}
    mappings = models.JSONField(_("mappings"), default=dict, blank=True)
    connection = models.CharField(
        _("connection"), max_length=20, choices=Connection.choices, default=Connection.NOT_CONNECTED
    )
    connection_message = models.CharField(_("connection message"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("integration")
        verbose_name_plural = _("integrations")
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

    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, related_name="erp_entries", verbose_name=_("document")
    )
    integration = models.ForeignKey(
        Integration, on_delete=models.CASCADE, related_name="entries", verbose_name=_("integration")
    )
    kind = models.CharField(_("entry kind"), max_length=10, choices=EntryKind.choices)
    erp_id = models.CharField(_("ERP ID"), max_length=100, blank=True)
    erp_number = models.CharField(_("ERP number"), max_length=100, blank=True)
    erp_url = models.URLField(_("ERP link"), max_length=500, blank=True)
    erp_status = models.CharField(_("ERP status"), max_length=40, blank=True)
    booked = models.BooleanField(_("booked"), default=False)
    booked_reason = models.CharField(_("booked because"), max_length=300, blank=True)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.NOT_SYNCED)
    # sha256 of the data last sent: an unchanged document needs no write (R8 "no change").
    fingerprint = models.CharField(_("fingerprint"), max_length=64, blank=True)
    synced_version = models.PositiveIntegerField(_("synced version"), default=0)
    last_synced_at = models.DateTimeField(_("last synced"), null=True, blank=True)
    # A write whose outcome is unknown (timeout, 5xx, killed worker): look up by marker before any create.
    uncertain = models.BooleanField(_("outcome unknown"), default=False)
    # When the last write whose outcome is unknown was sent (the database's clock).  The ERP may still be processing
    # it — a client's timeout is not the ERP's — so nothing is written to this entry again until the ERP's settle
    # time has passed since then (DESIGN §5 step 5).  Cleared once an answer settles the outcome.
    write_sent_at = models.DateTimeField(_("write sent at"), null=True, blank=True)
    # Writes to this entry whose outcome became known.  Part of the idempotency key: a retry of a write of unknown
    # outcome reuses its key (the ERP replays the first answer if it got it), while any later write gets a new one —
    # Xero replays the answer to a key for 6 minutes, so a write re-made after the entry was deleted or its data's
    # mapping fixed would otherwise be answered with the old response (a create that creates nothing).
    write_generation = models.PositiveIntegerField(_("write generation"), default=0)
    # The document's file on this entry (R17): the checksum Roger last attached decides whether to upload again.
    attachment_sha256 = models.CharField(_("attachment SHA-256"), max_length=64, blank=True)
    attachment_erp_id = models.CharField(
        _("attachment ERP ID"), max_length=100, blank=True
    )  # the ERP's id of that attachment
    attachment_note = models.CharField(
        _("attachment note"), max_length=500, blank=True
    )  # why the entry lacks its file, when it does
    # Requires attention (R11): the latest attempt for this entry failed after retries (or is blocked).
    needs_attention = models.BooleanField(_("requires attention"), default=False)
    error_category = models.CharField(_("error category"), max_length=20, choices=ErrorCategory.choices, blank=True)
    error_message = models.CharField(_("error message"), max_length=1000, blank=True)
    error_hint = models.CharField(_("hint"), max_length=500, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = pgettext_lazy("admin", "ERP entry")  # lower case mid-sentence; "ERP entry" is a heading
        verbose_name_plural = _("ERP entries")
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

    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="bulk_resyncs", verbose_name=_("company")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("requested by")
    )
    integration = models.ForeignKey(
        Integration, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("integration")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    total = models.PositiveIntegerField(_("total"), default=0)  # document × integration pairs
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # Selected documents that were not queued, by reason: {"not_approved": 2} (drafts among approved documents do
    # not refuse the batch; they are left out and the summary says so).
    skipped = models.JSONField(_("skipped"), default=dict, blank=True)

    class Meta:
        verbose_name = _("bulk re-sync")
        verbose_name_plural = _("bulk re-syncs")
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

    bulk = models.ForeignKey(BulkResync, on_delete=models.CASCADE, related_name="items", verbose_name=_("bulk re-sync"))
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="+", verbose_name=_("document"))
    integration = models.ForeignKey(
        Integration, on_delete=models.CASCADE, related_name="+", verbose_name=_("integration")
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    # created / updated / unchanged / blocked / failed / waiting — the worst of the document's entries
    outcome = models.CharField(_("outcome"), max_length=20, blank=True)
    message = models.CharField(_("message"), max_length=500, blank=True)
    retry_at = models.DateTimeField(_("retry at"), null=True, blank=True)  # when a waiting item's job runs next
    # The document's file on its bill entry: attached / unchanged / refused / blocked, or "" when it has none.
    attachment = models.CharField(_("attachment"), max_length=10, blank=True)

    class Meta:
        verbose_name = _("bulk re-sync item")
        verbose_name_plural = _("bulk re-sync items")
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

    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, related_name="sync_jobs", verbose_name=_("document")
    )
    integration = models.ForeignKey(
        Integration, on_delete=models.CASCADE, related_name="sync_jobs", verbose_name=_("integration")
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    wanted_version = models.PositiveIntegerField(_("wanted version"))
    # wanted_version when the current run claimed the job: a newer wanted version at finalize means an edit
    # arrived mid-run, so the job goes back to pending and runs once more (R2).
    claimed_version = models.PositiveIntegerField(_("claimed version"), default=0)
    # Manual and bulk requests staged on this job, and how many of them the current run had seen when it claimed
    # the job: a request that lands on a running job is answered by one more run after it (R2a), since the run
    # that was already going read the document, the mappings and the connection before the request.
    requests = models.PositiveIntegerField(_("requests"), default=0)
    claimed_requests = models.PositiveIntegerField(_("claimed requests"), default=0)
    # Which entries this job must bring in line; a manual re-sync may ask for one, events for both.
    want_bill = models.BooleanField(_("sync the bill"), default=True)
    want_payment = models.BooleanField(_("sync the payment"), default=True)
    trigger = models.CharField(_("trigger"), max_length=10, choices=Trigger.choices, default=Trigger.EVENT)
    event = models.CharField(_("event"), max_length=40, blank=True)  # approved / updated / paid …
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("requested by")
    )
    bulk = models.ForeignKey(
        BulkResync,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="jobs",
        verbose_name=_("bulk re-sync"),
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)  # consecutive temporary failures
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    lease_token = models.CharField(_("lease token"), max_length=32, blank=True)
    lease_expires_at = models.DateTimeField(_("lease expires at"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("sync job")
        verbose_name_plural = _("sync jobs")
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


class RateLimit(models.Model):
    """Per-integration rate-limit state shared by every worker (see ``integrations.sync.limiter``).

    Times are epoch seconds on the database's clock, so workers on different hosts agree on them.
    """

    integration = models.OneToOneField(
        Integration, on_delete=models.CASCADE, related_name="rate_limit", verbose_name=_("integration")
    )
    # Sliding log of the calls let out in the last (scaled) minute: a hard bound over every rolling minute.
    recent_calls = models.JSONField(_("recent calls"), default=list, blank=True)
    # Pacing (GCRA): the theoretical time of the next call; spreads calls so no worker waits long for a slot.
    paced_until = models.FloatField(_("paced until"), default=0.0)
    # Calls per (scaled) hour bucket over the last day: {bucket start: count}; whole buckets count, so the
    # rolling day is over- rather than under-estimated.
    day_buckets = models.JSONField(_("day buckets"), default=dict, blank=True)
    minute_count = models.PositiveIntegerField(
        _("calls in the last minute"), default=0
    )  # for the admin: calls in the last minute / day
    day_count = models.PositiveIntegerField(_("calls in the last day"), default=0)
    # Concurrency slots in use: {token: expiry epoch}.  Slots expire, so a killed worker cannot stall its tenant.
    slots = models.JSONField(_("slots"), default=dict, blank=True)
    blocked_until = models.DateTimeField(_("blocked until"), null=True, blank=True)
    blocked_reason = models.CharField(_("blocked reason"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("rate limit")
        verbose_name_plural = _("rate limits")


# The integration log lives in its own module (size); importing it here registers it with the app and keeps
# ``from integrations.models import SyncAttempt`` working.  It imports this module, so it comes last.
from integrations.log_models import SyncAttempt, SyncAttemptQuerySet  # noqa: E402, F401
