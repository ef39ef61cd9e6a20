"""Challenge-page detection, and that no parser raises on hostile input."""

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from spiders import parsers
from spiders.parsers import detect_challenge
from tests.parser_fixtures import fixture_text


def test_cloudflare_interstitial_is_a_challenge() -> None:
    assert detect_challenge(403, fixture_text("challenge_cloudflare.html"))
    assert detect_challenge(200, "<p>ok</p>", {"cf-mitigated": "challenge"})
    assert detect_challenge(429, "<html>Please complete the captcha</html>")


def test_a_review_form_captcha_key_is_not_a_challenge() -> None:
    assert detect_challenge(200, fixture_text("ratemds_profile.html")) is None
    assert detect_challenge(200, '{"recaptchakey": "x"}') is None


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(json_values)
def test_json_parsers_never_raise(value: object) -> None:
    parsers.parse_google(value, "p")
    parsers.parse_yelp(value, "b")
    parsers.parse_reddit(value)
    parsers.parse_x(value)
    text = json.dumps(value)
    parsers.parse_ratemds_json(text, "u")
    parsers.parse_healthgrades_comments(text, "u")
    for key in ("reviews", "result", "data", "ratingsPage", "model"):
        wrapped = {key: value}
        parsers.parse_google(wrapped, "p")
        parsers.parse_yelp(wrapped, "b")
        parsers.parse_x(wrapped)
        parsers.parse_reddit({"data": {"children": [{"kind": "t3", "data": value}]}})
        parsers.parse_healthgrades("pageState.pes = " + json.dumps({"model": wrapped}), "u")


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300))
def test_html_parsers_never_raise(text: str) -> None:
    for prefix in ("", "pageState.pes = ", 'window.DATA.doctorDetailProps = JSON.parse("'):
        page = prefix + text
        parsers.parse_ratemds(page, "u")
        parsers.parse_healthgrades(page, "u")
        parsers.parse_schemaorg(page, "u")
        detect_challenge(200, page)
