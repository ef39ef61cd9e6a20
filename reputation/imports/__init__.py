"""What comes in: the one validation of an incoming review (crawls and files alike), the
normalisation of what sites give us, NPI checks, the roster and file imports.

Owns: incoming (validation), normalize (pure), npi (pure), roster (CSV, all or nothing),
ingest (JSONL/CSV reviews, streaming). May import: reputation.storage, reputation.errors.
"""

__all__ = ["incoming", "ingest", "normalize", "npi", "roster"]
