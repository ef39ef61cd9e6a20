"""One daemon per database: a lease row that its holder renews and that lapses if it dies."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from reputation.errors import LeaseHeld
from reputation.storage.dialect import insert_ignore
from reputation.storage.models import DaemonLease

__all__ = ["acquire", "release", "renew"]

NAME = "daemon"


def acquire(session: Session, holder: str, now: datetime, ttl: timedelta) -> None:
    """Take the lease if free or lapsed; raise LeaseHeld naming the live holder otherwise."""
    insert_ignore(
        session,
        DaemonLease,
        [{"name": NAME, "holder": holder, "acquired_at": now, "expires_at": now + ttl}],
        ("name",),
    )
    taken = session.execute(
        update(DaemonLease)
        .where(
            DaemonLease.name == NAME,
            (DaemonLease.holder == holder) | (DaemonLease.expires_at < now),
        )
        .values(holder=holder, acquired_at=now, expires_at=now + ttl)
    ).rowcount  # type: ignore[attr-defined]
    if not taken:
        lease = session.scalar(select(DaemonLease).where(DaemonLease.name == NAME))
        assert lease is not None
        raise LeaseHeld(
            f"another `repmon run` ({lease.holder}) holds this database since "
            f"{lease.acquired_at:%Y-%m-%d %H:%M:%S} UTC; its lease lapses at "
            f"{lease.expires_at:%H:%M:%S} UTC if it has died. Stop it first."
        )


def renew(session: Session, holder: str, now: datetime, ttl: timedelta) -> bool:
    """Extend our lease; False when we lost it (another daemon took it after it lapsed)."""
    result = session.execute(
        update(DaemonLease)
        .where(DaemonLease.name == NAME, DaemonLease.holder == holder)
        .values(expires_at=now + ttl)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def release(session: Session, holder: str, now: datetime) -> None:
    """Give the lease up at a clean stop."""
    session.execute(
        update(DaemonLease)
        .where(DaemonLease.name == NAME, DaemonLease.holder == holder)
        .values(expires_at=now)
    )
