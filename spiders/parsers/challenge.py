"""Recognise anti-bot challenge pages, so a blocked crawl is never read as "no reviews"."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["detect_challenge"]

# Markers specific to challenge/interstitial pages. A bare "captcha" is not one: RateMDs
# profile pages carry a `recaptchakey` for their review form.
_MARKERS = (
    ("<title>just a moment...</title>", "Cloudflare 'Just a moment...' interstitial"),
    ("cf-chl-", "Cloudflare challenge (cf-chl)"),
    ("cf_chl_opt", "Cloudflare challenge (cf_chl_opt)"),
    ("/cdn-cgi/challenge-platform/", "Cloudflare challenge platform"),
    ("attention required! | cloudflare", "Cloudflare 'Attention Required' block page"),
    ("captcha-delivery.com", "DataDome captcha"),
    ("px-captcha", "PerimeterX captcha"),
    ("please verify you are a human", "human-verification page"),
    ('g-recaptcha" data-callback="onchallenge', "reCAPTCHA challenge form"),
    ("h-captcha", "hCaptcha challenge"),
)
_SCAN_CHARS = 200_000


def detect_challenge(
    status: int, body: str, headers: Mapping[str, str] | None = None
) -> str | None:
    """Why this response is a challenge/block page, or None when it looks like content."""
    lowered = body[:_SCAN_CHARS].lower()
    for marker, reason in _MARKERS:
        if marker in lowered:
            return reason
    header_map = {k.lower(): v for k, v in (headers or {}).items()}
    if header_map.get("cf-mitigated", "").lower() == "challenge":
        return "Cloudflare cf-mitigated: challenge header"
    if status in (403, 429) and len(lowered) < 4000 and "captcha" in lowered:
        return f"HTTP {status} with a captcha"
    return None
