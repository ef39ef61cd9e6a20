"""The sandbox web: routes every site's paths, the clock, the roster and admin endpoints.

Sites live under a path prefix each (/ratemds, /healthgrades, /google, /yelp, /schemaorg,
/reddit, /x). Admin endpoints live under /_sandbox:

- GET  /_sandbox/clock                 -> {"now": ISO}
- POST /_sandbox/clock                 body {"now": ISO} or {"advance_days": N} (or the query)
- GET  /_sandbox/roster.csv            roster of every physician with their profile URLs/ids
- GET  /_sandbox/truth.json            what was planted: cluster, harm, edited, deleted review
- POST /_sandbox/block?source=S&on=1   make a source answer with challenges (on=0 lifts it)
- POST /_sandbox/break?source=S&on=1   change a source's markup/JSON keys so parsers find no
                                       reviews while the page still states its review count
- GET  /_sandbox/stats                 request counts per source; POST /_sandbox/stats resets
"""

from __future__ import annotations

import csv
import io
import json
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from spiders.sandbox import render
from spiders.sandbox.http import Reply, Request
from spiders.sandbox.world import Physician, Post, World

__all__ = ["ROBOTS_TXT", "SOURCES", "Sandbox"]

SOURCES = ("ratemds", "healthgrades", "google", "yelp", "schemaorg", "reddit", "x")
ROBOTS_TXT = "User-agent: *\nDisallow: /schemaorg/private/\nDisallow: /_sandbox/\n"
JSON = "application/json; charset=utf-8"
_JSONLD_PRACTICES = ("riverside-family", "northgate-surgical")


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, json.dumps(data).encode("utf-8"), JSON, headers or {})


def _not_found(what: str = "not found") -> Reply:
    return Reply(404, what.encode("utf-8"), "text/plain; charset=utf-8")


def _slug(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in text).split())


