"""The HIPAA-aware reply assistant: approved templates per category, and the PHI check.

A public reply to a review must never confirm that the reviewer is a patient, nor mention visit
dates, diagnoses, treatments, medications, insurance or billing details, or names of the
patient or relatives. The lexicons below are the one definition of what `check_reply` flags.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reputation.errors import ConfigError
from reputation.mail.render import doctor
from reputation.vocabulary import CATEGORIES, FLAGS, RISK_FLAGS
from templates import FOLDER

__all__ = [
    "LEXICONS",
    "SHIPPED_TEMPLATES",
    "Finding",
    "ReplyPlan",
    "ReplyTemplate",
    "check_reply",
    "choose_template",
    "draft_reply",
    "load_templates",
    "plan_reply",
    "reply_categories",
    "suggest_reply",
]

SHIPPED_TEMPLATES = FOLDER / "replies.toml"
PLACEHOLDERS = ("physician", "practice", "contact")
CATEGORY_ORDER = ("safety", "clinical_skill", "bedside_manner", "service", "general", "positive")

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_WEEKDAY = r"(?:mon|tues|wednes|thurs|fri|satur|sun)day"
_RELATIVE = (
    r"(?:husband|wife|son|daughter|mother|mom|mum|father|dad|child|children|kids?|baby|"
    r"parents?|partner|spouse|sister|brother|grand(?:mother|father|ma|pa|son|daughter)|"
    r"family member|loved one|fianc[ée]e?)"
)

# kind -> (why, patterns); matched case-insensitively, on word boundaries.
LEXICONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "patient": (
        "confirms that the person is (or was) a patient",
        (
            r"your (?:last |recent |most recent |first |next |follow[- ]up |annual )?(?:visit|"
            r"appointment|appt|consult(?:ation)?|exam(?:ination)?|check-?up|stay|admission|"
            r"discharge|chart|records?|file|medical (?:history|records?)|results?|labs?|"
            r"care (?:plan|with us|here)|time (?:with us|in our (?:office|clinic|hospital))|"
            r"condition|symptoms?|health)",
            r"when you (?:were|was) (?:seen|here|in|admitted|treated|discharged|examined)",
            r"when you (?:came|come|were brought) in",
            r"while you were (?:here|in|with us|admitted)",
            r"(?:we|i) (?:saw|treated|examined|admitted|discharged|operated on) you",
            r"as your (?:doctor|physician|provider|surgeon|nurse|care team|dentist|therapist|pcp)",
            r"(?:our|the) records (?:show|indicate|say)",
            r"according to (?:our|your) (?:records|chart)",
            r"we (?:reviewed|checked|looked (?:at|into)|pulled) your",
            r"you (?:were|are) (?:our|a) patient",
            r"(?:you are|you were|as) a patient (?:of|at|with)",
            r"you(?:'ve| have) been (?:seeing|coming to) (?:us|dr|our)",
        ),
    ),
    "date": (
        "gives a visit date or time",
        (
            rf"(?:on |last |this past |next )?{_WEEKDAY}s?",
            rf"{_MONTH}\.? \d{{1,2}}(?:st|nd|rd|th)?(?:,? \d{{4}})?",
            rf"\d{{1,2}}(?:st|nd|rd|th)? (?:of )?{_MONTH}",
            r"\d{1,2}/\d{1,2}(?:/\d{2,4})?",
            r"\d{4}-\d{2}-\d{2}",
            r"\d{1,2}(?::\d{2})? ?(?:a\.?m|p\.?m)\.?",
            r"\d{1,2}:\d{2}",
            r"yesterday|this morning|last (?:week|night|month)|earlier (?:today|this week)",
        ),
    ),
    "diagnosis": (
        "names a diagnosis or health condition",
        (
            r"diagnos(?:is|es|ed|tic)",
            r"cancer|tumou?rs?|diabet(?:es|ic)|hypertension",
            r"high blood pressure|depress(?:ion|ed)|anxiety|pregnan(?:t|cy)|miscarriage",
            r"asthma|copd|pneumonia|infections?|covid(?:-19)?|influenza|flu|migraines?|arthritis",
            r"hiv|aids|hepatitis|stds?|stis?|dementia|alzheimer'?s|adhd|autism|strokes?",
            r"heart attack|fractured?|broken (?:arm|leg|wrist|ankle|hip|bone)|concussion|sepsis",
            r"appendicitis|kidney stones?|bipolar|schizophreni[ac]|addiction|overdose|obesity",
            r"eating disorder|illness|disease|disorder|injury|injuries",
        ),
    ),
    "treatment": (
        "names a treatment, test or procedure",
        (
            r"surgery|surgeries|surgical|operation|procedures?|colonoscopy|endoscopy|mri|ct scan",
            r"cat scan|x-?rays?|ultrasound|biopsy|mammogram|injections?|vaccin(?:e|es|ation)",
            r"chemo(?:therapy)?|radiation|dialysis|physical therapy|stitches|sutures",
            r"blood (?:test|work|draw)s?|lab (?:work|results?|tests?)|test results?|ekg|ecg",
            r"treatments?|treated (?:you|your|for)|therapy sessions?|c-section|admitted",
            r"(?:knee|hip|joint|shoulder|valve) replacements?|transplants?|implants?|bypass",
            r"hysterectomy|appendectomy|mastectomy|vasectomy|tonsillectomy|cataract|angioplasty",
            r"stents?|pacemaker|epidural|anesthesia|anaesthesia|sedation|ivf|recovery",
        ),
    ),
    "medication": (
        "names a medication or prescription",
        (
            r"medications?|meds|prescri(?:be|bed|ption|ptions)|refills?|dosage|doses?|\d+ ?mg",
            r"antibiotics?|opioids?|oxycodone|hydrocodone|vicodin|percocet|xanax|adderall|ambien",
            r"insulin|metformin|lisinopril|statins?|ibuprofen|tylenol|amoxicillin|prednisone",
            r"steroids?|birth control|antidepressants?|zoloft|prozac|suboxone|methadone|morphine",
            r"fentanyl|gabapentin|painkillers?|pain (?:meds|medicine|pills)",
        ),
    ),
    "insurance": (
        "gives insurance or billing specifics",
        (
            r"insurance|insurer|insured|co-?pay(?:ment)?s?|deductibles?|coinsurance|claims?",
            r"medicare|medicaid|aetna|cigna|humana|kaiser|blue cross|blue shield|bluecross",
            r"united ?health(?:care)?|tricare|anthem|out-of-network|in-network",
            r"(?:prior |pre-?)authori[sz]ation",
            r"your (?:bill|balance|account|invoice|statement|"
            r"payment|charges?)",
            r"collections|refund(?:ed)?|charged you|billed you",
            r"\$ ?\d[\d,]*(?:\.\d{2})?",
            r"\d+ dollars",
        ),
    ),
    "relative": (
        "mentions the reviewer's relative (confirms a patient relationship)",
        (rf"your {_RELATIVE}",),
    ),
}
_RULES = [
    (kind, why, re.compile(rf"(?<![\w$])(?:{p})(?!\w)", re.IGNORECASE))
    for kind, (why, patterns) in LEXICONS.items()
    for p in patterns
]
_NAME = r"[A-Z][a-z'’]+(?:-[A-Z][a-z'’]+)?"
_NAME_RULES = [
    re.compile(rf"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Doctor|Nurse)\.? ({_NAME}(?: {_NAME})?)"),
    re.compile(
        rf"\b(?i:dear|hi|hello|hey) (?!(?:Mr|Mrs|Ms|Miss|Mx|Dr|Doctor|Nurse)\b)"
        rf"({_NAME}(?: {_NAME})?)"
    ),
    re.compile(rf"\b(?i:your {_RELATIVE}),? ({_NAME})"),
]
_CAPITALISED = re.compile(rf"\b{_NAME}\b")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;]\s+|\n\s*|[\"“(]\s*)$")
# Capitalised words a reply may use mid-sentence that are not anyone's name.
_COMMON = """
I I'm I'd I'll I've We Dr Doctor Patient Patients Experience Relations Office Manager Director
Team Clinic Hospital Health Medical Center Centre Care Services Service Department Practice
Privacy Thank Thanks Please Sincerely Regards Best Kind Warm Warmly Respectfully Google Yelp
RateMDs Healthgrades Vitals Zocdoc Facebook Reddit Feedback Quality Administrator Advocate
Line Desk Front Customer Support Email Phone Internet Online English Spanish
"""
COMMON_WORDS = frozenset(_COMMON.split())
_NAME_WHY = "names a person other than the physician or the practice (the patient or a relative?)"


@dataclass(frozen=True)
class Finding:
    """Something a public reply must not say: where, which words, and why."""

    start: int
    end: int
    words: str
    why: str
    kind: str = ""


@dataclass(frozen=True)
class ReplyTemplate:
    """One approved reply text with {physician}, {practice} and {contact} placeholders."""

    category: str
    title: str
    text: str


def _allowed_spans(text: str, allowed: Iterable[str]) -> list[tuple[int, int]]:
    spans = []
    for name in allowed:
        if name.strip():
            spans += [(m.start(), m.end()) for m in re.finditer(re.escape(name.strip()), text)]
    return spans


def check_reply(text: str, allowed_names: Iterable[str] = ()) -> list[Finding]:
    """Everything in `text` a public reply must never contain; names in allowed_names are ok."""
    allowed = list(allowed_names)
    spans = _allowed_spans(text, allowed)
    tokens = {t for name in allowed for t in re.findall(r"[A-Za-z'’-]+", name)}

    def inside(start: int, end: int) -> bool:
        return any(a <= start and end <= b for a, b in spans)

    found: dict[tuple[int, int, str], Finding] = {}
    for kind, why, rule in _RULES:
        for m in rule.finditer(text):
            if m.group().strip() and not inside(m.start(), m.end()):
                found.setdefault(
                    (m.start(), m.end(), kind), Finding(m.start(), m.end(), m.group(), why, kind)
                )
    for rule in _NAME_RULES:
        for m in rule.finditer(text):
            if not inside(m.start(1), m.end(1)) and not set(m.group(1).split()) <= tokens:
                found.setdefault(
                    (m.start(), m.end(), "name"),
                    Finding(m.start(), m.end(), m.group(), _NAME_WHY, "name"),
                )
    named = [(f.start, f.end) for f in found.values()]
    for m in _CAPITALISED.finditer(text):
        word = m.group()
        if (
            word in COMMON_WORDS
            or word in tokens
            or inside(m.start(), m.end())
            or _SENTENCE_START.search(text[: m.start()])
            or any(a <= m.start() < b for a, b in named)
        ):
            continue
        found.setdefault(
            (m.start(), m.end(), "name"), Finding(m.start(), m.end(), word, _NAME_WHY, "name")
        )
    return sorted(found.values(), key=lambda f: (f.start, f.end, f.kind))


def load_templates(path: Path | str | None = None) -> dict[str, ReplyTemplate]:
    """The shipped templates, with those of the organisation's file (if given) replacing them."""
    templates: dict[str, ReplyTemplate] = {}
    for source in [SHIPPED_TEMPLATES, *([Path(path)] if path else [])]:
        try:
            table = tomllib.loads(source.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"reply.templates: cannot read {source}: {exc}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{source}: not valid TOML: {exc}") from None
        for category, entry in table.items():
            if not isinstance(entry, Mapping) or not isinstance(entry.get("text"), str):
                raise ConfigError(f'{source}: [{category}] needs a text = """...""" entry')
            unknown = set(re.findall(r"\{(\w*)\}", entry["text"])) - set(PLACEHOLDERS)
            if unknown:
                raise ConfigError(
                    f"{source}: [{category}] uses unknown placeholder(s) "
                    f"{sorted(unknown)}; only {{physician}}, {{practice}}, "
                    "{contact} are filled in"
                )
            templates[category] = ReplyTemplate(
                category, str(entry.get("title", category)), " ".join(entry["text"].split())
            )
    return templates


