"""Parsers: plain functions over page text or decoded JSON. They never raise on bad input;
they return what they could read and list the problems they met."""

from spiders.parsers.challenge import detect_challenge
from spiders.parsers.google import parse_google
from spiders.parsers.healthgrades import (
    comments_url,
    extract_pes,
    parse_healthgrades,
    parse_healthgrades_comments,
)
from spiders.parsers.queries import build_queries, name_variants
from spiders.parsers.ratemds import extract_props, parse_ratemds, parse_ratemds_json
from spiders.parsers.result import ParseResult
from spiders.parsers.schemaorg import parse_schemaorg
from spiders.parsers.social import parse_reddit, parse_x
from spiders.parsers.yelp import parse_yelp

__all__ = [
    "ParseResult",
    "build_queries",
    "comments_url",
    "detect_challenge",
    "extract_pes",
    "extract_props",
    "name_variants",
    "parse_google",
    "parse_healthgrades",
    "parse_healthgrades_comments",
    "parse_ratemds",
    "parse_ratemds_json",
    "parse_reddit",
    "parse_schemaorg",
    "parse_x",
    "parse_yelp",
]
