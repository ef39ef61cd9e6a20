"""Mail rendering: the one Jinja2 environment, its filters, and `render_mail` (subject, text, HTML).

Every template in `templates/` is rendered by `ENV`. HTML templates are autoescaped; `.txt`
templates (plain-text parts and subjects) are not HTML-escaped, because `&lt;` in a text part is
noise, but their output is still made safe: control and bidi-override characters are dropped
from every value, `highlight` marks spans with plain characters there, and a subject is folded
onto one line so no value can add a mail header.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import css_inline
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup, escape

from reputation.classifier import lexicon
from reputation.crawls.health import source_label
from reputation.imports.normalize import CONTROL_CHARACTERS
from reputation.published import local_published
from reputation.vocabulary import KIND_LABELS
from reputation.wording import day_label
from templates import FOLDER

__all__ = [
    "ENV",
    "PRODUCT",
    "RISK_ROUTED",
    "TEMPLATES",
    "RenderedMail",
    "doctor",
    "flag_spans",
    "format_when",
    "highlight",
    "one_line",
    "render_mail",
    "safe_url",
    "source_name",
    "stars",
]

TEMPLATES = FOLDER
PRODUCT = "Reputation Monitor"
TEXT_MARK = ("»", "«")
# The one thing every email says about a review alleging harm or a legal threat.
RISK_ROUTED = "Routed to risk management — do not reply publicly"

_LINE_BREAKS = re.compile("[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]+")


@dataclass(frozen=True)
class RenderedMail:
    """A rendered email: a one-line subject, a plain-text part and an HTML part (CSS inlined)."""

    subject: str
    text: str
    html: str


def one_line(value: object) -> str:
    """Text folded onto one line with no control characters: safe as a mail header value."""
    text = _LINE_BREAKS.sub(" ", str(value))
    text = "".join(" " if unicodedata.category(c) in {"Cc", "Zl", "Zp"} else c for c in text)
    text = CONTROL_CHARACTERS.sub("", text)
    return " ".join(text.split())


def _clean(value: object) -> object:
    """Drop control characters from strings printed by templates (Markup is already safe)."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return CONTROL_CHARACTERS.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    return value


def _autoescape(name: str | None) -> bool:
    return not (name or "").endswith(".txt")


def stars(rating: float | None, scale: int = 5) -> str:
    """A rating as filled and empty stars, e.g. 2.0 -> ★★☆☆☆; None -> 'no rating'."""
    if rating is None:
        return "no rating"
    filled = max(0, min(scale, int(float(rating) + 0.5)))
    return "★" * filled + "☆" * (scale - filled)


