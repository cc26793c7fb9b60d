"""Connector test fixtures: the OpenAPI conformance recorder and a session to hand to connectors.

``xero_http`` is the ``requests.Session`` every contract test gives the Xero connector and OAuth client.
With ``ROGER_XERO_OPENAPI`` set, each exchange on it is validated against Xero's OpenAPI description when the
test ends, and any invalid request or response fails that test.  Tests marked ``contract`` insist on the
spec being there: without it they fail loudly instead of passing unchecked.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from integrations.connectors.http import make_session
from tests.connectors import economic_conformance as eco_spec
from tests.connectors.xero_conformance import ENV, ConformanceRecorder, spec_path


@pytest.fixture(scope="session")
def xero_conformance() -> ConformanceRecorder | None:
    path = spec_path()
    if path is None:
        return None
    return ConformanceRecorder(path).load()


@pytest.fixture(autouse=True)
def _contract_needs_the_spec(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("contract") is None:
        return
    path = spec_path()
    if path is None or not path.is_file():
        pytest.fail(
            f"contract tests validate against Xero's OpenAPI description: set {ENV} to "
            f"../shared/specs/xero_accounting.yaml (now {str(path) if path else 'unset'!r})",
            pytrace=False,
        )


@pytest.fixture
def xero_http(xero_conformance: ConformanceRecorder | None) -> Iterator[requests.Session]:
    session = make_session()
    if xero_conformance is not None:
        xero_conformance.attach(session)
    yield session
    if xero_conformance is not None:
        problems = xero_conformance.validate_pending()
        if problems:
            pytest.fail("Xero OpenAPI conformance:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture(scope="session")
def economic_conformance() -> eco_spec.EconomicRecorder | None:
    path = eco_spec.specs_dir()
    return eco_spec.EconomicRecorder(path).load() if path is not None else None


@pytest.fixture
def economic_http(economic_conformance) -> Iterator[requests.Session]:
    """The session every e-conomic contract test gives the connector; with ``ROGER_ECONOMIC_SPECS`` set, each
    exchange on it is validated against e-conomic's published descriptions when the test ends."""
    session = make_session()
    if economic_conformance is not None:
        economic_conformance.attach(session)
    yield session
    if economic_conformance is not None:
        problems = economic_conformance.validate_pending()
        if problems:
            pytest.fail("e-conomic conformance:\n" + "\n".join(problems), pytrace=False)
