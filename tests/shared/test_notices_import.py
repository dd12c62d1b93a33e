"""Bulk notices: a school's CSV and a Common Transfer File, each read whole into a preview of the notices it would
create and every problem, with its line and field. Nothing here touches the database."""

from __future__ import annotations

import csv
import io
import time
from datetime import date
from pathlib import Path

import pytest

from shared.clock import uk_today
from shared.domain.notices import GROUNDS, CheckedNotice
from shared.domain.problems import LineProblem
from shared.domain.vocab import NoticeKind, Sex
from shared.importers import notices_csv
from shared.importers.ctf import parse_ctf
from shared.importers.notices_csv import CSV_COLUMNS, CSV_GUIDE, parse_notices_csv, template_csv
from tests.bulk_files import make_ctf, make_notices_csv

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
TODAY = date(2026, 11, 23)
HEADER = ",".join(CSV_COLUMNS)


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def problems(preview) -> list[tuple[int, str | None, str]]:
    return [(problem.line, problem.field, problem.message) for problem in preview.problems]


def csv_file(*rows: dict[str, str], header: str = HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    columns = [name.strip().lower() for name in header.split(",")]
    out.write(header + "\r\n")
    for row in rows:
        writer.writerow([row.get(name, "") for name in columns])
    return out.getvalue().encode()


JOINER = {
    "kind": "joiner",
    "first_name": "Amira",
    "last_name": "Khan",
    "date_of_birth": "27/03/2015",
    "event_date": "03/09/2026",
    "address": "12 Orchard Street, Bath",
    "postcode": "BA1 1JG",
    "parent_name": "Sara Khan",
    "parent_phone": "07700 900123",
}

SAMPLE_NOTICES = [
    (
        2,
        CheckedNotice(
            kind=NoticeKind.JOINER,
            first_name="Amira",
            last_name="Khan",
            date_of_birth=date(2015, 3, 27),
            event_date=date(2026, 9, 3),
            upn="P800200124001",
            sex=Sex.FEMALE,
            postcode="BA1 1JG",
            details={
                "year_group": "7",
                "address": "12 Orchard Street, Bath",
                "parent_name": "Sara Khan",
                "parent_phone": "07700900123",  # typed '07700900123 to keep the zero
                "previous_school": "St Mary's Primary School, Leeds",
            },
        ),
    ),
    (
        3,  # its address spans lines 3 and 4, a blank row of cells is line 5
        CheckedNotice(
            kind=NoticeKind.LEAVER,
            first_name="Oliver",
            last_name="Price",
            date_of_birth=date(2012, 11, 14),
            event_date=date(2026, 10, 16),
            upn="D800200124002",
            sex=Sex.MALE,
            postcode="BS31 1AA",
            deletion_ground="a",
            destination_laestab="8014001",
            details={
                "address": "4 Mill Lane\nKeynsham",
                "parent_name": "Jo Price",
                "parent_phone": "07700900124",  # Excel had dropped the zero
                "destination_school": "Oak Hill Academy",
            },
        ),
    ),
    (
        6,
        CheckedNotice(
            kind=NoticeKind.LEAVER,
            first_name="Mia",
            last_name="Clarke",
            date_of_birth=date(2014, 5, 5),
            event_date=date(2026, 10, 20),
            upn="T800200124003",
            sex=Sex.FEMALE,
            deletion_ground="f",
        ),
    ),
    (
        7,
        CheckedNotice(
            kind=NoticeKind.LEAVER,
            first_name="Leo",
            last_name="Turner",
            date_of_birth=date(2013, 2, 1),
            event_date=date(2026, 10, 21),
            upn="G800200124004",
            sex=Sex.MALE,
            deletion_ground="i",
            destination_laestab="XXXXXXX",
            details={"enquiries_made": "Home visits on 1 and 8 October; health visitor; council tax records"},
        ),
    ),
    (
        8,
        CheckedNotice(
            kind=NoticeKind.PART_TIME,
            first_name="Lily",
            last_name="Evans",
            date_of_birth=date(2016, 6, 2),
            event_date=date(2026, 12, 1),
            upn="W800200124005",
            sex=Sex.FEMALE,
            details={
                "reason": "Phased return after a long illness",
                "hours_per_week": 15.0,
                "review_date": "2027-02-01",
                "agreed_with_parents": True,
            },
        ),
    ),
    (
        9,
        CheckedNotice(
            kind=NoticeKind.ABSENCE,
            first_name="Noah",
            last_name="Williams",
            date_of_birth=date(2013, 1, 30),
            event_date=date(2026, 11, 2),
            sex=Sex.MALE,
            details={
                "contact_attempted": "Phoned both parents on 3 and 4 November; home visit on 5 November",
                "concerns": "Younger sibling also absent",
            },
        ),
    ),
    (
        10,
        CheckedNotice(
            kind=NoticeKind.INDEPENDENT_ADMISSION,
            first_name="Freya",
            last_name="Jones",
            date_of_birth=date(2011, 9, 9),
            event_date=date(2026, 9, 7),
            upn="K800200124006",
            sex=Sex.FEMALE,
            postcode="BA2 6AA",
            details={
                "address": "The Old Rectory, Church Road, Bath",
                "parent_name": "Tom Jones",
                "parent_phone": "07700 900456",
            },
        ),
    ),
    (
        11,
        CheckedNotice(
            kind=NoticeKind.LEAVER,
            first_name="Isla",
            last_name="Green",
            date_of_birth=date(2012, 12, 12),
            event_date=date(2026, 10, 30),
            upn="Z800200124007",
            sex=Sex.FEMALE,
            deletion_ground="g",
            destination_laestab="MMMMMMM",
            details={"new_address": "21 Harbour Road, Penzance TR18 2AA", "new_la": "Cornwall"},
        ),
    ),
]


# The CSV -------------------------------------------------------------------------------------------------------


def test_an_excel_csv_of_every_kind_of_notice_gives_each_notice_with_its_line():
    # Saved as CSV UTF-8: a byte order mark, CRLF, "Kind" and "UPN" capitalised, a trailing empty column, an
    # address on two lines, a row of empty cells, "Part time" for part_time, a lower-case postcode.
    preview = parse_notices_csv(fixture("notices_sample.csv"), TODAY)

    assert problems(preview) == []
    assert preview.notices == SAMPLE_NOTICES
    assert preview.source_laestab is None


def test_a_csv_of_bad_rows_names_each_line_field_and_problem():
    preview = parse_notices_csv(fixture("notices_bad.csv"), TODAY)

    assert problems(preview) == [
        (2, "Address", "Enter the address"),
        (2, "Postcode", "Enter the postcode"),
        (2, "Parent or carer", "Enter the parent or carer"),
        (2, "Parent or carer's phone number", "Enter the parent or carer's phone number"),
        (3, "Notice type", "Notice type must be one of: joiner, leaver, part_time, absence, independent_admission"),
        (4, "Ground for removal", "Enter the ground for removal"),
        (4, "UPN", "UPN check letter is wrong: check the UPN has been copied correctly"),
        (4, "Date of birth", "Date of birth must be a real date, like 27/03/2015"),
        (
            5,
            None,
            "This row has 26 cells but the header row has 25: check for a stray comma, and put text that has "
            "commas in it in double quotes",
        ),
        (6, "Ground for removal", "Ground for removal must be a letter from a to o (regulation 9(1))"),
        (
            6,
            "Destination school (LAESTAB)",
            "Destination school must be its 7-digit LAESTAB, XXXXXXX (not known) or MMMMMMM (left for the "
            "independent sector, abroad or elsewhere)",
        ),
        (7, "Destination school (LAESTAB)", "Enter the destination school (LAESTAB): ground a needs it"),
        (8, "Review date", "Review date must be after the start date"),
        (8, "Hours a week", "Hours a week must be a number more than 0 and less than 32.5"),
        (8, "Agreed with parents", "Agreed with parents must be yes or no"),
        (9, "Contact attempted", "Enter the contact attempted"),
        (9, "Sex", "Sex must be F (female), M (male) or U (not known)"),
        (9, "First day of absence", "First day of absence must be today or in the past"),
        (10, "Year group", "Year group does not match the date of birth: a child born then is in Year 10"),
        (10, "Postcode", "Enter a real postcode, like BA1 1JG"),
        (12, None, "This notice repeats the one on line 11"),
        (13, "First name", "Enter the first name"),
        (13, "Last name", "Enter the last name"),
        (13, "Date of birth", "Enter the date of birth"),
        (13, "First day of absence", "Enter the first day of absence"),
    ]
    assert preview.file_problems == []
    # the one good row is still previewed: the page lists what will be created beside what is wrong
    assert [(line, notice.upn) for line, notice in preview.notices] == [(11, "K800200124006")]


def test_the_file_is_read_the_same_without_a_byte_order_mark_or_in_windows_1252():
    utf8 = fixture("notices_sample.csv").removeprefix(b"\xef\xbb\xbf")
    assert parse_notices_csv(utf8, TODAY).notices == SAMPLE_NOTICES

    text = utf8.decode().replace("Amira", "Zoë").replace("St Mary's", "St Mary’s")
    preview = parse_notices_csv(text.encode("cp1252"), TODAY)
    assert problems(preview) == []
    assert preview.notices[0][1].first_name == "Zoë"
    assert preview.notices[0][1].details["previous_school"] == "St Mary’s Primary School, Leeds"

    assert parse_notices_csv(text.encode("utf-16"), TODAY).notices[0][1].first_name == "Zoë"  # Unicode Text


def test_a_file_that_is_neither_utf8_nor_windows_1252_is_refused_with_the_line():
    data = csv_file(JOINER) + b"joiner,,Bad\x81Byte\r\n"
    assert problems(parse_notices_csv(data, TODAY)) == [
        (0, None, "The file is not UTF-8 or Windows-1252 text (see line 3): save it from Excel as CSV UTF-8")
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file has no notices in it"),
        (HEADER.encode() + b"\r\n", "The file has no notices in it"),
        (HEADER.encode() + b"\r\n,,,,\r\n\r\n", "The file has no notices in it"),
        (
            b"PK\x03\x04\x14\x00rest of a zip",
            "The file is an Excel workbook, not a CSV file: in Excel, use Save As and choose CSV UTF-8",
        ),
        (b"kind,first_name\x00\x00", "The file is not a CSV file: save it from Excel as CSV UTF-8"),
    ],
)
def test_a_file_with_nothing_to_read_says_so(data, message):
    preview = parse_notices_csv(data, TODAY)
    assert problems(preview) == [(0, None, message)]
    assert preview.notices == []


