"""Which ERP supplier each vendor is, per integration (``VendorLink``; issue 12).

* The mapper reads a vendor's link (``erp_id_for``) into ``VendorData.erp_id``: the connector then uses that
  supplier as it is, and never matches or creates one again.  The links of an integration are read once per
  ``Integration`` instance — the engine loads a fresh one for every batch — so a batch costs one query, whatever
  its size.
* After a batch, the engine hands over the entries' states (``remember``): the supplier each entry is booked to
  (``EntryState.vendor_erp_id``) becomes the vendor's link when it has none.  Existing links are never changed
  here — an admin's choice always wins, and a remembered supplier does not wander from bill to bill.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import DatabaseError, transaction

from integrations.connectors.base import EntryState
from integrations.models import Integration, VendorLink

log = logging.getLogger(__name__)
_CACHE = "_roger_vendor_links"


def _links(integration: Integration) -> dict[int, str]:
    """vendor id → ERP id for this integration, read once per Integration instance (one batch)."""
    cached = integration.__dict__.get(_CACHE)
    if cached is None:
        cached = dict(VendorLink.objects.filter(integration=integration).values_list("vendor_id", "erp_id"))
        integration.__dict__[_CACHE] = cached
    return cached


def erp_id_for(integration: Integration, vendor_id: int | None) -> str:
    if integration.pk is None or vendor_id is None:
        return ""
    return _links(integration).get(vendor_id, "")


def remember(integration: Integration, pairs: Iterable[tuple[int | None, EntryState | None]]) -> int:
    """Link each vendor without a link to the ERP supplier its entry is booked to; returns how many were added.
    Constant queries per batch: the links read for the batch, then one insert."""
    found: dict[int, EntryState] = {}
    for vendor_id, state in pairs:
        if vendor_id is not None and state is not None and state.exists and state.vendor_erp_id:
            found.setdefault(vendor_id, state)
    if not found:
        return 0
    known = _links(integration)
    new = [
        VendorLink(
            integration=integration,
            vendor_id=vendor_id,
            erp_id=state.vendor_erp_id[:100],
            erp_name=str(state.fields.get("vendor", ""))[:255],
            source=VendorLink.Source.MATCHED,
        )
        for vendor_id, state in found.items()
        if vendor_id not in known
    ]
    if not new:
        return 0
    try:
        # A link made meanwhile (by an admin, or another worker) wins: conflicts are left alone.
        with transaction.atomic():
            VendorLink.objects.bulk_create(new, ignore_conflicts=True)
    except DatabaseError:  # remembering is a convenience: the batch's own records must still be written
        log.exception("could not remember %d vendor links of integration %s", len(new), integration.pk)
        return 0
    known.update((link.vendor_id, link.erp_id) for link in new)
    return len(new)
