"""The sync engine (DESIGN §5).  Public entry points:

- ``integrations.sync.requests``: ``request_resync``, ``request_bulk_resync``, ``bulk_progress`` (queue work);
- ``integrations.sync.planning``: ``plan_document`` (what a re-sync would do, read from the ERP, nothing written);
- ``integrations.sync.engine``: ``drain`` and ``sweep`` (run by the worker through ``integrations.tasks``).
"""
