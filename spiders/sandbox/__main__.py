"""`python -m spiders.sandbox [--port N] [--seed S] [--now ISO] [--blocked S..] [--broken S..]`."""

from __future__ import annotations

import argparse
import time
from datetime import datetime

from spiders.sandbox import DEFAULT_SEED, serve


def main() -> None:
    """Serve the sandbox until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m spiders.sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--now", type=datetime.fromisoformat, default=None)
    parser.add_argument("--blocked", nargs="*", default=[], help="sources answering challenges")
    parser.add_argument("--broken", nargs="*", default=[], help="sources with changed markup")
    args = parser.parse_args()
    with serve(
        args.host,
        args.port,
        args.seed,
        args.now,
        blocked=tuple(args.blocked),
        broken=tuple(args.broken),
    ) as base:
        print(f"sandbox on {base}  (roster: {base}/_sandbox/roster.csv; Ctrl-C stops)", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
