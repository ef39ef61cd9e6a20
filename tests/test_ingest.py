import csv
import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from reputation.imports.ingest import ingest_file
from reputation.imports.roster import apply_roster, parse_roster
from reputation.storage.db import Database
from reputation.storage.models import Review
from reputation.storage.queries import ReviewFilter, iter_reviews
from tests.conftest import NOW
from tests.factories import review_records, roster_csv, write_jsonl


def _roster(db: Database, n: int = 20) -> None:
    with db.transaction() as s:
        apply_roster(s, parse_roster(roster_csv(n)))


def test_jsonl_twice_adds_once(db: Database, tmp_path: Path) -> None:
    _roster(db)
    path = write_jsonl(tmp_path / "r.jsonl", review_records(2500, 20))
    first = ingest_file(db, path, NOW)
    assert (first.tally.new, first.tally.rejected) == (2500, 0)
    second = ingest_file(db, path, NOW)
    assert (second.tally.new, second.tally.unchanged, second.tally.updated) == (0, 2500, 0)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Review)) == 2500


def test_bad_lines_are_rejected_with_line_and_reason(db: Database, tmp_path: Path) -> None:
    _roster(db)
    records = review_records(5, 20)
    records[1]["rating"] = 9
    records[3]["npi"] = "1234567893"
    path = write_jsonl(tmp_path / "r.jsonl", records)
    with path.open("a") as handle:
        handle.write("{not json\n")
    report = ingest_file(db, path, NOW)
    assert (report.tally.new, report.tally.rejected) == (3, 3)
    assert "line 2: rating: rating 9 outside 0..5" in report.problems
    assert "line 4: npi/profile_url: 1234567893 is not in the roster" in report.problems
    assert any(p.startswith("line 6: not valid JSON") for p in report.problems)


def test_a_date_without_a_time_is_stored_as_a_date(db: Database, tmp_path: Path) -> None:
    _roster(db)
    records = review_records(3, 20)
    records[0]["published_at"] = "2026-11-06"
    records[1]["published_at"] = "Nov 06, 2026"
    records[2]["published_at"] = "2026-11-06T00:00:00+00:00"  # a time, which is midnight
    assert ingest_file(db, write_jsonl(tmp_path / "r.jsonl", records), NOW).tally.new == 3
    with db.session() as s:
        stored = s.execute(select(Review.published_at, Review.published_date_only)).all()
        exported = [r["published_at"] for r in iter_reviews(s, ReviewFilter(), "any")]
    midnight = datetime(2026, 11, 6, tzinfo=UTC)
    assert sorted(stored) == [(midnight, False), (midnight, True), (midnight, True)]
    # An export gives the date alone, so it imports back as a date.
    assert sorted(exported) == ["2026-11-06", "2026-11-06", "2026-11-06T00:00:00+00:00"]


def test_csv_with_subratings_and_missing_ids(db: Database, tmp_path: Path) -> None:
    _roster(db)
    path = tmp_path / "r.csv"
    records = review_records(3, 20)
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(records[0]))
        writer.writeheader()
        for r in records:
            writer.writerow({**r, "external_id": "", "subratings": json.dumps(r["subratings"])})
    assert ingest_file(db, path, NOW).tally.new == 3
    assert ingest_file(db, path, NOW).tally.unchanged == 3  # content-hash ids are stable
    with db.session() as s:
        review = s.scalar(select(Review).limit(1))
        assert review is not None and review.external_id.startswith("h:")
        assert set(review.subratings) == {"staff", "knowledge"}


def test_cli_exits_1_when_every_record_is_rejected(workdir: Path) -> None:
    from click.testing import CliRunner

    from repmon.cli import main

    bad = workdir / "bad.jsonl"
    write_jsonl(bad, [{**r, "rating": 9} for r in review_records(3, 20)])
    assert CliRunner().invoke(main, ["roster", "import", _roster_file(workdir)]).exit_code == 0
    result = CliRunner().invoke(main, ["ingest", str(bad)])
    assert result.exit_code == 1, result.output
    assert (
        f"error: nothing imported: all 3 records of {bad} were rejected; "
        "fix the reasons above and run again"
    ) in " ".join(result.output.split())
    good = write_jsonl(workdir / "good.jsonl", review_records(3, 20))
    with good.open("a") as handle:
        handle.write("{not json\n")
    result = CliRunner().invoke(main, ["ingest", str(good)])
    assert result.exit_code == 0, result.output  # some imported: the rejects are listed
    assert "3 new" in result.output and "1 rejected" in result.output


def _roster_file(folder: Path) -> str:
    path = folder / "roster.csv"
    path.write_text(roster_csv(20), encoding="utf-8")
    return str(path)