def format_when(
    value: datetime | None, tz: str = "UTC", with_time: bool = True, date_only: bool = False
) -> str:
    """A datetime shown in timezone `tz`, e.g. 'Mon 23 Nov 2026 10:00 CET'.

    `date_only`: a review date the site gave without a time of day (reputation.published),
    shown as that date with no time.
    """
    if value is None:
        return "unknown date"
    try:
        zone = ZoneInfo(tz or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    local = local_published(value, date_only, zone)
    day = day_label(local)
    return f"{day} {local:%H:%M %Z}" if with_time and not date_only else day


def _spans(text: str, spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Valid, sorted, non-overlapping spans clamped to the text."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted((max(0, int(s)), min(len(text), int(e))) for s, e in spans):
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _mark(text: str, spans: Iterable[tuple[int, int]], html: bool) -> str:
    text = str(text)
    pieces: list[str] = []
    pos = 0
    opening, closing = (Markup("<mark>"), Markup("</mark>")) if html else TEXT_MARK
    for start, end in _spans(text, spans):
        pieces += [text[pos:start], opening, text[start:end], closing]
        pos = end
    pieces.append(text[pos:])
    pieces = [p if isinstance(p, Markup) else str(_clean(p)) for p in pieces]
    if not html:
        return "".join(pieces)
    # Escape every piece of review text first; only our own <mark> tags stay markup.
    return Markup("").join(p if isinstance(p, Markup) else escape(p) for p in pieces)


def highlight(text: str, start: int, end: int, html: bool = True) -> str:
    """`text` with text[start:end] wrapped in <mark> (HTML escaped first) or »…« in plain text."""
    return _mark(text, [(start, end)], html)


def _evidence_spans(text: str, evidence: Iterable[Any]) -> list[tuple[int, int]]:
    """Spans of evidence items ({"text", "start", "end"} or (start, end)) inside `text`."""
    out = []
    for item in evidence or ():
        if isinstance(item, Mapping):
            quote = str(item.get("text") or "")
            start, end = item.get("start"), item.get("end")
            if isinstance(start, int) and isinstance(end, int) and text[start:end] == quote:
                out.append((start, end))
            elif quote and quote in text:  # offsets from another version of the text
                found = text.index(quote)
                out.append((found, found + len(quote)))
            elif isinstance(start, int) and isinstance(end, int) and not quote:
                out.append((start, end))
        elif isinstance(item, list | tuple) and len(item) == 2:
            out.append((int(item[0]), int(item[1])))
    return out


@pass_eval_context
def _highlight_filter(ctx: EvalContext, text: str, start: int, end: int) -> str:
    return highlight(text, start, end, html=ctx.autoescape)


@pass_eval_context
def _highlight_all_filter(ctx: EvalContext, text: str, evidence: Iterable[Any]) -> str:
    return _mark(text, _evidence_spans(str(text), evidence), html=ctx.autoescape)


def safe_url(value: object) -> str:
    """An http(s) URL for an href, or '' for anything else (javascript:, data:, junk).

    A link whose fragment is itself a whole URL ("page#http://host/page#review-1", as some
    sites' schema.org ids come out) is repaired to that inner URL.
    """
    url = one_line(value)
    _, hash_, fragment = url.partition("#")
    if hash_ and re.match(r"(?i)https?://", fragment):
        url = fragment
    if re.match(r"(?i)https?://[^\s\"'<>#]+(?:#[^\s\"'<>#]*)?$", url):
        return url
    return ""


def source_name(source: str) -> str:
    """A source as people name it: 'ratemds' -> 'RateMDs', 'schemaorg' -> 'schema.org pages'."""
    return source_label(str(source).lower())


_TITLES = re.compile(r"^(?:dr|doctor|prof|professor)\.?\s+", re.IGNORECASE)
_DEGREES = re.compile(r"(?:,?\s+(?:md|do|phd|mbbs|np|pa-c|dds|dmd|facs|facp|jr|sr)\.?)+$", re.I)


def doctor(name: str) -> str:
    """How a physician is addressed: 'Hannah K. Nakamura, MD' -> 'Dr. Nakamura'."""
    bare = _DEGREES.sub("", _TITLES.sub("", one_line(name))).strip(" ,")
    words = [w for w in bare.split() if any(c.isalpha() for c in w)]
    return f"Dr. {words[-1]}" if words else ""


_FLAG_CUES = {
    "harm": [
        re.compile(rf"\b(?:{p})\b", re.IGNORECASE)
        for p in (*lexicon.HARM_SEVERE, *lexicon.HARM_OUTCOME)
    ],
    "legal": [re.compile(rf"\b(?:{p})\b", re.IGNORECASE) for p in lexicon.LEGAL],
}
# A sentence ends at . ! ? (not the dot of "Dr." or "Mrs.") or at a line break.
_SENTENCE_END = re.compile(
    r"(?<!\bDr)(?<!\bMr)(?<!\bMs)(?<!\bMrs)(?<!\bSt)(?<!\bvs)(?<!\b[A-Z])"
    r"[.!?]+[\"'”’)]*(?:\s+|$)|\n+"
)


def flag_spans(text: str, flag: str) -> list[tuple[int, int]]:
    """The sentences of `text` that carry a harm or legal cue (what alleges it), as spans."""
    cues = _FLAG_CUES.get(flag, [])
    spans, start = [], 0
    for end in [m.end() for m in _SENTENCE_END.finditer(text)] + [len(text)]:
        sentence = text[start:end]
        if sentence.strip() and any(c.search(sentence) for c in cues):
            stripped = len(sentence) - len(sentence.rstrip())
            spans.append((start, end - stripped))
        start = end
    return spans


def _number(value: float, digits: int = 1) -> str:
    """A number without needless decimals: 5 -> '5', 0.8 -> '0.8', 6.25 -> '6.3'."""
    quantum = Decimal(1).scaleb(-digits)
    text = str(Decimal(str(float(value))).quantize(quantum, rounding=ROUND_HALF_UP))
    return text.rstrip("0").rstrip(".") if "." in text else text


def _pvalue(value: float) -> str:
    """A probability with its relation: "= 0.013", or "< 0.0001" for tiny ones."""
    return "< 0.0001" if value < 0.0001 else f"= {value:.2g}"


ENV = Environment(
    autoescape=_autoescape,
    loader=FileSystemLoader(TEMPLATES),
    undefined=StrictUndefined,
    finalize=_clean,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
ENV.filters.update(
    stars=stars,
    when=format_when,
    highlight=_highlight_filter,
    highlight_all=_highlight_all_filter,
    number=_number,
    pvalue=_pvalue,
    one_line=one_line,
    safe_url=safe_url,
    source_name=source_name,
    doctor=doctor,
)
ENV.globals.update(product=PRODUCT, risk_routed=RISK_ROUTED, kind_labels=KIND_LABELS)

_INLINER = css_inline.CSSInliner(load_remote_stylesheets=False)


def render_mail(name: str, context: Mapping[str, Any]) -> RenderedMail:
    """Render templates/<name>.subject.txt, <name>.txt and <name>.html with `context`."""
    subject = one_line(ENV.get_template(f"{name}.subject.txt").render(context))
    text = ENV.get_template(f"{name}.txt").render(context)
    html = ENV.get_template(f"{name}.html").render(context)
    return RenderedMail(subject=subject, text=text, html=str(_INLINER.inline(html)))