def test_header_names_are_forgiven_their_case_spaces_and_order():
    data = (
        b" Last Name ,FIRST_NAME,Date-Of-Birth,event date,Kind,Address,postcode,parent_name,parent_phone\r\n"
        b'Khan,Amira,27/03/2015,03/09/2026,joiner,"12 Orchard Street, Bath",BA1 1JG,Sara Khan,07700 900123\r\n'
    )
    preview = parse_notices_csv(data, TODAY)
    assert problems(preview) == []
    assert [(line, notice.first_name, notice.last_name) for line, notice in preview.notices] == [(2, "Amira", "Khan")]


def test_missing_and_unknown_columns_are_named_before_any_row_is_read():
    header = "kind,frist_name,date_of_birth,colour,postcode,postcode"
    preview = parse_notices_csv(csv_file(JOINER, header=header), TODAY)
    assert problems(preview) == [
        (0, None, "The header row (line 1) is missing the columns: first_name, last_name, event_date"),
        (
            0,
            None,
            "The header row (line 1) has columns this service does not know: frist_name (did you mean "
            "first_name?), colour. Use the column names in the template",
        ),
        (0, None, "The header row (line 1) repeats the column: postcode"),
    ]
    assert preview.notices == []


def test_semicolon_separated_files_from_excel_in_other_locales_are_read():
    data = (
        b"kind;first_name;last_name;date_of_birth;event_date;deletion_ground\r\n"
        b"leaver;Mia;Clarke;05/05/2014;20/10/2026;f\r\n"
    )
    preview = parse_notices_csv(data, TODAY)
    assert problems(preview) == []
    assert [(line, notice.deletion_ground) for line, notice in preview.notices] == [(2, "f")]


