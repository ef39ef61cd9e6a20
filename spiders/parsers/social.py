"""Mentions from Reddit search listings and X API v2 recent search."""

from __future__ import annotations

from typing import Any

from spiders.items import MentionItem
from spiders.parsers.result import ParseResult, as_body, as_dict, as_list, as_text, to_iso

__all__ = ["MAX_ID", "parse_reddit", "parse_x"]

# The mention table's external_id is VARCHAR(300): PostgreSQL refuses a longer one mid-batch.
MAX_ID = 300


def parse_reddit(
    data: Any, base_url: str = "https://www.reddit.com", query: str = ""
) -> ParseResult:
    """Posts (t3) and comments (t1) of a Reddit `Listing`; `next_token` is its `after`."""
    result = ParseResult()
    listing = data.get("data") if isinstance(data, dict) else None
    if not isinstance(listing, dict) or not isinstance(listing.get("children"), list):
        result.problems.append("not a Reddit Listing (data.children missing)")
        return result
    for child in listing["children"]:
        post = child.get("data") if isinstance(child, dict) else None
        if not isinstance(post, dict) or not as_text(post.get("name") or post.get("id")):
            result.problems.append("a listing child without an id was skipped")
            continue
        kind = as_text(child.get("kind"))
        ident = as_text(post.get("name")) or as_text(f"{kind}_{post.get('id')}")
        if len(ident) > MAX_ID:
            result.problems.append(f"a listing child with an id over {MAX_ID} chars was skipped")
            continue
        permalink = as_text(post.get("permalink"))
        result.mentions.append(
            MentionItem(
                source="reddit",
                external_id=ident,
                url=base_url.rstrip("/") + permalink if permalink else as_text(post.get("url")),
                author=as_text(post.get("author")),
                title=as_text(post.get("title")),
                text=as_body(post.get("selftext") or post.get("body")),
                published_at=to_iso(post.get("created_utc")),
                query=query,
            )
        )
    after = listing.get("after")
    result.next_token = after if isinstance(after, str) and after else None
    return result


def parse_x(data: Any, query: str = "") -> ParseResult:
    """Posts of an X API v2 search response; `next_token` from `meta`."""
    result = ParseResult()
    if not isinstance(data, dict):
        result.problems.append("response is not a JSON object")
        return result
    for error in as_list(data.get("errors")):
        if isinstance(error, dict):
            result.problems.append(
                f"API error: {as_text(error.get('detail') or error.get('message'))}"
            )
    if "data" not in data and data.get("status") in (401, 403, 429):
        result.problems.append(f"API status {data.get('status')}: {as_text(data.get('title'))}")
    users: dict[str, str] = {}
    includes = as_dict(data.get("includes"))
    for user in as_list(includes.get("users")):
        if isinstance(user, dict):
            users[str(user.get("id"))] = as_text(user.get("username"))
    posts = data.get("data") or []
    if not isinstance(posts, list):
        result.problems.append("data is not a list")
        posts = []
    for post in posts:
        if not isinstance(post, dict) or not as_text(post.get("id")):
            result.problems.append("a post without an id was skipped")
            continue
        ident = as_text(post.get("id"))
        if len(ident) > MAX_ID:
            result.problems.append(f"a post with an id over {MAX_ID} characters was skipped")
            continue
        author = users.get(str(post.get("author_id")), "")
        result.mentions.append(
            MentionItem(
                source="x",
                external_id=ident,
                url=f"https://x.com/{author or 'i/web'}/status/{ident}",
                author=author,
                text=as_body(post.get("text")),
                published_at=to_iso(post.get("created_at")),
                query=query,
            )
        )
    meta = as_dict(data.get("meta"))
    token = meta.get("next_token")
    result.next_token = token if isinstance(token, str) and token else None
    return result
