"""The demo's checks themselves: a practice alert that folds in the planted physician fails."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from repmon.demo import DemoReport, _check
from reputation.imports.roster import apply_roster, parse_roster
from reputation.storage.db import Database
from reputation.storage.models import Alert, Physician
from tests.factories import npi, roster_csv


def _alert(kind: str, entity: str, fp: str) -> Alert:
    labels = {"kind": kind, "entity": entity, "category": "all", "window": "14d"}
    return Alert(fingerprint=fp, kind=kind, labels=labels, state="firing", annotations={})


def test_the_planted_cluster_check_needs_the_physicians_own_alert(
    db: Database, tmp_path: Path
) -> None:
    with db.transaction() as s:
        apply_roster(s, parse_roster(roster_csv(6)))
    with db.session() as s:
        doc = {p.npi: p for p in s.scalars(select(Physician))}
        cluster, harm = doc[npi(0)], doc[npi(1)]
        practice_id = cluster.practice_id
        practice_name = cluster.practice.name if cluster.practice else ""
    truth = {
        "cluster": {"npi": npi(0), "practice": practice_name},
        "harm": {"npi": npi(1)},
        "near_misses": {"busy": {"npi": npi(2)}, "angry": {"npi": npi(3)}},
    }
    harm_alert = _alert("immediate", f"physician:{harm.id}", "h")

    def checks(alerts: list[Alert], held: set[str]) -> dict[str, bool]:
        report = DemoReport(tmp_path, alerts=alerts, held=held)
        _check(report, truth, db)  # type: ignore[arg-type]
        return {text.split(" (")[0]: ok for ok, text in report.checks}

    only_practice = checks([_alert("cluster", f"practice:{practice_id}", "p"), harm_alert], set())
    assert not only_practice[f"cluster found on {cluster.name}"]
    assert not only_practice["no cluster anywhere else"]
    own = checks(
        [
            _alert("cluster", f"physician:{cluster.id}", "c"),
            _alert("cluster", f"practice:{practice_id}", "p"),
            harm_alert,
        ],
        {"p"},  # the practice held under the physician's alert, as context
    )
    assert own[f"cluster found on {cluster.name}"] and own["no cluster anywhere else"]
    missed = checks(
        [
            _alert("cluster", f"physician:{cluster.id}", "c"),
            _alert("cluster", f"physician:{doc[npi(2)].id}", "b"),
            harm_alert,
        ],
        set(),
    )
    near = next(ok for text, ok in missed.items() if text.startswith("no cluster or rating"))
    assert not near
