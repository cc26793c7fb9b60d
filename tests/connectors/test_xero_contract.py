"""The Xero connector against the running sandbox over real HTTP (part of the normal suite).

With ``ROGER_XERO_OPENAPI`` set, every exchange is also validated against Xero's OpenAPI description
(see ``conftest.py``); ``test_xero_conformance.py`` requires that.
"""

from __future__ import annotations

import pytest

from tests.connectors.xero_scenarios import SCENARIOS, XeroEnv


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.__name__ for s in SCENARIOS])
def test_xero_contract(scenario, sandbox, xero_http):
    scenario(XeroEnv(sandbox, xero_http))
