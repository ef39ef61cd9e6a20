"""Cluster detection: negative reviews on one physician or practice beyond what chance explains.

For each entity (physician, practice), window, and series (all negatives; complaint categories
only when configured):
expected negatives = the entity's review volume over the window x the organisation's negative
rate over a trailing baseline that excludes the window.
- Volume: the entity's baseline volume pooled with the window's *positive* reviews scaled by
  1/(1 - rate), so extra negatives never inflate their own expectation; shrunk toward the
  average entity (gamma-Poisson, prior strength estimated from the spread of volumes unless
  `volume_prior_days` fixes it). A window whose positives alone are improbable (`surge_p`) is a
  volume surge and is expected from its own volume.
- Tail: negative binomial whose dispersion adds two uncertainties: how physicians' negative
  rates differ (by moments from their baseline counts; 0 = Poisson) and how well the entity's
  own volume is known (1 / the gamma posterior's shape, i.e. roughly one over its reviews):
  the posterior predictive, so a short or thin history widens the tail instead of passing a
  shrunk point estimate off as exact.
- Gate: >= min_negatives negatives from >= min_distinct_reviewers reviewers; a non-empty
  reviewer key counts once however many sites it posted on, anonymous reviews count apart.
- FDR: two-stage Benjamini-Hochberg across every test of one evaluation, entities as families;
  each window's p-values divided by its weight (`window_weights`, mean 1: weighted BH).
- Bundling: each entity's most significant finding holds its others; a practice finding holds
  its physicians' findings of the same category (inhibition). The lifecycle tracks held
  findings without notifying them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import numpy as np
from numpy.typing import NDArray
from scipy import special

from alerts.kinds import ClusterAlert
from reputation.imports.normalize import reviewer_key
from reputation.settings import Settings
from reputation.vocabulary import CATEGORIES

__all__ = [
    "ALL",
    "ClusterConfig",
    "EventIndex",
    "ReviewEvent",
    "benjamini_hochberg",
    "family_fdr",
    "find_clusters",
    "reviewer_key",
    "upper_tail",
]

ALL = "all"
_DAY = 86400.0
_PRIOR = "alerts.cluster.volume_prior_days"

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class ReviewEvent:
    """One classified review as the cluster detector sees it."""

    review_id: int
    physician_id: int
    practice_id: int | None
    published_at: datetime
    negative: bool
    categories: frozenset[str] = frozenset()
    reviewer_key: str = ""


@dataclass(frozen=True)
class ClusterConfig:
    """Thresholds of the cluster detector (settings `alerts.cluster.*`)."""

    windows: tuple[int, ...] = (14, 30, 90)
    baseline_days: int = 365
    min_history_days: int = 60
    min_negatives: int = 3
    min_distinct_reviewers: int = 2
    fdr_q: float = 0.025
    volume_prior_days: float | None = None
    surge_p: float = 0.01
    # Categories tested on their own besides all negatives. None by default: each multiplies
    # the tests (and the chance findings) while the overall test already sees a category's
    # burst; the alert still reports its negatives per category (category_split).
    categories: tuple[str, ...] = ()
    # Weighted BH (Genovese, Roeder & Wasserman 2006): a burst over two weeks is what a
    # cluster alert is for, so the short window spends more of the error budget than the
    # 90-day one. (days, weight) pairs; a window not listed weighs 1; scaled to mean 1
    # over the windows tested.
    window_weights: tuple[tuple[int, float], ...] = ((14, 2.0), (30, 1.0), (90, 0.5))

    def __post_init__(self) -> None:
        if any(not w > 0 for _, w in self.window_weights):
            raise ValueError(
                f"alerts.cluster.window_weights: {self.window_weights}; weights must be > 0"
            )

    @classmethod
    def from_settings(cls, settings: Settings) -> ClusterConfig:
        """Build from the settings, whose windows and weights were parsed when loaded."""
        return cls(
            windows=settings.parsed("alerts.cluster.windows"),
            window_weights=settings.parsed("alerts.cluster.window_weights"),
            baseline_days=int(settings["alerts.cluster.baseline_days"]),
            min_history_days=int(settings["alerts.cluster.min_history_days"]),
            min_negatives=int(settings["alerts.cluster.min_negatives"]),
            min_distinct_reviewers=int(settings["alerts.cluster.min_distinct_reviewers"]),
            fdr_q=float(settings["alerts.cluster.fdr_q"]),
            volume_prior_days=prior if (prior := float(settings[_PRIOR])) > 0 else None,
            surge_p=float(settings["alerts.cluster.surge_p"]),
        )


def upper_tail(k: F64, mu: F64, alpha: F64) -> F64:
    """P(X >= k) for X negative binomial with mean mu and variance mu + alpha mu^2."""
    k = np.asarray(k, dtype=np.float64)
    mu = np.maximum(np.asarray(mu, dtype=np.float64), 1e-12)
    alpha = np.broadcast_to(np.asarray(alpha, dtype=np.float64), mu.shape)
    out = np.ones_like(mu)
    pois = alpha <= 1e-9
    out[pois] = poisson_tail(k[pois], mu[pois])
    nb = ~pois & (k > 0)
    if nb.any():
        # P(X >= k) of NB(n, p), p = n / (n + mu): the regularized incomplete beta I_{1-p}(k, n)
        n = 1.0 / alpha[nb]
        out[nb] = special.betainc(k[nb], n, mu[nb] / (n + mu[nb]))
    return np.asarray(np.where(k <= 0, 1.0, out), dtype=np.float64)


def poisson_tail(k: F64, mu: F64) -> F64:
    """P(X >= k) for X Poisson with mean mu: the regularized lower incomplete gamma P(k, mu).

    (scipy.special rather than scipy.stats: the same functions scipy.stats calls, without
    the second it takes to import in every `repmon alerts evaluate`.)"""
    k = np.asarray(k, dtype=np.float64)
    mu = np.asarray(mu, dtype=np.float64)
    return np.asarray(np.where(k <= 0, 1.0, special.gammainc(np.maximum(k, 1.0), mu)))


def benjamini_hochberg(p: F64, q: float) -> tuple[NDArray[np.bool_], F64]:
    """Rejections at FDR level q and the BH-adjusted p-values (q-values)."""
    p = np.asarray(p, dtype=np.float64)
    m = p.size
    if m == 0:
        return np.zeros(0, dtype=bool), np.zeros(0)
    order = np.argsort(p, kind="stable")
    ranked = p[order] * m / np.arange(1, m + 1)
    adjusted = np.minimum.accumulate(ranked[::-1])[::-1].clip(max=1.0)
    qv = np.empty(m)
    qv[order] = adjusted
    return qv <= q, qv


def family_fdr(p: F64, family: I64, q: float) -> tuple[NDArray[np.bool_], F64]:
    """Two-stage FDR over families of tests: rejections and reported q-values."""
    # Benjamini-Bogomolov (2014): BH across families (one per entity) on Simes p-values, then
    # BH inside each of the R selected families (of M) at level q R / M. One entity's many
    # correlated tests (windows x categories) then count as one discovery, not several.
    p = np.asarray(p, dtype=np.float64)
    hits = np.zeros(p.size, dtype=bool)
    qv = np.ones(p.size)
    if p.size == 0:
        return hits, qv
    order = np.lexsort((p, family))
    fam, ps = family[order], p[order]
    starts = np.flatnonzero(np.r_[True, fam[1:] != fam[:-1]])
    sizes = np.diff(np.r_[starts, fam.size])
    rank = np.arange(fam.size) - np.repeat(starts, sizes) + 1
    simes = np.minimum.reduceat(ps * np.repeat(sizes, sizes) / rank, starts)
    selected, fam_q = benjamini_hochberg(simes, q)
    n_sel, n_fam = int(selected.sum()), starts.size
    qv[order] = np.repeat(fam_q, sizes)
    for f in np.flatnonzero(selected).tolist():
        lo, hi = int(starts[f]), int(starts[f] + sizes[f])
        inner_hit, inner_q = benjamini_hochberg(ps[lo:hi], q * n_sel / n_fam)
        rows = order[lo:hi]
        qv[rows] = np.maximum(fam_q[f], np.minimum(inner_q * n_fam / n_sel, 1.0))
        hits[rows] = inner_hit
    return hits, qv


def _days(when: datetime) -> float:
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp() / _DAY


@dataclass
class EventIndex:
    """Events sorted by (entity, time) with cumulative counts: window counts by binary search."""

    n_physicians: int
    entity_ids: list[tuple[str, int]]
    keys: F64
    times: F64
    review_ids: I64
    authors: NDArray[np.object_]  # raw author names; folded into reviewer keys only for hits
    negative: NDArray[np.bool_]
    catmask: I64
    cum: I64  # shape (1 + n_categories, rows + 1): negatives overall, then per category
    first_time: F64
    practice_of: dict[int, int] = field(default_factory=dict)
    categories: tuple[str, ...] = CATEGORIES
    span: float = 1.0
    t0: float = 0.0
    social: NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=bool))
    physician_of_row: I64 = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @classmethod
    def build(
        cls, events: Iterable[ReviewEvent], categories: Sequence[str] = CATEGORIES
    ) -> EventIndex:
        """Index events once; evaluations at any `now` then cost O(entities log events)."""
        cats = {c: 1 << i for i, c in enumerate(categories)}
        rows_in = events if isinstance(events, Sequence) else list(events)
        masks: dict[frozenset[str], int] = {}
        for cset in {e.categories for e in rows_in if e.negative}:
            masks[cset] = sum(cats.get(c, 0) for c in cset)
        stamps = [e.published_at for e in rows_in]
        seconds = [d.timestamp() if d.tzinfo else d.replace(tzinfo=UTC).timestamp() for d in stamps]
        return cls.from_columns(
            review_ids=np.asarray([e.review_id for e in rows_in], dtype=np.int64),
            physician_ids=np.asarray([e.physician_id for e in rows_in], dtype=np.int64),
            practice_ids=np.asarray(
                [-1 if e.practice_id is None else e.practice_id for e in rows_in], dtype=np.int64
            ),
            times=np.asarray(seconds, dtype=np.float64) / _DAY,
            negative=np.asarray([e.negative for e in rows_in], dtype=bool),
            catmask=np.asarray(
                [masks[e.categories] if e.negative else 0 for e in rows_in], dtype=np.int64
            ),
            authors=[e.reviewer_key for e in rows_in],
            categories=categories,
        )

    @classmethod
    def from_columns(
        cls,
        review_ids: I64,
        physician_ids: I64,
        practice_ids: I64,
        times: F64,
        negative: NDArray[np.bool_],
        catmask: I64,
        authors: Sequence[str] | NDArray[np.object_],
        categories: Sequence[str] = CATEGORIES,
        social: NDArray[np.bool_] | None = None,
    ) -> EventIndex:
        """Index column arrays (times in days since the epoch; practice -1 for none).

        `social` marks rows that are social posts (their ids are mention ids, not review ids).
        """
        n = review_ids.size
        if not all(a.size == n for a in (physician_ids, practice_ids, times, negative, catmask)):
            raise ValueError("EventIndex.from_columns: every column needs one value per event")
        if len(authors) != n:
            raise ValueError("EventIndex.from_columns: one author per event")
        posts = np.zeros(n, dtype=bool) if social is None else np.asarray(social, dtype=bool)
        by_time = np.argsort(times, kind="stable")
        # Each physician's practice as of their latest review (the first seen, newest first).
        newest = by_time[::-1][practice_ids[by_time[::-1]] >= 0]
        members, at = np.unique(physician_ids[newest], return_index=True)
        practice_of = dict(zip(members.tolist(), practice_ids[newest][at].tolist(), strict=True))
        pids, p_ent = np.unique(physician_ids, return_inverse=True)
        has = practice_ids >= 0
        qids, q_ent = np.unique(practice_ids[has], return_inverse=True)
        ent = np.concatenate([p_ent, q_ent + len(pids)])
        rows = np.concatenate([np.arange(n), np.flatnonzero(has)])
        t_all = np.asarray(times, dtype=np.float64)[rows]
        t0 = float(t_all.min()) - 1.0 if t_all.size else 0.0
        span = float(t_all.max()) - t0 + 2.0 if t_all.size else 2.0
        # By entity, then time: one sort of the search keys (a lexsort took twice as long)
        order = np.argsort(ent * span + (t_all - t0), kind="stable")
        ent, rows, t_all = ent[order], rows[order], t_all[order]
        negs = np.asarray(negative, dtype=bool)[rows]
        cm = np.asarray(catmask, dtype=np.int64)[rows]
        series = [negs] + [(cm >> i) & 1 == 1 for i in range(len(categories))]
        cum = np.zeros((len(series), rows.size + 1), dtype=np.int64)
        for i, s in enumerate(series):
            np.cumsum(s, out=cum[i, 1:])
        n_ent = len(pids) + len(qids)
        starts = np.searchsorted(ent, np.arange(n_ent))
        first = t_all[np.minimum(starts, max(rows.size - 1, 0))] if rows.size else np.zeros(0)
        ids = [("physician", int(x)) for x in pids] + [("practice", int(x)) for x in qids]
        if isinstance(authors, np.ndarray) and authors.dtype == object:
            names = authors
        else:
            names = np.empty(n, dtype=object)
            names[:] = list(authors)
        return cls(
            n_physicians=len(pids),
            entity_ids=ids,
            keys=ent * span + (t_all - t0),
            times=t_all,
            review_ids=np.asarray(review_ids, dtype=np.int64)[rows],
            authors=names[rows],
            negative=negs,
            catmask=cm,
            cum=cum,
            first_time=np.asarray(first, dtype=np.float64),
            practice_of=practice_of,
            categories=tuple(categories),
            span=span,
            t0=t0,
            social=posts[rows],
            physician_of_row=np.asarray(physician_ids, dtype=np.int64)[rows],
        )

    def bounds(self, t: F64 | float) -> I64:
        """Row position after every event of each entity at or before time t (days)."""
        n = len(self.entity_ids)
        rel = np.clip(np.asarray(t, dtype=np.float64) - self.t0, 0.0, self.span - 1.0)
        return np.asarray(
            np.searchsorted(self.keys, np.arange(n) * self.span + rel, side="right"), dtype=np.int64
        )

    def _select(self, lo: int, hi: int, series: int) -> NDArray[np.bool_]:
        if series == 0:
            return self.negative[lo:hi]
        return np.asarray((self.catmask[lo:hi] >> (series - 1)) & 1 == 1)

    def reviewer_count(self, lo: int, hi: int, series: int) -> tuple[int, list[int], list[int]]:
        """Distinct reviewers among negatives of a series in rows [lo, hi): their count, and
        the review ids and the mention (social post) ids of those negatives.

        A reviewer key counts once however many sites it posted on; anonymous authors count apart.
        """
        sel = np.flatnonzero(self._select(lo, hi, series)) + lo
        keys = [reviewer_key(str(a)) for a in self.authors[sel].tolist()]
        distinct = len({k for k in keys if k}) + sum(1 for k in keys if not k)
        post = self.social[sel]
        return distinct, self.review_ids[sel[~post]].tolist(), self.review_ids[sel[post]].tolist()

    def members(self, lo: int, hi: int, series: int) -> tuple[tuple[int, int], ...]:
        """Negatives of a series in rows [lo, hi) per physician, most first (practice rows)."""
        sel = self._select(lo, hi, series)
        ids, counts = np.unique(self.physician_of_row[lo:hi][sel], return_counts=True)
        order = np.lexsort((ids, -counts))
        return tuple((int(ids[j]), int(counts[j])) for j in order)

    def category_split(self, lo: int, hi: int, series: int) -> tuple[tuple[str, int], ...]:
        """Counts per category (and unspecified) of the window's negatives of a series."""
        sel = self._select(lo, hi, series)
        cm = self.catmask[lo:hi][sel]
        split = [(c, int(((cm >> i) & 1).sum())) for i, c in enumerate(self.categories)]
        return (*split, ("unspecified", int((cm == 0).sum())))


