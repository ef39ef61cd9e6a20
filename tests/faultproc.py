"""A crawl as its own process, for fault tests that kill it or run two at once.

    python -m tests.faultproc DATABASE_URL DATA_DIR NOW SOURCE SETTINGS_JSON

runs `repmon.processes.run_crawls` (which starts the Scrapy process) exactly as `repmon crawl`
does, with extra Scrapy settings (the sandbox endpoints, a download delay) that the CLI does
not take, and prints the finished runs as JSON lines.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

from repmon.processes import CrawlRequest, run_crawls
from reputation.settings import load_settings
from reputation.storage.db import Database


def main(argv: list[str]) -> int:
    """Crawl one source into the database; exit 0 whatever the runs' status."""
    url, data_dir, now_text, source, extra = argv
    now = datetime.fromisoformat(now_text)
    settings = load_settings(
        None, {"REPMON_DATABASE_URL": url, "REPMON_DATA_DIR": data_dir}, Path(data_dir)
    )
    db = Database(url)
    pairs = tuple((k, str(v)) for k, v in json.loads(extra).items())
    request = CrawlRequest(sources=(source,), now=now, settings=pairs)
    for run in run_crawls(db, settings, request, now, jobs=1, timeout=120):
        print(json.dumps({"id": run.id, "status": run.status, "new": run.new}), flush=True)
    db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