def test_excel_ways_of_keeping_text_are_undone():
    row = JOINER | {
        "upn": '="P800200124001"',  # ="..." keeps a value as text
        "last_name": "'t Hooft",  # a name's own apostrophe stays
        "parent_phone": "'07700900123",  # a leading apostrophe keeps the zero
        "date_of_birth": "2015-03-27 00:00:00",  # a date saved with its midnight time
        "sex": "unknown",  # the vocabulary's own code, as a form posts it
    }
    preview = parse_notices_csv(csv_file(row), TODAY)
    assert problems(preview) == []
    notice = preview.notices[0][1]
    assert (notice.upn, notice.last_name, notice.details["parent_phone"]) == (
        "P800200124001",
        "'t Hooft",
        "07700900123",
    )
    assert (notice.date_of_birth, notice.sex) == (date(2015, 3, 27), Sex.UNKNOWN)


def test_a_value_under_a_column_with_no_name_is_a_problem_for_its_row():
    data = HEADER.encode() + b",\r\n" + csv_file(JOINER).split(b"\r\n", 1)[1].replace(b"\r\n", b",stray\r\n")
    assert problems(parse_notices_csv(data, TODAY)) == [
        (2, None, "Column 26 has no name in the header row, but this row has a value in it")
    ]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ('joiner,,"Amira,Khan\r\nmore\r\n', "a value that starts with a double quote is never closed"),
        ('joiner,,"Amira"Khan,Khan\r\n', "a double quote in a value in double quotes must be written twice"),
    ],
)
def test_a_line_that_is_not_csv_stops_the_file_at_that_line(row, message):
    data = csv_file(JOINER) + b"\r\n" + row.encode()
    preview = parse_notices_csv(data, TODAY)
    assert problems(preview) == [
        (4, None, f"This line cannot be read as CSV ({message}), so nothing in the file can be imported")
    ]
    assert preview.notices == []


