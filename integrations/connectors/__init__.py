"""ERP connectors: one module per ERP behind the interface of ``base.py``.

The registry maps an ``Integration.kind`` to its connector class by dotted path, so importing this package
does not import every ERP's module (and their HTTP stacks) up front.
"""

from __future__ import annotations

import importlib

from integrations.connectors.base import Connector

CONNECTOR_KINDS: dict[str, str] = {
    "xero": "integrations.connectors.xero.XeroConnector",
    "economic": "integrations.connectors.economic.EconomicConnector",
}


def get_connector_class(kind: str) -> type[Connector]:
    try:
        dotted = CONNECTOR_KINDS[kind]
    except KeyError:
        raise LookupError(f"no connector for integration kind {kind!r}") from None
    module_name, _, class_name = dotted.rpartition(".")
    cls = getattr(importlib.import_module(module_name), class_name)
    if not (isinstance(cls, type) and issubclass(cls, Connector)):
        raise TypeError(f"{dotted} is not a Connector")
    return cls
