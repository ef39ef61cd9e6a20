"""Who gets which weekly digest, and enqueuing them through the outbox (once per week)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from reputation.digests.build import RESPONSE_TARGET_PCT, Digest, ReviewFact, build_digest
from reputation.digests.load import load_digest_data
from reputation.isoweek import IsoWeek, zone
from reputation.mail.message import Outgoing, build_message, sender_domain, unsubscribe_link
from reputation.mail.outbox import enqueue, new_message_id
from reputation.mail.render import RenderedMail, render_mail
from reputation.reply import draft_reply, load_templates
from reputation.storage.models import OutboxMessage, Physician, Practice, Recipient, Subscription

__all__ = [
    "DigestCounts",
    "DigestJob",
    "DigestOptions",
    "build_digests",
    "digest_message",
    "enqueue_digests",
    "plan_digests",
    "preview_jobs",
    "preview_scopes",
    "render_digest",
    "unfinished",
]

TOPIC = "digest"
PREVIEW = "preview"
# A preview written to a file is addressed to nobody: .invalid never resolves (RFC 6761).
PREVIEW_ADDRESS = "preview@invalid"


@dataclass(frozen=True)
class DigestOptions:
    """Settings that shape digests (see reputation.settings: timezone, digest.*)."""

    timezone: str = "UTC"
    min_reviews: int = 3
    deadline_days: int = 7
    target_pct: int = RESPONSE_TARGET_PCT
    sender: str = "repmon@localhost"
    classifier_version: str = ""
    reply_contact: str = "our Patient Relations office"
    reply_templates: str = ""  # a TOML file of approved replies; "" = the shipped ones

    @classmethod
    def from_settings(cls, settings: Any, classifier_version: str) -> DigestOptions:
        """Options from a reputation.settings.Settings."""
        target_pct = int(settings["digest.response_target_pct"])  # 1 to 100: its rule
        return cls(
            timezone=str(settings["timezone"]),
            min_reviews=int(settings["digest.min_reviews_for_average"]),
            deadline_days=int(settings["digest.response_deadline_days"]),
            target_pct=target_pct,
            sender=str(settings["mail.sender"]),
            classifier_version=classifier_version,
            reply_contact=str(settings["reply.contact"]),
            reply_templates=str(settings["reply.templates"]),
        )


@dataclass(frozen=True)
class DigestJob:
    """One digest to one recipient: a physician's digest or a practice roll-up, for one week."""

    recipient_id: int | None
    to_addr: str
    recipient_name: str
    tz: str
    scope: str  # physician | practice
    scope_id: int
    week: IsoWeek

    @property
    def dedup_key(self) -> str:
        """One digest per recipient per scope per week."""
        who = self.recipient_id if self.recipient_id is not None else PREVIEW
        return f"digest:{who}:{self.scope}:{self.scope_id}:{self.week}"


@dataclass(frozen=True)
class DigestCounts:
    """What enqueue_digests did."""

    planned: int
    enqueued: int
    already: int

    def __str__(self) -> str:
        """'digests: 4 due, 4 enqueued, 0 already enqueued earlier', as the CLI says it."""
        return (
            f"digests: {self.planned} due, {self.enqueued} enqueued, "
            f"{self.already} already enqueued earlier"
        )


def plan_digests(
    session: Session,
    week: IsoWeek | None,
    now: datetime,
    default_tz: str = "UTC",
    *,
    physician_id: int | None = None,
    practice_id: int | None = None,
) -> list[DigestJob]:
    """Every digest due: subscribers of topic "digest"; week None = each one's last week."""
    physicians = set(session.scalars(select(Physician.id)))
    practices = sorted(session.scalars(select(Practice.id)))
    rows = session.execute(
        select(Subscription.scope_type, Subscription.scope_id, Recipient)
        .join(Recipient, Subscription.recipient_id == Recipient.id)
        .where(Subscription.topic == TOPIC)
        .order_by(Recipient.id, Subscription.id)
    ).all()
    jobs: dict[str, DigestJob] = {}
    for scope_type, scope_id, recipient in rows:
        tz = recipient.timezone or default_tz
        zone(tz)
        when = week or IsoWeek.last_completed(now, tz)
        if scope_type == "physician" and scope_id in physicians:
            targets = [("physician", scope_id)]
        elif scope_type == "practice" and scope_id in practices:
            targets = [("practice", scope_id)]
        elif scope_type == "all":
            targets = [("practice", p) for p in practices]
        else:
            continue
        for scope, ident in targets:
            if physician_id is not None and (scope, ident) != ("physician", physician_id):
                continue
            if practice_id is not None and (scope, ident) != ("practice", practice_id):
                continue
            job = DigestJob(recipient.id, recipient.email, recipient.name, tz, scope, ident, when)
            jobs.setdefault(job.dedup_key, job)
    return list(jobs.values())


