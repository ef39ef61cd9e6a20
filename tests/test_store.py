from datetime import timedelta

import pytest
from sqlalchemy import func, select

from reputation.imports.incoming import validate_review
from reputation.imports.roster import apply_roster, parse_roster
from reputation.storage.db import Database
from reputation.storage.models import Profile, Review, ReviewRevision
from reputation.storage.store import (
    Outcome,
    known_external_ids,
    mark_complete,
    mark_deleted,
    record_public_rating,
    upsert_reviews,
)
from tests.conftest import NOW
from tests.factories import npi, roster_csv


def _review(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "source": "ratemds",
        "external_id": "42",
        "npi": npi(0),
        "author": "Pat",
        "rating": 2,
        "text": "Waited an hour.",
        "published_at": "2026-10-01T10:00:00Z",
    }
    base.update(changes)
    return base


def _store(db: Database, *records: dict[str, object], now=NOW) -> list[Outcome]:  # type: ignore[no-untyped-def]
    with db.transaction() as s:
        return upsert_reviews(s, [validate_review(r, now) for r in records], now)


def _roster(db: Database) -> None:
    with db.transaction() as s:
        apply_roster(s, parse_roster(roster_csv(2)))


def test_new_unchanged_edited_responded(db: Database) -> None:
    _roster(db)
    assert _store(db, _review()) == [Outcome.NEW]
    assert _store(db, _review(), now=NOW + timedelta(days=1)) == [Outcome.UNCHANGED]
    assert _store(db, _review(text="Waited two hours.", rating=1)) == [Outcome.EDITED]
    assert _store(
        db, _review(text="Waited two hours.", rating=1, response_text="We are sorry.")
    ) == [Outcome.RESPONDED]
    with db.session() as s:
        review = s.scalar(select(Review))
        assert review is not None
        assert (review.text, review.rating, review.response_text) == (
            "Waited two hours.",
            1.0,
            "We are sorry.",
        )
        assert review.physician_id is not None and review.profile_id is not None
        assert review.last_seen_at == NOW + timedelta(days=1) or review.last_seen_at == NOW
        revisions = s.scalars(select(ReviewRevision)).all()
        assert [(r.text, r.rating) for r in revisions] == [("Waited an hour.", 2.0)]
        assert s.scalar(select(func.count()).select_from(Review)) == 1


def test_same_review_twice_in_one_batch_is_stored_once(db: Database) -> None:
    _roster(db)
    assert _store(db, _review(), _review()) == [Outcome.NEW, Outcome.UNCHANGED]
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Review)) == 1


def test_full_pass_marks_missing_reviews_deleted_and_restores(db: Database) -> None:
    _roster(db)
    _store(db, _review(external_id="a"), _review(external_id="b"))
    with db.transaction() as s:
        profile_id = s.scalar(select(Review.profile_id).where(Review.external_id == "a"))
        assert profile_id is not None
        assert mark_deleted(s, "ratemds", profile_id, {"a"}, NOW) == 1
        assert known_external_ids(s, "ratemds", ["a", "b", "c"]) == {"a", "b"}
    with db.session() as s:
        deleted = s.scalar(select(Review).where(Review.external_id == "b"))
        assert deleted is not None and deleted.deleted_at == NOW
    assert _store(db, _review(external_id="b")) == [Outcome.RESTORED]


def test_incremental_stop_trusts_only_completed_profiles(db: Database) -> None:
    """A killed crawl stored page 1 of a profile; the next crawl must not stop there."""
    _roster(db)
    _store(db, _review(external_id="p1"))
    with db.transaction() as s:
        assert known_external_ids(s, "ratemds", ["p1"]) == {"p1"}
        assert known_external_ids(s, "ratemds", ["p1"], complete_only=True) == set()
        profile_id = s.scalar(select(Review.profile_id).where(Review.external_id == "p1"))
        assert profile_id is not None
        mark_complete(s, profile_id, NOW)
        assert known_external_ids(s, "ratemds", ["p1"], complete_only=True) == {"p1"}


def test_insert_ignore_counts_what_went_in_on_every_backend(db: Database) -> None:
    # psycopg reported -1 for a batch, so new social mentions were counted as not new.
    from reputation.storage.dialect import insert_ignore
    from reputation.storage.models import Practice

    with db.transaction() as s:
        assert insert_ignore(s, Practice, [{"name": "A"}], ["name"]) == 1
        assert insert_ignore(s, Practice, [{"name": "A"}], ["name"]) == 0
        rows = [{"name": n} for n in ("A", "B", "C", "D")]
        assert insert_ignore(s, Practice, rows, ["name"]) == 3


def test_public_rating_is_recorded_on_the_profile_and_junk_refused(db: Database) -> None:
    _roster(db)
    _store(db, _review(external_id="p1"))
    with db.transaction() as s:
        profile_id = s.scalar(select(Review.profile_id).where(Review.external_id == "p1"))
        assert profile_id is not None
        record_public_rating(s, profile_id, 4.2, 128, NOW)
        for junk in (0.0, -1.0, 5.01, float("nan")):
            with pytest.raises(ValueError, match="5-point scale"):
                record_public_rating(s, profile_id, junk, 3, NOW)
    with db.session() as s:
        profile = s.get(Profile, profile_id)
        assert profile is not None
        assert (profile.public_rating, profile.public_rating_count) == (4.2, 128)
        assert profile.public_rating_at is not None
        assert profile.public_rating_at.replace(tzinfo=NOW.tzinfo) == NOW
