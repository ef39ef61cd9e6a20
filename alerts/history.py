"""What the alert detectors read from the database: reviews as columns, facts, runs.

Reviews are read as columns (times computed by the database, classification flags packed in
one integer) straight into the event index; per-review facts are built only for the rows
the per-review detectors can use. A HistoryCache keeps the columns between evaluations in
one process and reads only the reviews the change log (`review_change`, written by database
triggers) names since; it stores them in the database as a snapshot with the log marks they
were read at, so a new process starts from the snapshot and reads only what changed since.
"""

from __future__ import annotations

import io
import json
import re
import threading
import zlib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Float, Integer, cast, delete, func, insert, literal, or_, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.types import UserDefinedType

from alerts.clusters import EventIndex
from alerts.detectors import IMMEDIATE_LOOKBACK, CrawlRunFacts, ReviewFacts
from alerts.ratingdrop import RatingSeries
from reputation.classifier.classify import CLASSIFIER_VERSION
from reputation.crawls.runs import decides_health
from reputation.storage.models import (
    Classification,
    CrawlRun,
    HistorySnapshot,
    Mention,
    Physician,
    Review,
    ReviewChange,
)
from reputation.storage.queries import classified
from reputation.vocabulary import CATEGORIES, RISK_FLAGS

__all__ = ["Columns", "History", "HistoryCache", "assemble", "id_batches", "load_history"]


@dataclass
class History:
    """What the detectors see: classified reviews (and matched negative social posts) as
    columns, per-review facts for the rows the per-review detectors need, and crawl runs."""

    index: EventIndex
    ratings: RatingSeries
    facts: list[ReviewFacts]
    runs: list[CrawlRunFacts]
    size: int = 0  # reviews and social posts in the event index
    posts_key: int = 0  # identity of the social posts in the index


I64 = NDArray[np.int64]
F64 = NDArray[np.float64]
FLAG_NAMES = (*CATEGORIES, *RISK_FLAGS)


def _risk_marks(*on: bool) -> frozenset[str]:
    """The risk flags set on a row whose harm and legal columns are `on`, in RISK_FLAGS order."""
    return frozenset(flag for flag, set_ in zip(RISK_FLAGS, on, strict=True) if set_)


# A social post counts toward a cluster only when matched this surely (name and place, or a
# person's assignment); a weaker match still pages on harm/legal, naming the post.
HIGH_CONFIDENCE = 0.9
# Facts (one object per review) are built only for reviews the per-review detectors can use:
# flagged ones, and negatives young enough to be unanswered.
FACTS_DAYS = 61.0
# The format of a stored snapshot's data (HistorySnapshot.layout): change it with Columns.dump.
SNAPSHOT_LAYOUT = 2


def _days(column: Any, dialect: str) -> Any:
    """A datetime column as days since the epoch, computed by the database (no row objects)."""
    if dialect == "sqlite":
        return func.julianday(column) - 2440587.5
    return cast(func.extract("epoch", column), Float) / 86400.0


def id_batches(items: Sequence[int], size: int = 500) -> list[Sequence[int]]:
    """`items` in slices of `size`: the bound on one IN list's parameters."""
    return [items[i : i + size] for i in range(0, len(items), size)]


def _columns(rows: Sequence[Any], width: int) -> list[list[Any]]:
    return [list(c) for c in zip(*rows, strict=True)] if rows else [[] for _ in range(width)]


def _bits() -> Any:
    """Negative, the categories and harm/legal of a classification packed in one integer:
    bit 0 negative, then one bit per name of FLAG_NAMES (one column instead of seven)."""
    flags = [Classification.negative, *(getattr(Classification, n) for n in FLAG_NAMES)]
    return sum(
        (cast(flag, Integer) * (1 << i) for i, flag in enumerate(flags[1:], start=1)),
        cast(flags[0], Integer),
    )


