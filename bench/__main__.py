"""`make bench`: every figure of DESIGN §10 as one JSON line (PostgreSQL, real workers, the sandbox over HTTP)."""

from __future__ import annotations

import sys

from bench import engine

if __name__ == "__main__":
    engine.main(sys.argv[1:])
    try:
        from bench import ui
    except ImportError:  # the UI figures arrive with the accountant UI
        ui = None
    if ui is not None and hasattr(ui, "main"):
        ui.main(sys.argv[1:])
    from bench import files

    files.main(sys.argv[1:])
