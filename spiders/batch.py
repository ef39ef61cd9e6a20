"""Run spiders over many targets in ONE fresh process and write every item as JSON lines.

    python -m spiders.batch JOBS.json OUT.jsonl [-s NAME=VALUE ...]

JOBS.json is a list of {"spider": NAME, "url": URL, ...spider arguments}. Each output line
is the item's fields plus "_job" (the job's index). Used by the acceptance test and by
bench/crawl.py, where starting one `scrapy crawl` per page would measure process start-up.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict, is_dataclass
from typing import Any

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Crawl every job; exit 0 when the crawls finished (whatever they found)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    jobs_path, out_path, rest = args[0], args[1], args[2:]
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "spiders.settings")
    from scrapy import signals
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    while rest:
        flag, value = rest[0], rest[1] if len(rest) > 1 else ""
        if flag != "-s" or "=" not in value:
            print(f"expected -s NAME=VALUE, got {flag} {value}", file=sys.stderr)
            return 2
        name, _, setting = value.partition("=")
        settings.set(name, setting, priority="cmdline")
        rest = rest[2:]
    with open(jobs_path, encoding="utf-8") as fh:
        jobs: list[dict[str, Any]] = json.load(fh)
    process = CrawlerProcess(settings)  # LOG_INSTALL_ROOT_HANDLER (default on) logs to stderr
    with open(out_path, "w", encoding="utf-8") as out:
        for index, job in enumerate(jobs):
            kwargs = {k: v for k, v in job.items() if k != "spider"}
            crawler = process.create_crawler(job["spider"])

            def collect(item: Any, index: int = index) -> None:
                data = asdict(item) if is_dataclass(item) and not isinstance(item, type) else item
                out.write(json.dumps({**dict(data), "_job": index}) + "\n")

            crawler.signals.connect(collect, signals.item_scraped, weak=False)
            process.crawl(crawler, **kwargs)
        process.start()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
