"""Weekly digests: who gets which (plan), the facts loaded in bulk (load), and the digest as a
pure function of those facts, the week, the timezone and `now` (build).

build imports no SQLAlchemy; load reads through reputation.storage; plan enqueues rendered
mail through reputation.mail.
"""

__all__ = ["build", "load", "plan"]
