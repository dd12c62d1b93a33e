"""`cme import schools FILE`: an operator loads the GIAS establishment CSV, and the forms find schools in it."""

import csv
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from shared.models import AuditEvent, School, User
from shared.queries import search_schools
from shared.services import audit
from shared.services import schools as school_service
from tests.conftest import a_school

SAMPLE = Path(__file__).parent / "fixtures" / "gias_sample.csv"
SAMPLE_URNS = [990101, 990103, 990104, 990105, 990106, 990107, 990108]


def import_schools(app, path: Path):
    return app.test_cli_runner().invoke(args=["import", "schools", str(path)])


def sample_with(tmp_path: Path, changes: dict | None = None, new_rows: list[dict] = ()) -> Path:
    """A copy of the sample file, Windows-1252 as GIAS publishes it, with some schools' columns changed (by URN)
    and rows added (each a copy of a sample school, named by "like", with some columns changed)."""
    with SAMPLE.open(encoding="cp1252", newline="") as sample:
        header, *rows = list(csv.reader(sample))
    by_urn = {int(row[0]): dict(zip(header, row, strict=True)) for row in rows}
    for urn, columns in (changes or {}).items():
        by_urn[urn].update(columns)
    added = [{**by_urn[row["like"]], **row} for row in new_rows]
    path = tmp_path / "edubasealldata.csv"
    with path.open("w", encoding="cp1252", newline="") as out:
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows([row[column] for column in header] for row in [*by_urn.values(), *added])
    return path


def count_schools(db) -> int:
    return db.scalar(select(func.count()).select_from(School))


def import_events(db) -> list[tuple[str, dict]]:
    return [
        (audit_event.actor_label, audit_event.after)
        for audit_event in db.scalars(select(AuditEvent).where(AuditEvent.action == "import").order_by(AuditEvent.id))
    ]


def test_an_operator_loads_the_register_from_the_gias_file(app, db):
    result = import_schools(app, SAMPLE)

    assert result.exit_code == 0, result.output
    assert result.output == "Imported 7 schools: 7 created, 0 updated, 0 unchanged.\n"
    assert list(db.scalars(select(School.urn).order_by(School.urn))) == SAMPLE_URNS
    st_marys = db.scalar(select(School).where(School.urn == 990103))
    assert (
        st_marys.la_code,
        st_marys.establishment_number,
        st_marys.laestab,
        st_marys.name,
        st_marys.establishment_type,
        st_marys.type_group,
        st_marys.phase,
        st_marys.status,
        st_marys.statutory_low_age,
        st_marys.statutory_high_age,
        st_marys.street,
        st_marys.town,
        st_marys.postcode,
        st_marys.open_date,
        st_marys.close_date,
    ) == (
        "999",
        "3301",
        "9993301",
        "St Mary’s Church of England Primary School",
        "Voluntary aided school",
        "Local authority maintained schools",
        "Primary",
        "Open",
        4,
        11,
        "Church Street",
        "Northbridge",
        "NB2 4DE",
        None,
        None,
    )
    old_mill = db.scalar(select(School).where(School.urn == 990105))
    assert (old_mill.status, old_mill.open_date, old_mill.close_date) == ("Closed", date(1965, 9, 1), date(2019, 8, 31))
    college = db.scalar(select(School).where(School.urn == 990108))
    assert (college.establishment_number, college.laestab, college.statutory_low_age, college.postcode) == (
        None,
        None,
        None,
        None,
    )
    assert [school.urn for school in db.scalars(select(School)) if school.is_independent] == [990107]
    assert import_events(db) == [
        ("command line", {"source": "gias_sample.csv", "created": 7, "updated": 0, "unchanged": 0})
    ]


