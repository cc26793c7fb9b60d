"""``python -m integrations.sandbox --port 8765`` — the sandbox without Django (tests, benchmarks)."""

from __future__ import annotations

import argparse
import logging

from integrations.sandbox.server import serve


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m integrations.sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--state-file", default=None, help="SQLite file to keep state across restarts")
    parser.add_argument("--time-scale", type=float, default=1.0, help=">1 runs rate-limit windows faster")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    serve(args.host, args.port, args.time_scale, args.state_file)


if __name__ == "__main__":
    main()
