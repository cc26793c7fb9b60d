"""Emulated ERPs (Xero; e-conomic to come) for the demo, the tests and the benchmarks.

Stdlib only and independent of the rest of the project (an import-linter contract enforces it), so that a
misreading of an ERP in a connector is caught by the sandbox instead of being shared by both.
Entry points: :class:`integrations.sandbox.server.SandboxServer` (in-process),
``python -m integrations.sandbox`` and ``python manage.py erp_sandbox``. See ``README.md``.
"""