def _unpack(packed: I64) -> tuple[I64, I64, NDArray[np.bool_]]:
    """Category masks (CATEGORIES order), harm/legal masks and negatives from `_bits`."""
    cats = (packed >> 1) & ((1 << len(CATEGORIES)) - 1)
    marks = packed >> (1 + len(CATEGORIES))
    return cats, marks, (packed & 1) == 1


@dataclass
class Columns:
    """Classified, attached reviews as parallel arrays (the detectors' input)."""

    ids: I64
    physicians: I64
    practices: I64  # -1: none
    days: F64  # publication, days since the epoch
    authors: NDArray[np.object_]
    ratings: F64  # NaN: no rating
    packed: I64  # see _bits
    seen: F64  # first seen, days since the epoch

    @classmethod
    def read(cls, session: Session, where: Sequence[Any] = (), first_since: Any = None) -> Columns:
        """The reviews matching `where`; with `first_since` (since, until), those published
        from `since` on, each physician's first review up to `until`, and those first seen in
        the immediate lookback of `until` are read instead (see load_history)."""
        base = _review_query(session).where(*where)
        queries = [base]
        if first_since is not None:
            since, until = first_since
            recent = or_(
                Review.published_at >= since,
                Review.first_seen_at >= until - IMMEDIATE_LOOKBACK,
            )
            queries = [base.where(recent), _first_reviews(base, until).where(~recent)]
        return cls._fetch(session, queries)

    @classmethod
    def firsts_of(cls, session: Session, physicians: Sequence[int]) -> Columns:
        """The first reviews (all tied at the earliest publication) of these physicians."""
        base = _review_query(session)
        return cls._fetch(
            session, [_first_reviews(base, None, part) for part in id_batches(physicians)]
        )

    @classmethod
    def _fetch(cls, session: Session, queries: Sequence[Any]) -> Columns:
        # The driver's tuples, not ORM or Core rows: the ORM's per-row bookkeeping doubled the
        # load time, and a Core Row per review was still a fifth of it at 1M reviews. No column
        # read here needs a result processor (numbers computed by the database, and text).
        connection = session.connection()
        rows: list[Any] = []
        for query in queries:
            result = connection.execute(query)
            rows.extend(result.cursor.fetchall())
            result.close()
        # One object table cut into columns: a third of the time of a list per column.
        table = np.array(rows, dtype=object).reshape(len(rows), len(_FIELDS))
        arrays = {f: table[:, i] for i, f in enumerate(_FIELDS)}
        rated = np.array([r is not None for r in arrays["ratings"]], dtype=bool)
        ratings = np.full(len(rows), np.nan)
        ratings[rated] = arrays["ratings"][rated].astype(np.float64)
        arrays["ratings"] = ratings
        arrays["authors"] = arrays["authors"].copy()
        return cls(**{f: a.astype(_DTYPES[f], copy=False) for f, a in arrays.items()})

    def firsts(self) -> NDArray[np.bool_]:
        """Rows published at their physician's earliest publication among these rows."""
        if not self.ids.size:
            return np.zeros(0, dtype=bool)
        physicians, row_of = np.unique(self.physicians, return_inverse=True)
        earliest = np.full(physicians.size, np.inf)
        np.minimum.at(earliest, row_of, self.days)
        return np.asarray(self.days == earliest[row_of])

    def window(self, since: float, seen_from: float) -> NDArray[np.bool_]:
        """Rows load_history reads with this window (in days): published from `since` on,
        first seen from `seen_from` on, or their physician's first (later ones are kept)."""
        return np.asarray((self.days >= since) | (self.seen >= seen_from) | self.firsts())

    def __len__(self) -> int:
        return int(self.ids.size)

    def dump(self) -> bytes:
        """These columns as compressed bytes (numpy arrays, integers in the narrowest type
        that holds them, authors as JSON; no pickle)."""
        buffer = io.BytesIO()
        arrays: dict[str, Any] = {f: _narrowed(getattr(self, f)) for f in _FIELDS if f != "authors"}
        authors = json.dumps(self.authors.tolist()).encode()
        np.savez(buffer, authors=np.frombuffer(authors, dtype=np.uint8), **arrays)
        return zlib.compress(buffer.getvalue(), 1)

    @classmethod
    def load(cls, data: bytes) -> Columns:
        """Columns from `dump`'s bytes; ValueError when they are not such bytes."""
        try:
            with np.load(io.BytesIO(zlib.decompress(data)), allow_pickle=False) as stored:
                arrays = {f: stored[f] for f in _FIELDS}
            authors = json.loads(arrays["authors"].tobytes())
        except (OSError, KeyError, zlib.error, UnicodeDecodeError) as exc:
            raise ValueError(f"not a stored set of review columns: {exc}") from exc
        names = np.empty(len(authors), dtype=object)
        names[:] = authors
        arrays["authors"] = names
        if len({a.shape for a in arrays.values()}) != 1 or arrays["ids"].ndim != 1:
            raise ValueError("not a stored set of review columns: columns of unequal length")
        return cls(**{f: a.astype(_DTYPES[f], copy=False) for f, a in arrays.items()})

    def replaced(self, drop: I64, new: Columns) -> Columns:
        """These columns without the reviews `drop`, plus `new`."""
        keep = ~np.isin(self.ids, drop)
        return Columns.concat([self.select(keep), new])

    def select(self, rows: NDArray[np.bool_]) -> Columns:
        """The rows where `rows` is true."""
        return Columns(*(getattr(self, f)[rows] for f in _FIELDS))

    @staticmethod
    def concat(parts: Sequence[Columns]) -> Columns:
        """One set of columns from several (none: empty)."""
        if not parts:
            return Columns(*(np.zeros(0, dtype=_DTYPES[f]) for f in _FIELDS))
        return Columns(*(np.concatenate([getattr(p, f) for p in parts]) for f in _FIELDS))