def test_a_file_over_the_row_limit_is_refused_whole(monkeypatch):
    monkeypatch.setattr(notices_csv, "MAX_ROWS", 3)
    assert len(parse_notices_csv(csv_file(*[JOINER | {"last_name": f"Khan{n}"} for n in range(3)]), TODAY).notices) == 3

    preview = parse_notices_csv(csv_file(*[JOINER | {"last_name": f"Khan{n}"} for n in range(4)]), TODAY)
    assert problems(preview) == [(0, None, "The file has more than 3 notices: split it into smaller files")]
    assert preview.notices == []


def test_the_template_has_every_column_and_one_valid_example_of_each_notice_type():
    template = template_csv()
    assert template.splitlines()[0] == ",".join(CSV_COLUMNS)
    preview = parse_notices_csv(template.encode("utf-8-sig"), TODAY)
    assert problems(preview) == []
    assert [notice.kind for _, notice in preview.notices] == list(NoticeKind)


def test_the_guide_lists_each_column_the_notice_types_grounds_and_destination_codes():
    for name in CSV_COLUMNS:
        assert f"\n  {name} (" in CSV_GUIDE
    assert "\n  kind (Notice type): required for every notice.\n" in CSV_GUIDE
    assert "\n  parent_phone (Parent or carer's phone number): required for joiner.\n" in CSV_GUIDE
    assert "\n  hours_per_week (Hours a week): required for part_time.\n" in CSV_GUIDE
    assert "\n  concerns (Concerns): optional.\n" in CSV_GUIDE
    for kind in NoticeKind:
        assert kind.value in CSV_GUIDE
    for ground in GROUNDS.values():
        assert f"\n      {ground.code}  {ground.label}" in CSV_GUIDE
    words = " ".join(CSV_GUIDE.split())
    assert "XXXXXXX if the next school is not known" in words
    assert "MMMMMMM if the pupil has left for the independent sector, abroad or elsewhere" in words
    assert "<" not in CSV_GUIDE and "#" not in CSV_GUIDE and "*" not in CSV_GUIDE  # plain text


def test_str_of_a_problem_reads_as_a_sentence():
    assert str(LineProblem(4, "UPN", "UPN must be 13 characters")) == "Line 4, UPN: UPN must be 13 characters"
    assert str(LineProblem(0, None, "The file has no notices in it")) == "The file: The file has no notices in it"


# The Common Transfer File --------------------------------------------------------------------------------------

