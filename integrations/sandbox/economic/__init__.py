"""Visma e-conomic, emulated under ``/economic/``, written from e-conomic's published API descriptions
(``shared/specs/economic/``) as if we were e-conomic, sharing nothing with Roger's connector.

Modules: ``module`` (pipeline: tokens, roles, fair use, faults, idempotency, the three surfaces), ``legacy_api``,
``legacy_shapes`` and ``legacy_validation`` (the legacy REST API), ``journals_api`` (Journals API 15.0.0),
``ledger`` (booking and the BookedEntries API 4.0.0), ``filters`` (the filter syntax), ``errors`` (both error
bodies), ``model`` (agreements and their seed), ``control`` (control API), ``pages`` (the web app).  What each
behaviour rests on is in the fidelity table of ``integrations/sandbox/README.md``.
"""

from __future__ import annotations

from integrations.sandbox.economic.module import EconomicModule

__all__ = ["EconomicModule"]
