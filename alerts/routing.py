"""Who receives an alert: subscriptions by topic (alerts, a kind, safety) and scope."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from reputation.storage.models import Alert, Recipient, Subscription

__all__ = ["SAFETY_KINDS", "recipients_for"]

# Alleged harm or legal threats go to the risk/safety recipients, whatever else they follow:
# new ones at once, old ones a first crawl or an import brought in as one summary.
SAFETY_KINDS = ("immediate", "flag_backlog")


def recipients_for(session: Session, alert: Alert) -> list[Recipient]:
    """Recipients subscribed to this alert's topic for its physician, practice, or everything.

    An alleged harm or legal threat that no safety subscription covers goes to those who
    follow alerts there instead: it must reach someone, not wait for a risk contact.
    """
    if alert.kind in SAFETY_KINDS:
        return _subscribed(session, alert, ["safety"]) or _subscribed(session, alert, ["alerts"])
    return _subscribed(session, alert, ["alerts", alert.kind])


def _subscribed(session: Session, alert: Alert, topics: list[str]) -> list[Recipient]:
    scopes = [(Subscription.scope_type == "all")]
    if alert.physician_id is not None:
        scopes.append(
            (Subscription.scope_type == "physician") & (Subscription.scope_id == alert.physician_id)
        )
    if alert.practice_id is not None:
        scopes.append(
            (Subscription.scope_type == "practice") & (Subscription.scope_id == alert.practice_id)
        )
    stmt = (
        select(Recipient)
        .join(Subscription)
        .where(Subscription.topic.in_(topics), or_(*scopes))
        .distinct()
        .order_by(Recipient.id)
    )
    return list(session.scalars(stmt))
