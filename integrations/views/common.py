"""What the integration views share: the refusal text, the document and the chosen integration."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError

from documents.models import Document
from integrations.models import Integration
from roger.access import get_for_company
from roger.models import Membership

logger = logging.getLogger(__name__)


def refusal(error: ValidationError) -> str:
    return " ".join(error.messages)


def company_document(membership: Membership, pk: int) -> Document:
    return get_for_company(Document.objects.select_related("vendor", "credits"), membership, pk=pk)


def chosen_integration(
    membership: Membership, value: str | None, integrations: list[Integration]
) -> Integration | None:
    """The integration chosen in the dropdown; another company's id is a 404, none chosen is the first."""
    if value:
        try:
            wanted = int(value)
        except ValueError:
            wanted = -1
        for integration in integrations:
            if integration.pk == wanted:
                return integration
        return get_for_company(Integration.objects.all(), membership, pk=wanted)  # raises 404
    enabled = [i for i in integrations if i.enabled]
    return (enabled or integrations or [None])[0]
