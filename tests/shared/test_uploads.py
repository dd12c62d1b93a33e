"""The upload service: a school's file kept between preview and send, read into a preview with the service's own
checks, and sent once, in one transaction, however many times it is confirmed."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from shared.clock import uk_today, utcnow
from shared.domain.problems import LineProblem
from shared.models import NoticeUpload, School, SchoolNotice
from shared.services import mail
from shared.services import uploads as service
from tests.bulk_files import make_notices_csv
from tests.conftest import a_school, calendar_of

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SAMPLE = (FIXTURES / "notices_sample.csv").read_bytes()


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def problems(preview) -> list[tuple[int, str | None, str]]:
    return [(problem.line, problem.field, problem.message) for problem in preview.problems]


@pytest.fixture
def user(users):
    return users["school"]


@pytest.fixture
def confirm(app, user):
    add_school_days = calendar_of(app).add_school_days

    def confirm(session, upload, **kwargs):
        return service.confirm_upload(
            session, upload, user, utcnow(), uk_today(), add_school_days, "https://cme.example", **kwargs
        )

    return confirm


def store(db, user, data: bytes = SAMPLE, name: str = "notices.csv", when=None, **kwargs) -> NoticeUpload:
    return service.store_upload(db, user.school, user, name, data, when or utcnow(), uk_today(), **kwargs)


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("notices.csv", b"kind,first_name\n", "csv"),
        ("notices.txt", b"kind,first_name\n", "csv"),
        ("NOTICES", b"kind,first_name\n", "csv"),
        ("8002001_CTF_8014001_001.XML", b"not xml at all", "ctf"),
        ("export.csv", b"\xef\xbb\xbf  \n<?xml version='1.0'?><CTfile/>", "ctf"),  # XML, whatever its name
    ],
)
def test_a_file_is_read_as_csv_or_ctf_by_its_content_then_its_name(name, data, expected):
    assert service.file_format(name, data) == expected


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("notices.csv", b" \r\n", "The selected file is empty"),
        ("notices.docx", b"kind\n", "The selected file must be a CSV file (.csv) or a Common Transfer File (.xml)"),
        (
            "notices.ods",
            b"kind\n",
            "The selected file is a spreadsheet, not a CSV file: in Excel, use Save As and choose CSV UTF-8",
        ),
        (
            "notices.csv",
            b"\xd0\xcf\x11\xe0 an old workbook",
            "The selected file is a spreadsheet, not a CSV file: in Excel, use Save As and choose CSV UTF-8",
        ),
    ],
)
def test_a_file_of_the_wrong_type_is_refused(name, data, message):
    with pytest.raises(service.UploadRefused) as refused:
        service.file_format(name, data)
    assert (refused.value.messages, refused.value.field) == ([message], "file")


def test_only_the_files_own_name_is_kept():
    assert service.clean_file_name("C:\\Users\\office\\Desktop\\leavers\x07.csv") == "leavers.csv"
    assert service.clean_file_name("../../etc/passwd") == "passwd"
    assert service.clean_file_name("") == "file"
    assert len(service.clean_file_name("a" * 400 + ".csv")) == 255


def test_the_ground_for_unknown_destinations_must_be_one_that_names_no_school():
    assert [ground.code for ground in service.CTF_GROUNDS] == list("bcefhijklmno")
    assert service.ctf_options("") == {}
    assert service.ctf_options(" F ") == {"ground": "f"}
    assert service.ctf_options("f", "ignored: ground f needs no enquiries") == {"ground": "f"}
    assert service.ctf_options("h", "  Phoned; visited  ") == {"ground": "h", "enquiries_made": "Phoned; visited"}
    for ground, answer, field, message in [
        ("g", "", "ground", "Select the ground for removal: one of b, c, e, f, h, i, j, k, l, m, n, o"),
        ("i", " ", "enquiries_made", "Enter the enquiries made by the school and the authority: ground i needs them"),
        ("i", "x" * 2001, "enquiries_made", "Enquiries made must be 2,000 characters or fewer"),
    ]:
        with pytest.raises(service.UploadRefused) as refused:
            service.ctf_options(ground, answer)
        assert (refused.value.field, refused.value.messages) == (field, [message])


def test_storing_an_upload_deletes_every_schools_unsent_uploads_older_than_a_day(db, user, school, confirm):
    now = utcnow()
    old = store(db, user, when=now - timedelta(days=1, minutes=1))
    recent = store(db, user, when=now - timedelta(hours=23))
    old_sent = store(db, user, when=now - timedelta(days=30))
    confirm(db, old_sent)
    other = a_school(990109, "2109", "Hill Top Primary", "NB9 9ZZ")
    db.add(other)
    db.commit()
    other_user = user.__class__(email="hill@example.org", name="Hill", role="school", school=other, password_hash="x")
    db.add(other_user)
    db.commit()
    others_old = service.store_upload(db, other, other_user, "a.csv", SAMPLE, now - timedelta(days=2), uk_today())
    discarded = store(db, user, when=now - timedelta(days=2))
    service.discard_upload(db, discarded)
    references = {upload.id: upload.reference for upload in (old, recent, old_sent, others_old, discarded)}

    newest = store(db, user, when=now)

    db.expire_all()
    kept = set(db.scalars(select(NoticeUpload.reference)))
    assert kept == {references[recent.id], references[old_sent.id], newest.reference}


def test_a_discarded_upload_loses_its_bytes_at_once(db, user, school):
    upload = store(db, user)
    service.discard_upload(db, upload)
    db.expire_all()
    assert (upload.status, upload.content) == ("discarded", b"")
    assert service.find_upload(db, user.school_id, upload.reference.lower()) is upload


def test_confirming_the_same_upload_from_two_places_stores_its_notices_once(app, db, user, school, confirm):
    upload = store(db, user)
    with app.extensions["cme.database"].session() as elsewhere:
        stale = elsewhere.get(NoticeUpload, upload.id)  # another tab loaded the upload while it was unsent
        assert stale.status == "previewed"

        first = confirm(db, upload)
        second = confirm(elsewhere, stale)

        assert len(first.references) == 6
        assert second is None
        assert (stale.status, stale.batch_reference, stale.notices_sent) == ("sent", first.batch_reference, 6)
    assert count(db, SchoolNotice) == 6
    assert confirm(db, upload) is None
    assert count(db, SchoolNotice) == 6


def test_a_failure_while_sending_stores_no_notice_and_leaves_the_upload_to_send_again(
    db, user, school, confirm, monkeypatch
):
    upload = store(db, user)

    def outbox_fails(*_args):
        raise RuntimeError("the outbox cannot be written")

    with monkeypatch.context() as patch:
        patch.setattr(mail, "queue", outbox_fails)
        with pytest.raises(RuntimeError):
            confirm(db, upload)
    db.rollback()

    db.expire_all()
    assert count(db, SchoolNotice) == 0
    assert (upload.status, upload.content, upload.batch_reference, upload.notices_sent) == (
        "previewed",
        SAMPLE,
        None,
        0,
    )
    sent = confirm(db, upload)
    assert (len(sent.references), upload.status, upload.content) == (6, "sent", b"")


def test_a_sent_upload_keeps_its_batch_and_counts_but_not_its_bytes(db, user, school, confirm):
    upload = store(db, user)
    sent = confirm(db, upload)

    assert (upload.status, upload.content, upload.notices_sent) == ("sent", b"", 6)
    assert upload.batch_reference == sent.batch_reference
    result = service.upload_result(db, upload)
    assert result == service.UploadResult(sent.batch_reference, result.references, 6, 4, 0)
    assert sorted(result.references) == sorted(sent.references)
    assert len(service.upload_result(db, upload, limit=2).references) == 2


def test_confirming_a_file_with_nothing_valid_or_a_changed_preview_stores_nothing(db, user, school, confirm):
    bad = store(
        db, user, b"kind,first_name,last_name,date_of_birth,event_date\njoiner,Sam,Smith,31/02/2015,01/09/2026\n"
    )
    with pytest.raises(service.NothingToSend):
        confirm(db, bad)
    upload = store(db, user)
    with pytest.raises(service.PreviewChanged):
        confirm(db, upload, expected=7)
    assert count(db, SchoolNotice) == 0
    assert {row.status for row in db.scalars(select(NoticeUpload))} == {"previewed"}


def test_progress_is_reported_as_the_notices_are_prepared(db, user, school, confirm):
    # Of every five rows, the independent admission (this school does not send them) and the leaver (to school
    # 8014001, which is not in the register) are refused.
    data = make_notices_csv(1_500)
    upload = store(db, user, data)
    told = []

    sent = confirm(db, upload, progress=told.append)

    assert len(sent.references) == 900
    assert told == [500, 900]


def test_a_destination_not_in_the_schools_register_is_a_problem_once_the_register_has_schools(db, user, school):
    data = SAMPLE.replace(b"8014001", b"9992102")  # Riverside Junior, which is in the register
    preview = service.read_file(db, user.school, "csv", data, {}, uk_today())
    assert [line for line, _ in preview.notices] == [2, 3, 6, 7, 8, 9, 11]

    preview = service.read_file(db, user.school, "csv", SAMPLE, {}, uk_today())
    assert LineProblem(
        3, "Destination school (LAESTAB)", "no school with LAESTAB 8014001 is in the schools register"
    ) in (preview.problems)
    assert 3 not in [line for line, _ in preview.notices]


def test_an_empty_register_checks_no_destination(app):
    with app.extensions["cme.database"].session() as empty:
        assert count(empty, School) == 0
        independent = a_school(990107, "6001", "Hollins Hall School", "NB7 7AA")
        independent.type_group = "Independent schools"
        preview = service.read_file(empty, independent, "csv", SAMPLE, {}, uk_today())
    assert [(line, notice.kind.value) for line, notice in preview.notices] == [
        (3, "leaver"),
        (6, "leaver"),
        (7, "leaver"),
        (9, "absence"),
        (10, "independent_admission"),
        (11, "leaver"),
    ]
    message = "An independent school sends independent_admission, leaver or absence notices"
    assert problems(preview) == [(2, "Notice type", message), (8, "Notice type", message)]


def ctf_school(db) -> School:
    riverside = a_school(109001, "2001", "Riverside Primary School", "BA2 6AA")
    riverside.la_code = "800"
    db.add(riverside)
    db.commit()
    return riverside


def test_a_ctf_is_read_only_for_the_school_that_sent_it(db, school):
    data = fixture("ctf_leavers_out_of_scope.xml")
    assert problems(service.read_file(db, school, "ctf", data, {"ground": "f"}, uk_today())) == [
        (
            0,
            None,
            "The file was sent by the school with LAESTAB 8002001, not by Millfield Primary School (9992101): "
            "upload only your own school's Common Transfer Files",
        )
    ]
    preview = service.read_file(db, ctf_school(db), "ctf", data, {"ground": "f"}, uk_today())
    assert [(line, n.deletion_ground, n.destination_laestab) for line, n in preview.notices] == [(23, "f", "MMMMMMM")]

    no_laestab = a_school(990120, "0000", "Northbridge College", "NB1 2CC")
    no_laestab.establishment_number = None
    assert problems(service.read_file(db, no_laestab, "ctf", data, {}, uk_today())) == [
        (
            0,
            None,
            "Northbridge College has no LAESTAB in the schools register, so a Common Transfer File cannot be "
            "checked as its own: send a CSV file instead",
        )
    ]
    anonymous = data.replace(b"<LEA>800</LEA>\n      <Estab>2001</Estab>", b"")
    assert problems(service.read_file(db, school, "ctf", anonymous, {}, uk_today())) == [
        (
            0,
            None,
            "The file's header does not say which school sent it (SourceSchool, with its LEA and Estab): export the "
            "CTF again from your school's system",
        )
    ]


def test_a_ctf_keeps_its_ground_and_the_ground_can_be_changed_before_it_is_sent(db, users, school):
    riverside = ctf_school(db)
    user = users["school"]
    upload = service.store_upload(
        db, riverside, user, "ctf.xml", fixture("ctf_leavers_unknown.xml"), utcnow(), uk_today(), {"ground": "f"}
    )
    assert upload.options == {"ground": "f"}
    preview = service.preview_upload(db, upload, uk_today())
    assert (len(preview.notices), preview.to_cme, preview.asks_ground) == (2, 2, True)

    service.change_options(db, upload, {"ground": "k"})
    preview = service.preview_upload(db, upload, uk_today())
    assert [notice.deletion_ground for _, notice in preview.notices] == ["k", "k"]
    assert preview.to_cme == 2  # destination not known: the team looks for them whatever the ground

    named = service.store_upload(
        db, riverside, user, "named.xml", fixture("ctf_leavers.xml"), utcnow(), date(2026, 11, 23)
    )
    assert service.preview_upload(db, named, uk_today()).asks_ground is False


def test_options_are_kept_only_for_a_ctf(db, user, school):
    upload = store(db, user, options={"ground": "f"})
    assert (upload.file_format, upload.options) == ("csv", {})
