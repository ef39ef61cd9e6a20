"""A daemon with short timings whose crawls last minutes, for tests of what runs beside them.

    python -m tests.slowdaemon

is `repmon run` (settings from the environment) with the lease, renewal, outbox and first
crawls in seconds, and every crawl a process that sleeps instead of a spider: the scheduler,
the crawl loop, the runs table and the stop are the real ones.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from repmon import processes as crawling
from repmon.daemon import Daemon, Timings
from reputation.settings import Settings, load_settings

TIMINGS = Timings(lease_ttl=4, renew_every=1, drain_every=2, first_crawl=0.5, crawl_stagger=0.5)


class SleepingEngine(crawling.LocalEngine):
    """Local crawl processes that take ten minutes and fetch nothing."""

    def command(
        self, source: str, run_id: int, settings: dict[str, str], args: dict[str, str]
    ) -> list[str]:
        """A process that sleeps."""
        return [sys.executable, "-c", "import time; time.sleep(600)"]


def sleeping_engine(settings: Settings, name: str | None, jobs: int) -> crawling.Engine:
    """Every crawl on the sleeping engine."""
    return SleepingEngine(settings, jobs)


def main() -> int:
    """Run the daemon until SIGTERM."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    crawling.make_engine = sleeping_engine
    Daemon(load_settings(None, os.environ, Path.cwd()), None, TIMINGS).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
