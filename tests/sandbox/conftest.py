"""Load the sandbox fixtures when the root conftest has not (it will, via ``pytest_plugins``)."""

from __future__ import annotations

import pytest

PLUGIN = "tests.fixtures_sandbox"


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.has_plugin(PLUGIN):
        config.pluginmanager.import_plugin(PLUGIN)