def _dispersion(n: F64, e: F64) -> float:
    """Method-of-moments NB dispersion of counts n around expectations e (0 = Poisson)."""
    ok = e > 0
    if ok.sum() < 20:
        return 0.0
    num = float((((n[ok] - e[ok]) ** 2) - n[ok]).sum())
    return min(max(num / float((e[ok] ** 2).sum()), 0.0), 5.0)


def _prior_days(n: F64, e: F64, rate: float, config: ClusterConfig) -> float:
    """Empirical-Bayes prior strength (pseudo-days) of the shrinkage of entity volumes.

    Entity volumes are gamma-distributed around the average with a squared CV estimated by
    moments; the gamma-Poisson posterior mean then weighs the average by 1 / (cv^2 rate) days.
    """
    if config.volume_prior_days is not None:
        return config.volume_prior_days
    cap = 10.0 * config.baseline_days
    if (e > 0).sum() < 20:
        return min(30.0, cap)
    cv2 = _dispersion(n, e)
    return cap if cv2 * rate * cap <= 1.0 else 1.0 / (cv2 * rate)


def _window_weights(config: ClusterConfig, window: F64) -> F64:
    """Each test's window weight, scaled to mean 1 over the windows tested in this evaluation."""
    given = dict(config.window_weights)
    tested = np.unique(window)
    weights = np.asarray([given.get(int(w), 1.0) for w in tested.tolist()], dtype=np.float64)
    if weights.size == 0:
        return np.ones(0)
    return np.asarray(weights[np.searchsorted(tested, window)] / weights.mean(), dtype=np.float64)


