"""Alerts in plain words: the open-alert summary that `repmon status` prints."""

from __future__ import annotations

from reputation.findings import open_alert_summary


def test_open_alerts_are_counted_in_the_words_of_the_emails() -> None:
    alerts = [
        ("unanswered", {"entity": "physician:3"}),
        ("cluster", {"entity": "physician:10", "window": "14d"}),
        ("cluster", {"entity": "physician:10", "window": "30d"}),
        ("cluster", {"entity": "physician:10", "window": "90d"}),
        ("immediate", {"entity": "physician:18", "category": "harm"}),
        ("immediate", {"entity": "physician:4", "category": "legal"}),
    ]
    assert open_alert_summary(alerts) == (
        "6 open: Possible patient harm 1, Legal threat 1, "
        "Complaint cluster 3 (on 1 physician or practice), Awaiting a reply 1"
    )
    assert open_alert_summary([]) == "none open"
    # one alert per entity needs no "on N": the count already says it
    one = [("cluster", {"entity": "practice:2"})]
    assert open_alert_summary(one) == "1 open: Complaint cluster 1"
