"""Social posts of the sandbox: mentions of our physicians, namesakes elsewhere."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import spiders.sandbox.texts as texts
from spiders.sandbox.model import Physician, Post

__all__ = ["make_posts"]


def make_posts(
    rng: random.Random,
    physicians: list[Physician],
    start: datetime,
    end: datetime,
    anchor: datetime,
) -> list[Post]:
    """Social posts: most about our physicians, some about namesakes elsewhere, some noise."""
    posts: list[Post] = []
    span = (end - start).total_seconds()
    for k in range(60):
        when = (start + timedelta(seconds=rng.uniform(0, span))).replace(microsecond=0)
        source = "reddit" if k % 2 == 0 else "x"
        if source == "x" and k < 16:
            # X recent search only reaches back 7 days: keep some posts near the anchor.
            when = (anchor - timedelta(days=rng.uniform(0.3, 6.5))).replace(microsecond=0)
        author = f"{rng.choice(texts.REVIEWER_FIRST).lower()}_{rng.randrange(10, 999)}"
        if k % 6 == 5:
            # A namesake: same surname as one of ours, another city and practice.
            p = rng.choice(physicians)
            first = rng.choice([f for f in texts.FIRST_NAMES if f != p.first])
            text = (
                texts.mention_text(
                    rng,
                    first,
                    p.last,
                    "Harbor Point Clinic",
                    "dermatology",
                    rng.choice(("good", "bad", "ask")),
                )
                + " (over in Port Alden)"
            )
            target = -1
        else:
            p = rng.choice(physicians)
            tone = rng.choices(("good", "bad", "ask"), (6, 2, 2))[0]
            text = texts.mention_text(rng, p.first, p.last, p.practice.name, p.specialty, tone)
            target = p.index
        title = text.split(". ")[0][:80] if source == "reddit" else ""
        posts.append(
            Post(
                source=source,
                source_id=f"{rng.getrandbits(40):x}"
                if source == "reddit"
                else str(1800000000000000000 + rng.getrandbits(56)),
                physician=target,
                author=author,
                title=title,
                text=text,
                published=when,
                subreddit=rng.choice(("AskDocs", "Riverton", "MapleFalls", "medical")),
            )
        )
    return posts
