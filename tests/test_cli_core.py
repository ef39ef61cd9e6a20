"""The foundation commands as a user runs them, on a fresh database."""

import json
from pathlib import Path

from click.testing import CliRunner

from repmon.cli import main
from tests.factories import review_records, roster_csv, write_jsonl


def run(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def test_init_roster_ingest_reviews(workdir: Path) -> None:
    assert "migrated from empty" in run("init").output
    assert "up to date" in run("init").output
    (workdir / "roster.csv").write_text(roster_csv(30))
    out = run("roster", "import", "roster.csv")
    assert out.exit_code == 0 and "30 added" in out.output
    assert "30 unchanged" in run("roster", "import", "roster.csv").output
    listed = [json.loads(line) for line in run("roster", "list", "--json").output.splitlines()]
    assert len(listed) == 30 and listed[0]["profiles"]["google"].startswith("place")
    write_jsonl(workdir / "r.jsonl", review_records(300, 30))
    out = run("ingest", "r.jsonl", "--now", "2026-11-23T00:00:00Z")
    assert "300 new" in out.output, out.output
    assert "300 unchanged" in run("ingest", "r.jsonl").output
    rows = [json.loads(x) for x in run("reviews", "--json").output.splitlines()]
    assert len(rows) == 300
    assert rows[0]["published_at"] >= rows[-1]["published_at"]
    npi = listed[0]["npi"]
    mine = [json.loads(x) for x in run("reviews", "--physician", npi, "--json").output.splitlines()]
    assert mine and all(r["npi"] == npi for r in mine)
    csv_out = run("reviews", "--csv", "--since", "2026-01-01").output.splitlines()
    assert csv_out[0].startswith("id,source,external_id")
    table = run("reviews", "--limit", "5").output
    assert "5 of 300 shown" in table


def test_broken_roster_names_lines_and_imports_nothing(workdir: Path) -> None:
    (workdir / "roster.csv").write_text(
        roster_csv(40, broken={2: ("npi", "123"), 9: ("name", ""), 20: ("google", "bad id!")})
    )
    result = CliRunner().invoke(main, ["roster", "import", "roster.csv"])
    assert result.exit_code == 2
    assert "3 bad rows, nothing imported" in result.output
    for line in ("line 4: npi", "line 11: name", "line 22: google"):
        assert line in result.output
    assert run("roster", "list", "--json").output == ""


def test_config_show_masks_secrets(workdir: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("REPMON_SMTP_PASSWORD", "very-secret-pw")
    out = run("config", "show", "--json").output
    data = json.loads(out)
    assert data["smtp.password"] == {"value": "********", "origin": "REPMON_SMTP_PASSWORD"}
    assert "very-secret-pw" not in out
    assert "very-secret-pw" not in run("config", "show").output


def test_config_show_says_where_relative_paths_resolve(workdir: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    conf = workdir / "etc" / "repmon.toml"
    conf.parent.mkdir()
    conf.write_text('data_dir = "data"\n[mail]\nmaildir = "outbox-mail"\n')
    monkeypatch.setenv("REPMON_DATABASE_URL", "postgresql+psycopg://ops:hunter2@db/repmon")
    out = " ".join(run("--config", str(conf), "config", "show").output.split())
    assert f"relative paths resolve against {conf.resolve()}'s folder" in out, out
    assert f"data_dir {conf.parent.resolve() / 'data'}" in out
    assert f"mail.maildir {conf.parent.resolve() / 'outbox-mail'}" in out
    assert "database postgresql+psycopg://ops:***@db/repmon" in out and "hunter2" not in out


def test_errors_are_one_clear_line(workdir: Path) -> None:
    result = CliRunner().invoke(main, ["reviews", "--physician", "1234567893"])
    assert result.exit_code == 2
    assert "no physician with NPI 1234567893" in result.output
    result = CliRunner().invoke(main, ["ingest", "missing.jsonl"])
    assert result.exit_code == 2 and "no such file" in result.output
    result = CliRunner().invoke(main, ["ingest", "x.jsonl", "--now", "yesterday"])
    assert result.exit_code == 2 and "not an ISO 8601 time" in result.output


def test_crawl_url_that_is_no_http_url_is_refused_before_any_run(workdir: Path) -> None:
    assert run("init").exit_code == 0
    for bad in ("notaurl", "ftp://example.org/x.html", "http://", "http://[::1"):
        result = CliRunner().invoke(main, ["crawl", "ratemds", "--url", bad])
        assert result.exit_code == 2, result.output
        assert " ".join(result.output.split()) == f"error: --url: not an http(s) URL: {bad}"
    assert "ratemds" not in run("crawls", "--json").output  # no run recorded


def test_schema_behind_is_refused(workdir: Path) -> None:
    from sqlalchemy import text

    from reputation.storage.db import Database

    run("init")
    import os

    db = Database(os.environ["REPMON_DATABASE_URL"])
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0000'"))
    db.dispose()
    result = CliRunner().invoke(main, ["roster", "list"])
    assert result.exit_code == 2
    assert "run `repmon init`" in result.output


def test_reviews_unanswered_lists_those_without_an_owner_response(workdir: Path) -> None:
    (workdir / "roster.csv").write_text(roster_csv(3))
    assert run("roster", "import", "roster.csv").exit_code == 0
    records = review_records(6, 3)
    for r in records[:4]:
        r["response_text"] = "Thank you, please call our office."
        r["response_at"] = "2026-06-01T00:00:00+00:00"
    write_jsonl(workdir / "r.jsonl", records)
    assert "6 new" in run("ingest", "r.jsonl", "--now", "2026-11-23T00:00:00Z").output
    rows = [json.loads(x) for x in run("reviews", "--unanswered", "--json").output.splitlines()]
    assert sorted(r["external_id"] for r in rows) == ["r4", "r5"]
    assert all(r["response_text"] == "" for r in rows)
    assert "2 of 2 shown" in run("reviews", "--unanswered").output


def test_reviews_category_lists_complaints_not_praise_that_names_it(workdir: Path) -> None:
    (workdir / "roster.csv").write_text(roster_csv(2))
    assert run("roster", "import", "roster.csv").exit_code == 0
    records = review_records(2, 2)
    records[0].update(rating=1, text="The front desk was rude and the bill was wrong twice.")
    records[1].update(rating=5, text="Great doctor. The billing was exactly what they quoted.")
    write_jsonl(workdir / "r.jsonl", records)
    assert "2 new" in run("ingest", "r.jsonl", "--now", "2026-11-23T00:00:00Z").output
    assert run("reclassify").exit_code == 0
    every = [json.loads(x) for x in run("reviews", "--json").output.splitlines()]
    assert all("service" in r["categories"] for r in every)  # both name billing or the desk
    rows = [
        json.loads(x) for x in run("reviews", "--category", "service", "--json").output.splitlines()
    ]
    assert [r["external_id"] for r in rows] == ["r0"]


def test_a_bad_setting_stops_config_show_and_every_command_before_any_work(
    workdir: Path,
) -> None:
    (workdir / "repmon.toml").write_text('[alerts.cluster]\nwindows = "14,abc"\n')
    expected = (
        f"error: {workdir / 'repmon.toml'}: alerts.cluster.windows must be comma-separated "
        "whole numbers of days above 0, each once (e.g. 14,30,90), got '14,abc'"
    )
    for command in (["config", "show"], ["alerts", "evaluate"]):
        result = CliRunner().invoke(main, command)
        assert result.exit_code == 2, result.output
        assert " ".join(result.output.split()) == expected
