"""The history snapshot: a new process starts from the stored review columns, reads only what
changed since, and finds exactly what a full load finds."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import delete, func, select, update

from alerts.detectors import Thresholds, history_horizon, run_detectors
from alerts.evaluate import evaluate
from alerts.history import FLAG_NAMES, Columns, History, HistoryCache, load_history
from alerts.simulation import SimulatedHistory, generate_history, plant_clusters
from reputation.classifier.classify import CLASSIFIER_VERSION
from reputation.mentions import assign_mention
from reputation.settings import load_settings
from reputation.storage.db import Database
from reputation.storage.models import (
    Classification,
    HistorySnapshot,
    Mention,
    Physician,
    Review,
    ReviewChange,
    ReviewRevision,
)
from reputation.vocabulary import CATEGORIES
from tests.conftest import PG_URL
from tests.factories import store_history

ROOT = Path(__file__).resolve().parents[1]
START = datetime(2024, 11, 1, tzinfo=UTC)
HORIZON = history_horizon(Thresholds())
FIELDS = ("ids", "physicians", "practices", "days", "authors", "ratings", "packed", "seen")


@pytest.fixture
def stored(db: Database) -> SimulatedHistory:
    """Two years on 40 physicians with planted clusters; physician 1 has no practice."""
    simulated = generate_history(seed=7, physicians=40, months=24, practices=4, start=START)
    simulated, planted = plant_clusters(simulated, 4, seed=7, earliest_day=500)
    assert planted
    store_history(db, simulated, simulated.events)
    with db.transaction() as s:
        s.execute(update(Physician).where(Physician.id == 1).values(practice_id=None))
    return simulated


def _snapshot(db: Database, now: datetime) -> HistoryCache:
    """Evaluate with a cache of its own (a process's first evaluation), and store its
    snapshot (evaluate stores one only when it is due)."""
    cache = HistoryCache()
    settings = load_settings(None, {"REPMON_DATABASE_URL": db.url}, Path("."))
    evaluate(db, settings, now, notify=False, cache=cache)
    with db.transaction() as s:
        cache.save(s, now)
    assert cache.columns is not None
    with db.session() as s:
        assert s.scalar(select(HistorySnapshot.rows)) == cache.columns.ids.size
    return cache


def _new_process(db: Database, now: datetime) -> HistoryCache:
    """A fresh cache at `now` (what a new process has), checked against a full load."""
    cache, thresholds = HistoryCache(), Thresholds()
    with db.session() as s:
        cached = cache.history(s, now, now - HORIZON)
        fresh = load_history(s, now, since=now - HORIZON)
    assert run_detectors(cached, now, thresholds) == run_detectors(fresh, now, thresholds)
    assert _reviews(cached, now) == _reviews(fresh, now)
    _same_columns(cache, db, now)
    return cache


def _same_columns(cache: HistoryCache, db: Database, now: datetime) -> None:
    """The cached columns are, row for row, what a full read at `now` gives."""
    with db.session() as s:
        fresh = Columns.read(s, (), (now - HORIZON, now))
    assert cache.columns is not None
    mine, theirs = np.argsort(cache.columns.ids), np.argsort(fresh.ids)
    for name in FIELDS:
        a, b = getattr(cache.columns, name)[mine], getattr(fresh, name)[theirs]
        assert np.array_equal(a, b, equal_nan=name != "authors"), name


def _reviews(history: History, now: datetime) -> set[int]:
    """The reviews indexed up to `now` (a cache may hold later ones; detectors bound time)."""
    index = history.index
    rows = (index.times <= now.timestamp() / 86400.0) & ~index.social
    return set(index.review_ids[rows].tolist())


def _add_reviews(
    db: Database, physician: int, at: datetime, n: int, negative: bool, first_id: int = 0
) -> None:
    with db.transaction() as s:
        top = first_id - 1 if first_id else s.scalar(select(func.max(Review.id))) or 0
        for i in range(n):
            rid = top + 1 + i
            when = at - timedelta(days=2 * i)
            s.add(
                Review(
                    id=rid,
                    source="google",
                    external_id=f"late-{rid}",
                    physician_id=physician,
                    author=f"late reviewer {rid}",
                    rating=1.0 if negative else 5.0,
                    published_at=when,
                    first_seen_at=at,
                    last_seen_at=at,
                    content_hash="late",
                )
            )
            s.flush()
            s.add(_classification(rid, negative, at))


def _classification(review_id: int, negative: bool, at: datetime) -> Classification:
    return Classification(
        review_id=review_id,
        classifier_version=CLASSIFIER_VERSION,
        content_hash="late",
        created_at=at,
        compound=-0.7 if negative else 0.7,
        label="negative" if negative else "positive",
        negative=negative,
        **{name: negative and name == CATEGORIES[0] for name in CATEGORIES},
    )


def test_a_new_process_reads_the_snapshot_and_what_changed_since(
    db: Database, stored: SimulatedHistory
) -> None:
    now = stored.end
    first = _snapshot(db, now)
    assert first.full_loads == 1 and not first.restored
    found = _new_process(db, now + timedelta(hours=1))
    assert found.restored and found.full_loads == 0 and found.changed == 0
    assert found.columns is not None and first.columns is not None
    assert found.columns.ids.tolist() == first.columns.ids.tolist()
    # New reviews: a cluster on a quiet physician, read alone.
    later = now + timedelta(hours=2)
    _add_reviews(db, 5, later, 5, negative=True)
    after_new = _new_process(db, later)
    assert after_new.full_loads == 0 and after_new.changed == 5
    # An edit turning a negative review positive, with its reclassification.
    with db.transaction() as s:
        edited = s.scalars(
            select(Review)
            .join(Classification, Classification.review_id == Review.id)
            .where(Classification.negative.is_(True), Review.published_at > now - HORIZON)
            .order_by(Review.published_at.desc())
        ).first()
        assert edited is not None
        s.add(
            ReviewRevision(
                review_id=edited.id,
                replaced_at=later,
                rating=edited.rating,
                content_hash=edited.content_hash,
            )
        )
        edited.rating, edited.content_hash = 5.0, "edited"
        row = s.scalars(select(Classification).where(Classification.review_id == edited.id)).one()
        row.negative, row.created_at, row.content_hash = False, later, "edited"
    # A reclassification without an edit, and a deleted review.
    with db.transaction() as s:
        ids = s.scalars(
            select(Review.id)
            .where(Review.published_at > now - timedelta(days=20))
            .order_by(Review.id)
            .limit(2)
        ).all()
        s.execute(
            update(Classification)
            .where(Classification.review_id == ids[0])
            .values(negative=True, created_at=later + timedelta(minutes=1))
        )
        s.execute(update(Review).where(Review.id == ids[1]).values(deleted_at=later))
    changed = _new_process(db, later + timedelta(minutes=5))
    assert changed.full_loads == 0 and changed.changed >= 3
    assert changed.snapshot_due is False  # a few rows: the stored snapshot still serves


def _same(cache: HistoryCache, db: Database, now: datetime) -> HistoryCache:
    """Evaluate with `cache` at `now` (a process's next evaluation), checked against a full
    load, and check the changes were read alone."""
    thresholds = Thresholds()
    with db.session() as s:
        cached = cache.history(s, now, now - HORIZON)
        fresh = load_history(s, now, since=now - HORIZON)
    assert run_detectors(cached, now, thresholds) == run_detectors(fresh, now, thresholds)
    assert _reviews(cached, now) == _reviews(fresh, now)
    _same_columns(cache, db, now)
    assert cache.full_loads == 1  # the first evaluation's, never again
    return cache


def _recent_review(db: Database, now: datetime, skip: int = 0) -> Review:
    with db.session() as s:
        found = s.scalars(
            select(Review)
            .where(Review.published_at > now - timedelta(days=40), Review.deleted_at.is_(None))
            .order_by(Review.id)
            .offset(skip)
        ).first()
    assert found is not None
    return found


def test_every_kind_of_change_is_read_alone_and_matches_a_full_load(
    db: Database, stored: SimulatedHistory
) -> None:
    now = stored.end
    cache = HistoryCache()
    with db.session() as s:
        cache.history(s, now, now - HORIZON)
    step = iter(range(1, 100))

    def later() -> datetime:
        return now + timedelta(hours=next(step))

    def change(*statements: Any) -> None:
        with db.transaction() as s:
            for statement in statements:
                s.execute(statement)
        at = later()
        _same(cache, db, at)
        _new_process(db, at)  # the snapshot (stored below) and the log give the same

    _snapshot(db, now)
    one, two = _recent_review(db, now), _recent_review(db, now, skip=1)
    # Edits: a rating, an author, a move to another physician, a date set and moved.
    change(update(Review).where(Review.id == one.id).values(rating=1.0))
    change(update(Review).where(Review.id == one.id).values(author="someone else"))
    change(update(Review).where(Review.id == one.id).values(physician_id=12))
    change(update(Review).where(Review.id == two.id).values(published_at=None))
    change(update(Review).where(Review.id == two.id).values(published_at=now - timedelta(days=3)))
    # Detached and attached again, deleted and restored.
    change(update(Review).where(Review.id == two.id).values(physician_id=None))
    change(update(Review).where(Review.id == two.id).values(physician_id=two.physician_id))
    change(update(Review).where(Review.id == two.id).values(deleted_at=now))
    change(update(Review).where(Review.id == two.id).values(deleted_at=None))
    # Classifications: updated, deleted, inserted again.
    own = Classification.review_id == one.id
    change(update(Classification).where(own).values(negative=True, harm=True))
    change(delete(Classification).where(own))
    with db.transaction() as s:
        s.add(_classification(one.id, True, now))
    _same(cache, db, later())
    # A roster change: physician 2 to another practice, physician 3 to none.
    change(
        update(Physician).where(Physician.id == 2).values(practice_id=3),
        update(Physician).where(Physician.id == 3).values(practice_id=None),
    )
    # A physician's first review deleted: the next one dates the start of their exposure.
    with db.session() as s:
        first = s.scalars(
            select(Review).where(Review.physician_id == 4).order_by(Review.published_at)
        ).first()
    assert first is not None
    change(update(Review).where(Review.id == first.id).values(deleted_at=now))
    change(update(Review).where(Review.id == first.id).values(first_seen_at=now))
    assert cache.changed == 1


def test_the_window_moves_without_reading_everything(
    db: Database, stored: SimulatedHistory
) -> None:
    now = stored.end
    cache = HistoryCache()
    with db.session() as s:
        cache.history(s, now, now - HORIZON)
    for days in (1, 2, 30, 200):
        _same(cache, db, now + timedelta(days=days))
        assert cache.changed == 0
    _snapshot(db, now + timedelta(days=200))
    assert _new_process(db, now + timedelta(days=201)).full_loads == 0


def test_an_evaluation_before_the_cached_one_reads_everything(
    db: Database, stored: SimulatedHistory
) -> None:
    now = stored.end
    _snapshot(db, now)
    assert _new_process(db, now - timedelta(days=3)).full_loads == 1


def test_storing_the_snapshot_prunes_the_log_and_a_cache_behind_it_restores_it(
    db: Database, stored: SimulatedHistory
) -> None:
    now = stored.end
    daemon = HistoryCache()
    with db.session() as s:
        daemon.history(s, now, now - HORIZON)
    _add_reviews(db, 5, now + timedelta(hours=1), 3, negative=True)
    # Another process (the CLI) evaluates, stores its snapshot, prunes the log.
    _snapshot(db, now + timedelta(hours=1))
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(ReviewChange)) == 0
    _add_reviews(db, 6, now + timedelta(hours=2), 2, negative=True)
    # The daemon had not read the pruned rows: it starts from the newer snapshot instead.
    _same(daemon, db, now + timedelta(hours=2))
    assert daemon.restored and daemon.changed == 2
    # A cache behind the stored snapshot does not store over it.
    ahead = {"change": 10**9, "snapshot": None}
    with db.transaction() as s:
        s.execute(update(HistorySnapshot).values(marks=ahead))
    with db.transaction() as s:
        daemon.save(s, now + timedelta(hours=3))
    with db.session() as s:
        assert s.scalar(select(HistorySnapshot.marks)) == ahead


@pytest.mark.skipif(not PG_URL, reason="concurrent writers: PostgreSQL only")
def test_a_transaction_open_at_an_evaluation_is_read_when_it_commits(
    db: Database, stored: SimulatedHistory
) -> None:
    # PostgreSQL hands out log ids at insert time: a transaction open across an evaluation
    # commits ids below the newest one that evaluation read.
    if db.dialect != "postgresql":
        pytest.skip("SQLite serialises writers: its log ids are in commit order")
    now = stored.end
    cache = HistoryCache()
    with db.session() as s:
        cache.history(s, now, now - HORIZON)
    one, two = _recent_review(db, now), _recent_review(db, now, skip=1)
    with db.engine.connect() as slow:
        slow.execute(update(Review).where(Review.id == one.id).values(rating=1.0))
        with db.transaction() as s:  # a later writer, committed first: a higher log id
            s.execute(update(Review).where(Review.id == two.id).values(rating=1.0))
        _same(cache, db, now + timedelta(hours=1))
        assert cache.changed == 1
        slow.commit()
    _same(cache, db, now + timedelta(hours=2))
    assert one.id in (cache.columns.ids.tolist() if cache.columns else [])
    with db.session() as s:
        assert s.get_one(Review, one.id).rating == 1.0
    # Re-read until no transaction open then is still open, then not again.
    _same(cache, db, now + timedelta(hours=3))
    _same(cache, db, now + timedelta(hours=4))
    assert cache.changed == 0


@pytest.mark.skipif(not PG_URL, reason="concurrent writers: PostgreSQL only")
def test_a_transaction_open_on_other_tables_holds_nothing_back(
    db: Database, stored: SimulatedHistory
) -> None:
    # A writer open elsewhere (here a physician added and not committed; in CI another test's
    # database on the same server) keeps the server's oldest open transaction back: the log
    # rows committed since must still be read once, and pruned by a snapshot.
    if db.dialect != "postgresql":
        pytest.skip("SQLite serialises writers: its log ids are in commit order")
    now = stored.end
    cache = HistoryCache()
    with db.engine.connect() as idle:
        idle.execute(update(Physician).where(Physician.id == 1).values(name="Dr Held Open"))
        with db.session() as s:
            cache.history(s, now, now - HORIZON)
        _add_reviews(db, 5, now + timedelta(hours=1), 3, negative=True)
        _same(cache, db, now + timedelta(hours=1))
        assert cache.changed == 3
        _same(cache, db, now + timedelta(hours=2))
        assert cache.changed == 0
        _snapshot(db, now + timedelta(hours=2))
        with db.session() as s:
            assert s.scalar(select(func.count()).select_from(ReviewChange)) == 0
        idle.rollback()


def test_a_snapshot_of_another_classifier_or_layout_or_unreadable_is_ignored(
    db: Database, stored: SimulatedHistory
) -> None:
    now = stored.end
    _snapshot(db, now)
    for change in (
        {"classifier_version": "an-older-classifier"},
        {"layout": 0},
        {"data": b"not columns"},
        {"marks": {"review": 1}},
    ):
        with db.transaction() as s:
            s.execute(update(HistorySnapshot).values(**change))
        cache = _new_process(db, now + timedelta(hours=1))
        assert not cache.restored and cache.full_loads == 1, change
        _snapshot(db, now)


def test_an_interrupted_snapshot_write_leaves_the_previous_one(
    db: Database, stored: SimulatedHistory
) -> None:
    now = stored.end
    first = _snapshot(db, now)
    _add_reviews(db, 6, now + timedelta(hours=1), 3, negative=True)
    newer = _new_process(db, now + timedelta(hours=1))
    with pytest.raises(RuntimeError), db.transaction() as s:
        newer.save(s, now + timedelta(hours=1))
        raise RuntimeError("the process died before the commit")
    assert first.marks is not None
    with db.session() as s:
        assert s.scalar(select(HistorySnapshot.marks)) == first.marks.dump()
    again = _new_process(db, now + timedelta(hours=2))
    assert again.restored and again.full_loads == 0 and again.changed == 3


def test_a_reassigned_social_post_follows_without_reading_the_reviews(
    db: Database, stored: SimulatedHistory
) -> None:
    now = stored.end
    with db.transaction() as s:
        post = Mention(
            source="reddit",
            external_id="p1",
            physician_id=8,
            confidence=0.95,
            author="u/upset",
            text="awful",
            published_at=now - timedelta(days=1),
            first_seen_at=now - timedelta(days=1),
            content_hash="p1",
        )
        s.add(post)
        s.flush()
        s.add(
            Classification(
                mention_id=post.id,
                classifier_version=CLASSIFIER_VERSION,
                content_hash="p1",
                created_at=now - timedelta(days=1),
                compound=-0.8,
                label="negative",
                negative=True,
                harm=True,
            )
        )
        post_id = post.id
    _snapshot(db, now)
    with db.transaction() as s:
        doc = s.get_one(Physician, 9)
        assign_mention(s, post_id, doc.npi, now + timedelta(minutes=30), by="test")
    cache = _new_process(db, now + timedelta(hours=1))
    assert cache.restored and cache.full_loads == 0 and cache.changed == 0
    with db.session() as s:
        history = cache.history(s, now + timedelta(hours=1), now - HORIZON)
    assert set(history.index.physician_of_row[history.index.social].tolist()) == {9}


def test_the_snapshot_serves_a_new_operating_system_process(
    db: Database, stored: SimulatedHistory
) -> None:
    # Marks compared across processes must not depend on per-process hashing (hash(None)).
    now = stored.end
    _snapshot(db, now)
    code = (
        "import sys; from datetime import datetime, timedelta\n"
        "from alerts.detectors import Thresholds, history_horizon\n"
        "from alerts.history import HistoryCache\n"
        "from reputation.storage.db import Database\n"
        "db = Database(sys.argv[1]); now = datetime.fromisoformat(sys.argv[2])\n"
        "cache = HistoryCache()\n"
        "with db.session() as s:\n"
        "    cache.history(s, now, now - history_horizon(Thresholds()))\n"
        "print(cache.restored, cache.full_loads, cache.changed)\n"
    )
    later = (now + timedelta(hours=1)).isoformat()
    out = subprocess.run(
        [sys.executable, "-c", code, db.url, later],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.split() == ["True", "0", "0"]


def test_columns_read_hold_what_the_rows_hold(db: Database, stored: SimulatedHistory) -> None:
    """The columns come from the driver's tuples, with no result processing: each value
    equals what the ORM reads for the same review (times to the millisecond)."""
    with db.transaction() as s:  # the cases the simulation lacks: no rating, no author
        s.execute(update(Review).where(Review.id.in_([1, 2])).values(rating=None, author=""))
    with db.session() as s:
        columns = Columns.read(s)
        rows = s.execute(
            select(Review, Physician.practice_id, Classification)
            .join(Physician, Review.physician_id == Physician.id)
            .join(Classification, Classification.review_id == Review.id)
            .where(Classification.classifier_version == CLASSIFIER_VERSION)
        ).all()
    assert columns.ids.size == len(rows) > 0
    at = {int(rid): i for i, rid in enumerate(columns.ids)}
    for review, practice, label in rows:
        i = at[review.id]
        assert columns.physicians[i] == review.physician_id
        assert columns.practices[i] == (-1 if practice is None else practice)
        assert review.published_at is not None
        assert abs(columns.days[i] * 86400 - review.published_at.timestamp()) < 1e-3
        assert abs(columns.seen[i] * 86400 - review.first_seen_at.timestamp()) < 1e-3
        assert columns.authors[i] == review.author
        if review.rating is None:
            assert np.isnan(columns.ratings[i])
        else:
            assert columns.ratings[i] == review.rating
        flags = [label.negative, *(getattr(label, n) for n in FLAG_NAMES)]
        assert columns.packed[i] == sum(int(bool(f)) << bit for bit, f in enumerate(flags))
    assert {1, 2} <= set(columns.ids[np.isnan(columns.ratings)].tolist())


def test_columns_round_trip_and_refuse_other_bytes() -> None:
    columns = Columns(
        np.array([3, 1], dtype=np.int64),
        np.array([7, 8], dtype=np.int64),
        np.array([-1, 2], dtype=np.int64),
        np.array([20000.5, 20001.0]),
        np.array(['Ann "A" \u00e9\x00', ""], dtype=object),
        np.array([np.nan, 4.0]),
        np.array([1, 0], dtype=np.int64),
        np.array([20000.75, 20001.25]),
    )
    back = Columns.load(columns.dump())
    for name in FIELDS:
        assert np.array_equal(
            getattr(back, name), getattr(columns, name), equal_nan=name != "authors"
        )
    assert back.authors.dtype == object
    # integers are stored in the narrowest type that holds them, and come back as int64
    wide = replace(columns, ids=np.array([2**40, -(2**33)]), packed=np.array([127, -128]))
    back = Columns.load(wide.dump())
    assert back.ids.tolist() == [2**40, -(2**33)] and back.packed.tolist() == [127, -128]
    assert all(getattr(back, f).dtype == np.int64 for f in ("ids", "physicians", "packed"))
    with pytest.raises(ValueError, match="not a stored set of review columns"):
        Columns.load(b"junk")


def test_when_most_reviews_changed_one_full_read_replaces_reading_them_by_id(
    db: Database, stored: SimulatedHistory
) -> None:
    now = stored.end
    _snapshot(db, now)
    with db.transaction() as s:
        s.execute(update(Classification).values(created_at=now + timedelta(minutes=1)))
    cache = _new_process(db, now + timedelta(hours=1))
    assert cache.restored and cache.full_loads == 1


def test_reviews_committed_late_under_lower_ids_are_read_alone(
    db: Database, stored: SimulatedHistory
) -> None:
    # Concurrent crawls on PostgreSQL commit ids out of order: a review may arrive under an
    # id below the newest one an evaluation saw. Its classification is newer, so it is read.
    now = stored.end
    with db.session() as s:
        top = s.scalar(select(func.max(Review.id))) or 0
    _add_reviews(db, 3, now, 1, negative=False, first_id=top + 10)
    _snapshot(db, now)
    _add_reviews(db, 3, now + timedelta(hours=1), 3, negative=True, first_id=top + 1)
    cache = _new_process(db, now + timedelta(hours=1))
    assert cache.restored and cache.full_loads == 0 and cache.changed == 3


def test_first_reviews_are_the_earliest_classified_undeleted_ones_ties_included(
    db: Database, stored: SimulatedHistory
) -> None:
    """Each physician's first reviews: all those at the earliest publication among the
    undeleted, dated reviews with a classification; an earlier review without one, a
    deleted one or an undated one does not count."""
    with db.session() as s:
        earliest = s.scalar(select(func.min(Review.published_at)).where(Review.physician_id == 5))
    assert earliest is not None
    before = earliest - timedelta(days=30)
    _add_reviews(db, 5, before, 1, negative=True, first_id=90_001)  # the tie, with 90_002
    _add_reviews(db, 5, before, 1, negative=False, first_id=90_002)
    _add_reviews(db, 5, before - timedelta(days=5), 1, negative=True, first_id=90_003)
    _add_reviews(db, 5, before - timedelta(days=6), 1, negative=True, first_id=90_004)
    _add_reviews(db, 5, before - timedelta(days=7), 1, negative=True, first_id=90_005)
    with db.transaction() as s:
        s.execute(delete(Classification).where(Classification.review_id == 90_003))
        s.execute(update(Review).where(Review.id == 90_004).values(deleted_at=before))
        s.execute(update(Review).where(Review.id == 90_005).values(published_at=None))
    with db.session() as s:
        firsts = Columns.firsts_of(s, [5, 6, 999])
        first_six = s.scalar(select(func.min(Review.published_at)).where(Review.physician_id == 6))
        six = set(
            s.scalars(
                select(Review.id).where(Review.physician_id == 6, Review.published_at == first_six)
            )
        )
        whole = Columns.read(s, (), (before + timedelta(days=400), before + timedelta(days=401)))
    assert set(firsts.ids.tolist()) == {90_001, 90_002} | six
    assert {90_001, 90_002} <= set(whole.ids[whole.physicians == 5].tolist())
    assert not {90_003, 90_004, 90_005} & set(whole.ids.tolist())