def find_clusters(
    index: EventIndex, now: datetime, config: ClusterConfig = ClusterConfig()
) -> list[ClusterAlert]:
    """Significant clusters at `now`, practice findings carrying the physicians they inhibit."""
    tn = _days(now)
    n_phys = index.n_physicians
    n_ent = len(index.entity_ids)
    if n_ent == 0:
        return []
    started = index.first_time <= tn
    hi = index.bounds(tn)
    n_series = index.cum.shape[0]
    tests: list[tuple[int, F64, F64, F64, I64, I64]] = []  # window, k, mu, alpha, lo, code
    expect: dict[tuple[int, int], F64] = {}  # (window, series): every entity's expected negatives
    data_start = index.t0 + 1.0
    for w in config.windows:
        a = tn - w
        if a - data_start < config.min_history_days:
            continue
        lo = index.bounds(a)
        base_lo = index.bounds(a - config.baseline_days)
        tot_w = (hi - lo).astype(np.float64)
        tot_b = (lo - base_lo).astype(np.float64)
        neg_w = (index.cum[:, hi] - index.cum[:, lo]).astype(np.float64)
        neg_b = (index.cum[:, lo] - index.cum[:, base_lo]).astype(np.float64)
        expo = np.clip(a - np.maximum(a - config.baseline_days, index.first_time), 0.0, None)
        phys = slice(0, n_phys)
        org_tot = float(tot_b[phys].sum())
        if org_tot < 1:
            continue
        p0 = neg_b[:, phys].sum(axis=1) / org_tot
        rate = np.zeros(n_ent)
        shape = np.zeros(n_ent)  # gamma posterior shape of each entity's volume
        for part in (slice(0, n_phys), slice(n_phys, n_ent)):
            e_sum = float(expo[part].sum())
            prior = float(tot_b[part].sum()) / e_sum if e_sum > 0 else 0.0
            pos = tot_w[part] - neg_w[0, part]
            est = tot_b[part] + pos / max(1.0 - float(p0[0]), 1e-6)
            m = _prior_days(tot_b[part], prior * expo[part], prior, config)
            shape[part] = est + m * prior
            rate[part] = shape[part] / (expo[part] + w + m)
        volume = rate * w
        # A surge of positive reviews means the volume itself changed: expect from the window.
        pos_w = tot_w - neg_w[0]
        seen = pos_w / max(1.0 - float(p0[0]), 1e-6)
        surge = poisson_tail(pos_w, volume * (1.0 - p0[0])) < config.surge_p
        surged = surge & (seen > volume)
        volume = np.where(surged, seen, volume)
        vol_cv2 = np.where(surged, 0.0, 1.0 / np.maximum(shape, 1e-9))
        for s in range(n_series):
            if p0[s] <= 0 or (s > 0 and index.categories[s - 1] not in config.categories):
                continue
            disp = _dispersion(neg_b[s, phys], p0[s] * tot_b[phys])
            idx = np.flatnonzero(started & (volume > 0))
            code = np.asarray(idx * n_series + s, dtype=np.int64)
            # Gamma mixing twice (negative rate, then volume): variance mu^2 (a + v + a v).
            alpha = disp + vol_cv2[idx] * (1.0 + disp)
            expect[(w, s)] = volume * p0[s]
            tests.append((w, neg_w[s, idx], volume[idx] * p0[s], alpha, lo[idx], code))
    if not tests:
        return []
    window = np.concatenate([np.full(t[1].size, t[0]) for t in tests])
    k = np.concatenate([t[1] for t in tests])
    mu = np.concatenate([t[2] for t in tests])
    alpha = np.concatenate([t[3] for t in tests])
    lows = np.concatenate([t[4] for t in tests])
    code = np.concatenate([t[5] for t in tests])
    ent, series = code // n_series, code % n_series
    p = upper_tail(k, mu, alpha)
    weight = _window_weights(config, window)
    raw_hits, _ = family_fdr(np.minimum(p / weight, 1.0), ent, config.fdr_q)
    distinct: dict[int, tuple[int, list[int], list[int]]] = {}
    for i in np.flatnonzero(raw_hits & (k >= config.min_negatives)).tolist():
        distinct[i] = index.reviewer_count(int(lows[i]), int(hi[ent[i]]), int(series[i]))
        k[i] = float(distinct[i][0])
    p[list(distinct)] = upper_tail(k[list(distinct)], mu[list(distinct)], alpha[list(distinct)])
    # Intersection-union test: a practice finding stands only if it is also significant without
    # whichever member matters most; otherwise that member explains it (the practice is then
    # context of the member's own alert, or nothing when the member is not significant alone).
    p_spread = p.copy()
    explainer: dict[int, int] = {}
    phys_ids = np.asarray([eid for _, eid in index.entity_ids[:n_phys]], dtype=np.int64)
    for i in distinct:
        if ent[i] < n_phys or p[i] / weight[i] > config.fdr_q:
            continue  # a test above q is rejected by no BH step, whatever its p
        lo_i, hi_i, s = int(lows[i]), int(hi[ent[i]]), int(series[i])
        member_mu = expect[(int(window[i]), s)]
        worst = 0.0
        for pid, n in index.members(lo_i, hi_i, s):  # n reviews, k reviewers: k - n errs low
            j = int(np.searchsorted(phys_ids, pid))
            rest_mu = np.asarray([max(float(mu[i] - member_mu[j]), 0.0)])
            rest = float(upper_tail(np.asarray([k[i] - n]), rest_mu, alpha[i : i + 1])[0])
            if rest > worst:
                worst, explainer[i] = rest, pid
        p_spread[i] = max(p[i], worst)
    plain, plain_q = family_fdr(np.minimum(p / weight, 1.0), ent, config.fdr_q)
    hits, qv = plain, plain_q
    if explainer:  # some practice finding had its members tested
        hits, qv = family_fdr(np.minimum(p_spread / weight, 1.0), ent, config.fdr_q)
    found: list[ClusterAlert] = []
    explained: list[tuple[int, ClusterAlert]] = []  # (the member, the practice finding)
    for i in sorted(distinct):
        d, ids, posts = distinct[i]
        if not (hits[i] or (plain[i] and i in explainer)):
            continue
        if d < config.min_negatives or d < config.min_distinct_reviewers:
            continue
        kind, eid = index.entity_ids[int(ent[i])]
        lo_i, hi_i = int(lows[i]), int(hi[ent[i]])
        finding = ClusterAlert(
            entity_kind="physician" if kind == "physician" else "practice",
            entity_id=eid,
            category=ALL if series[i] == 0 else index.categories[int(series[i]) - 1],
            window_days=int(window[i]),
            observed=d,
            expected=float(mu[i]),
            p_value=float(p[i]),
            q_value=float(qv[i] if hits[i] else plain_q[i]),
            n_reviews=hi_i - lo_i,
            distinct_reviewers=d,
            category_split=index.category_split(lo_i, hi_i, int(series[i])),
            review_ids=tuple(ids),
            mention_ids=tuple(posts),
            members=index.members(lo_i, hi_i, int(series[i])) if kind == "practice" else (),
        )
        if hits[i]:
            found.append(finding)
        else:
            explained.append((explainer[i], finding))
    return _inhibit(found, index.practice_of, explained)


