"""Optional persistence (``--state-file``): each module's ``snapshot()`` pickled into one SQLite row.

Pickle is fine here: the file is written and read only by the sandbox itself, on a developer machine.
"""

from __future__ import annotations

import logging
import pickle
import sqlite3
import threading
from typing import Any

logger = logging.getLogger(__name__)


class StateStore:
    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()
        with self._connect() as db:
            db.execute("CREATE TABLE IF NOT EXISTS snapshots (erp TEXT PRIMARY KEY, data BLOB NOT NULL)")

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10)

    def save(self, modules: dict[str, Any]) -> None:
        rows = []
        for name, module in modules.items():
            data = module.snapshot()
            if data is not None:
                rows.append((name, pickle.dumps(data)))
        with self._lock, self._connect() as db:
            db.executemany("INSERT OR REPLACE INTO snapshots (erp, data) VALUES (?, ?)", rows)

    def load(self, modules: dict[str, Any]) -> None:
        with self._lock, self._connect() as db:
            rows = db.execute("SELECT erp, data FROM snapshots").fetchall()
        for name, blob in rows:
            if name in modules:
                try:
                    modules[name].restore(pickle.loads(blob))
                except Exception:  # an incompatible old snapshot must not stop the sandbox from starting
                    logger.warning("ignoring unreadable %s state in %s", name, self.path, exc_info=True)
