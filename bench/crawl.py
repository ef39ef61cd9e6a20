"""Crawl benchmark: the `ratemds` spider on the 60 real RateMDs pages, beside `scrapy bench`.

    .venv/bin/python bench/crawl.py [--rounds N]

The pages (../shared/real/ratemds/*.html.gz) are decompressed into a temporary folder and
served on 127.0.0.1. The spider runs in a fresh process with AutoThrottle off and Scrapy's
default concurrency (as `scrapy bench` has); pages/s and CPU ms per page are measured between
spider_opened and spider_closed, so interpreter start-up is not counted. `scrapy bench`
(link-following on Scrapy's own local server, no parsing) runs in the same invocation; its
CPU figure covers the whole `scrapy bench` process tree (crawler and its page server), ours
only the crawler (the page server runs in this process).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "real" / "ratemds"
sys.path.insert(0, str(ROOT))


def child(targets: str) -> None:
    """Run the spider in this process and print its figures as JSON."""
    os.environ["SCRAPY_SETTINGS_MODULE"] = "spiders.settings"
    from scrapy import signals
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    settings.setdict(
        {
            "AUTOTHROTTLE_ENABLED": False,
            "DOWNLOAD_DELAY": 0,
            "CONCURRENT_REQUESTS": 16,
            "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
            "LOG_LEVEL": "WARNING",
            "REPMON_MAX_PAGES": 1,
            "REPMON_TARGETS": "spiders.base.targets_from_file",
            "REPMON_TARGETS_FILE": targets,
        },
        priority="cmdline",
    )
    marks: dict[str, float] = {}
    counts = {"items": 0, "reviews": 0}

    def opened() -> None:
        marks["cpu0"], marks["wall0"] = time.process_time(), time.perf_counter()

    def closed() -> None:
        marks["cpu1"], marks["wall1"] = time.process_time(), time.perf_counter()

    def scraped(item: object) -> None:
        counts["items"] += 1
        counts["reviews"] += getattr(item, "kind", "") == "review"

    process = CrawlerProcess(settings)
    crawler = process.create_crawler("ratemds")
    crawler.signals.connect(opened, signals.spider_opened)
    crawler.signals.connect(closed, signals.spider_closed)
    crawler.signals.connect(scraped, signals.item_scraped)
    process.crawl(crawler)
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    pages = int(stats.get("response_received_count", 0)) - int(
        stats.get("robotstxt/response_count", 0)
    )
    print(
        json.dumps(
            {
                "pages": pages,
                "reviews": counts["reviews"],
                "wall": marks["wall1"] - marks["wall0"],
                "cpu": marks["cpu1"] - marks["cpu0"],
            }
        )
    )


def scrapy_bench(seconds: int) -> tuple[float, float]:
    """(pages/s, CPU ms per page) of `scrapy bench` for `seconds` seconds."""
    before = os.times()
    proc = subprocess.run(
        [sys.executable, "-m", "scrapy", "bench", "-s", f"CLOSESPIDER_TIMEOUT={seconds}"],
        capture_output=True, text=True, cwd=tempfile.gettempdir(), timeout=seconds + 60,
    )  # fmt: skip
    after = os.times()
    pages = int(re.search(r"'response_received_count': (\d+)", proc.stderr).group(1))  # type: ignore[union-attr]
    elapsed = float(re.search(r"'elapsed_time_seconds': ([\d.]+)", proc.stderr).group(1))  # type: ignore[union-attr]
    cpu = (after.children_user + after.children_system) - (
        before.children_user + before.children_system
    )
    return pages / elapsed, 1000 * cpu / pages


def main() -> None:
    """Serve the pages, run both benchmarks, print the figures and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="times each page is crawled")
    parser.add_argument("--bench-seconds", type=int, default=5)
    args = parser.parse_args()
    if not REAL.exists():
        sys.exit(f"{REAL} is absent: the real pages live beside the repository in ../shared/")
    from spiders.sandbox.http import serve_app, static_app

    with tempfile.TemporaryDirectory() as tmp:
        files: dict[str, tuple[bytes, str]] = {}
        for gz in sorted(REAL.glob("*.html.gz")):
            page = Path(tmp) / gz.name.removesuffix(".gz")
            page.write_bytes(gzip.decompress(gz.read_bytes()))
            files["/ratemds/" + page.name] = (page.read_bytes(), "text/html; charset=utf-8")
        with serve_app(static_app(files)) as base:
            targets = Path(tmp) / "targets.txt"
            targets.write_text(
                "".join(f"{base}{path}?round={r}\n" for r in range(args.rounds) for path in files)
            )
            env = {**os.environ, "PYTHONPATH": str(ROOT)}
            proc = subprocess.run(
                [sys.executable, __file__, "--child", str(targets)],
                capture_output=True, text=True, env=env, cwd=ROOT, timeout=600,
            )  # fmt: skip
            if proc.returncode:
                sys.exit(proc.stderr[-3000:])
            ours = json.loads(proc.stdout.strip().splitlines()[-1])
    bench_rate, bench_cpu = scrapy_bench(args.bench_seconds)
    rate = ours["pages"] / ours["wall"]
    cpu_ms = 1000 * ours["cpu"] / ours["pages"]
    print(
        f"ratemds spider : {ours['pages']} pages ({len(files)} real pages x {args.rounds}), "
        f"{ours['reviews']} reviews, {rate:,.0f} pages/s, {cpu_ms:.2f} CPU ms/page"
    )
    print(
        f"scrapy bench   : {bench_rate:,.0f} pages/s, {bench_cpu:.2f} CPU ms/page "
        f"(link following, no parsing; its CPU includes its own page server)"
    )
    print(
        f"ratio          : {rate / bench_rate:.2f}x the pages/s of scrapy bench, "
        f"{cpu_ms / bench_cpu:.2f}x its CPU per page"
    )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        child(sys.argv[2])
    else:
        main()
