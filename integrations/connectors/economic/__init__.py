"""Visma e-conomic: supplier invoices and supplier payments as draft vouchers in a dedicated journal.

Built against e-conomic's published API descriptions (``shared/specs/economic/``: the OpenAPI files of the
Journals 15.0.0, BookedEntries 4.0.0 and Documents 4.0.1 services, and the legacy REST API's JSON schemas).
Modules:

* ``connector`` — ``EconomicConnector``, which API does what;
* ``client`` — HTTP, both error bodies, what 401/403/429/5xx mean;
* ``errors`` — a refused entry in Roger's words (the Journals API's ``x-error-codes``);
* ``ids`` — voucher ids, marker tokens, supplier numbers;
* ``reference`` — agreement, accounting years and periods, the journal check, VAT rates;
* ``suppliers`` — the supplier an entry is booked to;
* ``entries`` — Roger's data → either API's entry, currencies, prechecks;
* ``reading`` / ``creating`` / ``updating`` / ``booking`` / ``attaching`` — the connector operations;
* ``catalogues`` — what the mapping editors offer.
"""

from __future__ import annotations

from integrations.connectors.economic.connector import EconomicConnector
from integrations.connectors.economic.ids import marker_token, supplier_number_for

__all__ = ["EconomicConnector", "marker_token", "supplier_number_for"]
