"""The sites of the sandbox: each source's paths answered from the world at the clock."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import spiders.sandbox.apis as apis
import spiders.sandbox.pages as pages
from spiders.sandbox.http import Reply, Request
from spiders.sandbox.model import Physician, Post, World

__all__ = ["JSON", "SiteRoutes", "json_reply", "not_found"]

JSON = "application/json; charset=utf-8"
_JSONLD_PRACTICES = ("riverside-family", "northgate-surgical")


def json_reply(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    """A JSON reply."""
    return Reply(status, json.dumps(data).encode("utf-8"), JSON, headers or {})


def not_found(what: str = "not found") -> Reply:
    """A plain-text 404."""
    return Reply(404, what.encode("utf-8"), "text/plain; charset=utf-8")


class SiteRoutes:
    """Handlers `_<source>(request, now)` for every source; the Sandbox dispatches to them."""

    world: World
    base: str
    _by_code: dict[str, Physician]
    _by_rid: dict[int, Physician]
    _by_place: dict[str, Physician]
    _by_yelp: dict[str, Physician]
    _by_site: dict[str, Physician]

    @staticmethod
    def ratemds_path(p: Physician) -> str:
        """Path of a physician's RateMDs profile."""
        raise NotImplementedError

    @staticmethod
    def healthgrades_path(p: Physician) -> str:
        """Path of a physician's Healthgrades profile."""
        raise NotImplementedError

    def _page(self, request: Request) -> int:
        try:
            return max(1, int(request.query.get("page") or request.query.get("currentPage") or 1))
        except ValueError:
            return 1

    def _ratemds(self, request: Request, now: datetime) -> Reply:
        parts = request.path.split("/")
        if len(parts) < 5 or parts[2] != "doctor-ratings" or not parts[3].isdigit():
            return not_found()
        p = self._by_rid.get(int(parts[3]))
        if p is None or request.path != self.ratemds_path(p):
            return not_found("no such doctor")
        reviews = self.world.reviews_of(p.index, "ratemds", now)
        page = self._page(request)
        rp = pages.ratemds_ratings_page(p, reviews, page, request.path, self.base)
        if page > rp["total_pages"]:
            return not_found("no such page")
        if request.query.get("json") == "true":
            return json_reply(rp)
        return Reply(200, pages.ratemds_page(p, reviews, page, request.path, self.base).encode())

    def _healthgrades(self, request: Request, now: datetime) -> Reply:
        if request.path == "/healthgrades/api4/providerprofile/comments":
            p = self._by_code.get(request.query.get("pwid", "").upper())
            if p is None:
                return json_reply({"error": "unknown provider"}, 404)
            reviews = self.world.reviews_of(p.index, "healthgrades", now)
            try:
                per_page = int(request.query.get("perPage") or pages.HEALTHGRADES_PER_PAGE)
            except ValueError:
                per_page = pages.HEALTHGRADES_PER_PAGE
            return json_reply(
                pages.healthgrades_comments(p, reviews, self._page(request), per_page)
            )
        code = request.path.rsplit("-", 1)[-1].upper()
        p = self._by_code.get(code)
        if p is None or request.path != self.healthgrades_path(p):
            return not_found("no such provider")
        reviews = self.world.reviews_of(p.index, "healthgrades", now)
        return Reply(200, pages.healthgrades_page(p, reviews, request.path).encode())

    def _google(self, request: Request, now: datetime) -> Reply:
        if request.path == "/google/maps/api/place/details/json":
            p = self._by_place.get(request.query.get("place_id", ""))
            if p is None:
                return json_reply({"html_attributions": [], "status": "NOT_FOUND"})
            return json_reply(
                apis.google_legacy(p, self.world.reviews_of(p.index, "google", now), now)
            )
        prefix = "/google/v1/places/"
        p = (
            self._by_place.get(request.path.removeprefix(prefix))
            if request.path.startswith(prefix)
            else None
        )
        if p is None:
            return json_reply(
                {"error": {"code": 404, "message": "Place not found.", "status": "NOT_FOUND"}}, 404
            )
        return json_reply(apis.google_new(p, self.world.reviews_of(p.index, "google", now), now))

    def _yelp(self, request: Request, now: datetime) -> Reply:
        parts = request.path.split("/")
        if len(parts) != 6 or parts[2:4] != ["v3", "businesses"] or parts[5] != "reviews":
            return not_found()
        p = self._by_yelp.get(parts[4])
        if p is None:
            return json_reply(
                {"error": {"code": "BUSINESS_NOT_FOUND", "description": "not found"}}, 404
            )
        return json_reply(apis.yelp_reviews(p, self.world.reviews_of(p.index, "yelp", now)))

    def _schemaorg(self, request: Request, now: datetime) -> Reply:
        path = request.path
        if path.startswith("/schemaorg/private/"):
            path = "/schemaorg/" + path.removeprefix("/schemaorg/private/")
        p = self._by_site.get(path)
        if p is None:
            return not_found("no such page")
        reviews = self.world.reviews_of(p.index, "schemaorg", now)
        jsonld = p.practice.slug in _JSONLD_PRACTICES
        url = self.base + request.path
        return Reply(200, pages.schemaorg_page(p, reviews, url, jsonld).encode())

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
            return not_found()
        posts = self._search("reddit", request.query.get("q", ""), now)
        after = request.query.get("after", "")
        start = next((i + 1 for i, p in enumerate(posts) if f"t3_{p.source_id}" == after), 0)
        limit = max(1, min(100, int(request.query.get("limit") or 25)))
        chunk = posts[start : start + limit]
        more = start + limit < len(posts)
        return json_reply(apis.reddit_listing(chunk, f"t3_{chunk[-1].source_id}" if more else None))

    def _x(self, request: Request, now: datetime) -> Reply:
        if request.path != "/x/2/tweets/search/recent":
            return not_found()
        if not request.query.get("query"):
            return json_reply({"title": "Invalid Request", "status": 400}, 400)
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
        return json_reply(apis.x_search(chunk, f"sbx{start + size}" if more else None))


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
