"""`repmon reclassify`: run the classifier over stored reviews and mentions."""

from __future__ import annotations

from datetime import datetime

import click
from sqlalchemy import delete

from repmon.app import App, console, now_option, pass_app
from reputation.classifier.classify import CLASSIFIER_VERSION
from reputation.classifier.stored import classify_stored
from reputation.storage.models import Classification
from reputation.wording import plural

__all__ = ["reclassify"]


@click.command()
@click.option(
    "--all",
    "everything",
    is_flag=True,
    help="Re-run every stored review, not only new, edited or older-version ones.",
)
@now_option
@pass_app
def reclassify(app: App, everything: bool, now: datetime) -> None:
    """Classify stored reviews lacking a result of the current classifier version."""
    db = app.database()
    if everything:
        with db.transaction() as session:
            session.execute(
                delete(Classification).where(
                    Classification.classifier_version == CLASSIFIER_VERSION
                )
            )
    count = classify_stored(db, now)
    done = plural(count, "review or mention", "reviews and mentions")
    console.print(f"classified {done} with classifier {CLASSIFIER_VERSION}")