def test_a_new_file_updates_schools_by_urn_and_keeps_their_users(app, db, users, school, tmp_path):
    school_id = school.id

    first = import_schools(app, SAMPLE)
    assert first.output == "Imported 7 schools: 6 created, 1 updated, 0 unchanged.\n"
    again = import_schools(app, SAMPLE)
    assert again.output == "Imported 7 schools: 0 created, 0 updated, 7 unchanged.\n"

    closing = sample_with(
        tmp_path,
        {
            990103: {
                "EstablishmentStatus (code)": "2",
                "EstablishmentStatus (name)": "Closed",
                "CloseDate": "31-08-2025",
            }
        },
        [
            {
                "like": 990104,
                "URN": "990109",
                "EstablishmentNumber": "4009",
                "EstablishmentName": "Northbridge Sixth Form",
            }
        ],
    )
    third = import_schools(app, closing)
    assert third.exit_code == 0, third.output
    assert third.output == "Imported 8 schools: 1 created, 1 updated, 6 unchanged.\n"

    db.expire_all()
    assert count_schools(db) == 9  # the 8 in the file and Riverside Junior, which the file does not mention
    st_marys = db.scalar(select(School).where(School.urn == 990103))
    assert (st_marys.status, st_marys.close_date) == ("Closed", date(2025, 8, 31))
    millfield = db.scalar(select(School).where(School.urn == 990101))
    assert (millfield.id, millfield.town, millfield.open_date) == (school_id, "Northbridge", date(1974, 9, 1))
    assert db.scalar(select(User.school_id).where(User.email == "school@northbridge.example")) == school_id
    assert db.scalar(select(School.name).where(School.urn == 990102)) == "Riverside Junior School"  # not in file
    assert [after for _label, after in import_events(db)] == [
        {"source": "gias_sample.csv", "created": 6, "updated": 1, "unchanged": 0},
        {"source": "gias_sample.csv", "created": 0, "updated": 0, "unchanged": 7},
        {"source": "edubasealldata.csv", "created": 1, "updated": 1, "unchanged": 6},
    ]


def statements_run(app, command):
    """The first word of each SQL statement sent while the command runs."""
    statements = []
    engine = app.extensions["cme.database"].engine

    def listener(_connection, _cursor, statement, *_args):
        statements.append(statement.split()[0])

    event.listen(engine, "before_cursor_execute", listener)
    try:
        result = command()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return result, statements


def joining_the_audit_chain(app) -> list[str]:
    """One audit event's statements: lock the chain's head (SQLite takes its write lock with an UPDATE first),
    read it, move the head on, insert the event."""
    sqlite = app.extensions["cme.database"].engine.dialect.name == "sqlite"
    return [*(["UPDATE"] if sqlite else []), "SELECT", "UPDATE", "INSERT"]


def test_the_register_is_read_once_however_many_rows_the_file_has(app, db, tmp_path, monkeypatch):
    monkeypatch.setattr(school_service, "BATCH_SIZE", 100)
    more = [{"like": 990101, "URN": str(980000 + n), "EstablishmentNumber": f"{n:04d}"} for n in range(250)]
    big = sample_with(tmp_path, new_rows=more)
    audit.record(db, None, "viewed", "school", None)  # the chain's head row exists, as on any database in use
    db.commit()

    created, statements = statements_run(app, lambda: import_schools(app, big))

    assert created.output == "Imported 257 schools: 257 created, 0 updated, 0 unchanged.\n"
    # The read, 3 batches, then the audit event joining the chain at the commit.
    assert statements == ["SELECT", "INSERT", "INSERT", "INSERT", *joining_the_audit_chain(app)]

    renamed = sample_with(tmp_path, new_rows=[{**row, "EstablishmentName": f"School {row['URN']}"} for row in more])
    updated, statements = statements_run(app, lambda: import_schools(app, renamed))

    assert updated.output == "Imported 257 schools: 0 created, 250 updated, 7 unchanged.\n"
    assert statements == ["SELECT", "UPDATE", "UPDATE", "UPDATE", *joining_the_audit_chain(app)]
    assert db.scalar(select(School.name).where(School.urn == 980249)) == "School 980249"


