"""Rating drops: a physician's recent mean rating below their prior mean, beyond chance.

A drop must be large (`min_drop` stars), rest on `min_count` rated reviews in each period,
and be significant: a one-sided Welch t-test whose variances are shrunk toward the
organisation's rating variance (`prior_weight` pseudo-reviews, so five 5-star reviews do not
claim zero spread), with Benjamini-Hochberg at `fdr_q` across the physicians tested.
A patient who posts on several sites is one voice: within each period a physician's ratings
by one reviewer key are averaged into one observation (checked for the candidates only, so
the names of a million reviews are not folded every evaluation).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

import numpy as np
from numpy.typing import NDArray
from scipy import special

from alerts.clusters import benjamini_hochberg
from alerts.kinds import RatingDropAlert
from reputation.imports.normalize import reviewer_key

__all__ = ["RATING_DROP_PRIOR_DAYS", "RATING_DROP_WINDOW_DAYS", "RatingSeries", "rating_drop"]

# The recent window and the year before it that a drop compares (alerts.history loads that much).
RATING_DROP_WINDOW_DAYS = 90
RATING_DROP_PRIOR_DAYS = 365

_DAY = 86400.0
F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


class RatedReview(Protocol):
    """What a rating drop reads of one review (alerts.detectors.ReviewFacts fits)."""

    @property
    def review_id(self) -> int: ...
    @property
    def physician_id(self) -> int: ...
    @property
    def published_at(self) -> datetime: ...
    @property
    def rating(self) -> float | None: ...
    @property
    def social(self) -> bool: ...
    @property
    def author(self) -> str: ...


@dataclass(frozen=True)
class RatingSeries:
    """Rated reviews as columns: review id, physician id, publication (days since the epoch),
    stars and author name."""

    review_ids: I64
    physician_ids: I64
    days: F64
    ratings: F64
    authors: NDArray[np.object_]

    def __post_init__(self) -> None:
        n = self.review_ids.size
        columns = (self.physician_ids, self.days, self.ratings, self.authors)
        if not all(a.size == n for a in columns):
            raise ValueError("RatingSeries: every column needs one value per review")

    @classmethod
    def from_facts(cls, facts: Iterable[RatedReview]) -> RatingSeries:
        """The rated, non-social facts as a series."""
        rows = [f for f in facts if f.rating is not None and not f.social]
        return cls(
            np.asarray([f.review_id for f in rows], dtype=np.int64),
            np.asarray([f.physician_id for f in rows], dtype=np.int64),
            np.asarray([_days(f.published_at) for f in rows], dtype=np.float64),
            np.asarray([f.rating for f in rows], dtype=np.float64),
            _objects([f.author for f in rows]),
        )


def _objects(values: list[str]) -> NDArray[np.object_]:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _days(when: datetime) -> float:
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp() / _DAY


def rating_drop(
    series: RatingSeries,
    now: datetime,
    window_days: int = RATING_DROP_WINDOW_DAYS,
    prior_days: int = RATING_DROP_PRIOR_DAYS,
    min_drop: float = 1.0,
    min_count: int = 5,
    fdr_q: float = 0.05,
    prior_weight: float = 5.0,
) -> list[RatingDropAlert]:
    """Physicians whose window mean is >= min_drop below the prior mean, significantly."""
    tn = _days(now)
    start, prior_start = tn - window_days, tn - window_days - prior_days
    keep = (series.days <= tn) & (series.days > prior_start)
    if not keep.any():
        return []
    pid, t, r = series.physician_ids[keep], series.days[keep], series.ratings[keep]
    rid, who = series.review_ids[keep], series.authors[keep]
    recent = t > start
    org_var = float(np.var(r)) if r.size > 1 else 1.0
    ids, inv = np.unique(pid, return_inverse=True)
    n_w, m_w, v_w = _moments(inv, r, recent, ids.size, org_var, prior_weight)
    n_p, m_p, v_p = _moments(inv, r, ~recent, ids.size, org_var, prior_weight)
    p = _p_values(n_w, m_w, v_w, n_p, m_p, v_p)
    tested = (n_w >= min_count) & (n_p >= min_count)
    if not tested.any():
        return []
    for j in np.flatnonzero(tested & (p <= fdr_q) & (m_p - m_w >= min_drop)).tolist():
        # A candidate: count each reviewer once per period and test again.
        mine = inv == j
        w, pr = (
            _moments(np.zeros(v.size, np.int64), v, np.ones(v.size, bool), 1, org_var, prior_weight)
            for v in (
                _one_per_reviewer(r[mine & part], who[mine & part]) for part in (recent, ~recent)
            )
        )
        n_w[j], m_w[j], v_w[j] = (float(x[0]) for x in w)
        n_p[j], m_p[j], v_p[j] = (float(x[0]) for x in pr)
        p[j] = _p_values(*w, *pr)[0]
        tested[j] = n_w[j] >= min_count and n_p[j] >= min_count
    cand = np.flatnonzero(tested)
    hits, _ = benjamini_hochberg(p[cand], fdr_q)
    out = []
    for j in cand[hits & (m_p[cand] - m_w[cand] >= min_drop)].tolist():
        mine = recent & (inv == j)
        order = np.argsort(t[mine], kind="stable")
        out.append(
            RatingDropAlert(
                int(ids[j]),
                window_days,
                float(m_w[j]),
                float(m_p[j]),
                int(n_w[j]),
                int(n_p[j]),
                tuple(rid[mine][order].tolist()),
                p_value=float(p[j]),
            )
        )
    return out


def _moments(
    inv: I64, r: F64, mask: NDArray[np.bool_], size: int, org_var: float, prior_weight: float
) -> tuple[F64, F64, F64]:
    """Count, mean and shrunk variance of the masked ratings per group."""
    n = np.bincount(inv[mask], minlength=size).astype(np.float64)
    s = np.bincount(inv[mask], weights=r[mask], minlength=size).astype(np.float64)
    ss = np.bincount(inv[mask], weights=r[mask] ** 2, minlength=size).astype(np.float64)
    mean = np.divide(s, n, out=np.zeros_like(s), where=n > 0)
    dev = np.clip(ss - n * mean**2, 0.0, None)
    var = (dev + prior_weight * org_var) / np.maximum(n - 1 + prior_weight, 1.0)
    return n, mean, var


def _p_values(n_w: F64, m_w: F64, v_w: F64, n_p: F64, m_p: F64, v_p: F64) -> F64:
    """One-sided Welch t-test p-values of the window mean being below the prior mean
    (Welch-Satterthwaite degrees of freedom: a handful of reviews is not a normal sample)."""
    a, b = v_w / np.maximum(n_w, 1.0), v_p / np.maximum(n_p, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):  # physicians without reviews: untested
        df = (a + b) ** 2 / (a**2 / np.maximum(n_w - 1, 1.0) + b**2 / np.maximum(n_p - 1, 1.0))
        return t_tail((m_p - m_w) / np.sqrt(a + b), df)


def t_tail(t: F64, df: F64) -> F64:
    """P(T > t) for Student's t with df degrees of freedom, by the regularized incomplete beta
    (what scipy.stats.t.sf computes, without importing scipy.stats)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        half = 0.5 * special.betainc(df / 2.0, 0.5, df / (df + t * t))
    return np.asarray(np.where(t > 0, half, 1.0 - half), dtype=np.float64)


def _one_per_reviewer(ratings: F64, authors: NDArray[np.object_]) -> F64:
    """Ratings with each named reviewer's several reviews averaged into one."""
    groups: dict[str, list[float]] = {}
    out: list[float] = []
    for rating, author in zip(ratings.tolist(), authors.tolist(), strict=True):
        key = reviewer_key(str(author))
        if key:
            groups.setdefault(key, []).append(rating)
        else:
            out.append(rating)
    out.extend(sum(v) / len(v) for v in groups.values())
    return np.asarray(out, dtype=np.float64)
