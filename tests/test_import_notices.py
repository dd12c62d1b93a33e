"""`cme import notices FILE --school URN --as EMAIL`: an operator sends a school's file of notices from the command
line, read exactly as the web upload reads it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from shared.models import NoticeUpload, SchoolNotice
from shared.services import users as user_service
from tests.conftest import PASSWORD, a_school, make_app

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLE = FIXTURES / "notices_sample.csv"
SAMPLE_PROBLEMS = (
    "Line 3, Destination school (LAESTAB): no school with LAESTAB 8014001 is in the schools register\n"
    "Line 10, Notice type: Only an independent school sends independent_admission notices: send a joiner notice "
    "instead\n"
    "6 notices can be sent (4 for the CME team to act on); 2 rows have problems and will not be sent.\n"
)


def import_notices(app, path: Path, *options: str, urn: str = "990101", email: str = "school@northbridge.example",
                   answer: str | None = None):  # fmt: skip
    args = ["import", "notices", str(path), "--school", urn, "--as", email, *options]
    return app.test_cli_runner().invoke(args=args, input=answer)


def count(db, model) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model))


def test_an_operator_sends_a_schools_file_and_sees_what_was_stored(app, db, users, mailbox):
    result = import_notices(app, SAMPLE, "--yes")

    assert result.exit_code == 0, result.output
    notices = db.scalars(select(SchoolNotice).order_by(SchoolNotice.id)).all()
    [batch] = {notice.batch_reference for notice in notices}
    assert result.output == (
        SAMPLE_PROBLEMS
        + "Storing notices\n"  # the progress bar, which shows only its label when not on a terminal
        + f"Stored 6 notices in batch {batch}.\n"
        + "Routed to the CME team: 4\n"
        + "Attached to open cases: 0\n"
        + "Late joiners (more than 5 school days): 1\n"
        + "Rows refused: 2\n"
    )
    assert sorted(notice.pupil_first_name for notice in notices) == ["Amira", "Isla", "Leo", "Lily", "Mia", "Noah"]
    assert {notice.submitted_by_id for notice in notices} == {users["school"].id}
    upload = db.scalars(select(NoticeUpload)).one()
    assert (upload.status, upload.content, upload.batch_reference, upload.notices_sent) == ("sent", b"", batch, 6)
    [email] = mailbox.wait_for(1)
    assert (email["To"], email["Subject"]) == ("school@northbridge.example", f"6 notices received: {batch}")


def test_without_yes_the_operator_is_asked_after_seeing_the_problems(app, db, users):
    declined = import_notices(app, SAMPLE, answer="n\n")

    assert declined.exit_code == 1
    assert declined.output == (
        SAMPLE_PROBLEMS
        + "Send 6 notices from Millfield Primary School as school@northbridge.example? [y/N]: n\n"
        + "Error: Nothing was stored.\n"
    )
    assert count(db, SchoolNotice) == 0
    assert [(u.status, u.content) for u in db.scalars(select(NoticeUpload))] == [("discarded", b"")]

    accepted = import_notices(app, SAMPLE, answer="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert "Storing notices" in accepted.output
    assert count(db, SchoolNotice) == 6


def test_a_ctf_takes_the_ground_given_for_leavers_whose_next_school_is_not_known(app, db, users):
    riverside = a_school(109001, "2001", "Riverside Primary School", "BA2 6AA")
    riverside.la_code = "800"
    db.add(riverside)
    db.commit()
    user_service.create_user(db, "office@riverside.example", "Office", "school", PASSWORD, school_urn=109001)
    ctf = FIXTURES / "ctf_leavers_unknown.xml"

    without = import_notices(app, ctf, "--yes", urn="109001", email="office@riverside.example")
    assert without.exit_code == 1
    assert without.output == (
        "Line 23, Ground for removal: Enter the ground for removal\n"
        "Line 61, Ground for removal: Enter the ground for removal\n"
        "0 notices can be sent (0 for the CME team to act on); 2 rows have problems and will not be sent.\n"
        "Error: No notices in the file can be sent. Nothing was stored.\n"
    )

    enquiries = "Home visits on 5 and 12 October; health visitor"
    options = ("--ground", "i", "--enquiries", enquiries, "--yes")
    sent = import_notices(app, ctf, *options, urn="109001", email="OFFICE@riverside.example")
    assert sent.exit_code == 0, sent.output
    assert sent.output.startswith("2 notices can be sent (2 for the CME team to act on); 0 rows have problems")
    stored = db.scalars(select(SchoolNotice)).all()
    assert {(n.deletion_ground, n.destination_laestab, n.details["enquiries_made"]) for n in stored} == {
        ("i", "XXXXXXX", enquiries)
    }


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"urn": "123456"}, "Error: No school with URN 123456 is in the schools register. Nothing was stored.\n"),
        (
            {"email": "officer@northbridge.example"},
            "Error: officer@northbridge.example is not an active user of Millfield Primary School (URN 990101): "
            "notices are sent as one of the school's users. Nothing was stored.\n",
        ),
        (
            {"urn": "990102"},
            "Error: school@northbridge.example is not an active user of Riverside Junior School (URN 990102): "
            "notices are sent as one of the school's users. Nothing was stored.\n",
        ),
    ],
)
def test_an_unknown_school_or_a_user_of_another_school_is_refused(app, db, users, options, message):
    result = import_notices(app, SAMPLE, "--yes", **options)

    assert (result.exit_code, result.output) == (1, message)
    assert count(db, SchoolNotice) == count(db, NoticeUpload) == 0


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "The selected file is empty"),
        ("notices.xlsx", b"PK\x03\x04", "The selected file is a spreadsheet, not a CSV file: in Excel, use Save As "
         "and choose CSV UTF-8"),
        ("leavers.xml", (FIXTURES / "ctf_leavers.xml").read_bytes(), "The file was sent by the school with LAESTAB "
         "8002001, not by Millfield Primary School (9992101): upload only your own school's Common Transfer Files"),
    ],
)  # fmt: skip
def test_a_file_that_cannot_be_read_stores_nothing(app, db, users, tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)

    result = import_notices(app, path, "--yes")

    assert (result.exit_code, result.output) == (1, f"Error: {message}\nNothing was stored.\n")
    assert count(db, SchoolNotice) == count(db, NoticeUpload) == 0


def test_a_ground_that_names_a_school_is_refused(app, db, users):
    result = import_notices(app, SAMPLE, "--ground", "a", "--yes")
    assert result.output == (
        "Error: Select the ground for removal: one of b, c, e, f, h, i, j, k, l, m, n, o\nNothing was stored.\n"
    )


def test_a_file_that_is_not_there_is_named(app, users, tmp_path):
    result = import_notices(app, tmp_path / "missing.csv", "--yes")
    assert result.exit_code == 2
    assert "missing.csv' does not exist." in result.output


def test_a_database_without_the_schema_is_a_clear_error(tmp_path):
    unmigrated = make_app(f"sqlite:///{tmp_path / 'empty.sqlite'}")
    try:
        result = import_notices(unmigrated, SAMPLE, "--yes")
    finally:
        unmigrated.extensions["cme.database"].dispose()

    assert result.exit_code == 1
    assert result.output == (
        "Error: The database could not be used (no such table: schools). Is DATABASE_URL right, and has "
        "`cme db upgrade` run? Nothing was stored.\n"
    )


def test_a_failure_while_storing_stores_no_notice(app, db, users, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from shared.services import mail

    def outbox_unavailable(*_args):
        raise OperationalError("INSERT INTO outbox_messages", {}, Exception("disk I/O error"))

    monkeypatch.setattr(mail, "queue", outbox_unavailable)
    result = import_notices(app, SAMPLE, "--yes")

    assert result.exit_code == 1
    assert result.output.endswith(
        "Storing notices\nError: The database could not be used (disk I/O error). Is DATABASE_URL right, and has "
        "`cme db upgrade` run? Nothing was stored.\n"
    )
    assert count(db, SchoolNotice) == 0
