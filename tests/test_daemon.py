"""The daemon: one per database, a clean stop on SIGTERM, jobs that survive a restart."""

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from repmon.daemon import digest_trigger
from reputation.db import Database
from reputation.errors import ConfigError, LeaseHeld
from reputation.lease import acquire, release, renew


def test_lease_refuses_a_second_holder_until_it_lapses(db: Database) -> None:
    now = datetime(2026, 11, 23, tzinfo=UTC)
    ttl = timedelta(seconds=90)
    with db.transaction() as s:
        acquire(s, "a", now, ttl)
    with pytest.raises(LeaseHeld, match="another `repmon run` \\(a\\)"), db.transaction() as s:
        acquire(s, "b", now + timedelta(seconds=30), ttl)
    with db.transaction() as s:
        assert renew(s, "a", now + timedelta(seconds=60), ttl)
        acquire(s, "b", now + timedelta(seconds=151), ttl)  # a died: its lease lapsed
        assert not renew(s, "a", now + timedelta(seconds=152), ttl)
        release(s, "b", now + timedelta(seconds=153))
        acquire(s, "c", now + timedelta(seconds=154), ttl)


def test_digest_trigger() -> None:
    trigger = digest_trigger("mon 07:00", "America/Chicago")
    first = trigger.get_next_fire_time(None, datetime(2026, 11, 23, 14, tzinfo=UTC))
    assert first is not None and first.astimezone(UTC) == datetime(2026, 11, 30, 13, tzinfo=UTC)
    with pytest.raises(ConfigError):
        digest_trigger("monday", "UTC")


def _daemon(workdir: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "repmon", "-v", "run"],
        cwd=workdir,
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_two_daemons_refuse_each_other_and_sigterm_stops_cleanly(workdir: Path) -> None:
    first = _daemon(workdir)
    try:
        deadline = time.monotonic() + 30
        second = None
        while time.monotonic() < deadline:
            time.sleep(1)
            second = subprocess.run(
                [sys.executable, "-m", "repmon", "run"],
                cwd=workdir,
                env=os.environ.copy(),
                capture_output=True,
                text=True,
                timeout=60,
            )
            if "holds this database" in second.stdout + second.stderr:
                break
        assert second is not None and second.returncode == 2
        assert "another `repmon run`" in second.stdout + second.stderr
    finally:
        first.send_signal(signal.SIGTERM)
        out, _ = first.communicate(timeout=60)
    assert first.returncode == 0, out
    assert "stopped cleanly" in out
    status = subprocess.run(
        [sys.executable, "-m", "repmon", "status", "--json"],
        cwd=workdir,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert '"daemon": "not running"' in status.stdout
    assert "weekly-digests" in status.stdout