def _inhibit(
    found: list[ClusterAlert],
    practice_of: dict[int, int],
    explained: Sequence[tuple[int, ClusterAlert]] = (),
) -> list[ClusterAlert]:
    """Bundle findings so each problem reaches people once, under the entity it is about.

    A practice finding that one member explains (not significant without that member) is
    held under the member's own finding, as context; without one it is no alert. A practice
    finding spread over its members holds their findings of the same category. Each
    entity's most significant finding holds the entity's other findings.
    """
    context: dict[tuple[str, int], list[ClusterAlert]] = {}
    for member, a in explained:
        context.setdefault(("physician", member), []).append(a)
    practice_cats = {(a.entity_id, a.category) for a in found if a.entity_kind == "practice"}
    own: dict[tuple[str, int], list[ClusterAlert]] = {}
    held: dict[tuple[str, int], list[ClusterAlert]] = {}
    for a in found:
        prac = practice_of.get(a.entity_id) if a.entity_kind == "physician" else None
        if prac is not None and (prac, a.category) in practice_cats:
            held.setdefault(("practice", prac), []).append(a)
        else:
            own.setdefault((a.entity_kind, a.entity_id), []).append(a)
    out = []
    for key, mine in own.items():
        mine.sort(key=lambda a: (a.p_value, a.category != ALL, a.window_days))
        extra = (*held.get(key, ()), *context.get(key, ()))
        out.append(replace(mine[0], inhibited=(*mine[1:], *extra)))
    return sorted(out, key=lambda a: a.p_value)