_DTYPES: dict[str, Any] = {
    "ids": np.int64,
    "physicians": np.int64,
    "practices": np.int64,
    "days": np.float64,
    "authors": object,
    "ratings": np.float64,
    "packed": np.int64,
    "seen": np.float64,
}
_FIELDS = tuple(_DTYPES)


def _narrowed(values: NDArray[Any]) -> NDArray[Any]:
    """Integers in the narrowest signed type that holds them (less to compress: ids and
    packed flags need a half and an eighth of int64); other arrays as they are."""
    if values.dtype.kind != "i" or not values.size:
        return values
    low, high = int(values.min()), int(values.max())
    for kind in (np.int8, np.int16, np.int32):
        limits = np.iinfo(kind)
        if limits.min <= low and high <= limits.max:
            return values.astype(kind)
    return values


def _review_query(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    return (
        select(
            Review.id,
            Review.physician_id,
            func.coalesce(Physician.practice_id, -1),
            _days(Review.published_at, dialect),
            Review.author,
            Review.rating,
            _bits(),
            _days(Review.first_seen_at, dialect),
        )
        .join(Physician, Review.physician_id == Physician.id)
        .join(Classification, classified(CLASSIFIER_VERSION))
        .where(Review.deleted_at.is_(None), Review.published_at.is_not(None))
    )


def _first_reviews(
    base: Any, until: datetime | None, physicians: Sequence[int] | None = None
) -> Any:
    """`base` restricted to each physician's first reviews (published up to `until`).

    Each physician's earliest publication is the first entry of the (physician, publication)
    index that has a classification: a few index steps a physician, where a minimum grouped
    over every review read them all (0.8 s of a first evaluation at 1M reviews on SQLite)."""
    earliest = (
        select(Review.published_at)
        .join(Classification, classified(CLASSIFIER_VERSION))
        .where(
            Review.physician_id == Physician.id,
            Review.deleted_at.is_(None),
            Review.published_at.is_not(None),
        )
        .order_by(Review.published_at)
        .limit(1)
    )
    if until is not None:
        earliest = earliest.where(Review.published_at <= until)
    first = select(Physician.id.label("physician_id"), earliest.scalar_subquery().label("first"))
    if physicians is not None:
        first = first.where(Physician.id.in_(physicians))
    # grouped (one row a physician anyway): else SQLite flattens it into the outer query and
    # runs the subquery for every classification
    found = first.group_by(Physician.id).subquery()
    return base.join(
        found,
        (found.c.physician_id == Review.physician_id) & (found.c.first == Review.published_at),
    )


def load_history(
    session: Session, until: datetime, since: datetime | None = None, all_facts: bool = False
) -> History:
    """Classified, attached reviews published up to `until`, matched social posts, crawl runs.

    Per-review facts are built only for flagged reviews and recent negatives, or for every
    review with `all_facts` (the backtest replays them all).
    With `since`, reviews published before it are left out, except each physician's first
    review (it dates the start of the physician's exposure, which the cluster baseline needs)
    and reviews first seen within the immediate-alert lookback. For `since` at least
    `history_horizon` before `until`, the detectors find exactly what the whole history gives,
    and the load stops growing with the years of history kept.
    """
    window = None if since is None else (since, until)
    columns = Columns.read(session, [Review.published_at <= until], window)
    return assemble(session, columns, until, all_facts)


def assemble(
    session: Session,
    columns: Columns,
    until: datetime,
    all_facts: bool = False,
    reuse: tuple[int, EventIndex] | None = None,
) -> History:
    """The detectors' History from review columns, with posts, facts and runs read now.

    Columns may hold reviews published after `until`: every detector bounds time itself.
    `reuse` is (posts key, index) of an earlier call on the same columns: the index is kept
    when the social posts are the same.
    """
    dialect = session.get_bind().dialect.name
    cats, bad, neg = _unpack(columns.packed)
    posts = _posts(session, until, dialect)
    key = hash(tuple(tuple(column) for column in posts))
    index = reuse[1] if reuse is not None and reuse[0] == key else None
    if index is None:
        n = len(posts[0])
        index = EventIndex.from_columns(
            review_ids=np.r_[columns.ids, np.asarray(posts[0], dtype=np.int64)],
            physician_ids=np.r_[columns.physicians, np.asarray(posts[1], np.int64)],
            practice_ids=np.r_[columns.practices, np.asarray(posts[2], np.int64)],
            times=np.r_[columns.days, np.asarray(posts[3], dtype=np.float64)],
            negative=np.r_[neg, np.ones(n, dtype=bool)],
            catmask=np.r_[cats, np.asarray(posts[5], dtype=np.int64)],
            authors=np.r_[columns.authors, np.asarray(posts[4], dtype=object)],
            social=np.r_[np.zeros(columns.ids.size, dtype=bool), np.ones(n, dtype=bool)],
        )
    has = ~np.isnan(columns.ratings)
    ratings = RatingSeries(
        columns.ids[has],
        columns.physicians[has],
        columns.days[has],
        columns.ratings[has],
        columns.authors[has],
    )
    if all_facts:
        wanted = None
    else:
        young = columns.days >= until.timestamp() / 86400.0 - FACTS_DAYS
        wanted = columns.ids[(bad > 0) | (neg & young)].tolist()
    facts = _facts(session, wanted, until, classified(CLASSIFIER_VERSION))
    facts.extend(_post_facts(session, until))
    runs = [
        CrawlRunFacts(r.source, r.started_at, r.status, r.new + r.updated + r.unchanged)
        for r in session.scalars(
            select(CrawlRun).where(CrawlRun.started_at <= until, decides_health())
        )
    ]
    size = int(columns.ids.size) + len(posts[0])
    return History(index, ratings, facts, runs, size=size, posts_key=key)


def _facts(
    session: Session, ids: list[int] | None, until: datetime, classified: Any
) -> list[ReviewFacts]:
    """ReviewFacts of the given reviews (all classified, attached reviews when None)."""
    # The profile's first crawl: when we first saw any review of it.
    other = aliased(Review)
    watched = (
        select(func.min(other.first_seen_at))
        .where(other.profile_id == Review.profile_id)
        .scalar_subquery()
    )
    query = (
        select(
            Review.id,
            Review.physician_id,
            Review.published_at,
            Review.rating,
            Classification.negative,
            Review.response_at,
            Review.first_seen_at,
            watched,
            Classification.harm,
            Classification.legal,
            Review.author,
        )
        .join(Classification, classified)
        .where(
            Review.deleted_at.is_(None),
            Review.physician_id.is_not(None),
            Review.published_at.is_not(None),
            Review.published_at <= until,
        )
    )
    if ids is None:
        batches = [query]
    else:
        batches = [query.where(Review.id.in_(part)) for part in id_batches(ids)]
    out = []
    for batch in batches:
        for row in session.execute(batch):
            rid, pid, published, rating, negative, response, seen, since, harm, legal, by = row
            if pid is None or published is None:  # excluded by the query; narrows the types
                continue
            marks = _risk_marks(harm, legal)
            since_at = _aware(since)
            facts = (rid, pid, published, rating, negative, response, marks, seen, since_at)
            out.append(ReviewFacts(*facts, author=by))
    out.sort(key=lambda f: (f.published_at, f.review_id))
    return out


def _aware(value: Any) -> datetime | None:
    """A datetime from an aggregate (SQLite returns text, no type processing applies)."""
    if value is None:
        return None
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _post_filter(until: datetime) -> tuple[Any, ...]:
    published = func.coalesce(Mention.published_at, Mention.first_seen_at)
    return (
        Mention.physician_id.is_not(None),
        published <= until,
        Classification.classifier_version == CLASSIFIER_VERSION,
    )


def _posts(
    session: Session, until: datetime, dialect: str
) -> tuple[list[int], list[int], list[int], list[float], list[str], list[int]]:
    """Negative social posts matched with high confidence, as event columns."""
    published = func.coalesce(Mention.published_at, Mention.first_seen_at)
    query = (
        select(
            Mention.id,
            Mention.physician_id,
            func.coalesce(Physician.practice_id, -1),
            _days(published, dialect),
            Mention.author,
            _bits(),
        )
        .join(Physician, Mention.physician_id == Physician.id)
        .join(Classification, Classification.mention_id == Mention.id)
        .where(
            *_post_filter(until),
            Classification.negative.is_(True),
            Mention.confidence >= HIGH_CONFIDENCE,
        )
    )
    rows = list(session.execute(query))
    mid, pid, prac, days, author, packed = _columns(rows, 6)
    cats, _, _ = _unpack(np.asarray(packed, dtype=np.int64))
    return mid, pid, prac, days, [str(a) for a in author], cats.tolist()


def _post_facts(session: Session, until: datetime) -> list[ReviewFacts]:
    """Matched social posts flagged harm or legal, as facts for the immediate detector."""
    published = func.coalesce(Mention.published_at, Mention.first_seen_at)
    query = (
        select(
            Mention.id,
            Mention.physician_id,
            published,
            Mention.first_seen_at,
            Classification.harm,
            Classification.legal,
        )
        .join(Classification, Classification.mention_id == Mention.id)
        .where(*_post_filter(until), Classification.harm | Classification.legal)
    )
    out = []
    for mid, pid, when, seen, harm, legal in session.execute(query):
        marks = _risk_marks(harm, legal)
        published_at = _aware(when)
        if pid is None or published_at is None:
            continue
        out.append(
            ReviewFacts(mid, pid, published_at, flags=marks, first_seen_at=seen, social=True)
        )
    return out


class _TxidSnapshot(UserDefinedType[str]):
    """PostgreSQL's txid_snapshot ("xmin:xmax:xip,..."), bound as text and cast."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "txid_snapshot"


# txid_current_snapshot()'s text: xmin:xmax:in-progress ids (checked before it is cast).
_SNAPSHOT_TEXT = re.compile(r"[0-9]+:[0-9]+:(?:[0-9]+(?:,[0-9]+)*)?")


@dataclass(frozen=True)
class _Marks:
    """How far the change log was read: the last id, and on PostgreSQL the transaction
    snapshot taken just before (sequence ids are not commit-ordered there; see _changes)."""

    change: int
    snapshot: str | None = None

    @classmethod
    def read(cls, session: Session, floor: _Marks | None) -> _Marks:
        """The marks now, before a full read (what commits meanwhile is read again later);
        never below `floor`, the snapshot's marks up to which the log was pruned."""
        snapshot = _snapshot(session)  # first: a transaction open now may write below the last id
        last = session.scalar(select(func.max(ReviewChange.id))) or 0
        return cls(max(last, floor.change if floor else 0), snapshot)

    @property
    def xmin(self) -> int:
        """The oldest transaction the snapshot saw in progress (0: none, SQLite)."""
        return 0 if self.snapshot is None else int(self.snapshot.split(":", 1)[0])

    def covers(self, other: _Marks) -> bool:
        """Whether everything `other` was read up to was read up to here too."""
        return self.change >= other.change and self.xmin >= other.xmin

    def unseen(self) -> Any:
        """The log rows written by a transaction these marks' snapshot did not see committed
        (still open then, or begun after); None on SQLite, where log ids are in commit order."""
        if self.snapshot is None:
            return None
        seen = func.txid_visible_in_snapshot(
            ReviewChange.txid, cast(literal(self.snapshot), _TxidSnapshot())
        )
        # Below the snapshot's xmin every transaction had ended: no visibility test needed.
        return (ReviewChange.txid >= self.xmin) & ~seen

    def pruned(self) -> Any:
        """The log rows these marks cover (what a snapshot at them lets go)."""
        done = ReviewChange.id <= self.change
        unseen = self.unseen()
        return done if unseen is None else done & ~unseen

    def dump(self) -> dict[str, Any]:
        """The marks as JSON values."""
        return asdict(self)

    @classmethod
    def load(cls, values: dict[str, Any]) -> _Marks:
        """Marks from `dump`'s values; ValueError when they are not such values."""
        try:
            marks = cls(**values)
        except TypeError as exc:
            raise ValueError(f"not stored marks: {exc}") from exc
        snapshot = marks.snapshot
        if (
            marks.dump() != values
            or not isinstance(marks.change, int)
            or not (snapshot is None or _SNAPSHOT_TEXT.fullmatch(str(snapshot)))
        ):
            raise ValueError("not stored marks: unexpected values")
        return marks


def _snapshot(session: Session) -> str | None:
    """PostgreSQL: the transactions committed now, as txid_current_snapshot()'s text (None on
    SQLite, whose writers are serialised: its log ids are in commit order)."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    return str(session.execute(select(func.txid_current_snapshot())).scalar_one())


def _changes(session: Session, old: _Marks) -> tuple[list[int], _Marks]:
    """Ids of the reviews the log names past `old`, and the marks to read from next time.

    On PostgreSQL a transaction open at the last read may commit rows under lower ids later:
    every row of a transaction that read's snapshot did not see committed is read again, so a
    long-running writer's changes are re-read at each evaluation until it ends. Only this
    table's writers count: a transaction open elsewhere (another database on the server, a
    crawl writing other tables) holds nothing back."""
    snapshot = _snapshot(session)  # before the rows: what commits meanwhile is read again
    past = ReviewChange.id > old.change
    unseen = old.unseen()
    rows = session.execute(
        select(ReviewChange.id, ReviewChange.review_id).where(
            past if unseen is None else or_(past, unseen)
        )
    ).all()
    last = max((row[0] for row in rows), default=old.change)
    return sorted({row[1] for row in rows}), _Marks(max(last, old.change), snapshot)


def _stored_marks(session: Session) -> _Marks | None:
    """The stored snapshot's marks: the log is pruned up to them (None: no such snapshot)."""
    stored = session.scalar(
        select(HistorySnapshot.marks).where(HistorySnapshot.layout == SNAPSHOT_LAYOUT)
    )
    try:
        return None if stored is None else _Marks.load(stored)
    except ValueError:
        return None


