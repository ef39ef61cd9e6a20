"""Mail rendering: wording of alert emails, CSS inlining, and hostile review text made harmless."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from jinja2 import UndefinedError

from reputation.mail.render import format_when, highlight, one_line, render_mail, safe_url, stars
from tests.conftest import NOW

HOSTILE_TEXT = (
    "Dr. Abara was rude and dismissive. <script>alert('x')</script> "
    'Visit <a href="http://evil.example/login">your patient portal</a> now!\x1b[31m\u202egnp.exe'
)


def alert_context(**overrides: Any) -> dict[str, Any]:
    """A complete alert-email context (the contract documented in templates/alert.html)."""
    review = {
        "id": 17,
        "source": "healthgrades",
        "stars": 1.0,
        "published_at": datetime(2026, 11, 20, 15, 30, tzinfo=UTC),
        "published_date_only": False,
        "author": "Pat R.",
        "text": "Dr. Abara was rude and dismissive. The front desk was fine.",
        "url": "https://www.healthgrades.com/review/17",
        "evidence": [{"text": "Dr. Abara was rude and dismissive.", "start": 0, "end": 34}],
        "age_days": 3,
        "chips": ["bedside manner"],
        "flags": [],
        "physician": "Ana Abara",
        "draft": None,
    }
    alert = {
        "kind": "cluster",
        "status": "New",
        "state": "firing",
        "title": "5 bedside-manner complaints in 30 days for Ana Abara (usually about 1)",
        "summary": "Negative reviews about bedside manner are well above this physician's usual.",
        "entity": {"type": "physician", "name": "Ana Abara", "short": "Dr. Abara"},
        "numbers": {
            "observed": 5,
            "expected": 0.8,
            "ratio": 6.25,
            "p": 0.0004,
            "q": 0.01,
            "window_days": 30,
            "tested": 120,
        },
        "categories": {"bedside_manner": 4, "service": 1, "clinical_skill": 0},
        "reviews": [review],
        "inhibited": [],
        "first_seen": datetime(2026, 11, 21, 8, 0, tzinfo=UTC),
    }
    context: dict[str, Any] = {
        "recipient": {"name": "Morgan Lee", "email": "morgan@example.org"},
        "now": NOW,
        "tz": "America/New_York",
        "topic": "cluster",
        "subject": "Dr. Abara: 5 bedside-manner complaints in 30 days (usually about 1)",
        "deadline_days": 7,
        "unsubscribe": "mailto:alerts@hospital.example.org?subject=unsubscribe%20alerts",
        "alerts": [alert],
    }
    for key, value in overrides.items():
        if key in alert:
            alert[key] = value
        elif key in review:
            review[key] = value
        else:
            context[key] = value
    return context


def test_alert_mail_says_what_happened_in_plain_words() -> None:
    mail = render_mail("alert", alert_context())
    assert mail.subject == "Dr. Abara: 5 bedside-manner complaints in 30 days (usually about 1)"
    for part in (re.sub(r"\s+", " ", mail.text), re.sub(r"\s+", " ", mail.html)):
        assert "5 negative reviews in 30 days where about 0.8 were expected (6.3×)" in part
        assert "p = 0.0004" in part and "tested (false discovery rate), q = 0.01" in part
        assert "bedside manner" in part and "New" in part
        assert "Firing" not in part and "FIRING" not in part
        assert "physician:" not in part
        assert "Mon 23 Nov 2026 04:00 EST" in part  # NOW in the recipient's timezone
    assert "»Dr. Abara was rude and dismissive.«" in mail.text
    assert "<mark" in mail.html and "Dr. Abara was rude and dismissive.</mark>" in mail.html
    assert 'href="https://www.healthgrades.com/review/17"' in mail.html
    assert "https://www.healthgrades.com/review/17" in mail.text
    assert "★☆☆☆☆" in mail.text and "Read the review on Healthgrades" in mail.html


def test_html_has_css_inlined_and_a_product_layout() -> None:
    html = render_mail("alert", alert_context()).html
    assert "<style" not in html
    assert 'style="' in html and "max-width: 640px" in html
    assert "Reputation Monitor" in html and "You receive this email because" in html


def test_the_numbers_sit_in_a_footnote_per_alert() -> None:
    context = alert_context()
    second = dict(context["alerts"][0], title="3 service complaints in 30 days for Ana Abara")
    context["alerts"].append(second)
    mail = render_mail("alert", context)
    assert "[1]" in mail.text and "[2]" in mail.text
    assert mail.text.index("[2] 5 negative reviews") > mail.text.index("3 service complaints")
    assert 'href="#note-2"' in mail.html and 'id="note-2"' in mail.html


def test_resolved_alerts_say_so() -> None:
    mail = render_mail("alert", alert_context(state="resolved", status="Resolved"))
    assert "Resolved · Complaint cluster" in mail.text and "Resolved</span>" in mail.html


def test_hostile_review_text_arrives_harmless() -> None:
    hostile = alert_context(
        text=HOSTILE_TEXT,
        author='<img src=x onerror="alert(1)">',
        url="javascript:alert(document.cookie)",
        evidence=[{"text": "rude", "start": 0, "end": 34}],
    )
    mail = render_mail("alert", hostile)
    assert "<script" not in mail.html and "&lt;script&gt;" in mail.html
    assert "<img" not in mail.html and '<a href="http://evil.example' not in mail.html
    assert "javascript:" not in mail.html
    assert "\x1b" not in mail.html + mail.text and "\u202e" not in mail.html + mail.text
    # The text part is plain text: shown literally (no &lt;), but never with control characters.
    assert "<script>alert('x')</script>" in mail.text and "&lt;" not in mail.text
    assert "javascript:" not in mail.text


def test_header_injection_in_names_stays_on_one_line() -> None:
    context = alert_context(
        subject="Cluster: Dr. Evil\r\nBcc: everyone@example.org\r\n\r\n<b>body</b>",
        recipient={"name": "Eve\nX-Injected: yes", "email": "eve@example.org"},
    )
    mail = render_mail("alert", context)
    assert "\n" not in mail.subject and "\r" not in mail.subject
    assert "for Eve X-Injected: yes" in mail.text


def test_highlight_escapes_first_then_marks() -> None:
    assert str(highlight("<b>x</b> ok", 0, 8)) == "<mark>&lt;b&gt;x&lt;/b&gt;</mark> ok"
    assert highlight("abc", 5, 9) == "abc"  # a span outside the text marks nothing
    assert highlight("a<b", 0, 1, html=False) == "»a«<b"


def test_evidence_marks_by_offsets_or_by_quote() -> None:
    text = "Line one.\r\nThe nurse was rude.\x07 End."
    ok = [{"text": "The nurse was rude.", "start": 11, "end": 30}]
    stale = [{"text": "The nurse was rude.", "start": 0, "end": 4}]
    for evidence in (ok, stale):
        mail = render_mail("alert", alert_context(text=text, evidence=evidence))
        assert "<mark" in mail.html and "The nurse was rude.</mark>" in mail.html
        assert "»The nurse was rude.«" in mail.text and "\x07" not in mail.text + mail.html


def test_filters() -> None:
    assert stars(2.0) == "★★☆☆☆" and stars(4.6) == "★★★★★" and stars(None) == "no rating"
    assert format_when(NOW, "Europe/Berlin") == "Mon 23 Nov 2026 10:00 CET"
    assert format_when(NOW, "Not/AZone", with_time=False) == "Mon 23 Nov 2026"
    assert one_line("a\r\nb\u2028c\x00d") == "a b c d"
    assert safe_url("https://x.example/a?b=1") == "https://x.example/a?b=1"
    assert safe_url("data:text/html,hi") == "" and safe_url('http://x" onclick="y') == ""


def test_a_date_the_site_gave_without_a_time_is_that_date_in_every_timezone() -> None:
    midnight = datetime(2026, 11, 6, tzinfo=UTC)  # Healthgrades' "Nov 06, 2026", as stored
    assert format_when(midnight, "America/Chicago", date_only=True) == "Fri 6 Nov 2026"
    assert format_when(midnight, "Pacific/Kiritimati", date_only=True) == "Fri 6 Nov 2026"
    assert format_when(midnight, "America/Chicago") == "Thu 5 Nov 2026 18:00 CST"  # an instant
    context = alert_context(tz="America/Chicago", published_at=midnight)
    context["alerts"][0]["reviews"][0]["published_date_only"] = True
    mail = render_mail("alert", context)
    assert "Healthgrades · ★☆☆☆☆ · Fri 6 Nov 2026 · Pat R." in mail.text
    assert "Thu 5 Nov" not in mail.text + mail.html and "Fri 6 Nov 2026" in mail.html


def test_missing_context_is_an_error_not_a_blank() -> None:
    context = alert_context()
    del context["alerts"][0]["summary"]
    with pytest.raises(UndefinedError):
        render_mail("alert", context)
