"""The MIME message of an outbox row: one place that builds it, for the relay and for files.

Headers come from untrusted parts (names, subjects), so each is folded to one line; the
addresses are checked. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr

from reputation.mail.render import PRODUCT, one_line

__all__ = [
    "DEFAULT_DOMAIN",
    "Outgoing",
    "build_message",
    "plain_address",
    "sender_domain",
    "unsubscribe_link",
]

DEFAULT_DOMAIN = "repmon.local"


def sender_domain(sender: str) -> str:
    """The domain of a From: value such as 'Repmon <repmon@example.org>', or repmon.local."""
    local, at, domain = parseaddr(sender)[1].rpartition("@")
    domain = domain.strip().lower() if at and local else ""
    ok = domain and all(c.isalnum() or c in ".-" for c in domain)
    return domain if ok else DEFAULT_DOMAIN


def unsubscribe_link(sender: str, topic: str) -> str:
    """The mailto: of List-Unsubscribe and of the footer: to the sender, naming the list."""
    addr = parseaddr(" ".join(str(sender).split()))[1]
    addr = addr if addr.count("@") == 1 and all(c not in addr for c in "?&<>") else ""
    return f"mailto:{addr or 'repmon@' + DEFAULT_DOMAIN}?subject=unsubscribe%20{topic}"


@dataclass(frozen=True)
class Outgoing:
    """A claimed message, detached from its session."""

    id: int
    to_addr: str
    to_name: str
    subject: str
    message_id: str
    in_reply_to: str | None
    references: str | None
    text: str
    html: str
    kind: str = "alert"  # alert | safety | digest: decides List-Id and Importance


def plain_address(addr: str) -> bool:
    """Whether `addr` is one plain mailbox (local@domain, nothing else) that a header can carry."""
    return (
        addr == one_line(addr)
        and addr.count("@") == 1
        and not any(c in addr for c in " <>,;")
        and all(addr.partition("@")[::2])
    )


def _address(name: str, addr: str) -> Address:
    """An Address from untrusted parts; ValueError if the address itself is unusable."""
    if not plain_address(addr):
        raise ValueError(f"bad address {addr!r}")
    return Address(display_name=one_line(name)[:200], addr_spec=addr)


def build_message(out: Outgoing, sender: str, date: datetime) -> EmailMessage:
    """The MIME message: multipart/alternative, text first, then HTML; headers one line each."""
    msg = EmailMessage(policy=SMTP)
    sender_name, sender_addr = parseaddr(one_line(sender))
    msg["From"] = _address(sender_name, sender_addr)
    msg["To"] = _address(out.to_name, out.to_addr)
    msg["Subject"] = one_line(out.subject)
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = one_line(out.message_id)
    if out.in_reply_to:
        msg["In-Reply-To"] = one_line(out.in_reply_to)
    if out.references:
        msg["References"] = one_line(out.references)
    # RFC 3834: no vacation auto-replies to us; RFC 2919/2369: a list people can leave.
    topic = "digest" if out.kind == "digest" else "alerts"
    msg["Auto-Submitted"] = "auto-generated"
    msg["List-Id"] = f"{PRODUCT} {topic} <{topic}.{sender_domain(sender)}>"
    msg["List-Unsubscribe"] = f"<{unsubscribe_link(sender, topic)}>"
    if out.kind == "safety":
        msg["Importance"] = "high"
    msg.set_content(out.text)
    msg.add_alternative(out.html, subtype="html")
    return msg
