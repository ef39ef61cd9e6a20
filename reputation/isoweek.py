"""ISO weeks as a value: parsing, the week that just ended, and bounds in a timezone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from reputation.errors import ConfigError

__all__ = ["IsoWeek", "zone"]

_WEEK = re.compile(r"^\s*(\d{4})-?W(\d{1,2})\s*$", re.IGNORECASE)


def zone(name: str) -> ZoneInfo:
    """The IANA timezone `name`, or a ConfigError saying how to fix it."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"unknown timezone {name!r}: use an IANA name such as Europe/Paris or America/Chicago"
        ) from None


@dataclass(frozen=True, order=True)
class IsoWeek:
    """An ISO 8601 week such as 2026-W47 (Monday to Sunday)."""

    year: int
    week: int

    def __post_init__(self) -> None:
        date.fromisocalendar(self.year, self.week, 1)  # raises ValueError for 2026-W54

    def __str__(self) -> str:
        return f"{self.year}-W{self.week:02d}"

    @classmethod
    def parse(cls, text: str) -> IsoWeek:
        """Parse "2026-W47" (or "2026W47"); ValueError says what is expected."""
        match = _WEEK.match(text)
        if not match:
            raise ValueError(f"{text!r} is not an ISO week such as 2026-W47")
        try:
            return cls(int(match.group(1)), int(match.group(2)))
        except ValueError:
            year, number = match.group(1), match.group(2)
            raise ValueError(f"{text!r}: year {year} has no week {number}") from None

    @classmethod
    def of(cls, day: date) -> IsoWeek:
        """The ISO week containing `day`."""
        iso = day.isocalendar()
        return cls(iso.year, iso.week)

    @classmethod
    def last_completed(cls, now: datetime, tz: str) -> IsoWeek:
        """The most recent week that has fully ended at `now` in timezone `tz`."""
        local = now.astimezone(zone(tz)).date()
        return cls.of(local - timedelta(days=local.weekday() + 7))

    def monday(self) -> date:
        """The Monday that starts this week."""
        return date.fromisocalendar(self.year, self.week, 1)

    def shift(self, weeks: int) -> IsoWeek:
        """The week `weeks` later (negative: earlier)."""
        return IsoWeek.of(self.monday() + timedelta(weeks=weeks))

    def bounds(self, tz: str) -> tuple[datetime, datetime]:
        """[start, end) in UTC: local Monday 00:00 to the next local Monday 00:00."""
        z = zone(tz)
        start = datetime.combine(self.monday(), time(0), tzinfo=z)
        end = datetime.combine(self.monday() + timedelta(days=7), time(0), tzinfo=z)
        return start.astimezone(UTC), end.astimezone(UTC)
