"""Line items and totals: LineItemID rules, accounts, tax types and amounts, tracking, as Xero computes them."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from integrations.sandbox.xero_model import ZERO, Invoice, Line, Org, money, new_id
from integrations.sandbox.xero_results import DESCRIPTION_REQUIRED, dec, text


def _tracking(org: Org, raw: Any, where: str, errors: list[str]) -> list[dict[str, str]]:
    if raw in (None, []):
        return []
    if not isinstance(raw, list):
        errors.append(f"{where}: Tracking must be a list")
        return []
    if len(raw) > 2:
        errors.append(f"{where}: a line item can have a maximum of 2 tracking categories")
    result = []
    for item in raw:
        item = item if isinstance(item, dict) else {}
        cat_id, cat_name = text(item.get("TrackingCategoryID")).lower(), text(item.get("Name"))
        category = next(
            (
                c
                for c in org.tracking
                if (cat_id and c["TrackingCategoryID"] == cat_id)
                or (not cat_id and c["Name"].casefold() == cat_name.casefold())
            ),
            None,
        )
        if category is None or category["Status"] != "ACTIVE":
            errors.append(f"The tracking category {cat_name or cat_id} does not exist or has been archived")
            continue
        opt_id, opt_name = text(item.get("TrackingOptionID")).lower(), text(item.get("Option"))
        option = next(
            (
                o
                for o in category["Options"]
                if (opt_id and o["TrackingOptionID"] == opt_id)
                or (not opt_id and o["Name"].casefold() == opt_name.casefold())
            ),
            None,
        )
        if option is None or option["Status"] != "ACTIVE":
            errors.append(
                f"The tracking option {opt_name or opt_id} does not exist or has been archived in "
                f"tracking category {category['Name']}"
            )
            continue
        result.append(
            {
                "Name": category["Name"],
                "Option": option["Name"],
                "TrackingCategoryID": category["TrackingCategoryID"],
                "TrackingOptionID": option["TrackingOptionID"],
            }
        )
    return result


def _account_code(org: Org, raw: dict[str, Any], base: Line | None, errors: list[str]) -> str:
    if raw.get("AccountID"):
        account = org.account_by_id(text(raw.get("AccountID")))
        if account is None:
            errors.append(f"Account with ID {raw.get('AccountID')} could not be found")
            return ""
        code = account["Code"]
    elif "AccountCode" in raw:
        code = text(raw.get("AccountCode"))
    else:
        code = base.AccountCode if base else ""
    if not code:
        return ""
    account = org.account_by_code(code)
    if account is None or account["Type"] == "BANK" or account.get("SystemAccount"):
        errors.append(f"Account code '{code}' is not a valid code for this document.")
    elif account["Status"] != "ACTIVE":
        errors.append(
            f"Account code '{code}' has been archived, or deleted. Each line item must reference a valid account."
        )
    return account["Code"] if account else code


def _amounts(
    raw: dict[str, Any], base: Line | None, where: str, unit_dp: int, errors: list[str]
) -> tuple[Decimal, Decimal, Decimal]:
    qty = dec(raw.get("Quantity"), "Quantity", errors)
    unit = dec(raw.get("UnitAmount"), "UnitAmount", errors)
    amount = dec(raw.get("LineAmount"), "LineAmount", errors)
    if base is not None:  # an updated line keeps the amounts it is not given
        qty = base.Quantity if qty is None and "Quantity" not in raw else qty
        unit = base.UnitAmount if unit is None and "UnitAmount" not in raw else unit
    unit_q = Decimal(1).scaleb(-unit_dp)
    if amount is None:
        qty = Decimal("1") if qty is None and unit is not None else (qty or ZERO)
        unit = (unit or ZERO).quantize(unit_q)
        return qty, unit, money(qty * unit)
    amount = money(amount)
    if qty is None and unit is None:
        return Decimal("1"), amount, amount
    if unit is None:
        return qty, (amount / qty).quantize(unit_q) if qty else ZERO, amount  # type: ignore[operator]
    unit = unit.quantize(unit_q)
    if qty is None:
        return (amount / unit if unit else Decimal("1")), unit, amount
    expected = money(qty * unit)
    if abs(expected - amount) > Decimal("0.01") + abs(qty) * Decimal("0.005"):
        errors.append(f"{where}: the line total {amount} does not match the expected line total {expected}")
    return qty, unit, amount


def build_lines(
    org: Org, raw_lines: Any, old: list[Line], line_amount_types: str, status: str, unit_dp: int, errors: list[str]
) -> list[Line]:
    """Apply Xero's LineItemID rules: known ID updates that line, no ID adds one, an omitted line is deleted."""
    if not isinstance(raw_lines, list):
        errors.append("LineItems must be a list")
        return []
    old_by_id = {line.LineItemID: line for line in old}
    lines = []
    for number, raw in enumerate(raw_lines, 1):
        where = f"Line item {number}"
        raw = raw if isinstance(raw, dict) else {}
        line_id = text(raw.get("LineItemID")).lower()
        base = old_by_id.get(line_id) if line_id else None
        if line_id and base is None:
            errors.append(f"{where}: the LineItemID {line_id} does not exist on this document")
        line = copy.deepcopy(base) if base else Line(LineItemID=new_id())
        if "Description" in raw:
            line.Description = text(raw.get("Description"))
        if not line.Description:
            errors.append(DESCRIPTION_REQUIRED)
        line.Quantity, line.UnitAmount, line.LineAmount = _amounts(raw, base, where, unit_dp, errors)
        line.AccountCode = _account_code(org, raw, base, errors)
        if not line.AccountCode and status in {"SUBMITTED", "AUTHORISED"}:
            errors.append(f"{where}: an account code must be specified for each line item")
        line.ItemCode = text(raw.get("ItemCode")) if "ItemCode" in raw else line.ItemCode
        if "Tracking" in raw or base is None:
            line.Tracking = _tracking(org, raw.get("Tracking"), where, errors)
        line.TaxType, line.TaxAmount = _tax(org, raw, line, base, line_amount_types, errors)
        lines.append(line)
    return lines


