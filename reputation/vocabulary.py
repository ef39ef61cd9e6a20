"""Words the whole product shares, each defined once: the complaint categories, the review
flags and the alert kinds.

Pure data; every layer may import it.
"""

__all__ = ["ALERT_KINDS", "CATEGORIES", "FINDING_KINDS", "FLAGS", "KIND_LABELS", "RISK_FLAGS"]

# The complaint categories of the Vanguard study (../shared/labels/CODEBOOK.md); a column each.
CATEGORIES = ("bedside_manner", "service", "clinical_skill")

# What the classifier may flag on a review or a social post; a column each in `classification`.
FLAGS = ("harm", "legal", "phi")
# The flags that page the safety recipients at once (phi only holds back a public reply).
RISK_FLAGS = ("harm", "legal")
# The kinds of a stored alert, most severe first: the order alerts take in an email.
ALERT_KINDS = ("immediate", "flag_backlog", "cluster", "rating_drop", "crawl_health", "unanswered")
# The same order for people, where an immediate alert reads as the flag it carries.
FINDING_KINDS = (*RISK_FLAGS, *ALERT_KINDS[1:])
KIND_LABELS = {
    "cluster": "Complaint cluster",
    "harm": "Possible patient harm",
    "legal": "Legal threat",
    "flag_backlog": "Older reviews alleging harm or legal action",
    "rating_drop": "Rating drop",
    "unanswered": "Awaiting a reply",
    "crawl_health": "Source health",
}
