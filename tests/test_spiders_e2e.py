"""End to end: the spiders crawl the sandbox in fresh processes, without a database."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.request import Request, urlopen

import pytest

from spiders.sandbox import build_world, scrapy_settings, serve
from spiders.sandbox.app import Sandbox
from spiders.sandbox.world import Physician, World
from tests.crawling import ROOT, _env, batch_crawl, scrapy_crawl

pytestmark = pytest.mark.slow
WORLD = build_world()


def _post(url: str) -> None:
    with urlopen(Request(url, data=b"{}", method="POST"), timeout=10):
        pass


def _stats(base: str) -> dict[str, int]:
    with urlopen(base + "/_sandbox/stats", timeout=10) as resp:
        stats: dict[str, int] = json.loads(resp.read())
        return stats


def _by_npi(world: World, npi: str) -> Physician:
    return next(p for p in world.physicians if p.npi == npi)


def _expected(p: Physician, source: str, base: str, limit: int | None = None) -> list[str]:
    rows = WORLD.reviews_of(p.index, source, WORLD.anchor)[:limit]
    if source == "google":
        return [f"places/{p.google_place}/reviews/{r.source_id}" for r in rows]
    if source == "schemaorg":
        url = base + Sandbox.schemaorg_path(p)
        jsonld = p.practice.slug in ("riverside-family", "northgate-surgical")
        return [f"{url}#review-{r.source_id}" if jsonld else f"review-{r.source_id}" for r in rows]
    return [r.source_id for r in rows]


def _reviews(items: list[dict[str, Any]], job: int | None = None) -> list[dict[str, Any]]:
    return [i for i in items if i["kind"] == "review" and (job is None or i["_job"] == job)]


def _pages(items: list[dict[str, Any]], job: int | None = None) -> list[dict[str, Any]]:
    return [i for i in items if i["kind"] == "page" and (job is None or i["_job"] == job)]


@pytest.fixture
def sandbox() -> Iterator[str]:
    with serve() as base:
        yield base


def test_every_source_yields_what_the_sandbox_shows(sandbox: str, tmp_path: Path) -> None:
    base = sandbox
    cluster = _by_npi(WORLD, WORLD.truth["cluster"]["npi"])  # type: ignore[index]
    harm = _by_npi(WORLD, WORLD.truth["harm"]["npi"])  # type: ignore[index]
    legacy = f"{base}/google/maps/api/place/details/json?place_id={cluster.google_place}"
    jobs = [
        {
            "spider": "ratemds",
            "url": base + Sandbox.ratemds_path(cluster),
            "physician": cluster.npi,
        },
        {"spider": "healthgrades", "url": base + Sandbox.healthgrades_path(cluster)},
        {"spider": "google", "url": cluster.google_place},
        {"spider": "google", "url": legacy},
        {"spider": "yelp", "url": cluster.yelp_id},
        {"spider": "schemaorg", "url": base + Sandbox.schemaorg_path(cluster)},
        {"spider": "schemaorg", "url": base + Sandbox.schemaorg_path(harm)},
        {"spider": "healthgrades", "url": base + Sandbox.healthgrades_path(harm)},
    ]
    items = batch_crawl(jobs, tmp_path, scrapy_settings(base))
    ids = {j: [r["external_id"] for r in _reviews(items, j)] for j in range(len(jobs))}
    assert ids[0] == _expected(cluster, "ratemds", base)
    assert ids[1] == _expected(cluster, "healthgrades", base)
    assert ids[2] == _expected(cluster, "google", base, 5)
    assert len(ids[3]) == min(5, len(ids[2])) and all(i.startswith("legacy:") for i in ids[3])
    assert ids[4] == _expected(cluster, "yelp", base, 3)
    assert ids[5] == _expected(cluster, "schemaorg", base)
    assert ids[6] == _expected(harm, "schemaorg", base)
    assert ids[7] == _expected(harm, "healthgrades", base)
    assert all(r["npi"] == cluster.npi for r in _reviews(items, 0))
    found = {f"{r['source']}:{r['external_id'].rsplit('/', 1)[-1]}" for r in _reviews(items)}
    assert set(WORLD.truth["cluster"]["reviews"]) <= found  # type: ignore[index]
    assert WORLD.truth["harm"]["review"] in found  # type: ignore[index]
    assert {p["status"] for p in _pages(items)} == {"ok"}
    assert all(p["partial"] for p in _pages(items) if p["source"] in ("google", "yelp"))
    assert _stats(base)["yelp"] == 2  # the 429 with Retry-After, then the retry


def test_scrapy_crawl_with_o_follows_the_comments_endpoint(sandbox: str, tmp_path: Path) -> None:
    base = sandbox
    busiest = max(
        WORLD.physicians, key=lambda p: len(WORLD.reviews_of(p.index, "healthgrades", WORLD.anchor))
    )
    url = base + Sandbox.healthgrades_path(busiest)
    items = scrapy_crawl(
        "healthgrades", tmp_path / "out.jsonl", "-a", f"url={url}", settings=scrapy_settings(base)
    )
    expected = _expected(busiest, "healthgrades", base)
    assert len(expected) > 10
    assert [r["external_id"] for r in items if r["kind"] == "review"] == expected
    pages = [i for i in items if i["kind"] == "page"]
    assert [p["page"] for p in pages] == list(range(1, len(pages) + 1)) and len(pages) >= 2
    assert [p["last_page"] for p in pages] == [False] * (len(pages) - 1) + [True]
    assert all(p["aggregate_count"] == len(expected) for p in pages)


def test_incremental_stops_at_a_page_of_known_reviews_unless_full(
    sandbox: str, tmp_path: Path
) -> None:
    base = sandbox
    p = max(WORLD.physicians, key=lambda p: len(WORLD.reviews_of(p.index, "ratemds", WORLD.anchor)))
    expected = _expected(p, "ratemds", base)
    assert len(expected) > 10
    known = tmp_path / "known.json"
    known.write_text(json.dumps(expected[:10]))
    url = base + Sandbox.ratemds_path(p)
    settings = {
        **scrapy_settings(base),
        "KNOWN_IDS_FILE": str(known),
        "ITEM_PIPELINES": json.dumps({"tests.sandbox_hooks.KnownIdsPipeline": 100}),
    }
    jobs = [{"spider": "ratemds", "url": url}, {"spider": "ratemds", "url": url, "full": "1"}]
    items = batch_crawl(jobs, tmp_path, settings)
    quick, full = _pages(items, 0), _pages(items, 1)
    assert len(quick) == 1 and quick[0]["stopped_early"] and not quick[0]["last_page"]
    assert [r["external_id"] for r in _reviews(items, 0)] == expected[:10]
    assert len(full) == -(-len(expected) // 10) and full[-1]["last_page"] and full[0]["full"]
    assert [r["external_id"] for r in _reviews(items, 1)] == expected


def test_blocked_challenge_robots_and_edits(sandbox: str, tmp_path: Path) -> None:
    base = sandbox
    p = WORLD.physicians[0]
    _post(base + "/_sandbox/block?source=healthgrades&on=1")
    _post(base + "/_sandbox/break?source=ratemds&on=1")
    jobs = [
        {"spider": "healthgrades", "url": base + Sandbox.healthgrades_path(p)},
        {"spider": "schemaorg", "url": base + "/schemaorg/challenge"},
        {
            "spider": "schemaorg",
            "url": base + "/schemaorg/private/" + Sandbox.schemaorg_path(p)[11:],
        },
        {"spider": "ratemds", "url": base + Sandbox.ratemds_path(p)},
    ]
    (tmp_path / "a").mkdir()
    items = batch_crawl(jobs, tmp_path / "a", scrapy_settings(base))
    assert not _reviews(items)
    blocked = _pages(items, 0)
    assert (
        len(blocked) == 1 and blocked[0]["status"] == "blocked" and blocked[0]["http_status"] == 403
    )
    assert "Cloudflare" in blocked[0]["problems"][0]
    assert [x["status"] for x in _pages(items, 1)] == ["blocked"]
    # robots.txt forbids /schemaorg/private/: never fetched, and said so.
    refused = _pages(items, 2)
    assert [(x["status"], x["http_status"]) for x in refused] == [("failed", 0)]
    assert "robots.txt" in refused[0]["problems"][0]
    broken = _pages(items, 3)
    assert [(x["status"], x["reviews_found"]) for x in broken] == [("broken", 0)]
    assert broken[0]["aggregate_count"] == len(WORLD.reviews_of(p.index, "ratemds", WORLD.anchor))
    _post(base + "/_sandbox/break?source=ratemds&on=0")

    edited = WORLD.truth["edited"]
    source, review_id = str(edited["review"]).split(":")  # type: ignore[index]
    author = next(r for r in WORLD.reviews if r.source_id == review_id)
    url = base + Sandbox.ratemds_path(WORLD.physicians[author.physician])
    texts = []
    for when in (WORLD.anchor - timedelta(days=7), WORLD.anchor):
        _post(f"{base}/_sandbox/clock?now={when.isoformat().replace('+00:00', 'Z')}")
        out = tmp_path / f"{when:%d}"
        out.mkdir()
        got = batch_crawl([{"spider": source, "url": url, "full": "1"}], out, scrapy_settings(base))
        texts.append(
            next((r["text"], r["rating"]) for r in _reviews(got) if r["external_id"] == review_id)
        )
    assert texts[0][1] <= 2.25 and texts[1][1] >= 4 and texts[0][0] != texts[1][0]


def test_targets_from_a_provider_and_social_mentions(sandbox: str, tmp_path: Path) -> None:
    base = sandbox
    p = _by_npi(WORLD, WORLD.truth["cluster"]["npi"])  # type: ignore[index]
    settings = {
        **scrapy_settings(base),
        "REPMON_TARGETS": "tests.sandbox_hooks.roster_targets",
        "SANDBOX_BASE": base,
    }
    jobs = [{"spider": "ratemds", "physician": p.npi}, {"spider": "reddit"}, {"spider": "x"}]
    items = batch_crawl(jobs, tmp_path, settings)
    assert [r["external_id"] for r in _reviews(items, 0)] == _expected(p, "ratemds", base)
    mentions = [i for i in items if i["kind"] == "mention"]
    reddit = [m for m in mentions if m["_job"] == 1]
    assert len(reddit) >= 10 and all(m["physician_hints"] and m["query"] for m in reddit)
    assert [m for m in mentions if m["_job"] == 2]
    assert not [m for m in mentions if "Port Alden" in m["text"]]
    for m in reddit:
        post = next(x for x in WORLD.posts if f"t3_{x.source_id}" == m["external_id"])
        assert _by_npi(WORLD, m["physician_hints"][0]).index == post.physician


def test_api_keys_stay_out_of_items_and_logs(sandbox: str, tmp_path: Path) -> None:
    base = sandbox
    p = next(p for p in WORLD.physicians if p.google_place)
    log: list[str] = []
    secret = "SECRETKEY-1234567890"
    items = scrapy_crawl(
        "google",
        tmp_path / "o.jsonl",
        "-a",
        f"url={p.google_place}",
        settings={**scrapy_settings(base), "GOOGLE_API": "legacy", "LOG_LEVEL": "DEBUG"},
        env={"GOOGLE_API_KEY": secret},
        log=log,
    )
    assert [i for i in items if i["kind"] == "review"]
    assert secret not in (tmp_path / "o.jsonl").read_text() and secret not in log[0]
    assert "key=***" in log[0]


def test_a_dead_server_is_a_failed_page_not_silence(tmp_path: Path) -> None:
    items = scrapy_crawl(
        "healthgrades",
        tmp_path / "o.jsonl",
        "-a",
        "url=http://127.0.0.1:9/healthgrades/physician/dr-nobody-x1",
        settings={"RETRY_TIMES": 0},
    )
    assert [(i["kind"], i["status"]) for i in items] == [("page", "failed")]
    assert "Connection" in items[0]["problems"][0]


def test_no_url_and_no_provider_is_a_clear_error(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "ratemds", "-O", str(tmp_path / "o.jsonl"),
         "-s", "REPMON_TARGETS="],
        cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert "no -a url=URL given and no target provider configured" in proc.stderr
