"""Search queries for social mentions, built from a physician's names and practice."""

from __future__ import annotations

import re

__all__ = ["build_queries", "name_variants"]

_TITLES = re.compile(r"^(dr\.?|doctor)\s+", re.IGNORECASE)
_SUFFIXES = re.compile(r",?\s+(md|do|phd|np|pa-c|facs|facp)\.?$", re.IGNORECASE)


def name_variants(name: str, aliases: list[str] | tuple[str, ...] = ()) -> list[str]:
    """Distinct spellings to search for: full names, aliases, and "Dr. <Last>"."""
    out: list[str] = []
    for raw in (name, *aliases):
        bare = _SUFFIXES.sub("", _TITLES.sub("", raw.strip())).strip()
        if not bare:
            continue
        parts = bare.split()
        # A lone surname is only ever searched as "Dr. <surname>".
        candidates = [bare] if len(parts) >= 2 else []
        if len(parts) >= 3:
            candidates.append(f"{parts[0]} {parts[-1]}")
        candidates.append(f"Dr. {parts[-1]}")
        for c in candidates:
            if c.lower() not in {o.lower() for o in out}:
                out.append(c)
    return out


def build_queries(
    name: str, aliases: list[str] | tuple[str, ...] = (), practice: str = "", max_len: int = 512
) -> list[str]:
    """Queries for one physician: full names alone; "Dr. Last" only together with the practice.

    A bare surname with a title matches far too many people, so it is always paired with
    the practice name; full names are specific enough on their own.
    """
    variants = name_variants(name, aliases)
    full = [v for v in variants if not v.startswith("Dr. ")]
    short = [v for v in variants if v.startswith("Dr. ")]
    queries: list[str] = []
    if full:
        queries.append(" OR ".join(f'"{v}"' for v in full))
    if practice.strip() and short:
        queries.append("(" + " OR ".join(f'"{v}"' for v in short) + f') "{practice.strip()}"')
    return [q[:max_len] for q in queries]
