"""Helpers for tests that crawl: every crawl runs in a fresh subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import select

from reputation.storage.db import Database
from reputation.storage.models import CrawlRun

ROOT = Path(__file__).resolve().parents[1]
FAST = {"AUTOTHROTTLE_ENABLED": "False", "DOWNLOAD_DELAY": "0", "RETRY_BACKOFF_BASE": "0.05"}


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {**os.environ, **(extra or {})}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("SCRAPY_SETTINGS_MODULE", None)
    return env


def settings_args(settings: dict[str, Any]) -> list[str]:
    """`-s NAME=VALUE` arguments."""
    return [arg for k, v in settings.items() for arg in ("-s", f"{k}={v}")]


def scrapy_crawl(
    spider: str,
    out: Path,
    *args: str,
    settings: dict[str, Any] | None = None,
    timeout: int = 90,
    env: dict[str, str] | None = None,
    log: list[str] | None = None,
) -> list[dict[str, Any]]:
    """`python -m scrapy crawl SPIDER ARGS -O out.jsonl` in the repo; the items written."""
    cmd = [sys.executable, "-m", "scrapy", "crawl", spider, *args, "-O", str(out)]
    cmd += settings_args({**FAST, **(settings or {})})
    proc = subprocess.run(
        cmd, cwd=ROOT, env=_env(env), capture_output=True, text=True, timeout=timeout
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "DeprecationWarning" not in proc.stderr, proc.stderr[-3000:]
    if log is not None:
        log.append(proc.stderr)
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if line]


def batch_crawl(
    jobs: list[dict[str, Any]],
    tmp: Path,
    settings: dict[str, Any] | None = None,
    timeout: int = 120,
) -> list[dict[str, Any]]:
    """Run `python -m spiders.batch` over jobs in one fresh process; the items with `_job`."""
    jobs_file, out = tmp / "jobs.json", tmp / "items.jsonl"
    jobs_file.write_text(json.dumps(jobs), encoding="utf-8")
    cmd = [sys.executable, "-m", "spiders.batch", str(jobs_file), str(out)]
    cmd += settings_args({**FAST, **(settings or {})})
    proc = subprocess.run(
        cmd, cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=timeout
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "DeprecationWarning" not in proc.stderr, proc.stderr[-3000:]
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if line]


def only_run(db_url: str) -> tuple[str, str]:
    """(status, first error) of the one crawl run a storing crawl recorded in `db_url`."""
    db = Database(db_url)
    try:
        with db.session() as session:
            run = session.scalars(select(CrawlRun)).one()
            return run.status, run.errors[0] if run.errors else ""
    finally:
        db.dispose()
