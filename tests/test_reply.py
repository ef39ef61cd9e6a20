"""The reply assistant: the PHI check on a table of replies, shipped and organisation templates."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from reputation.errors import ConfigError, NotFound
from reputation.reply import (
    LEXICONS,
    SHIPPED_TEMPLATES,
    check_reply,
    choose_template,
    load_templates,
    plan_reply,
    reply_categories,
    suggest_reply,
)
from reputation.storage.db import Database
from reputation.storage.models import Classification, Physician, Practice, Review
from reputation.storage.queries import review_to_answer

PHYSICIAN, PRACTICE = "Dr. Ana Abara", "Lakeside Family Medicine"
CONTACT = "our Patient Relations office at 555-0100 or relations@lakeside.example"
ALLOWED = (PHYSICIAN, PRACTICE, CONTACT)

# (reply, kinds that must be found, words that must be flagged)
BAD = [
    ("We are sorry your visit did not go well.", {"patient"}, "your visit"),
    ("When you were seen last month, the wait was unusual.", {"patient"}, "when you were seen"),
    ("We regret the delay at your appointment.", {"patient"}, "your appointment"),
    ("As your doctor, I always try to listen.", {"patient"}, "As your doctor"),
    ("Our records show that you arrived late.", {"patient"}, "Our records show"),
    ("I have reviewed your chart and disagree.", {"patient"}, "your chart"),
    ("Sorry about the wait on Tuesday, March 3.", {"date"}, "March 3"),
    ("The 10:30 slot was overbooked on 11/03/2026.", {"date"}, "11/03/2026"),
    ("Managing diabetes takes time, and we are here to help.", {"diagnosis"}, "diabetes"),
    ("Your colonoscopy was performed according to guidelines.", {"treatment"}, "colonoscopy"),
    ("We hope your knee replacement is healing well.", {"treatment"}, "knee replacement"),
    ("Your hip replacement followed our usual protocol.", {"treatment"}, "hip replacement"),
    ("We cannot refill oxycodone without an exam.", {"medication"}, "oxycodone"),
    ("Your prescription was sent to the pharmacy.", {"medication"}, "prescription"),
    ("Aetna denied the claim, not us.", {"insurance"}, "Aetna"),
    ("The copay of $40 is set by your plan.", {"insurance"}, "$40"),
    ("Dear Mrs. Jones, thank you for the feedback.", {"name"}, "Mrs. Jones"),
    ("We hope your husband John is feeling better.", {"relative", "name"}, "your husband"),
    ("Thank you, Maria. We will look into the wait.", {"name"}, "Maria"),
    ("Dr. Smith will call to discuss this.", {"name"}, "Dr. Smith"),
]

GOOD = [
    "Thank you for your feedback. Please contact " + CONTACT + " so we can talk directly.",
    f"{PHYSICIAN} and everyone at {PRACTICE} take comments about communication seriously.",
    "Privacy rules do not allow us to discuss any details in a public forum.",
    "We are sorry to hear about this experience and would welcome the chance to talk offline.",
    "Thank you for the kind words; we will pass your message along to the team.",
    f"Everyone at {PRACTICE} wants each person who contacts us to feel respected. "
    f"Please reach {CONTACT}.",
    "We may not discuss specifics here, but we take every concern seriously.",
]


@pytest.mark.parametrize(("text", "kinds", "words"), BAD)
def test_bad_replies_are_flagged_with_words_and_why(text: str, kinds: set[str], words: str) -> None:
    findings = check_reply(text, ALLOWED)
    assert kinds <= {f.kind for f in findings}, findings
    assert any(f.words.lower() == words.lower() for f in findings), findings
    for f in findings:
        assert text[f.start : f.end] == f.words and f.why


def test_the_bad_table_covers_every_lexicon() -> None:
    covered = set().union(*(kinds for _, kinds, _ in BAD))
    assert set(LEXICONS) | {"name"} <= covered


@pytest.mark.parametrize("text", GOOD)
def test_good_replies_pass(text: str) -> None:
    assert check_reply(text, ALLOWED) == []


def test_names_are_allowed_only_when_passed_in() -> None:
    text = f"{PHYSICIAN} reads every review. Dr. Abara thanks you."
    assert check_reply(text, ALLOWED) == []
    assert {f.words for f in check_reply(text)} >= {"Dr. Abara"}


@pytest.mark.parametrize("category", sorted(load_templates()))
def test_every_shipped_template_passes_the_check(category: str) -> None:
    categories = {"safety": ["harm"], "positive": []}.get(category, [category])
    rating = 5.0 if category == "positive" else 1.0
    assert choose_template(categories, rating) == category
    text = suggest_reply(
        "Dr. Abara misdiagnosed my asthma on 3/4",
        categories,
        PHYSICIAN,
        PRACTICE,
        CONTACT,
        rating=rating,
    )
    assert "{" not in text and "asthma" not in text
    assert check_reply(text, ALLOWED) == [], text


def test_organisation_templates_override_and_are_validated(tmp_path: Path) -> None:
    own = tmp_path / "replies.toml"
    own.write_text('[service]\ntext = "Thanks from {practice}. Call {contact}."\n')
    templates = load_templates(own)
    assert templates["service"].text == "Thanks from {practice}. Call {contact}."
    assert templates["bedside_manner"] == load_templates()["bedside_manner"]
    assert suggest_reply("", ["service"], PHYSICIAN, PRACTICE, "us", templates=templates) == (
        f"Thanks from {PRACTICE}. Call us."
    )
    own.write_text('[service]\ntext = "Dear {patient_name}"\n')
    with pytest.raises(ConfigError, match="unknown placeholder"):
        load_templates(own)
    own.write_text("[service]\ntitle = 'no text'\n")
    with pytest.raises(ConfigError, match="needs a text"):
        load_templates(own)
    assert SHIPPED_TEMPLATES.exists()


def test_reply_check_command(tmp_path: Path) -> None:
    from repmon.commands.reply import reply

    runner = CliRunner()
    bad = runner.invoke(reply, ["check"], input="Sorry about your appointment on Monday.\n")
    assert bad.exit_code == 1
    assert "your appointment" in bad.output and "on Monday" in bad.output
    assert "confirms that the person is" in bad.output
    good = tmp_path / "reply.txt"
    good.write_text(f"Thank you. {PHYSICIAN} takes this seriously.\n")
    result = runner.invoke(reply, ["check", str(good), "--allow", PHYSICIAN])
    assert result.exit_code == 0 and "check: passed" in result.output


def test_a_reply_plan_routes_flags_to_risk_and_checks_its_own_text() -> None:
    harm = plan_reply(["clinical_skill", "harm"], 1.0, "Ann Lee", "Clinic", "555-0100")
    assert harm.template == "safety" and harm.routed_to_risk and not harm.findings
    service = plan_reply(["service"], 2.0, "Ann Lee", "Clinic", "555-0100")
    assert service.template == "service" and not service.routed_to_risk
    assert "Clinic" in service.text and service.categories == ("service",)


def _classification(version: str, **flags: object) -> Classification:
    values: dict[str, object] = {"label": "negative", "negative": True, **flags}
    return Classification(
        classifier_version=version, content_hash="h", created_at=datetime(2026, 11, 1, tzinfo=UTC),
        compound=-0.5, **values,
    )  # fmt: skip


def test_reply_categories_are_complaints_and_flags_in_order_else_positive() -> None:
    both = _classification("v", service=True, bedside_manner=True, phi=True)
    assert reply_categories(both) == ["bedside_manner", "service", "phi"]
    praise = _classification("v", label="positive", negative=False)
    assert reply_categories(praise) == ["positive"]
    mixed = _classification("v", label="positive", negative=True)  # positive words, a complaint
    assert reply_categories(mixed) == []
    assert reply_categories(None) == []


def test_the_review_to_answer_has_the_current_classification_else_the_newest(
    db: Database,
) -> None:
    with db.transaction() as session:
        practice = Practice(name=PRACTICE)
        session.add(practice)
        session.flush()
        doc = Physician(npi="1000000001", name=PHYSICIAN, practice_id=practice.id)
        session.add(doc)
        session.flush()
        when = datetime(2026, 11, 1, tzinfo=UTC)
        review = Review(
            source="ratemds", external_id="e1", physician_id=doc.id, rating=2.0,
            text="Waited two hours.", published_at=when, first_seen_at=when, last_seen_at=when,
            content_hash="c1",
        )  # fmt: skip
        session.add(review)
        session.flush()
        current = _classification("v2", review_id=review.id, service=True)
        session.add_all([current, _classification("v1", review_id=review.id, harm=True)])
        review_id = review.id
    with db.session() as session:
        found = review_to_answer(session, review_id, "v2")
        older = review_to_answer(session, review_id, "v3")
        with pytest.raises(NotFound, match="no review with id 999"):
            review_to_answer(session, 999, "v2")
        assert (found.physician, found.practice) == (PHYSICIAN, PRACTICE)
        assert reply_categories(found.classification) == ["service"]
        # No classification by v3: the newest one (v1, harm) decides: risk management.
        assert reply_categories(older.classification) == ["harm"]
        plan = plan_reply(["harm"], 2.0, found.physician, found.practice, CONTACT)
        assert plan.routed_to_risk and plan.template == "safety"