CTF_LEAVERS = [
    (
        25,
        CheckedNotice(
            kind=NoticeKind.LEAVER,
            first_name="Amira",
            last_name="Khan",
            date_of_birth=date(2015, 3, 27),
            event_date=date(2026, 7, 17),  # her leaving date from Riverside, not the earlier school's
            upn="P800200124001",
            sex=Sex.FEMALE,
            postcode="BA1 1JG",
            deletion_ground="a",
            destination_laestab="8014001",
            details={
                "address": "Flat 2, 12 Orchard Street, Widcombe, Bath, Bath and North East Somerset",
                "parent_name": "Sara Khan; Imran Khan",  # in the contacts' order, those with responsibility
                "parent_phone": "07700 900123",
            },
        ),
    ),
    (
        158,
        CheckedNotice(
            kind=NoticeKind.LEAVER,
            first_name="Oliver",
            last_name="Price",
            date_of_birth=date(2014, 11, 14),
            event_date=date(2026, 7, 20),  # no school history: the date the file was made
            upn="D800200124002",
            sex=Sex.MALE,  # <Gender>, as older versions have it
            postcode="BS31 1AA",
            deletion_ground="a",
            destination_laestab="8014001",
            details={
                "address": "4 Mill Lane, Keynsham, Bristol",
                "parent_name": "Jo Price",
                "parent_phone": "0117 496 0000",  # the pupil's own, as the contact has none
            },
        ),
    ),
    (
        195,
        CheckedNotice(
            kind=NoticeKind.LEAVER,
            first_name="Mia",
            last_name="Clarke",
            date_of_birth=date(2014, 5, 5),
            event_date=date(2026, 7, 10),  # the school found in her history by its URN
            upn="T800200124003",
            sex=Sex.FEMALE,
            deletion_ground="a",
            destination_laestab="8014001",
        ),
    ),
]


def test_a_ctf_of_leavers_to_a_named_school_gives_removals_under_ground_a():
    preview = parse_ctf(fixture("ctf_leavers.xml"), TODAY)

    assert preview.notices == CTF_LEAVERS
    assert problems(preview) == [(210, "Date of birth", "Enter the date of birth")]  # the <Pupil> tag's line
    assert preview.source_laestab == "8002001"


def test_a_ctf_of_leavers_whose_next_school_is_not_known_asks_for_the_ground():
    preview = parse_ctf(fixture("ctf_leavers_unknown.xml"), TODAY)
    assert problems(preview) == [
        (23, "Ground for removal", "Enter the ground for removal"),
        (61, "Ground for removal", "Enter the ground for removal"),
    ]
    assert preview.notices == []

    enquiries = "Home visit on 6 October; health visitor; council tax records"
    preview = parse_ctf(fixture("ctf_leavers_unknown.xml"), TODAY, "i", {"enquiries_made": enquiries})
    assert problems(preview) == []
    assert preview.notices == [
        (
            23,
            CheckedNotice(
                kind=NoticeKind.LEAVER,
                first_name="Lily",
                last_name="Evans",
                date_of_birth=date(2016, 6, 2),
                event_date=date(2026, 10, 2),
                upn="W800200124005",
                sex=Sex.FEMALE,
                postcode="BA2 6AA",
                deletion_ground="i",
                destination_laestab="XXXXXXX",
                details={
                    "address": "The Old Forge, Church Road, Bath",
                    "parent_name": "Kate Evans",
                    "parent_phone": "07700 900321",
                    "enquiries_made": enquiries,
                },
            ),
        ),
        (
            61,
            CheckedNotice(
                kind=NoticeKind.LEAVER,
                first_name="Noah",
                last_name="Williams",
                date_of_birth=date(2013, 1, 30),
                event_date=date(2026, 10, 5),
                upn="K800200124006",
                sex=Sex.MALE,
                deletion_ground="i",
                destination_laestab="XXXXXXX",
                details={"enquiries_made": enquiries},
            ),
        ),
    ]


def test_a_ctf_of_a_leaver_gone_outside_the_maintained_sector_takes_the_ground_given():
    assert problems(parse_ctf(fixture("ctf_leavers_out_of_scope.xml"), TODAY)) == [
        (23, "Ground for removal", "Enter the ground for removal")
    ]
    preview = parse_ctf(fixture("ctf_leavers_out_of_scope.xml"), TODAY, default_ground="F")
    assert [(line, n.upn, n.deletion_ground, n.destination_laestab) for line, n in preview.notices] == [
        (23, "Z800200124007", "f", "MMMMMMM")
    ]
    assert preview.source_laestab == "8002001"


REFUSED = (
    "The file declares XML entities or refers to other files, which a Common Transfer File never does. It was not "
    "read, to keep the service safe: export the CTF again from your school's system"
)


@pytest.mark.parametrize("name", ["ctf_xxe.xml", "ctf_bomb.xml"])
def test_external_entities_and_entity_bombs_are_refused_at_once(name):
    started = time.perf_counter()
    preview = parse_ctf(fixture(name), TODAY)
    assert time.perf_counter() - started < 1
    assert problems(preview) == [(0, None, REFUSED)]
    assert preview.notices == []
    assert "root:" not in repr(preview)  # nothing of /etc/passwd


