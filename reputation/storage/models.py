"""The data model: SQLAlchemy 2.0 typed ORM. Schema changes go through Alembic migrations."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

__all__ = [
    "Alert",
    "AlertThread",
    "Base",
    "Classification",
    "CrawlRun",
    "DaemonLease",
    "HistorySnapshot",
    "JobRun",
    "Mention",
    "OutboxMessage",
    "Physician",
    "Practice",
    "Profile",
    "Recipient",
    "Review",
    "ReviewChange",
    "ReviewRevision",
    "Silence",
    "Subscription",
    "UTCDateTime",
]

CRAWL_STATUSES = ("running", "ok", "partial", "blocked", "broken", "failed")
ALERT_STATES = ("pending", "firing", "resolved")
OUTBOX_STATUSES = ("pending", "sending", "sent", "failed")


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass timezone-aware UTC times")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with stable constraint names (for migrations on every backend)."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


class Practice(Base):
    """A group practice or location; belongs to a hospital or health system."""

    __tablename__ = "practice"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300), unique=True)
    hospital: Mapped[str] = mapped_column(String(300), default="")
    physicians: Mapped[list[Physician]] = relationship(back_populates="practice")


class Physician(Base):
    """A physician (or other clinician), identified by NPI."""

    __tablename__ = "physician"
    id: Mapped[int] = mapped_column(primary_key=True)
    npi: Mapped[str] = mapped_column(String(10), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    aliases: Mapped[list[Any]] = mapped_column(default=list)
    specialty: Mapped[str] = mapped_column(String(200), default="")
    practice_id: Mapped[int | None] = mapped_column(ForeignKey("practice.id"), index=True)
    practice: Mapped[Practice | None] = relationship(back_populates="physicians")
    profiles: Mapped[list[Profile]] = relationship(back_populates="physician")


class Profile(Base):
    """A physician's page or id on one source."""

    __tablename__ = "profile"
    __table_args__ = (UniqueConstraint("physician_id", "source"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    physician_id: Mapped[int] = mapped_column(ForeignKey("physician.id"), index=True)
    source: Mapped[str] = mapped_column(String(40))
    url: Mapped[str] = mapped_column(String(2000))
    # When a crawl last saw this profile through to its end (or to reviews already stored).
    # Until then incremental crawls do not stop early: a killed crawl leaves gaps behind page 1.
    complete_at: Mapped[datetime | None]
    # The site's own star rating of the profile (5-point scale) and count, as last crawled:
    # what the public sees, unlike the mean of the few reviews an API lets us hold.
    public_rating: Mapped[float | None] = mapped_column(Float)
    public_rating_count: Mapped[int | None]
    public_rating_at: Mapped[datetime | None]
    physician: Mapped[Physician] = relationship(back_populates="profiles")


class Review(Base):
    """One review on one source; never deleted, only marked deleted."""

    __tablename__ = "review"
    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        Index("ix_review_physician_published", "physician_id", "published_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(40))
    external_id: Mapped[str] = mapped_column(String(300))
    profile_id: Mapped[int | None] = mapped_column(ForeignKey("profile.id"), index=True)
    physician_id: Mapped[int | None] = mapped_column(ForeignKey("physician.id"))
    author: Mapped[str] = mapped_column(String(300), default="")
    rating: Mapped[float | None] = mapped_column(Float)
    rating_raw: Mapped[float | None] = mapped_column(Float)
    rating_scale: Mapped[float | None] = mapped_column(Float)
    subratings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    title: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime | None]
    # The site gives a date, no time of day: published_at is 00:00 UTC of that calendar date
    # (reputation.published shows and buckets it as that date in any timezone).
    published_date_only: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    url: Mapped[str] = mapped_column(String(2000), default="")
    language: Mapped[str] = mapped_column(String(20), default="")
    response_text: Mapped[str | None] = mapped_column(Text)
    response_at: Mapped[datetime | None]
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    deleted_at: Mapped[datetime | None]
    revisions: Mapped[list[ReviewRevision]] = relationship(
        back_populates="review", order_by="ReviewRevision.id"
    )


class ReviewRevision(Base):
    """A former version of a review's text or rating, kept when the review is edited."""

    __tablename__ = "review_revision"
    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("review.id"), index=True)
    replaced_at: Mapped[datetime]
    rating: Mapped[float | None] = mapped_column(Float)
    title: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    content_hash: Mapped[str] = mapped_column(String(64))
    review: Mapped[Review] = relationship(back_populates="revisions")


class Mention(Base):
    """A social post (Reddit, X) that may be about a physician, with the match confidence."""

    __tablename__ = "mention"
    __table_args__ = (UniqueConstraint("source", "external_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(40))
    external_id: Mapped[str] = mapped_column(String(300))
    physician_id: Mapped[int | None] = mapped_column(ForeignKey("physician.id"), index=True)
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    matched_on: Mapped[dict[str, Any]] = mapped_column(default=dict)
    author: Mapped[str] = mapped_column(String(300), default="")
    title: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str] = mapped_column(String(2000), default="")
    published_at: Mapped[datetime | None]
    first_seen_at: Mapped[datetime]
    content_hash: Mapped[str] = mapped_column(String(64))
    # A person's decision on the match (`repmon mentions assign`): physician_id is then theirs
    # (None = about none of ours); crawls store a post once and never rematch it.
    assigned_at: Mapped[datetime | None]
    assigned_by: Mapped[str] = mapped_column(String(200), default="", server_default="")


class CrawlRun(Base):
    """One run of one spider: its counts, status and errors."""

    __tablename__ = "crawl_run"
    __table_args__ = (Index("ix_crawl_run_source_started", "source", "started_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(40))
    spider: Mapped[str] = mapped_column(String(40))
    args: Mapped[dict[str, Any]] = mapped_column(default=dict)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(20), default="running")
    pages: Mapped[int] = mapped_column(Integer, default=0)
    items: Mapped[int] = mapped_column(Integer, default=0)
    new: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    deleted: Mapped[int] = mapped_column(Integer, default=0)
    reject_reasons: Mapped[dict[str, Any]] = mapped_column(default=dict)
    errors: Mapped[list[Any]] = mapped_column(default=list)
    external_job: Mapped[str | None] = mapped_column(String(200))


class Classification(Base):
    """The classifier's result for one review (or mention) at one classifier version."""

    __tablename__ = "classification"
    __table_args__ = (
        UniqueConstraint("review_id", "classifier_version"),
        UniqueConstraint("mention_id", "classifier_version"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int | None] = mapped_column(ForeignKey("review.id"), index=True)
    mention_id: Mapped[int | None] = mapped_column(ForeignKey("mention.id"), index=True)
    classifier_version: Mapped[str] = mapped_column(String(40))
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    compound: Mapped[float] = mapped_column(Float)
    label: Mapped[str] = mapped_column(String(10))
    negative: Mapped[bool] = mapped_column(Boolean)
    bedside_manner: Mapped[bool] = mapped_column(Boolean, default=False)
    service: Mapped[bool] = mapped_column(Boolean, default=False)
    clinical_skill: Mapped[bool] = mapped_column(Boolean, default=False)
    unspecified: Mapped[bool] = mapped_column(Boolean, default=False)
    harm: Mapped[bool] = mapped_column(Boolean, default=False)
    legal: Mapped[bool] = mapped_column(Boolean, default=False)
    phi: Mapped[bool] = mapped_column(Boolean, default=False)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ReviewChange(Base):
    """A review whose alert columns (or classification) changed: one row per change, written
    by database triggers (migration 0010), read and pruned by alerts/history.py."""

    __tablename__ = "review_change"
    # ids never reused on SQLite, even once pruned away: readers take those past the last seen
    __table_args__ = {"sqlite_autoincrement": True}
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True
    )
    review_id: Mapped[int] = mapped_column(Integer)  # no foreign key: deleted reviews too
    txid: Mapped[int | None] = mapped_column(BigInteger)  # PostgreSQL: the writer's transaction


class HistorySnapshot(Base):
    """The alert evaluation's review columns and the change-log marks they were read at, so a
    new process reads only what changed since (alerts/history.py); one row, replaced whole.
    The review_change rows its marks cover are pruned when it is stored."""

    __tablename__ = "history_snapshot"
    id: Mapped[int] = mapped_column(primary_key=True)
    layout: Mapped[int] = mapped_column(Integer)  # format of `data`; another layout is ignored
    classifier_version: Mapped[str] = mapped_column(String(40))
    since: Mapped[datetime]  # reviews published from here on (and each physician's first)
    loaded_at: Mapped[datetime]  # the evaluation time the columns serve (and later ones)
    marks: Mapped[dict[str, Any]] = mapped_column(default=dict)
    rows: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)  # compressed numpy columns, no pickle
    created_at: Mapped[datetime]


class Alert(Base):
    """An alert identified by the fingerprint of its labels; numbers are annotations."""

    __tablename__ = "alert"
    id: Mapped[int] = mapped_column(primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    labels: Mapped[dict[str, Any]] = mapped_column(default=dict)
    annotations: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[str] = mapped_column(String(20), index=True)
    physician_id: Mapped[int | None] = mapped_column(ForeignKey("physician.id"), index=True)
    practice_id: Mapped[int | None] = mapped_column(ForeignKey("practice.id"), index=True)
    started_at: Mapped[datetime]
    fired_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    last_seen_at: Mapped[datetime]
    last_notified_at: Mapped[datetime | None]
    thread_message_id: Mapped[str | None] = mapped_column(String(300))
    consecutive: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class AlertThread(Base):
    """The first email one recipient got about one alert: their follow-ups reply to it."""

    __tablename__ = "alert_thread"
    __table_args__ = (UniqueConstraint("alert_id", "recipient_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alert.id", ondelete="CASCADE"))
    recipient_id: Mapped[int] = mapped_column(ForeignKey("recipient.id", ondelete="CASCADE"))
    message_id: Mapped[str] = mapped_column(String(300))


class Silence(Base):
    """Mutes notifications of alerts whose labels match, until it expires."""

    __tablename__ = "silence"
    id: Mapped[int] = mapped_column(primary_key=True)
    matchers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


# Sent messages that still hold their bodies (see reputation.mail.outbox.compact_sent).
UNCOMPACTED = "status = 'sent' AND body_html != ''"


class OutboxMessage(Base):
    """An email waiting to be sent, written in the same transaction as what caused it."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        Index("ix_outbox_status_next", "status", "next_attempt_at"),
        # sent mail still holding its body: what compaction looks for each minute, a few weeks'
        # worth, so it does not read every message ever sent
        Index(
            "ix_outbox_uncompacted",
            "sent_at",
            sqlite_where=text(UNCOMPACTED),
            postgresql_where=text(UNCOMPACTED),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    dedup_key: Mapped[str] = mapped_column(String(300), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("recipient.id"))
    to_addr: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(500))
    message_id: Mapped[str] = mapped_column(String(300), unique=True)
    in_reply_to: Mapped[str | None] = mapped_column(String(300))
    references: Mapped[str | None] = mapped_column(Text)
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class Recipient(Base):
    """A person who receives alerts and digests."""

    __tablename__ = "recipient"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(300), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="")
    subscriptions: Mapped[list[Subscription]] = relationship(back_populates="recipient")


class Subscription(Base):
    """What a recipient receives (alert kinds, digests, safety) for which scope."""

    __tablename__ = "subscription"
    __table_args__ = (UniqueConstraint("recipient_id", "topic", "scope_type", "scope_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("recipient.id"), index=True)
    topic: Mapped[str] = mapped_column(String(40))  # alerts | digest | safety | <alert kind>
    scope_type: Mapped[str] = mapped_column(String(20))  # all | practice | physician
    scope_id: Mapped[int] = mapped_column(Integer, default=0)  # 0 with scope_type "all"
    recipient: Mapped[Recipient] = relationship(back_populates="subscriptions")


class DaemonLease(Base):
    """Who runs the daemon on this database; a lease that lapses if its holder dies."""

    __tablename__ = "daemon_lease"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(300))
    acquired_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class JobRun(Base):
    """How one scheduled job ended; kept in a local journal while the database was down."""

    __tablename__ = "job_run"
    __table_args__ = (Index("ix_job_run_started", "started_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)  # copied from a journal once
    name: Mapped[str] = mapped_column(String(120))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20))  # ok | failed
    detail: Mapped[str] = mapped_column(Text, default="")
    journaled: Mapped[bool] = mapped_column(Boolean, default=False)
