"""repmon core: storage, the classifier, imports, digests, mail and settings.

Subpackages, each owning one concept (their docstrings say what they may import):
storage (the database), classifier (reviews -> categories, sentiment, flags), imports (what
comes in: validation, normalisation, roster, files), crawls (crawl runs and their health),
digests (plan, load, build), mail (render, outbox, message). Top-level modules hold what every
part shares: settings, errors, vocabulary, isoweek, published (a review's local date),
findings (an alert in plain words), mentions (social posts), reply (the HIPAA-aware reply
assistant).

The core imports no I/O framework (scrapy, twisted, apscheduler, aiosmtplib, click, rich) and
never the outer packages (spiders, alerts, repmon): tests/test_architecture.py checks it.
"""

__all__ = ["__version__"]
__version__ = "0.1.0"
