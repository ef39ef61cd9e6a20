"""Mail: the one Jinja2 environment (render), the transactional outbox (outbox) and the MIME
message built from an outbox row (message).

Sending is not here: the relay (repmon.relay) is the SMTP edge, outside the core, so that the
core never imports aiosmtplib. render and message are pure; outbox writes through the caller's
session.
"""

__all__ = ["message", "outbox", "render"]
