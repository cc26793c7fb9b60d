"""Bills: ``ACCPAY`` invoices created with ``PUT /Invoices`` and updated with ``POST /Invoices`` (PUT creates only,
POST creates or updates — spec operation summaries, reference/erp_apis.md §1.1)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from integrations.connectors.base import (
    N_,
    BillData,
    EntryKind,
    EntryState,
    ErpError,
    ErrorCategory,
    ItemResult,
    Outcome,
    WriteItem,
)
from integrations.connectors.xero import lookups
from integrations.connectors.xero.bodies import bill_body, update_status
from integrations.connectors.xero.states import data_lines_signature, lines_signature, tracking_set
from integrations.connectors.xero.values import err, marker_key
from integrations.connectors.xero.writes import current, prechecked, run_batches

if TYPE_CHECKING:
    from integrations.connectors.xero.connector import XeroConnector


def bill(item: WriteItem) -> BillData:
    assert isinstance(item.data, BillData)
    return item.data


def no_contact() -> ErpError:
    return err(ErrorCategory.VALIDATION, N_("No Xero contact could be found or created for the supplier"), "vendor")


def create_bills(conn: XeroConnector, items: Sequence[WriteItem]) -> list[ItemResult]:
    return create_with_contacts(conn, items, bill_body, "/Invoices", "Invoices")


def create_with_contacts(
    conn: XeroConnector,
    items: Sequence[WriteItem],
    body: Callable[[BillData, str], dict[str, Any]],
    path: str,
    wrapper: str,
) -> list[ItemResult]:
    """``PUT`` new bills or credit notes in batches, each with its supplier's contact (found or created first)."""
    results: dict[str, ItemResult] = {}
    valid = prechecked(items, results)
    if valid:
        conn.lock_dates()
        contacts = conn.directory.resolve([bill(i).vendor for i in valid])
        todo: list[tuple[WriteItem, dict[str, Any]]] = []
        for item in valid:
            contact = contacts.get(bill(item).vendor.number)
            if isinstance(contact, str):
                todo.append((item, body(bill(item), contact)))
            else:
                results[item.ref] = ItemResult(item.ref, Outcome.FAILED, error=contact or no_contact())
        results.update(run_batches(conn, EntryKind.BILL, "PUT", path, wrapper, todo, Outcome.CREATED))
    return [results[i.ref] for i in items]


def update_bills(conn: XeroConnector, items: Sequence[WriteItem]) -> list[ItemResult]:
    results: dict[str, ItemResult] = {}
    valid = prechecked(items, results)
    live = (
        current(conn, EntryKind.BILL, valid, results, lambda ids: lookups.invoices_by_id(conn.api, ids))
        if valid
        else []
    )
    changed = []
    for item, inv, state in live:
        status = update_status(bill(item), inv)
        if unchanged(conn, bill(item), inv, state, status):
            results[item.ref] = ItemResult(item.ref, Outcome.UNCHANGED, state=state)
        else:
            changed.append((item, inv, status))
    if changed:
        contacts = conn.directory.resolve([bill(i).vendor for i, _, _ in changed])
        todo = []
        for item, inv, status in changed:
            contact = contacts.get(bill(item).vendor.number)
            if not isinstance(contact, str):
                results[item.ref] = ItemResult(item.ref, Outcome.FAILED, error=contact or no_contact())
                continue
            line_ids = [str(li["LineItemID"]) for li in inv.get("LineItems") or [] if li.get("LineItemID")]
            body = bill_body(bill(item), contact, invoice_id=item.erp_id, line_item_ids=line_ids, status=status)
            todo.append((item, body))
        results.update(run_batches(conn, EntryKind.BILL, "POST", "/Invoices", "Invoices", todo, Outcome.UPDATED))
    return [results[i.ref] for i in items]


def unchanged(
    conn: XeroConnector,
    data: BillData,
    inv: Mapping[str, Any],
    state: EntryState,
    status: str,
    *,
    marked: bool = True,
) -> bool:
    """Whether the entry already says what ``data`` says (``marked``: it carries Roger's marker in ``Url``)."""
    want, have = data.comparable(), dict(state.fields)
    # Xero may order a line's tracking categories its own way, and fills in a due date from the supplier's
    # terms when Roger sends none: neither is a difference worth an update (it would repeat forever).
    if tracking_set(want.pop("tracking")) != tracking_set(have.pop("tracking")):
        return False
    if not want["due_date"]:
        have["due_date"] = ""
    contact = inv.get("Contact") or {}
    contact_id = str(contact.get("ContactID") or "").lower()
    wanted_contact = (data.vendor.erp_id or conn.directory.known.get(data.vendor.number, "")).lower()
    same_vendor = (
        want.pop("vendor") == have.pop("vendor")
        or (bool(contact_id) and contact_id == wanted_contact)
        or contact.get("ContactNumber") == data.vendor.number  # Roger's own contact, renamed in Xero
    )
    return (
        same_vendor
        and want == have
        and state.status == status
        and inv.get("LineAmountTypes", "Exclusive") == "Exclusive"
        # Compared on the document's id: a new SITE_URL alone is no reason to rewrite every bill.
        and (not marked or marker_key(str(inv.get("Url") or "")) == marker_key(data.marker))
        and lines_signature(inv.get("LineItems") or []) == data_lines_signature(data)
    )