def test_a_bad_row_stores_nothing_even_after_rows_were_written(app, db, tmp_path, monkeypatch):
    monkeypatch.setattr(school_service, "BATCH_SIZE", 2)
    bad = sample_with(tmp_path, {990105: {"CloseDate": "31-13-2019"}})

    result = import_schools(app, bad)

    assert result.exit_code == 1
    assert result.output == (
        "Error: The file has 1 problem:\n"
        "Line 5, CloseDate: must be a date written dd-mm-yyyy, like 01-09-2015, not '31-13-2019'\n"
        "Nothing was imported.\n"
    )
    assert count_schools(db) == 0
    assert import_events(db) == []


def test_a_file_without_the_gias_columns_is_refused(app, db, tmp_path):
    wrong = tmp_path / "pupils.csv"
    wrong.write_text("UPN,Forename,Surname\nA123456789012,Sam,Smith\n")

    result = import_schools(app, wrong)

    assert result.exit_code == 1
    assert result.output == (
        "Error: The file is not a GIAS establishment CSV: it has no columns 'URN', 'LA (code)', "
        "'EstablishmentNumber', 'EstablishmentName', 'TypeOfEstablishment (name)', 'EstablishmentTypeGroup (name)', "
        "'EstablishmentStatus (name)', 'OpenDate', 'CloseDate', 'PhaseOfEducation (name)', 'StatutoryLowAge', "
        "'StatutoryHighAge', 'Street', 'Town', 'Postcode'\n"
        "Nothing was imported.\n"
    )
    assert count_schools(db) == 0


def test_a_file_that_is_not_there_is_named(app, tmp_path):
    result = import_schools(app, tmp_path / "missing.csv")
    assert result.exit_code == 2
    assert "File '" in result.output and "missing.csv' does not exist." in result.output


@pytest.fixture
def register(app, db):
    assert import_schools(app, SAMPLE).exit_code == 0
    return db


def names(schools) -> list[str]:
    return [school.name for school in schools]


def test_a_search_finds_names_with_every_word_in_any_case_and_order(register):
    assert names(search_schools(register, "school PRIMARY")) == [
        "Millfield Primary School",
        "St Mary’s Church of England Primary School",
    ]
    assert names(search_schools(register, "mary")) == ["St Mary’s Church of England Primary School"]  # not Primary
    assert names(search_schools(register, "prim")) == [
        "Millfield Primary School",
        "St Mary’s Church of England Primary School",
    ]
    assert names(search_schools(register, "st mary's")) == ["St Mary’s Church of England Primary School"]
    assert names(search_schools(register, "church of scotland")) == []


def test_a_search_by_urn_finds_that_school(register):
    assert names(search_schools(register, " 990104 ")) == ["Northbridge Academy"]
    assert names(search_schools(register, "99010")) == []
    assert names(search_schools(register, "9" * 30)) == []


def test_a_search_by_town_puts_open_schools_first_then_by_name(register):
    assert names(search_schools(register, "northbridge")) == [
        "Millfield Primary School",
        "Northbridge Academy",
        "Northbridge College",
        "St Mary’s Church of England Primary School",
        "Old Mill Junior School",
    ]
    assert names(search_schools(register, "Eastwick")) == ["Hollins Hall School", "Riverside Free School"]
    assert names(search_schools(register, "mill")) == ["Millfield Primary School", "Old Mill Junior School"]
    assert names(search_schools(register, "primary eastwick")) == []
    assert names(search_schools(register, "academy northbridge")) == ["Northbridge Academy"]
    assert names(search_schools(register, "northbridge", limit=2)) == [
        "Millfield Primary School",
        "Northbridge Academy",
    ]


def test_names_sort_the_same_on_every_database(register):
    for urn, number, name in [(990110, "2110", "Stanley Grove Primary"), (990111, "2111", "St Anne’s Primary")]:
        register.add(a_school(urn, number, name, "NB4 1AB"))
    register.commit()
    assert names(search_schools(register, "primary")) == [
        "Millfield Primary School",
        "St Anne’s Primary",
        "St Mary’s Church of England Primary School",
        "Stanley Grove Primary",
    ]


def test_an_empty_or_wildcard_search_finds_nothing(register):
    assert search_schools(register, "") == []
    assert search_schools(register, "   ") == []
    assert search_schools(register, "%") == []
    assert search_schools(register, "_") == []
