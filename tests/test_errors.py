"""Errors a user can act on: one line saying what is wrong and what to do, never a traceback."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from repmon.cli import main
from tests.factories import npi, roster_csv

USE = "use sqlite:////absolute/path/repmon.db or postgresql+psycopg://USER:PASSWORD@HOST/DBNAME"


def _fails(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    return " ".join(result.output.split())


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "nonsense://",
            "error: database.url (REPMON_DATABASE_URL): nonsense:// names an unknown kind of "
            f"database 'nonsense'; {USE}",
        ),
        (
            "mysql://repmon:s3cret@db.example/repmon",
            "error: database.url (REPMON_DATABASE_URL): the driver of mysql:// (MySQLdb) is not "
            f"installed; repmon runs on SQLite and PostgreSQL: {USE}",
        ),
        (
            "repmon.db",
            f"error: database.url (REPMON_DATABASE_URL): 'repmon.db' is not a database URL; {USE}",
        ),
        (
            "sqlite:////nonexistent/dir/x.db",
            "error: database.url (REPMON_DATABASE_URL): the folder /nonexistent/dir does not "
            "exist; create it, or correct the path",
        ),
    ],
)
def test_a_bad_database_url_is_one_line(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, url: str, message: str
) -> None:
    monkeypatch.setenv("REPMON_DATABASE_URL", url)
    for command in (["status"], ["init"], ["reviews"]):
        assert _fails(*command) == message
    assert not Path("/nonexistent").exists()


def test_an_unreachable_database_says_where_and_what_to_check(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("psycopg")
    monkeypatch.setenv("REPMON_DATABASE_URL", "postgresql+psycopg://repmon:s3cret@127.0.0.1:1/none")
    out = _fails("status")
    assert out.startswith(
        "error: cannot connect to the database postgresql+psycopg://repmon:***@127.0.0.1:1/none: "
    )
    assert "Connection refused" in out or "connection failed" in out, out
    assert out.endswith(". Check database.url (REPMON_DATABASE_URL) and that the database is up")
    assert "s3cret" not in out


def test_a_data_dir_without_a_database_is_refused_until_init(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REPMON_DATABASE_URL")
    folder = workdir / "elsewhere"
    monkeypatch.setenv("REPMON_DATA_DIR", str(folder))
    assert _fails("reviews") == (
        f"error: no database in {folder} (data_dir, from REPMON_DATA_DIR): run `repmon init` "
        "to create one there, or point data_dir at the folder that holds repmon.db"
    )
    assert not folder.exists()
    assert CliRunner().invoke(main, ["init"]).exit_code == 0
    assert (folder / "repmon.db").exists()
    assert CliRunner().invoke(main, ["reviews"]).exit_code == 0


def test_a_database_url_naming_no_file_is_refused_until_init(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = workdir / "nofile.db"  # a typo of the real name
    monkeypatch.setenv("REPMON_DATABASE_URL", f"sqlite:///{file}")
    for command in (["status"], ["roster", "list"], ["reviews"], ["alerts", "evaluate"]):
        assert _fails(*command) == (
            f"error: no database at {file} (database.url, from REPMON_DATABASE_URL): "
            "run `repmon init` to create it there, or correct the path"
        )
    assert not file.exists()
    assert CliRunner().invoke(main, ["init"]).exit_code == 0
    assert CliRunner().invoke(main, ["roster", "list"]).exit_code == 0
    monkeypatch.setenv("REPMON_DATABASE_URL", "sqlite://")  # in memory: nothing to misspell
    assert CliRunner().invoke(main, ["roster", "list"]).exit_code == 0


def test_the_default_data_dir_is_created_on_first_use(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REPMON_DATABASE_URL")
    assert CliRunner().invoke(main, ["reviews"]).exit_code == 0
    assert (workdir / "repmon-data" / "repmon.db").exists()


def test_crawl_with_no_profiles_says_there_is_nothing_to_crawl(workdir: Path) -> None:
    assert _fails("crawl", "ratemds") == (
        "error: nothing to crawl: no ratemds profiles; import a roster with profile URLs "
        "(`repmon roster import`)"
    )
    assert _fails("crawl") == (
        "error: nothing to crawl: no profiles; import a roster with profile URLs "
        "(`repmon roster import`)"
    )
    (workdir / "roster.csv").write_text(roster_csv(2), encoding="utf-8")  # ratemds and google
    assert CliRunner().invoke(main, ["roster", "import", "roster.csv"]).exit_code == 0
    assert _fails("crawl", "healthgrades", "yelp", "--physician", npi(1)) == (
        f"error: nothing to crawl: no healthgrades/yelp profiles of physician {npi(1)}; "
        "import a roster with profile URLs (`repmon roster import`)"
    )


def test_the_demo_never_replaces_a_folder_it_did_not_make(workdir: Path) -> None:
    (workdir / "notes").mkdir()
    (workdir / "notes" / "keep.txt").write_text("mine", encoding="utf-8")
    assert _fails("demo", "--out", "notes") == (
        f"error: {workdir / 'notes'} is not empty and holds no earlier demo; the demo replaces "
        "its folder, so give --out a new or empty folder"
    )
    assert (workdir / "notes" / "keep.txt").read_text(encoding="utf-8") == "mine"
