"""Rating drops: a physician's recent mean rating below their prior mean, beyond chance.

A drop must be large (`min_drop` stars), rest on `min_count` rated reviews in each period,
and be significant: a one-sided Welch test whose variances are shrunk toward the
organisation's rating variance (`prior_weight` pseudo-reviews, so five 5-star reviews do not
claim zero spread), with Benjamini-Hochberg at `fdr_q` across the physicians tested.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from reputation.alertrules import (
    RATING_DROP_PRIOR_DAYS,
    RATING_DROP_WINDOW_DAYS,
    RatingDropAlert,
    ReviewFacts,
)
from reputation.clusters import benjamini_hochberg

__all__ = ["RatingSeries", "rating_drop"]

_DAY = 86400.0
F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


@dataclass(frozen=True)
class RatingSeries:
    """Rated reviews as columns: review id, physician id, publication (days since the epoch)."""

    review_ids: I64
    physician_ids: I64
    days: F64
    ratings: F64

    def __post_init__(self) -> None:
        n = self.review_ids.size
        if not all(a.size == n for a in (self.physician_ids, self.days, self.ratings)):
            raise ValueError("RatingSeries: every column needs one value per review")

    @classmethod
    def from_facts(cls, facts: Iterable[ReviewFacts]) -> RatingSeries:
        """The rated, non-social facts as a series."""
        rows = [f for f in facts if f.rating is not None and not f.social]
        return cls(
            np.asarray([f.review_id for f in rows], dtype=np.int64),
            np.asarray([f.physician_id for f in rows], dtype=np.int64),
            np.asarray([_days(f.published_at) for f in rows], dtype=np.float64),
            np.asarray([f.rating for f in rows], dtype=np.float64),
        )


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
    rid = series.review_ids[keep]
    recent = t > start
    org_var = float(np.var(r)) if r.size > 1 else 1.0
    ids, inv = np.unique(pid, return_inverse=True)

    def moments(mask: NDArray[np.bool_]) -> tuple[F64, F64, F64]:
        n = np.bincount(inv[mask], minlength=ids.size).astype(np.float64)
        s = np.bincount(inv[mask], weights=r[mask], minlength=ids.size).astype(np.float64)
        ss = np.bincount(inv[mask], weights=r[mask] ** 2, minlength=ids.size).astype(np.float64)
        mean = np.divide(s, n, out=np.zeros_like(s), where=n > 0)
        dev = np.clip(ss - n * mean**2, 0.0, None)
        var = (dev + prior_weight * org_var) / np.maximum(n - 1 + prior_weight, 1.0)
        return n, mean, var

    n_w, m_w, v_w = moments(recent)
    n_p, m_p, v_p = moments(~recent)
    tested = (n_w >= min_count) & (n_p >= min_count)
    if not tested.any():
        return []
    se = np.sqrt(v_w / np.maximum(n_w, 1.0) + v_p / np.maximum(n_p, 1.0))
    z = (m_p - m_w) / se
    p = np.asarray(stats.norm.sf(z), dtype=np.float64)
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