class HistoryCache:
    """Review columns kept between evaluations (in the daemon's process), refreshed with only
    the reviews the change log names since the last evaluation.

    A new cache starts from the database's snapshot (`save` stores one) when there is a
    usable one, as if it had been this process's; so does a cache the snapshot has overtaken
    (storing it pruned the log this cache had still to read). Everything is read again only
    without a usable cache or snapshot, for an evaluation whose window starts before the
    cached one or whose time precedes it, or when a quarter of the reviews changed
    (`full_loads` counts those).
    """

    # Store a new snapshot after a full read, or once this many changed reviews were read
    # since the stored one (each new process would read them again).
    SAVE_AFTER = 20_000

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.until: datetime | None = None  # the evaluation time the columns serve
        self.since: datetime | None = None  # the start of the window they serve
        self.columns: Columns | None = None
        self.index: tuple[int, EventIndex] | None = None
        self.marks: _Marks | None = None
        self.full_loads = 0
        self.changed = 0  # reviews read by the last refresh
        self.restored = False  # started from the database's snapshot
        self.unsaved = 0  # reviews read since the stored snapshot (all of them: none stored)

    def history(self, session: Session, now: datetime, since: datetime) -> History:
        """The detectors' History at `now`, equal to load_history(session, now, since)'s."""
        with self.lock:
            self._refresh(session, now, since)
            self._window(session, now, since)
            assert self.columns is not None
            history = assemble(session, self.columns, now, reuse=self.index)
            self.index = (history.posts_key, history.index)
            return history

    @property
    def snapshot_due(self) -> bool:
        """Whether `save` would spare the next process reading rows again."""
        return self.columns is not None and self.unsaved >= min(
            self.SAVE_AFTER, max(1, len(self.columns))
        )

    def save(self, session: Session, now: datetime) -> None:
        """Store the columns and their marks as the database's snapshot, replacing the one
        there, and prune the change log up to the marks, in the session's transaction (an
        interrupted write leaves the old snapshot and log). A newer snapshot stays."""
        with self.lock:
            if self.columns is None or self.marks is None or not self.since or not self.until:
                return
            stored = _stored_marks(session)
            if stored is not None and not self.marks.covers(stored):
                return
            with ThreadPoolExecutor(1, thread_name_prefix="snapshot") as pool:
                # zlib lets go of the GIL: the columns compress while the database prunes
                # (after a bulk import, half a second each at 1M reviews)
                data = pool.submit(self.columns.dump)
                # no ORM bookkeeping: on PostgreSQL the default ("fetch") returns every
                # deleted id to the session, which holds none of these rows
                session.execute(
                    delete(ReviewChange).where(self.marks.pruned()),
                    execution_options={"synchronize_session": False},
                )
                session.execute(delete(HistorySnapshot))
                session.execute(
                    insert(HistorySnapshot).values(
                        id=1,
                        layout=SNAPSHOT_LAYOUT,
                        classifier_version=CLASSIFIER_VERSION,
                        since=self.since,
                        loaded_at=self.until,
                        marks=self.marks.dump(),
                        rows=len(self.columns),
                        data=data.result(),
                        created_at=now,
                    )
                )
            self.unsaved = 0

    def _refresh(self, session: Session, now: datetime, since: datetime) -> None:
        """Bring the columns up to date: from the log, else from a newer snapshot and the
        log, else by reading everything."""
        for _ in range(3):
            if self.marks is None:
                self._restore(session)
            old = self.marks
            if old is None or not self._serves(now, since):
                break
            ids, marks = _changes(session, old)
            # A snapshot stored since `old` (by another process) may have pruned rows past it
            # before they were read: start from that snapshot instead.
            stored = _stored_marks(session)
            if stored is None or old.covers(stored):
                if self._apply(session, ids, marks):
                    return
                break
            self.marks = None
        self._read_all(session, now, since)

    def _serves(self, now: datetime, since: datetime) -> bool:
        """Whether the cached columns hold every review load_history(now, since) reads."""
        return (
            self.columns is not None
            and self.since is not None
            and self.until is not None
            and self.since <= since
            and self.until <= now
        )

    def _read_all(self, session: Session, now: datetime, since: datetime) -> None:
        self.marks = _Marks.read(session, _stored_marks(session))
        self.columns = Columns.read(session, (), (since, now))
        self.since, self.until, self.index = since, now, None
        self.full_loads += 1
        self.changed = self.unsaved = int(self.columns.ids.size)

    def _apply(self, session: Session, ids: list[int], marks: _Marks) -> bool:
        """Replace the changed reviews' rows by what the database holds now; False when
        reading everything is quicker."""
        columns = self.columns
        assert columns is not None
        self.changed = len(ids)
        if not ids:
            self.marks = marks
            return True
        # Past a quarter of the reviews (`repmon reclassify --all`), one full read is quicker
        # than reading the changed ones by id.
        if len(ids) > max(500, len(columns) // 4):
            return False
        drop = np.asarray(ids, dtype=np.int64)
        # A physician whose first review changed may now start with one not cached.
        hit = np.isin(columns.ids, drop) & columns.firsts()
        lost = np.unique(columns.physicians[hit]).tolist()
        new = Columns.concat(
            [Columns.read(session, [Review.id.in_(part)]) for part in id_batches(ids)]
        )
        columns = columns.replaced(drop, new)
        firsts = Columns.firsts_of(session, lost)
        self.columns = columns.replaced(firsts.ids, firsts)
        self.marks, self.index = marks, None
        self.unsaved += self.changed
        return True

    def _window(self, session: Session, now: datetime, since: datetime) -> None:
        """Keep the rows load_history(now, since) reads, with every physician's practice
        now (a roster change is mapped here, not read again)."""
        columns = self.columns
        assert columns is not None
        dialect = session.get_bind().dialect.name
        moment = Review.published_at.type
        start, seen_from = session.execute(
            select(
                _days(literal(since, moment), dialect),
                _days(literal(now - IMMEDIATE_LOOKBACK, moment), dialect),
            )
        ).one()
        keep = columns.window(float(start), float(seen_from))
        roster = session.execute(
            select(Physician.id, func.coalesce(Physician.practice_id, -1))
        ).all()
        ids, practice = (np.asarray(c, dtype=np.int64) for c in _columns(roster, 2))
        top = int(max(ids.max(initial=0), columns.physicians.max(initial=0)))
        of = np.full(top + 1, -1, dtype=np.int64)
        of[ids] = practice
        practices = of[columns.physicians]
        if not keep.all() or not np.array_equal(practices, columns.practices):
            self.columns = replace(columns, practices=practices).select(keep)
            self.index = None
        self.since, self.until = since, now

    def _restore(self, session: Session) -> None:
        """Start from the database's snapshot when it is of this layout and classifier;
        without one, nothing is cached."""
        self.columns = self.marks = self.index = None
        row = session.execute(
            select(
                HistorySnapshot.since,
                HistorySnapshot.loaded_at,
                HistorySnapshot.marks,
                HistorySnapshot.data,
            ).where(
                HistorySnapshot.layout == SNAPSHOT_LAYOUT,
                HistorySnapshot.classifier_version == CLASSIFIER_VERSION,
            )
        ).first()
        if row is None:
            return
        try:
            marks, columns = _Marks.load(row.marks), Columns.load(row.data)
        except ValueError:
            return  # unreadable (written by another version): read everything instead
        self.columns, self.marks, self.restored = columns, marks, True
        self.since, self.until = row.since, row.loaded_at
        self.unsaved = 0