class Sandbox:
    """The state of one sandbox server: world, clock, blocked sources, request counts."""

    def __init__(self, world: World, now: datetime | None = None) -> None:
        self.world = world
        self.now = now or world.anchor
        self.blocked: set[str] = set()
        self.broken: set[str] = set()
        self.stats: Counter[str] = Counter()
        self.throttle_pending = True
        self.base = ""
        self._lock = threading.Lock()
        self._by_code = {p.hg_code: p for p in world.physicians}
        self._by_rid = {p.ratemds_id: p for p in world.physicians}
        self._by_place = {p.google_place: p for p in world.physicians if p.google_place}
        self._by_yelp = {p.yelp_id: p for p in world.physicians if p.yelp_id}
        self._by_site = {self.schemaorg_path(p): p for p in world.physicians}

    # -- the URLs of each profile -----------------------------------------------------------

    @staticmethod
    def ratemds_path(p: Physician) -> str:
        """Path of a physician's RateMDs profile."""
        name = _slug(f"{p.first} {p.middle}. {p.last}").replace("-", "+", 1)
        place = f"{_slug(p.practice.city)}-{p.practice.state}"
        return f"/ratemds/doctor-ratings/{p.ratemds_id}/Dr-{name}-{place}.html"

    @staticmethod
    def healthgrades_path(p: Physician) -> str:
        """Path of a physician's Healthgrades profile."""
        name = _slug(p.first + " " + p.last).lower()
        return f"/healthgrades/physician/dr-{name}-{p.hg_code.lower()}"

    @staticmethod
    def schemaorg_path(p: Physician) -> str:
        """Path of a physician's page on the practice website."""
        return f"/schemaorg/{p.practice.slug}/physicians/{_slug(p.first + ' ' + p.last).lower()}"

    def roster_csv(self) -> str:
        """The roster: npi,name,specialty,practice,hospital,aliases and one column per source."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(
            ["npi", "name", "specialty", "practice", "hospital", "aliases", *SOURCES[:5]]
        )
        for p in self.world.physicians:
            writer.writerow(
                [
                    p.npi,
                    p.name,
                    p.specialty,
                    p.practice.name,
                    p.practice.hospital,
                    ";".join(p.aliases),
                    self.base + self.ratemds_path(p),
                    self.base + self.healthgrades_path(p),
                    p.google_place,
                    p.yelp_id,
                    self.base + self.schemaorg_path(p),
                ]
            )
        return out.getvalue()

    # -- dispatch ---------------------------------------------------------------------------

    def __call__(self, request: Request) -> Reply:
        """Answer one request."""
        path = request.path
        if path == "/robots.txt":
            return Reply(200, ROBOTS_TXT.encode(), "text/plain; charset=utf-8")
        if path.startswith("/_sandbox/"):
            return self._admin(request)
        source = path.split("/")[1] if path.count("/") >= 1 else ""
        if source not in SOURCES:
            return self._index() if path == "/" else _not_found()
        with self._lock:
            self.stats[source] += 1
            self.stats["total"] += 1
            now, blocked, broken = self.now, source in self.blocked, source in self.broken
            throttle = source == "yelp" and self.throttle_pending
            self.throttle_pending = self.throttle_pending and not throttle
        if blocked or path == "/schemaorg/challenge":
            return Reply(403, render.CHALLENGE_HTML.encode(), headers={"cf-mitigated": "challenge"})
        if throttle:
            return _json(
                {"error": {"code": "TOO_MANY_REQUESTS_PER_SECOND"}}, 429, {"Retry-After": "1"}
            )
        handler = getattr(self, f"_{source}")
        reply: Reply = handler(request, now)
        if broken and reply.status == 200:
            reply.body = _break(reply.body)
        return reply

    def _index(self) -> Reply:
        links = "".join(
            f'<li><a href="{self.ratemds_path(p)}">Dr. {p.name}</a></li>'
            for p in self.world.physicians
        )
        body = f"<html><body><h1>repmon sandbox</h1><p>clock {self.now.isoformat()}</p>"
        body += (
            f'<p><a href="/_sandbox/roster.csv">roster.csv</a></p><ul>{links}</ul></body></html>'
        )
        return Reply(200, body.encode())

    def _admin(self, request: Request) -> Reply:
        name = request.path.removeprefix("/_sandbox/")
        if name == "clock":
            if request.method == "POST":
                return self._set_clock(request)
            return _json({"now": self.now.isoformat()})
        if name == "roster.csv":
            return Reply(200, self.roster_csv().encode(), "text/csv; charset=utf-8")
        if name == "truth.json":
            return _json(self.world.truth)
        if name in ("block", "break") and request.method == "POST":
            source = request.query.get("source", "")
            if source not in SOURCES:
                return _json({"error": f"unknown source {source!r}"}, 400)
            chosen = self.blocked if name == "block" else self.broken
            with self._lock:
                if request.query.get("on", "1") in ("0", "false", "off"):
                    chosen.discard(source)
                else:
                    chosen.add(source)
            key = "blocked" if name == "block" else "broken"
            return _json({key: sorted(chosen)})
        if name == "stats":
            with self._lock:
                if request.method == "POST":
                    self.stats.clear()
                return _json(dict(self.stats))
        return _not_found("unknown admin endpoint")

    def _set_clock(self, request: Request) -> Reply:
        values: dict[str, Any] = dict(request.query)
        if request.body:
            try:
                loaded = json.loads(request.body)
            except ValueError:
                return _json({"error": "body must be JSON"}, 400)
            if isinstance(loaded, dict):
                values.update(loaded)
        try:
            if "now" in values:
                new = datetime.fromisoformat(str(values["now"]).replace("Z", "+00:00"))
                new = new if new.tzinfo else new.replace(tzinfo=UTC)
            elif "advance_days" in values:
                new = self.now + timedelta(days=float(values["advance_days"]))
            else:
                return _json({"error": "give now=ISO or advance_days=N"}, 400)
        except ValueError as exc:
            return _json({"error": str(exc)}, 400)
        with self._lock:
            self.now = new.astimezone(UTC)
        return _json({"now": self.now.isoformat()})

    # -- sites ------------------------------------------------------------------------------

    def _page(self, request: Request) -> int:
        try:
            return max(1, int(request.query.get("page") or request.query.get("currentPage") or 1))
        except ValueError:
            return 1

    def _ratemds(self, request: Request, now: datetime) -> Reply:
        parts = request.path.split("/")
        if len(parts) < 5 or parts[2] != "doctor-ratings" or not parts[3].isdigit():
            return _not_found()
        p = self._by_rid.get(int(parts[3]))
        if p is None or request.path != self.ratemds_path(p):
            return _not_found("no such doctor")
        reviews = self.world.reviews_of(p.index, "ratemds", now)
        page = self._page(request)
        rp = render.ratemds_ratings_page(p, reviews, page, request.path, self.base)
        if page > rp["total_pages"]:
            return _not_found("no such page")
        if request.query.get("json") == "true":
            return _json(rp)
        return Reply(200, render.ratemds_page(p, reviews, page, request.path, self.base).encode())

    def _healthgrades(self, request: Request, now: datetime) -> Reply:
        if request.path == "/healthgrades/api4/providerprofile/comments":
            p = self._by_code.get(request.query.get("pwid", "").upper())
            if p is None:
                return _json({"error": "unknown provider"}, 404)
            reviews = self.world.reviews_of(p.index, "healthgrades", now)
            try:
                per_page = int(request.query.get("perPage") or render.HEALTHGRADES_PER_PAGE)
            except ValueError:
                per_page = render.HEALTHGRADES_PER_PAGE
            return _json(render.healthgrades_comments(p, reviews, self._page(request), per_page))
        code = request.path.rsplit("-", 1)[-1].upper()
        p = self._by_code.get(code)
        if p is None or request.path != self.healthgrades_path(p):
            return _not_found("no such provider")
        reviews = self.world.reviews_of(p.index, "healthgrades", now)
        return Reply(200, render.healthgrades_page(p, reviews, request.path).encode())

    def _google(self, request: Request, now: datetime) -> Reply:
        if request.path == "/google/maps/api/place/details/json":
            p = self._by_place.get(request.query.get("place_id", ""))
            if p is None:
                return _json({"html_attributions": [], "status": "NOT_FOUND"})
            return _json(
                render.google_legacy(p, self.world.reviews_of(p.index, "google", now), now)
            )
        prefix = "/google/v1/places/"
        p = (
            self._by_place.get(request.path.removeprefix(prefix))
            if request.path.startswith(prefix)
            else None
        )
        if p is None:
            return _json(
                {"error": {"code": 404, "message": "Place not found.", "status": "NOT_FOUND"}}, 404
            )
        return _json(render.google_new(p, self.world.reviews_of(p.index, "google", now), now))

    def _yelp(self, request: Request, now: datetime) -> Reply:
        parts = request.path.split("/")
        if len(parts) != 6 or parts[2:4] != ["v3", "businesses"] or parts[5] != "reviews":
            return _not_found()
        p = self._by_yelp.get(parts[4])
        if p is None:
            return _json({"error": {"code": "BUSINESS_NOT_FOUND", "description": "not found"}}, 404)
        return _json(render.yelp_reviews(p, self.world.reviews_of(p.index, "yelp", now)))

    def _schemaorg(self, request: Request, now: datetime) -> Reply:
        path = request.path
        if path.startswith("/schemaorg/private/"):
            path = "/schemaorg/" + path.removeprefix("/schemaorg/private/")
        p = self._by_site.get(path)
        if p is None:
            return _not_found("no such page")
        reviews = self.world.reviews_of(p.index, "schemaorg", now)
        jsonld = p.practice.slug in _JSONLD_PRACTICES
        url = self.base + request.path
        return Reply(200, render.schemaorg_page(p, reviews, url, jsonld).encode())

    def _search(self, source: str, query: str, now: datetime) -> list[Post]:
        terms = _parse_query(query)
        found = [
            post
            for post in self.world.posts
            if post.source == source and post.published <= now and _matches(terms, post)
        ]
        return sorted(found, key=lambda p: (p.published, p.source_id), reverse=True)

    def _reddit(self, request: Request, now: datetime) -> Reply:
        if request.path != "/reddit/search.json":
            return _not_found()
        posts = self._search("reddit", request.query.get("q", ""), now)
        after = request.query.get("after", "")
        start = next((i + 1 for i, p in enumerate(posts) if f"t3_{p.source_id}" == after), 0)
        limit = max(1, min(100, int(request.query.get("limit") or 25)))
        chunk = posts[start : start + limit]
        more = start + limit < len(posts)
        return _json(render.reddit_listing(chunk, f"t3_{chunk[-1].source_id}" if more else None))

    def _x(self, request: Request, now: datetime) -> Reply:
        if request.path != "/x/2/tweets/search/recent":
            return _not_found()
        if not request.query.get("query"):
            return _json({"title": "Invalid Request", "status": 400}, 400)
        posts = [
            p
            for p in self._search("x", request.query["query"], now)
            if (now - p.published).days <= 7
        ]
        token = request.query.get("next_token", "")
        start = (
            int(token.removeprefix("sbx")) if token.startswith("sbx") and token[3:].isdigit() else 0
        )
        size = max(10, min(100, int(request.query.get("max_results") or 10)))
        chunk = posts[start : start + size]
        more = start + size < len(posts)
        return _json(render.x_search(chunk, f"sbx{start + size}" if more else None))


# A redesign as the spiders would meet it: the data moved, the stated review count stayed.
_BREAKS = (
    (b"doctorDetailProps", b"doctorProfileState"),
    (b"pageState.pes", b"pageState.profile"),
    (b'itemprop="review"', b'itemprop="opinion"'),
    (b"schema.org/Review", b"schema.org/Opinion"),
    (b'"@type": "Review"', b'"@type": "Opinion"'),
    (b'"reviews":', b'"reviewItems":'),
    (b'"results":', b'"entries":'),
    (b'"children":', b'"items":'),
    (b'"data":', b'"posts":'),
)


def _break(body: bytes) -> bytes:
    for old, new in _BREAKS:
        body = body.replace(old, new)
    return body


def _parse_query(query: str) -> list[list[str]]:
    """AND-of-ORs of quoted phrases: `("a" OR "b") "c"` -> [["a", "b"], ["c"]]."""
    groups: list[list[str]] = []
    rest = query
    while "(" in rest and ")" in rest[rest.index("(") :]:
        lo = rest.index("(")
        hi = rest.index(")", lo)
        groups.append(_phrases(rest[lo + 1 : hi]))
        rest = rest[:lo] + " " + rest[hi + 1 :]
    phrases = _phrases(rest)
    if " OR " in rest:
        groups.append(phrases)
    else:
        groups.extend([p] for p in phrases)
    return [g for g in groups if g]


def _phrases(text: str) -> list[str]:
    parts = text.split('"')
    quoted = [p.strip().lower() for p in parts[1::2] if p.strip()]
    bare = [w.lower() for p in parts[0::2] for w in p.split() if w not in ("OR", "AND")]
    return quoted + bare


def _matches(groups: list[list[str]], post: Post) -> bool:
    hay = f"{post.title} {post.text}".lower()
    return bool(groups) and all(any(term in hay for term in group) for group in groups)
