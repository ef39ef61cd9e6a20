"""The roster: physicians, practices and their profiles, imported from CSV all or nothing."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from reputation.errors import InputError, RowProblem
from reputation.imports.incoming import REVIEW_SOURCES
from reputation.imports.normalize import is_http_url
from reputation.imports.npi import npi_problem
from reputation.storage.models import Physician, Practice, Profile

__all__ = ["RosterRow", "RosterTally", "apply_roster", "parse_roster"]

BASE_COLUMNS = ("npi", "name", "specialty", "practice", "hospital", "aliases")
REQUIRED = ("npi", "name")
# Google and Yelp profiles may be given as an API id instead of a URL.
ID_SOURCES = ("google", "yelp")


@dataclass(frozen=True)
class RosterRow:
    """One valid roster line."""

    line: int
    npi: str
    name: str
    specialty: str
    practice: str
    hospital: str
    aliases: tuple[str, ...]
    profiles: dict[str, str] = field(default_factory=dict)


@dataclass
class RosterTally:
    """What an import changed."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    practices_added: int = 0


def _url_problem(source: str, value: str) -> str | None:
    if is_http_url(value):
        return None
    if source in ID_SOURCES and value.replace("-", "").replace("_", "").isalnum():
        return None
    expected = "an http(s) URL or an id" if source in ID_SOURCES else "an http(s) URL"
    return f"{value!r} is not {expected}"


def parse_roster(text: str) -> list[RosterRow]:
    """Validate a roster CSV; InputError lists every bad row as `line N: field: problem`."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    problems: list[RowProblem] = []
    for column in REQUIRED:
        if column not in header:
            problems.append(RowProblem(1, column, "required column is missing"))
    for column in header:
        if column not in BASE_COLUMNS and column not in REVIEW_SOURCES:
            known = ", ".join(BASE_COLUMNS + REVIEW_SOURCES)
            problems.append(RowProblem(1, column or "(empty)", f"unknown column (known: {known})"))
    if problems:
        raise InputError("roster header", problems)
    reader.fieldnames = header
    rows: list[RosterRow] = []
    seen: dict[str, int] = {}
    for record in reader:
        line = reader.line_num
        values = {k: (v or "").strip() for k, v in record.items() if k is not None}
        if None in record:
            problems.append(RowProblem(line, "row", "more fields than the header has"))
            continue
        row_problems = [
            RowProblem(line, column, "contains a control character (NUL, escape, ...)")
            for column, value in values.items()
            if any(ord(c) < 32 and c not in "\t" for c in value)
        ]
        for column in REQUIRED:
            if not values.get(column):
                row_problems.append(RowProblem(line, column, "required, but empty"))
        npi = values.get("npi", "")
        if npi and (why := npi_problem(npi)):
            row_problems.append(RowProblem(line, "npi", why))
        elif npi in seen:
            row_problems.append(RowProblem(line, "npi", f"{npi} is also on line {seen[npi]}"))
        profiles = {}
        for source in REVIEW_SOURCES:
            value = values.get(source, "")
            if value:
                if why := _url_problem(source, value):
                    row_problems.append(RowProblem(line, source, why))
                profiles[source] = value
        problems.extend(row_problems)
        if row_problems:
            continue
        seen[npi] = line
        aliases = tuple(a.strip() for a in values.get("aliases", "").split(";") if a.strip())
        rows.append(
            RosterRow(
                line=line,
                npi=npi,
                name=values["name"],
                specialty=values.get("specialty", ""),
                practice=values.get("practice", ""),
                hospital=values.get("hospital", ""),
                aliases=aliases,
                profiles=profiles,
            )
        )
    if problems:
        raise InputError("roster", problems)
    return rows


def apply_roster(session: Session, rows: Iterable[RosterRow]) -> RosterTally:
    """Insert or update practices, physicians and profiles; an unchanged row changes nothing."""
    tally = RosterTally()
    practices = {p.name: p for p in session.scalars(select(Practice))}
    physicians = {p.npi: p for p in session.scalars(select(Physician))}
    profiles = {(p.physician_id, p.source): p for p in session.scalars(select(Profile))}
    for row in rows:
        practice = None
        if row.practice:
            practice = practices.get(row.practice)
            if practice is None:
                practice = Practice(name=row.practice, hospital=row.hospital)
                session.add(practice)
                practices[row.practice] = practice
                tally.practices_added += 1
            elif row.hospital and practice.hospital != row.hospital:
                practice.hospital = row.hospital
        session.flush()
        physician = physicians.get(row.npi)
        wanted = {
            "name": row.name,
            "specialty": row.specialty,
            "aliases": list(row.aliases),
            "practice_id": practice.id if practice else None,
        }
        is_new = physician is None
        changed = False
        if physician is None:
            physician = Physician(npi=row.npi, **wanted)
            session.add(physician)
            session.flush()
            physicians[row.npi] = physician
        else:
            for key, value in wanted.items():
                if getattr(physician, key) != value:
                    setattr(physician, key, value)
                    changed = True
        for source, url in row.profiles.items():
            profile = profiles.get((physician.id, source))
            if profile is None:
                profile = Profile(physician_id=physician.id, source=source, url=url)
                session.add(profile)
                profiles[(physician.id, source)] = profile
                changed = True
            elif profile.url != url:
                profile.url = url
                changed = True
        if is_new:
            tally.added += 1
        elif changed:
            tally.updated += 1
        else:
            tally.unchanged += 1
    session.flush()
    return tally