def preview_scopes(
    session: Session, physician_id: int | None = None, practice_id: int | None = None
) -> list[tuple[str, int]]:
    """What to preview when nobody subscribes: the scope asked for, else every practice's
    roll-up, else (no practices) every physician."""
    if physician_id is not None:
        return [("physician", physician_id)]
    if practice_id is not None:
        return [("practice", practice_id)]
    scopes = [("practice", i) for i in session.scalars(select(Practice.id))]
    return scopes or [("physician", i) for i in session.scalars(select(Physician.id))]


def preview_jobs(week: IsoWeek, tz: str, scopes: Sequence[tuple[str, int]]) -> list[DigestJob]:
    """Digests addressed to nobody ("preview"), for rendering without subscribers."""
    return [DigestJob(None, PREVIEW, "", tz, scope, ident, week) for scope, ident in scopes]


def build_digests(
    session: Session, jobs: Sequence[DigestJob], now: datetime, options: DigestOptions
) -> Iterator[tuple[DigestJob, Digest]]:
    """Load the facts of every job's scope in one pass, then build each digest (shared by tz)."""
    data = load_digest_data(
        session,
        [(j.scope, j.scope_id) for j in jobs],
        {j.week for j in jobs},
        now,
        options.classifier_version,
        options.timezone,
    )
    templates = load_templates(options.reply_templates or None)

    def drafts(r: ReviewFact) -> str | None:
        return draft_reply(
            r.categories + r.flags, r.physician_name, r.practice_name, options.reply_contact,
            rating=r.rating, templates=templates,
        )  # fmt: skip

    built: dict[tuple[str, int, IsoWeek, str], Digest] = {}
    for job in jobs:
        facts = data.get((job.scope, job.scope_id))
        if facts is None:
            continue
        key = (job.scope, job.scope_id, job.week, job.tz)
        if key not in built:
            built[key] = build_digest(
                facts,
                job.week,
                job.tz,
                now,
                options.min_reviews,
                options.deadline_days,
                drafts,
                target_pct=options.target_pct,
            )
        yield job, built[key]


def render_digest(job: DigestJob, digest: Digest, now: datetime, sender: str = "") -> RenderedMail:
    """The digest email (subject, text, HTML) for one recipient."""
    recipient = {"name": job.recipient_name, "email": job.to_addr}
    context = {"digest": digest, "recipient": recipient, "now": now, "tz": job.tz}
    return render_mail("digest", {**context, "unsubscribe": unsubscribe_link(sender, TOPIC)})


def enqueue_digests(
    session: Session,
    week: IsoWeek | None,
    now: datetime,
    options: DigestOptions,
    *,
    physician_id: int | None = None,
    practice_id: int | None = None,
) -> DigestCounts:
    """Render and enqueue every due digest not enqueued before (in the caller's transaction)."""
    jobs = plan_digests(
        session, week, now, options.timezone, physician_id=physician_id, practice_id=practice_id
    )
    keys = [j.dedup_key for j in jobs]
    done: set[str] = set()
    for i in range(0, len(keys), 500):
        done.update(
            session.scalars(
                select(OutboxMessage.dedup_key).where(
                    OutboxMessage.dedup_key.in_(keys[i : i + 500])
                )
            )
        )
    todo = [j for j in jobs if j.dedup_key not in done]
    enqueued = 0
    domain = sender_domain(options.sender)
    for job, digest in build_digests(session, todo, now, options):
        message = enqueue(
            session,
            dedup_key=job.dedup_key,
            kind="digest",
            to_addr=job.to_addr,
            recipient_id=job.recipient_id,
            rendered=render_digest(job, digest, now, options.sender),
            now=now,
            domain=domain,
        )
        enqueued += message is not None
    return DigestCounts(len(jobs), enqueued, len(jobs) - enqueued)


def digest_message(job: DigestJob, mail: RenderedMail, sender: str, now: datetime) -> EmailMessage:
    """The digest as the relay would send it (reputation.mail.message.build_message: one-line
    headers, checked addresses), e.g. to write a file; ValueError names a bad address."""
    to = job.to_addr if job.recipient_id is not None else PREVIEW_ADDRESS
    domain = sender_domain(sender)
    out = Outgoing(
        0, to, job.recipient_name, mail.subject, new_message_id(domain), None, None,
        mail.text, mail.html, TOPIC,
    )  # fmt: skip
    return build_message(out, sender, now)


def unfinished(jobs: Iterable[DigestJob], now: datetime) -> list[DigestJob]:
    """The jobs whose week has not ended at `now` in their recipient's timezone (pure): a
    digest of a week still running counts part of it, and sending it would block the real one."""
    return [job for job in jobs if now < job.week.bounds(job.tz)[1]]
