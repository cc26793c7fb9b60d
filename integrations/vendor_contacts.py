"""The vendor → ERP supplier mapping an admin edits (issue 12): which Xero contact each vendor is.

Made for companies with hundreds of vendors and ERPs with thousands of contacts: the editor lists only the
vendors that need a choice (a sync stopped because the match was ambiguous, archived or taken) or have one, with
a search for any other vendor, a page at a time; the ERP's contacts come from ``Connector.contacts()``, cached
briefly like the other catalogues.  Every read is a constant number of queries, whatever the number of vendors.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from documents.models import Vendor
from integrations.connectors.base import CatalogItem, ConnectorError
from integrations.models import ErpEntry, Integration, VendorLink
from integrations.services import CATALOGUE_TTL, IntegrationServiceError, _connector, _erp_message

PAGE_SIZE = 50
# The connectors' vendor setup errors all send the admin here ("… in Integrations settings → <name> → Contacts").
NEEDS_CHOICE_HINT = "→ Contacts"


@dataclass(frozen=True)
class VendorRow:
    vendor: Vendor
    link: VendorLink | None
    needs_choice: bool


def contact_catalogue(*, integration: Integration, refresh: bool = False) -> list[CatalogItem]:
    """The ERP's active contacts (suppliers), cached for a few minutes: a big organisation takes many pages."""
    key = f"roger:contacts:{integration.pk}"
    if not refresh:
        cached = cache.get(key)
        if cached is not None:
            return cached
    try:
        contacts = [c for c in _connector(integration).contacts() if c.active]
    except ConnectorError as exc:
        raise IntegrationServiceError(
            _("Could not load the contacts from %(name)s: %(reason)s")
            % {"name": integration.name, "reason": _erp_message(exc)}
        ) from None
    contacts.sort(key=lambda c: c.name.casefold())
    cache.set(key, contacts, CATALOGUE_TTL)
    return contacts


def _needing_choice(integration: Integration) -> set[int]:
    """Vendors whose documents wait in Requires attention for a choice of supplier."""
    rows = ErpEntry.objects.filter(
        integration=integration, needs_attention=True, error_category="setup", error_hint__contains=NEEDS_CHOICE_HINT
    ).values_list("document__vendor_id", flat=True)
    return set(rows.distinct())


def vendor_rows(*, integration: Integration, query: str = "", page: int = 1) -> Page:
    """A page of ``VendorRow``: the vendors needing a choice first, then those with one; or, with ``query``, any
    vendor whose name, number or tax number contains it."""
    needing = _needing_choice(integration)
    vendors = Vendor.objects.filter(company_id=integration.company_id)
    if query:
        vendors = vendors.filter(Q(name__icontains=query) | Q(number__icontains=query) | Q(tax_number__icontains=query))
    else:
        linked = VendorLink.objects.filter(integration=integration).values("vendor_id")
        vendors = vendors.filter(Q(pk__in=needing) | Q(pk__in=linked))
    vendors = vendors.order_by("name", "pk")
    paginator = Paginator(vendors, PAGE_SIZE)
    current = paginator.get_page(page)
    shown = list(current.object_list)
    links = {link.vendor_id: link for link in VendorLink.objects.filter(integration=integration, vendor__in=shown)}
    rows = [VendorRow(v, links.get(v.pk), v.pk in needing) for v in shown]
    rows.sort(key=lambda r: not r.needs_choice)  # within the page, the ones waiting first
    current.object_list = rows
    return current


@transaction.atomic
def save_vendor_contacts(
    *, integration: Integration, choices: Mapping[int, str], catalogue: list[CatalogItem]
) -> tuple[int, int]:
    """Apply the admin's choices (vendor id → contact id, '' to forget the link): (set, cleared).  Ids must be the
    company's vendors and the ERP's contacts; a choice is the admin's from then on, never overwritten by a sync."""
    vendors = set(
        Vendor.objects.filter(company_id=integration.company_id, pk__in=list(choices)).values_list("pk", flat=True)
    )
    if vendors != set(choices):
        raise IntegrationServiceError(_("Unknown vendors in the choice."))
    names = {c.code: c.name for c in catalogue}
    unknown = sorted(code for code in choices.values() if code and code not in names)
    if unknown:
        raise IntegrationServiceError(
            f"{integration.name} has no contact {unknown[0]}; reload the list and choose again."
        )
    current = {
        link.vendor_id: link for link in VendorLink.objects.filter(integration=integration, vendor_id__in=vendors)
    }
    cleared = [v for v, code in choices.items() if not code and v in current]
    VendorLink.objects.filter(integration=integration, vendor_id__in=cleared).delete()
    chosen = [
        VendorLink(integration=integration, vendor_id=v, erp_id=code, erp_name=names[code][:255], source="admin")
        for v, code in choices.items()
        if code and (v not in current or current[v].erp_id != code or current[v].source != "admin")
    ]
    VendorLink.objects.bulk_create(
        chosen,
        update_conflicts=True,
        unique_fields=["integration", "vendor"],
        update_fields=["erp_id", "erp_name", "source", "updated_at"],
    )
    return len(chosen), len(cleared)