def choose_template(categories: Iterable[str], rating: float | None = None) -> str:
    """Which template fits: safety flags first, then the complaint, else general or positive."""
    names = set(categories)
    if names & set(FLAGS):
        return "safety"
    for category in CATEGORY_ORDER[1:4]:
        if category in names:
            return category
    positive = "positive" in names or (rating is not None and rating >= 4)
    return "positive" if positive else "general"


def suggest_reply(
    review_text: str,
    categories: Iterable[str],
    physician_name: str,
    practice_name: str,
    contact: str,
    *,
    rating: float | None = None,
    templates: Mapping[str, ReplyTemplate] | None = None,
) -> str:
    """An approved reply for this review; it never repeats anything from `review_text`."""
    del review_text  # deliberately unused: echoing the review could confirm details about it
    chosen = templates if templates is not None else load_templates()
    key = choose_template(categories, rating)
    template = chosen.get(key) or chosen["general"]
    values = {
        "physician": doctor(physician_name) or "our physicians",
        "practice": practice_name or "our practice",
        "contact": contact,
    }
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group()), template.text)


def draft_reply(
    categories: Iterable[str],
    physician_name: str,
    practice_name: str,
    contact: str,
    *,
    rating: float | None = None,
    templates: Mapping[str, ReplyTemplate] | None = None,
) -> str | None:
    """The approved reply an email offers next to the Respond link, or None when none may be.

    None for harm or legal reviews (routed to risk management; nobody replies publicly) and
    for a draft that fails `check_reply` (an organisation's own template could).
    """
    names = list(categories)
    if set(names).intersection(RISK_FLAGS):
        return None
    text = suggest_reply("", names, physician_name, practice_name, contact, rating=rating,
                         templates=templates)  # fmt: skip
    return None if check_reply(text, [physician_name, practice_name, contact]) else text


