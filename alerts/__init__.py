"""Alerting: detectors, alert kinds, the lifecycle, evaluation, routing and alert emails.

Owns: kinds (the closed list of alert dataclasses), detectors (the simple detectors and
run_detectors, used by both the evaluation and the backtest), clusters and ratingdrop (the
statistical detectors), lifecycle (pending -> firing -> resolved), backtest (replay), simulation
(seeded histories for benches and tests), history (what the detectors read from the database),
evaluate (the job), routing (who receives), notify (alert emails through the outbox).
kinds, detectors, clusters, ratingdrop, lifecycle, backtest and simulation are pure: no
SQLAlchemy, no clock. May import reputation; never spiders, repmon, scrapy or aiosmtplib.
"""

__all__ = [
    "backtest",
    "clusters",
    "detectors",
    "evaluate",
    "history",
    "kinds",
    "lifecycle",
    "notify",
    "ratingdrop",
    "routing",
    "simulation",
]
