"""When a review was published, as a reader in a timezone sees it: one rule for all of it.

Most sites give an instant, shown in the reader's timezone. Healthgrades and schema.org pages
give a calendar date alone (`Review.published_date_only`), stored at 00:00 UTC: shown in a US
timezone, that instant is the evening before. Such a date is the same date everywhere, so it
is placed at 00:00 local time of that date (for weeks and ages) and shown without a time.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, tzinfo

__all__ = ["local_published"]


def local_published(at: datetime, date_only: bool, tz: tzinfo) -> datetime:
    """The local date and time of a publication in `tz`; a date alone is 00:00 of that date."""
    if date_only:
        return datetime.combine(at.astimezone(UTC).date(), time(0), tzinfo=tz)
    return at.astimezone(tz)
