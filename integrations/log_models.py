"""The integration log's model (R14): one record per attempt, written once, never updated or deleted.

Kept apart from ``integrations.models`` for size; that module imports it (last), so import the model from there.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from documents.models import Document
from integrations.models import BulkResync, EntryKind, ErrorCategory, Integration, SyncJob, new_attempt_reference
from roger.models import Company


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

    reference = models.CharField(
        _("reference"), max_length=16, unique=True, default=new_attempt_reference, editable=False
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    # PROTECT: the log outlives nothing it describes; a document with history cannot silently vanish.
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+", verbose_name=_("company"))
    document = models.ForeignKey(
        Document, on_delete=models.PROTECT, related_name="sync_attempts", verbose_name=_("document")
    )
    integration = models.ForeignKey(
        Integration, on_delete=models.PROTECT, related_name="sync_attempts", verbose_name=_("integration")
    )
    entry_kind = models.CharField(_("entry kind"), max_length=10, choices=EntryKind.choices)
    document_version = models.PositiveIntegerField(_("document version"), default=0)
    trigger = models.CharField(_("trigger"), max_length=10, choices=SyncJob.Trigger.choices)
    event = models.CharField(_("event"), max_length=40, blank=True)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("triggered by")
    )
    bulk = models.ForeignKey(
        BulkResync, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("bulk re-sync")
    )
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    request_data = models.JSONField(
        _("request data"), default=dict, blank=True
    )  # what Roger sent, secrets never included
    changes = models.JSONField(_("changes"), default=dict, blank=True)  # {field: [old, new]} for updates
    erp_id = models.CharField(_("ERP ID"), max_length=100, blank=True)
    erp_number = models.CharField(_("ERP number"), max_length=100, blank=True)
    erp_url = models.URLField(_("ERP link"), max_length=500, blank=True)
    erp_status = models.CharField(
        _("ERP status"), max_length=40, blank=True
    )  # the ERP's own status word after the attempt
    error_category = models.CharField(_("error category"), max_length=20, choices=ErrorCategory.choices, blank=True)
    error_field = models.CharField(_("error field"), max_length=50, blank=True)
    erp_message = models.TextField(_("ERP message"), blank=True)
    hint = models.CharField(_("hint"), max_length=500, blank=True)
    retry_at = models.DateTimeField(_("retry at"), null=True, blank=True)

    objects = SyncAttemptQuerySet.as_manager()

    class Meta:
        verbose_name = _("sync attempt")
        verbose_name_plural = _("sync attempts")
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
