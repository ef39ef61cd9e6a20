"""The `repmon` entry point: one click group; each area's commands live in repmon.commands."""

from __future__ import annotations

import importlib
import logging
from pathlib import Path

import click

from repmon.app import App, ReportingGroup

__all__ = ["COMMAND_MODULES", "main"]

# (module, attribute) of every command; the README test reads this list.
COMMAND_MODULES: tuple[tuple[str, str], ...] = (
    ("repmon.commands.core", "init"),
    ("repmon.commands.core", "config"),
    ("repmon.commands.core", "roster"),
    ("repmon.commands.core", "ingest"),
    ("repmon.commands.core", "reviews"),
    ("repmon.commands.classify", "classify_cmd"),
    ("repmon.commands.classify", "eval_cmd"),
    ("repmon.commands.crawl", "crawl"),
    ("repmon.commands.crawl", "crawls"),
    ("repmon.commands.scrapyd", "scrapyd"),
    ("repmon.commands.reclassify", "reclassify"),
    ("repmon.commands.alerts", "alerts"),
    ("repmon.commands.mentions", "mentions"),
    ("repmon.commands.recipients", "recipients"),
    ("repmon.commands.outbox", "outbox"),
    ("repmon.commands.digest", "digest"),
    ("repmon.commands.reply", "reply"),
    ("repmon.commands.daemon", "run"),
    ("repmon.commands.daemon", "status"),
    ("repmon.commands.demo", "demo"),
    ("repmon.commands.demo", "sandbox"),
)


@click.group(cls=ReportingGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="REPMON_CONFIG",
    help="TOML settings file (default: ./repmon.toml if present).",
)
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.version_option(package_name="repmon")
@click.pass_context
def main(ctx: click.Context, config: Path | None, verbose: int) -> None:
    """repmon: hospital online reputation monitor."""
    level = (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = App(config)
    ctx.obj = app
    ctx.call_on_close(app.close)


for _module, _name in COMMAND_MODULES:
    main.add_command(getattr(importlib.import_module(_module), _name))
