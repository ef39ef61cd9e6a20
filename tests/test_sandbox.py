"""The sandbox: reproducible by seed, grows with its clock, plants exactly one cluster."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest

from reputation.imports.npi import npi_problem
from spiders.parsers import detect_challenge, parse_healthgrades, parse_ratemds
from spiders.sandbox import DEFAULT_ANCHOR, build_world, serve
from spiders.sandbox.apis import relative_time

pytestmark = pytest.mark.xdist_group("sandbox")


def _get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urlopen(url, timeout=10) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def _post(url: str, body: dict[str, object] | None = None) -> dict[str, object]:
    data = json.dumps(body or {}).encode()
    with urlopen(Request(url, data=data, method="POST"), timeout=10) as resp:
        result: dict[str, object] = json.loads(resp.read())
        return result


def test_same_seed_same_world_other_seed_other_world() -> None:
    a, b, c = build_world(5), build_world(5), build_world(6)
    assert [(r.source_id, r.text, r.published) for r in a.reviews] == [
        (r.source_id, r.text, r.published) for r in b.reviews
    ]
    assert a.truth == b.truth
    assert [r.text for r in a.reviews] != [r.text for r in c.reviews]


def test_background_is_realistic_and_holds_exactly_one_cluster() -> None:
    world = build_world()
    now = world.anchor
    shown = [r.at(now) for r in world.reviews if r.visible(now)]
    negative = [r for r in shown if r.rating <= 2]
    assert 0.10 <= len(negative) / len(shown) <= 0.20
    assert len(world.physicians) == 24 and len(world.practices) == 4
    assert len({r.physician for r in negative}) >= 15
    cluster_npi = world.truth["cluster"]["npi"]  # type: ignore[index]
    near_misses = [r for r in negative if "near_miss" in r.tags]  # must not alert; see demo
    assert len(near_misses) == 7
    clusters = set()
    for p in world.physicians:
        times = sorted(
            r.published for r in negative if r.physician == p.index and r not in near_misses
        )
        for i, start in enumerate(times):
            if len([t for t in times[i:] if t - start <= timedelta(days=30)]) >= 3:
                clusters.add(p.npi)
    assert clusters == {cluster_npi}


def test_planted_cluster_and_harm_review() -> None:
    world = build_world()
    truth = world.truth
    cluster = [r for r in world.reviews if "cluster" in r.tags]
    assert len(cluster) >= 5 and len({r.author for r in cluster}) == len(cluster)
    assert all(r.rating <= 2 for r in cluster)
    span = max(r.published for r in cluster) - min(r.published for r in cluster)
    assert span <= timedelta(days=14)
    assert all(timedelta(days=3) < world.anchor - r.published < timedelta(days=21) for r in cluster)
    harm = [r for r in world.reviews if "harm" in r.tags]
    assert len(harm) == 1 and "ICU" in harm[0].text
    assert world.anchor - harm[0].published < timedelta(days=21)
    assert truth["harm"]["npi"] != truth["cluster"]["npi"]  # type: ignore[index]


def test_clock_edits_responses_and_deletions() -> None:
    world = build_world()
    edited = next(r for r in world.reviews if "edited" in r.tags)
    assert edited.edited_at is not None
    before, after = edited.at(edited.edited_at - timedelta(hours=1)), edited.at(edited.edited_at)
    assert before.rating == 2 and after.rating == 4 and before.text != after.text
    deleted = next(r for r in world.reviews if "deleted" in r.tags)
    assert deleted.deleted_at is not None
    assert deleted.visible(deleted.deleted_at - timedelta(hours=1))
    assert not deleted.visible(deleted.deleted_at)
    answered = next(r for r in world.reviews if r.response_at)
    assert answered.at(answered.response_at - timedelta(seconds=1)).response_text == ""  # type: ignore[operator]
    assert answered.at(answered.response_at).response_text  # type: ignore[arg-type]


def test_relative_time() -> None:
    now = DEFAULT_ANCHOR
    assert relative_time(now - timedelta(days=1), now) == "a day ago"
    assert relative_time(now - timedelta(days=15), now) == "2 weeks ago"
    assert relative_time(now - timedelta(days=100), now) == "3 months ago"
    assert relative_time(now - timedelta(days=400), now) == "a year ago"


def test_roster_clock_and_growth_over_http() -> None:
    with serve() as base:
        status, headers, body = _get(base + "/_sandbox/roster.csv")
        assert status == 200 and headers["Content-Type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(body.decode())))
        assert list(rows[0]) == [
            "npi", "name", "specialty", "practice", "hospital", "aliases",
            "ratemds", "healthgrades", "google", "yelp", "schemaorg",
        ]  # fmt: skip
        assert len(rows) == 24 and all(npi_problem(r["npi"]) is None for r in rows)
        assert all(r["ratemds"].startswith(base) and ";" in r["aliases"] for r in rows)
        assert (
            sum(bool(r["google"]) for r in rows) >= 12 and sum(bool(r["yelp"]) for r in rows) >= 6
        )
        clock = json.loads(_get(base + "/_sandbox/clock")[2])
        assert clock["now"] == DEFAULT_ANCHOR.isoformat()
        url = rows[0]["healthgrades"]
        before = parse_healthgrades(_get(url)[2].decode(), url).aggregate_count
        assert (
            _post(base + "/_sandbox/clock", {"advance_days": 60})["now"]
            == (DEFAULT_ANCHOR + timedelta(days=60)).isoformat()
        )
        after = parse_healthgrades(_get(url)[2].decode(), url).aggregate_count
        assert before is not None and after is not None and after > before
        _post(base + "/_sandbox/clock", {"now": "2026-01-01T00:00:00Z"})
        early = parse_ratemds(_get(rows[0]["ratemds"])[2].decode(), rows[0]["ratemds"])
        assert early.aggregate_count is not None and early.aggregate_count < before + 100


def test_python_m_spiders_sandbox_serves_in_the_foreground() -> None:
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "spiders.sandbox", "--port", "0", "--seed", "3"],
        cwd=root, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        base = line.split()[2]
        status, _, body = _get(base + "/_sandbox/roster.csv")
        assert status == 200 and body.decode().startswith("npi,name,")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_429_challenge_robots_and_blocking() -> None:
    with serve() as base:
        status, headers, _ = _get(base + "/yelp/v3/businesses/none/reviews")
        assert status == 429 and headers["Retry-After"] == "1"
        assert _get(base + "/yelp/v3/businesses/none/reviews")[0] == 404
        status, headers, body = _get(base + "/schemaorg/challenge")
        assert status == 403 and detect_challenge(status, body.decode(), headers)
        robots = _get(base + "/robots.txt")[2].decode()
        assert "Disallow: /schemaorg/private/" in robots
        rows = list(csv.DictReader(io.StringIO(_get(base + "/_sandbox/roster.csv")[2].decode())))
        assert _post(base + "/_sandbox/block?source=ratemds&on=1") == {"blocked": ["ratemds"]}
        status, _, body = _get(rows[0]["ratemds"])
        assert status == 403 and detect_challenge(status, body.decode())
        _post(base + "/_sandbox/block?source=ratemds&on=0")
        assert _get(rows[0]["ratemds"])[0] == 200
        assert _post(base + "/_sandbox/break?source=healthgrades") == {"broken": ["healthgrades"]}
        url = rows[0]["healthgrades"]
        result = parse_healthgrades(_get(url)[2].decode(), url)
        assert result.reviews == [] and result.problems
        _post(base + "/_sandbox/break?source=healthgrades&on=0")
        stats = json.loads(_get(base + "/_sandbox/stats")[2])
        assert stats["ratemds"] == 2 and stats["yelp"] == 2 and stats["healthgrades"] == 1


def test_only_the_planted_review_alleges_harm() -> None:
    from reputation.classifier.classify import classify

    world = build_world()
    later = world.anchor + timedelta(days=120)
    flagged = [
        r.source_id
        for r in world.reviews
        if "harm" in classify(r.at(later).text, float(r.at(later).rating)).flags
    ]
    assert flagged == [next(r.source_id for r in world.reviews if "harm" in r.tags)]


def test_profiles_carry_the_sites_own_rating() -> None:
    with serve() as base:
        rows = list(csv.DictReader(io.StringIO(_get(base + "/_sandbox/roster.csv")[2].decode())))
        row = rows[0]
        html_page = _get(row["ratemds"])[2].decode()
        embedded = parse_ratemds(html_page, row["ratemds"])
        micro = parse_ratemds(html_page.replace("doctorDetailProps", "gone"), row["ratemds"])
        hg = parse_healthgrades(_get(row["healthgrades"])[2].decode(), row["healthgrades"])
        for result in (embedded, micro, hg):
            assert result.aggregate_rating is not None and 1 <= result.aggregate_rating <= 5
        assert embedded.aggregate_rating == micro.aggregate_rating


def test_sandbox_environment_points_every_endpoint_setting_at_it() -> None:
    from reputation.settings import SETTINGS, env_name
    from spiders.sandbox import sandbox_environment

    lines = dict(line.split("=", 1) for line in sandbox_environment("http://127.0.0.1:8765"))
    endpoints = {env_name(s.name) for s in SETTINGS if s.name.endswith("endpoint")}
    assert set(lines) == endpoints  # one line each, named as the settings read them
    assert lines["REPMON_YELP_ENDPOINT"] == "http://127.0.0.1:8765/yelp/v3"
