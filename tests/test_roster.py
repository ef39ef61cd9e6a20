import pytest
from sqlalchemy import func, select

from reputation.errors import InputError
from reputation.imports.npi import npi_problem, with_check_digit
from reputation.imports.roster import apply_roster, parse_roster
from reputation.storage.db import Database
from reputation.storage.models import Physician, Practice, Profile
from tests.factories import npi, roster_csv


def test_npi_check_digit() -> None:
    assert npi_problem("1234567893") is None
    assert "check digit" in (npi_problem("1234567890") or "")
    assert "10 digits" in (npi_problem("12345") or "")
    assert npi_problem(with_check_digit("987654321")) is None


def test_import_2000_and_reimport_changes_nothing(db: Database) -> None:
    rows = parse_roster(roster_csv(2000))
    with db.transaction() as s:
        tally = apply_roster(s, rows)
    assert (tally.added, tally.updated, tally.practices_added) == (2000, 0, 3)
    with db.transaction() as s:
        again = apply_roster(s, parse_roster(roster_csv(2000)))
    assert (again.added, again.updated, again.unchanged) == (0, 0, 2000)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Physician)) == 2000
        assert s.scalar(select(func.count()).select_from(Profile)) == 4000
        assert s.scalar(select(func.count()).select_from(Practice)) == 3


def test_updated_file_updates_in_place(db: Database) -> None:
    with db.transaction() as s:
        apply_roster(s, parse_roster(roster_csv(5)))
    changed = roster_csv(5).replace("Cardiology", "Nephrology", 1)
    with db.transaction() as s:
        tally = apply_roster(s, parse_roster(changed))
    assert (tally.added, tally.updated, tally.unchanged) == (0, 1, 4)
    with db.session() as s:
        p = s.scalar(select(Physician).where(Physician.npi == npi(0)))
        assert p is not None and p.specialty == "Nephrology"
        assert p.aliases == ["Ana Abara", "Dr Abara"]


def test_three_broken_rows_import_nothing_and_are_named(db: Database) -> None:
    text = roster_csv(
        50,
        broken={
            4: ("npi", "1234567890"),
            17: ("name", ""),
            30: ("ratemds", "not a url"),
        },
    )
    with pytest.raises(InputError) as info:
        parse_roster(text)
    message = str(info.value)
    assert "line 6: npi: NPI 1234567890 fails the check digit" in message
    assert "line 19: name: required, but empty" in message
    assert "line 32: ratemds: 'not a url' is not an http(s) URL" in message
    assert len(info.value.problems) == 3
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Physician)) == 0


def test_header_problems() -> None:
    with pytest.raises(InputError, match="line 1: facebook: unknown column"):
        parse_roster("npi,name,facebook\n")
    with pytest.raises(InputError, match="line 1: npi: required column is missing"):
        parse_roster("name\nDr X\n")


def test_duplicate_npi_is_named() -> None:
    text = roster_csv(3)
    lines = text.splitlines()
    with pytest.raises(InputError, match="line 5: npi: .* is also on line 2"):
        parse_roster("\n".join([*lines, lines[1]]) + "\n")


def test_control_characters_are_refused_with_line_and_field() -> None:
    # A NUL used to reach PostgreSQL and fail the whole import with a DataError traceback.
    text = roster_csv(5, broken={1: ("name", "Dr. Ann\x00 Lee"), 3: ("specialty", "\x1b[2Jx")})
    with pytest.raises(InputError) as info:
        parse_roster(text)
    message = str(info.value)
    assert "line 3: name: contains a control character" in message
    assert "line 5: specialty: contains a control character" in message
