"""Storage: the data model, engines and migrations, and every write and shared read.

Owns: models (SQLAlchemy ORM), db (engines, sessions, Alembic), migrations, store (reviews
upserts, revisions, deletions), queries (read-side queries shared by the CLI, alerts and
digests), lease (one daemon per database), jobruns (how each job ended), dialect (SQL spelled
per database). May import: SQLAlchemy, Alembic, reputation.errors, reputation.settings,
reputation.vocabulary, reputation.imports (validated values), reputation.classifier.lexicon.
"""

__all__ = ["db", "dialect", "jobruns", "lease", "models", "queries", "store"]
