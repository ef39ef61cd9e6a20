"""Where spiders get their targets when no `-a url=` is given: the roster in the database."""

from __future__ import annotations

from typing import Any

from reputation.crawls.runs import social_targets, targets
from reputation.imports.incoming import MENTION_SOURCES
from reputation.storage.db import Database
from reputation.storage.models import Practice
from spiders.base import Target
from spiders.config import repmon_settings

__all__ = ["from_database"]


def from_database(source: str, npi: str | None, settings: Any) -> list[Target]:
    """Every profile of `source` (of one physician, or of REPMON_PRACTICE) as spider targets."""
    db = Database(settings.get("REPMON_DATABASE_URL") or repmon_settings().database_url)
    try:
        db.ensure_schema()
        with db.session() as session:
            practice_names = {p.id: p.name for p in session.query(Practice)}
            practice = settings.get("REPMON_PRACTICE") or None
            if source in MENTION_SOURCES:  # social sources search per physician
                found = social_targets(session, npi, practice)
            else:
                found = targets(session, source, npi, practice)
            return [
                Target(
                    url=t.url,
                    npi=t.npi,
                    name=t.name,
                    aliases=t.aliases,
                    practice=practice_names.get(t.practice_id or 0, ""),
                )
                for t in found
            ]
    finally:
        db.dispose()
