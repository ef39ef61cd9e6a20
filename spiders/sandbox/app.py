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

import spiders.sandbox.pages as pages
from reputation.imports.incoming import SOURCES
from spiders.sandbox.http import Reply, Request
from spiders.sandbox.model import Physician, World
from spiders.sandbox.routes import SiteRoutes, json_reply, not_found

__all__ = ["ROBOTS_TXT", "SOURCES", "Sandbox"]

ROBOTS_TXT = "User-agent: *\nDisallow: /schemaorg/private/\nDisallow: /_sandbox/\n"


def _slug(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in text).split())


class Sandbox(SiteRoutes):
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
            return self._index() if path == "/" else not_found()
        with self._lock:
            self.stats[source] += 1
            self.stats["total"] += 1
            now, blocked, broken = self.now, source in self.blocked, source in self.broken
            throttle = source == "yelp" and self.throttle_pending
            self.throttle_pending = self.throttle_pending and not throttle
        if blocked or path == "/schemaorg/challenge":
            return Reply(403, pages.CHALLENGE_HTML.encode(), headers={"cf-mitigated": "challenge"})
        if throttle:
            return json_reply(
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
            return json_reply({"now": self.now.isoformat()})
        if name == "roster.csv":
            return Reply(200, self.roster_csv().encode(), "text/csv; charset=utf-8")
        if name == "truth.json":
            return json_reply(self.world.truth)
        if name in ("block", "break") and request.method == "POST":
            source = request.query.get("source", "")
            if source not in SOURCES:
                return json_reply({"error": f"unknown source {source!r}"}, 400)
            chosen = self.blocked if name == "block" else self.broken
            with self._lock:
                if request.query.get("on", "1") in ("0", "false", "off"):
                    chosen.discard(source)
                else:
                    chosen.add(source)
            key = "blocked" if name == "block" else "broken"
            return json_reply({key: sorted(chosen)})
        if name == "stats":
            with self._lock:
                if request.method == "POST":
                    self.stats.clear()
                return json_reply(dict(self.stats))
        return not_found("unknown admin endpoint")

    def _set_clock(self, request: Request) -> Reply:
        values: dict[str, Any] = dict(request.query)
        if request.body:
            try:
                loaded = json.loads(request.body)
            except ValueError:
                return json_reply({"error": "body must be JSON"}, 400)
            if isinstance(loaded, dict):
                values.update(loaded)
        try:
            if "now" in values:
                new = datetime.fromisoformat(str(values["now"]).replace("Z", "+00:00"))
                new = new if new.tzinfo else new.replace(tzinfo=UTC)
            elif "advance_days" in values:
                new = self.now + timedelta(days=float(values["advance_days"]))
            else:
                return json_reply({"error": "give now=ISO or advance_days=N"}, 400)
        except ValueError as exc:
            return json_reply({"error": str(exc)}, 400)
        with self._lock:
            self.now = new.astimezone(UTC)
        return json_reply({"now": self.now.isoformat()})


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
