"""Alerts: evaluation job, routing, alert emails and the outbox relay (aiosmtplib)."""

__all__ = ["evaluate", "history", "notify", "relay", "routing"]
