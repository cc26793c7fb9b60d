"""The sync engine (DESIGN §5): claim → pre-flight → plan → reconcile → write → classify → finalize.

Work comes as ``SyncJob`` rows (one open job per document × integration).  A worker claims up to a batch of due
jobs of one integration with ``SELECT … FOR UPDATE SKIP LOCKED`` and a lease, then processes the batch with
batched ERP calls: bills first (their ERP ids are needed by payments), then payments.  Only this package writes
``ErpEntry``, ``SyncAttempt`` and job states; it knows no HTTP and no ERP specifics.

The modules, in the order a batch meets them:

* ``leases`` — claiming jobs, and keeping the lease valid for every write (or stopping: ``LeaseLost``);
* ``loading`` — the batch's documents, entries and history; the integration's connector;
* ``plans`` — each entry against the ERP: settle waits, reads, reconciliation by marker, the plan, and the
  rule that a payment follows its bill;
* ``writes`` — the writes themselves, with their recovery points, and booking;
* ``records`` — the integration log records and the entries' new state;
* ``jobs_state`` — how each job ends (done, retry with backoff, waiting, paused…), fenced by the lease;
* ``bulk`` — every bulk re-sync item gets an outcome, every bulk finishes;
* ``runner`` — ``drain``, ``run_batch`` and ``sweep``, tying the above together.
"""

from __future__ import annotations

from integrations.sync.engine.leases import LeaseLost, claim
from integrations.sync.engine.runner import Connectors, drain, run_batch, sweep
from integrations.sync.engine.work import Work

__all__ = ["Connectors", "LeaseLost", "Work", "claim", "drain", "run_batch", "sweep"]
