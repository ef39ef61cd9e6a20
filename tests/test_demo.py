"""The README's main command: the demo finds the planted cluster and harm review, nothing else."""

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def test_demo_end_to_end_twice(tmp_path: Path) -> None:
    for attempt in (1, 2):  # a second run works too
        result = subprocess.run(
            [sys.executable, "-m", "repmon", "demo", "--out", str(tmp_path / "demo")],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, f"run {attempt}:\n{result.stdout}\n{result.stderr}"
        assert "✗" not in result.stdout
        assert "✓ cluster found on" in result.stdout
        assert "✓ harm review on" in result.stdout
        assert f"database: {tmp_path / 'demo' / 'demo.db'}\n" in result.stdout
    mails = sorted((tmp_path / "demo" / "mail").glob("*.html"))
    assert any("alleged-patient-harm" in m.name for m in mails)
    assert any("week-" in m.name for m in mails)  # digests
    for mail in mails:
        html = mail.read_text()
        assert "<script" not in html.lower()
        assert "</html>" in html.lower()
