"""Domain events of documents.

``document_changed`` is sent *inside* the service's transaction, so a receiver can record its own rows (the sync
job) atomically with the change: a commit keeps both, a rollback neither.  A receiver with effects outside the
database must defer them with ``transaction.on_commit``.

Arguments: ``document`` (the saved instance), ``event`` (created / submitted / approved / updated / paid /
payment_registered), ``changed`` (frozenset of synced field names that changed; may be empty for status
events), ``actor`` (the user, or None for the system).
"""

from django.dispatch import Signal

document_changed = Signal()