def ctf(pupils: str = "", header: str | None = None) -> bytes:
    if header is None:
        header = (
            "<Header><DateTime>2026-07-20T15:42:10</DateTime>"
            "<SourceSchool><LEA>800</LEA><Estab>2001</Estab></SourceSchool>"
            "<DestSchool><LEA>801</LEA><Estab>4001</Estab></DestSchool></Header>"
        )
    body = f"<CTfile>{header}<CTFpupilData>{pupils}</CTFpupilData></CTfile>"
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}'.encode()


PUPIL = "<Pupil><Surname>Khan</Surname><Forename>Amira</Forename><DOB>2015-03-27</DOB></Pupil>"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty"),
        (b"kind,first_name\r\njoiner,Amira\r\n", "The file is not a Common Transfer File: it is not XML"),
        (
            b"<Workbook><Sheet/></Workbook>",
            "The file is not a Common Transfer File: it starts with <Workbook>, not <CTfile>",
        ),
        (
            ctf(PUPIL).replace(b"</Forename>", b"</Surname>"),
            "The file is not well-formed XML (mismatched tag at line 2, column 247): export the CTF again from your "
            "school's system",
        ),
        (
            ctf(PUPIL.replace("Amira", "Zoë")).replace("Zoë".encode(), "Zoë".encode("cp1252")),
            "The file is not UTF-8 text, as a Common Transfer File must be (see line 2): export the CTF again from "
            "your school's system",
        ),
        (ctf(PUPIL, header=""), "The file has no Header: it is not a complete Common Transfer File"),
        (
            ctf(PUPIL, header="<Header><SourceSchool><LEA>800</LEA></SourceSchool></Header>"),
            "The file's Header has no DestSchool with an LEA and an Estab: export the CTF again",
        ),
        (ctf(), "The file has no pupils in it"),
    ],
)
def test_a_file_that_is_not_a_usable_ctf_says_why(data, message):
    preview = parse_ctf(data, TODAY)
    assert problems(preview) == [(0, None, message)]
    assert preview.notices == []


def test_a_namespaced_ctf_with_a_doctype_and_no_entities_is_read():
    data = ctf(PUPIL).replace(b"<CTfile>", b'<!DOCTYPE CTfile>\n<CTfile xmlns="http://www.dcsf.gov.uk/schemas/cbds">')
    preview = parse_ctf(data, TODAY)
    assert problems(preview) == []
    assert [(line, n.last_name, n.event_date) for line, n in preview.notices] == [(3, "Khan", date(2026, 7, 20))]


def test_a_ctf_sent_to_the_local_authority_names_no_school():
    header = (
        "<Header><DateTime>2026-07-20T15:42:10</DateTime><SourceSchool><LEA>800</LEA><Estab>2001</Estab>"
        "</SourceSchool><DestSchool><LEA>800</LEA><Estab>LLLL</Estab></DestSchool></Header>"
    )
    preview = parse_ctf(ctf(PUPIL, header=header), TODAY, default_ground="f")
    assert [(n.destination_laestab, n.deletion_ground) for _, n in preview.notices] == [("XXXXXXX", "f")]


def test_the_same_pupil_twice_in_a_ctf_is_reported_on_the_second():
    preview = parse_ctf(ctf(PUPIL + "\n" + PUPIL), TODAY)
    assert problems(preview) == [(3, None, "This notice repeats the one on line 2")]
    assert [line for line, _ in preview.notices] == [2]


# The benchmark's generators ------------------------------------------------------------------------------------


def test_the_generated_csv_parses_with_no_problems():
    data = make_notices_csv(250)
    assert data == make_notices_csv(250)
    preview = parse_notices_csv(data, uk_today())
    assert problems(preview) == []
    assert len(preview.notices) == 250
    assert {notice.kind for _, notice in preview.notices} == set(NoticeKind)


def test_the_generated_ctf_parses_with_no_problems():
    data = make_ctf(120)
    assert data == make_ctf(120)
    preview = parse_ctf(data, uk_today())
    assert problems(preview) == []
    assert len(preview.notices) == 120
    assert preview.source_laestab == "8002001"
    assert {(n.deletion_ground, n.destination_laestab) for _, n in preview.notices} == {("a", "8014001")}