def _tax(
    org: Org, raw: dict[str, Any], line: Line, base: Line | None, lat: str, errors: list[str]
) -> tuple[str, Decimal]:
    tax_type = text(raw.get("TaxType")) or (base.TaxType if base else "")
    if not tax_type:
        account = org.account_by_code(line.AccountCode) if line.AccountCode else None
        tax_type = account["TaxType"] if account else "NONE"
    rate_row = org.tax_rate(tax_type)
    if rate_row is None or rate_row["Status"] != "ACTIVE":
        errors.append(f"The TaxType code '{tax_type}' does not exist or cannot be used for this type of transaction.")
        return tax_type, ZERO
    if lat == "NoTax":
        return rate_row["TaxType"], ZERO
    given = dec(raw.get("TaxAmount"), "TaxAmount", errors)
    if given is not None:  # Xero honours an explicit tax amount (to fix rounding)
        return rate_row["TaxType"], money(given)
    rate = Decimal(rate_row["EffectiveRate"])
    if lat == "Inclusive":
        return rate_row["TaxType"], money(line.LineAmount * rate / (Decimal(100) + rate))
    return rate_row["TaxType"], money(line.LineAmount * rate / Decimal(100))


def compute_totals(invoice: Invoice) -> None:
    gross = sum((line.LineAmount for line in invoice.lines), ZERO)
    tax = sum((line.TaxAmount for line in invoice.lines), ZERO)
    if invoice.LineAmountTypes == "Inclusive":
        invoice.SubTotal, invoice.TotalTax, invoice.Total = gross - tax, tax, gross
    else:
        invoice.SubTotal, invoice.TotalTax, invoice.Total = gross, tax, gross + tax