def reply_categories(classification: Any | None) -> list[str]:
    """What a stored classification says to a reply: its categories and flags, or positive."""
    if classification is None:
        return []
    names = [n for n in (*CATEGORIES, *FLAGS) if getattr(classification, n)]
    if classification.label == "positive" and not classification.negative:
        names.append("positive")
    return names


@dataclass(frozen=True)
class ReplyPlan:
    """The reply suggested for one review: the template, its text and what the check found."""

    categories: tuple[str, ...]
    template: str
    text: str
    findings: tuple[Finding, ...]

    @property
    def routed_to_risk(self) -> bool:
        """Harm, legal or PHI: nobody replies publicly; risk management handles it."""
        return self.template == "safety"


def plan_reply(
    categories: Sequence[str],
    rating: float | None,
    physician_name: str,
    practice_name: str,
    contact: str,
    templates: Mapping[str, ReplyTemplate] | None = None,
) -> ReplyPlan:
    """The approved reply for a review of these categories, checked for PHI (names allowed)."""
    text = suggest_reply(
        "", categories, physician_name, practice_name, contact, rating=rating, templates=templates
    )
    findings = check_reply(text, [physician_name, practice_name, contact])
    return ReplyPlan(tuple(categories), choose_template(categories, rating), text, tuple(findings))
