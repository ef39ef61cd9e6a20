"""Docs are tested: every command, setting and spider is named in README.md."""

import re
from pathlib import Path

import click

from repmon.cli import main
from reputation.settings import SETTINGS

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _commands(group: click.Group, prefix: str = "repmon") -> list[str]:
    names = []
    for name, command in sorted(group.commands.items()):
        full = f"{prefix} {name}"
        names.append(full)
        if isinstance(command, click.Group):
            names.extend(_commands(command, full))
    return names


def test_every_command_is_in_the_readme() -> None:
    missing = [c for c in _commands(main) if f"`{c}" not in README]
    assert not missing, f"not documented in README.md: {missing}"


def test_every_setting_is_in_the_readme() -> None:
    missing = [s.name for s in SETTINGS if f"`{s.name}`" not in README]
    assert not missing, f"settings not documented in README.md: {missing}"


def test_every_spider_is_in_the_readme() -> None:
    spiders = Path(__file__).resolve().parents[1] / "spiders" / "sites"
    names = []
    for path in spiders.glob("*.py"):
        names += re.findall(r'^\s+name\s*=\s*"([a-z]+)"', path.read_text(), re.M)
    missing = [n for n in names if f"`{n}`" not in README]
    assert not missing, f"spiders not documented in README.md: {missing}"


def test_every_command_has_help() -> None:
    from click.testing import CliRunner

    runner = CliRunner()
    for command in _commands(main):
        args = [*command.split()[1:], "--help"]
        result = runner.invoke(main, args)
        assert result.exit_code == 0, (command, result.output)
        assert "Usage:" in result.output


def test_settings_table_is_current() -> None:
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    table = subprocess.run(
        [sys.executable, str(root / "scripts" / "settings_table.py")],
        capture_output=True,
        text=True,
        check=True,
        cwd=root,
    ).stdout.strip()
    assert table in README, "README settings table is stale: run scripts/settings_table.py"
