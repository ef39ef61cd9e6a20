"""The detectors on values (alerts.kinds, alerts.detectors, alerts.ratingdrop): alert identity,
immediate harm/legal and the backlog summary, unanswered reviews, crawl health, rating drops."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from alerts.detectors import CrawlRunFacts, ReviewFacts, crawl_health, immediate, unanswered
from alerts.kinds import (
    CrawlHealthAlert,
    FlagBacklogAlert,
    ImmediateAlert,
    RatingDropAlert,
    fingerprint,
)
from alerts.ratingdrop import RatingSeries, rating_drop
from tests.factories import cluster_alert as cluster

NOW = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def test_fingerprint_is_stable_over_numbers_and_label_order() -> None:
    assert cluster(observed=5).fingerprint() == cluster(observed=9, p_value=0.2).fingerprint()
    assert cluster().fingerprint() != cluster(window_days=30).fingerprint()
    assert cluster().fingerprint() != cluster(category="service").fingerprint()
    assert fingerprint({"a": "1", "b": "2"}) == fingerprint({"b": "2", "a": "1"})
    assert len(cluster().fingerprint()) == 64
    assert cluster().annotations()["ratio"] == 20.0


def test_immediate_alerts_each_harm_or_legal_flag_once() -> None:
    reviews = [
        ReviewFacts(1, 7, NOW - DAY, flags=frozenset({"harm", "legal", "phi"})),
        ReviewFacts(2, 7, NOW - 90 * DAY, flags=frozenset({"harm"})),
        ReviewFacts(3, 7, NOW - DAY),
    ]
    found = immediate(reviews, NOW)
    assert [(a.review_id, a.flag) for a in found if isinstance(a, ImmediateAlert)] == [
        (1, "harm"),
        (1, "legal"),
    ]


def test_rating_drop_needs_the_drop_and_the_counts() -> None:
    prior = [ReviewFacts(i, 7, NOW - (100 + i) * DAY, rating=4.5) for i in range(6)]
    recent = [ReviewFacts(10 + i, 7, NOW - (5 + i) * DAY, rating=2.0) for i in range(5)]

    def drops(facts: list[ReviewFacts], **kw: float) -> list[RatingDropAlert]:
        return rating_drop(RatingSeries.from_facts(facts), NOW, **kw)  # type: ignore[arg-type]

    found = drops([*prior, *recent], min_drop=1.0, min_count=5)
    assert len(found) == 1 and found[0].prior_mean == 4.5 and found[0].window_mean == 2.0
    assert found[0].review_ids == tuple(range(14, 9, -1))  # oldest first
    assert 0 < found[0].p_value < 0.01
    assert drops([*prior, *recent[:4]], min_count=5) == []
    assert drops([*prior, *recent], min_drop=3.0) == []


def test_rating_drop_needs_significance_not_one_bad_review() -> None:
    # Issue 16: five 5-star reviews, then five of which one is 1 star (and one 4): a drop of
    # 1.0 star, which a single unhappy patient explains. It must not fire; twice the reviews
    # with the same pattern are still chance, a consistent fall is not.
    prior = [ReviewFacts(i, 7, NOW - (100 + i) * DAY, rating=5.0) for i in range(5)]
    stars = [5.0, 5.0, 4.0, 5.0, 1.0]
    recent = [ReviewFacts(10 + i, 7, NOW - (5 + i) * DAY, rating=r) for i, r in enumerate(stars)]
    series = RatingSeries.from_facts([*prior, *recent])
    assert rating_drop(series, NOW, min_drop=0.5, min_count=5) == []
    falling = [ReviewFacts(20 + i, 7, NOW - (5 + i) * DAY, rating=2.0) for i in range(8)]
    others = [ReviewFacts(40 + i, 8 + i % 20, NOW - (150 + i) * DAY, rating=4.0) for i in range(60)]
    series = RatingSeries.from_facts([*prior, *falling, *others])
    assert [a.physician_id for a in rating_drop(series, NOW, min_count=5)] == [7]


def test_an_old_flagged_review_first_crawled_now_is_summarised_not_paged() -> None:
    # Issue 12: a first crawl brings ten years of reviews; the flagged old ones make one
    # summary per flag. A flagged review published recently, or after the profile's first
    # crawl but first seen only now (the site showed it late), pages at once.
    first_crawl = NOW - 2 * DAY
    old = [
        ReviewFacts(
            100 + i,
            7 + i % 2,
            NOW - (400 + 200 * i) * DAY,
            flags=frozenset({"harm"}),
            first_seen_at=first_crawl,
            watched_since=first_crawl,
        )
        for i in range(12)
    ]
    fresh = ReviewFacts(
        1,
        9,
        NOW - 10 * DAY,
        flags=frozenset({"harm"}),
        first_seen_at=first_crawl,
        watched_since=first_crawl,
    )
    late = ReviewFacts(
        2,
        9,
        NOW - 100 * DAY,
        flags=frozenset({"legal"}),
        first_seen_at=NOW - DAY,
        watched_since=NOW - 300 * DAY,
    )
    found = immediate([*old, fresh, late], NOW)
    pages = [a for a in found if isinstance(a, ImmediateAlert)]
    assert [(a.review_id, a.flag) for a in pages] == [(1, "harm"), (2, "legal")]
    (summary,) = [a for a in found if isinstance(a, FlagBacklogAlert)]
    notes = summary.annotations()
    assert notes["summary"] == "12 older reviews allege harm" and notes["count"] == 12
    assert notes["physicians"] == {"physician:7": 6, "physician:8": 6}
    assert summary.review_ids[0] == 111  # oldest first
    # The summary keeps one identity while the backlog grows, so it fires once.
    assert immediate(old[:5], NOW)[0].fingerprint() == summary.fingerprint()


def test_unanswered_negative_reviews_past_the_deadline() -> None:
    reviews = [
        ReviewFacts(1, 7, NOW - 10 * DAY, negative=True),
        ReviewFacts(2, 7, NOW - 10 * DAY, negative=True, response_at=NOW - 2 * DAY),
        ReviewFacts(3, 7, NOW - 2 * DAY, negative=True),
        ReviewFacts(4, 7, NOW - 10 * DAY, negative=False),
        ReviewFacts(5, 7, NOW - 400 * DAY, negative=True),
    ]
    assert [a.review_id for a in unanswered(reviews, NOW, 7 * DAY)] == [1]


def test_crawl_health_blocked_broken_and_stale_sources() -> None:
    runs = [
        CrawlRunFacts("yelp", NOW - 3 * DAY, "ok", 10),
        CrawlRunFacts("yelp", NOW - 2 * DAY, "blocked"),
        CrawlRunFacts("yelp", NOW - DAY, "blocked"),
        CrawlRunFacts("google", NOW - DAY, "ok", 4),
        CrawlRunFacts("ratemds", NOW - 30 * DAY, "ok", 8),
        *(CrawlRunFacts("ratemds", NOW - d * DAY, "ok", 0) for d in range(1, 20)),
        CrawlRunFacts("healthgrades", NOW - DAY, "broken"),
    ]
    found = {a.source: a for a in crawl_health(runs, NOW, stale_after=14 * DAY)}
    assert set(found) == {"yelp", "ratemds", "healthgrades"}
    assert found["yelp"].problem == "blocked" and found["yelp"].since == NOW - 2 * DAY
    assert found["ratemds"].problem == "stale"
    assert found["healthgrades"].labels()["category"] == "broken"


def test_crawl_health_labels_identify_the_source() -> None:
    alert = CrawlHealthAlert("yelp", "blocked", NOW)
    assert alert.labels()["entity"] == "source:yelp"
    assert alert.fingerprint() == CrawlHealthAlert("yelp", "blocked", NOW - DAY).fingerprint()


def test_one_patient_on_three_sites_is_one_voice_in_a_rating_drop() -> None:
    # The same 1-star complaint on three sites, among other mixed reviews: one voice.
    prior = [ReviewFacts(i, 7, NOW - (100 + 9 * i) * DAY, rating=5.0) for i in range(12)]
    recent = [
        ReviewFacts(20 + i, 7, NOW - (5 + i) * DAY, rating=r, author=f"patient {i}")
        for i, r in enumerate([4.0, 5.0, 4.0, 5.0])
    ]
    angry = [
        ReviewFacts(30 + i, 7, NOW - (3 + i) * DAY, rating=1.0, author=name)
        for i, name in enumerate(["Gordon P.", "gordon p", "GORDON P."])
    ]
    stars = [5.0, 5.0, 4.0, 5.0, 1.0, 4.0, 5.0, 3.0, 5.0, 2.0]  # a usual spread of ratings
    others = [
        ReviewFacts(40 + i, 8 + i % 20, NOW - (150 + i) * DAY, rating=stars[i % 10])
        for i in range(60)
    ]
    series = RatingSeries.from_facts([*prior, *recent, *angry, *others])
    assert rating_drop(series, NOW, min_drop=1.0, min_count=5) == []
    three = [replace(f, author=f"patient {f.review_id}") for f in angry]
    series = RatingSeries.from_facts([*prior, *recent, *three, *others])
    assert [a.physician_id for a in rating_drop(series, NOW, min_drop=1.0, min_count=5)] == [7]
