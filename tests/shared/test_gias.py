"""Reading the GIAS establishment CSV as the DfE publishes it, and as spreadsheets and editors leave it."""

import codecs
import csv
import io
from datetime import date

import pytest

from shared.importers.gias import MAX_PROBLEMS, Establishment, GiasError, read_establishments

# The columns the register reads, in the national file's order, among some it ignores.
HEADER = [
    "URN",
    "LA (code)",
    "LA (name)",
    "EstablishmentNumber",
    "EstablishmentName",
    "TypeOfEstablishment (code)",
    "TypeOfEstablishment (name)",
    "EstablishmentTypeGroup (code)",
    "EstablishmentTypeGroup (name)",
    "EstablishmentStatus (code)",
    "EstablishmentStatus (name)",
    "OpenDate",
    "CloseDate",
    "PhaseOfEducation (code)",
    "PhaseOfEducation (name)",
    "StatutoryLowAge",
    "StatutoryHighAge",
    "NumberOfPupils",
    "Street",
    "Locality",
    "Address3",
    "Town",
    "County (name)",
    "Postcode",
    "SchoolWebsite",
    "UPRN",
]

MILLFIELD = {
    "URN": "990101",
    "LA (code)": "999",
    "LA (name)": "Northbridge",
    "EstablishmentNumber": "2101",
    "EstablishmentName": "Millfield Primary School",
    "TypeOfEstablishment (code)": "01",
    "TypeOfEstablishment (name)": "Community school",
    "EstablishmentTypeGroup (code)": "4",
    "EstablishmentTypeGroup (name)": "Local authority maintained schools",
    "EstablishmentStatus (code)": "1",
    "EstablishmentStatus (name)": "Open",
    "OpenDate": "01-09-1974",
    "CloseDate": "",
    "PhaseOfEducation (code)": "2",
    "PhaseOfEducation (name)": "Primary",
    "StatutoryLowAge": "4",
    "StatutoryHighAge": "11",
    "NumberOfPupils": "398",
    "Street": "Mill Lane",
    "Locality": "Millfield",
    "Address3": "",
    "Town": "Northbridge",
    "County (name)": "Northshire",
    "Postcode": "NB1 1AA",
    "SchoolWebsite": "www.millfield-primary.example",
    "UPRN": "100010000101",
}

MILLFIELD_ROW = Establishment(
    urn=990101,
    la_code="999",
    establishment_number="2101",
    name="Millfield Primary School",
    establishment_type="Community school",
    type_group="Local authority maintained schools",
    status="Open",
    phase="Primary",
    statutory_low_age=4,
    statutory_high_age=11,
    street="Mill Lane",
    town="Northbridge",
    postcode="NB1 1AA",
    open_date=date(1974, 9, 1),
    close_date=None,
)


def csv_text(*rows: dict, header: list[str] = HEADER) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([row.get(column, "") for column in header] for row in rows)
    return out.getvalue()


def read(data: bytes) -> list[Establishment]:
    return list(read_establishments(io.BytesIO(data)))


def problem_lines(data: bytes) -> list[str]:
    with pytest.raises(GiasError) as raised:
        read(data)
    return str(raised.value).splitlines()


def test_a_utf8_file_gives_each_school_in_the_registers_terms():
    rows = read(csv_text(MILLFIELD, {**MILLFIELD, "URN": "990103", "EstablishmentName": "St Mary’s"}).encode())
    assert rows[0] == MILLFIELD_ROW
    assert [row.name for row in rows] == ["Millfield Primary School", "St Mary’s"]


def test_a_byte_order_mark_does_not_hide_the_urn_column():
    data = codecs.BOM_UTF8 + csv_text({**MILLFIELD, "EstablishmentName": "St Mary’s"}).encode()
    assert [(row.urn, row.name) for row in read(data)] == [(990101, "St Mary’s")]


def test_a_windows_1252_file_as_gias_publishes_it():
    data = csv_text({**MILLFIELD, "EstablishmentName": "St Mary’s Church of England Primary School"}).encode("cp1252")
    assert b"Mary\x92s" in data
    assert [row.name for row in read(data)] == ["St Mary’s Church of England Primary School"]


def test_a_file_that_is_neither_utf8_nor_windows_1252_is_refused():
    data = csv_text({**MILLFIELD, "EstablishmentName": "Mill"}).encode().replace(b"Mill,", b"Mill\x81,")
    assert problem_lines(data) == [
        "Line 2: the file is not UTF-8 or Windows-1252 text (it has the byte 0x81): download the CSV from GIAS again"
    ]


def test_dates_are_day_month_year_and_empty_optional_fields_are_none():
    bare = {
        **MILLFIELD,
        "EstablishmentNumber": "",
        "OpenDate": "",
        "CloseDate": "31-08-2019",
        "StatutoryLowAge": "",
        "StatutoryHighAge": "",
        "Street": "",
        "Town": "",
        "Postcode": "",
    }
    (row,) = read(csv_text(bare).encode())
    assert row.close_date == date(2019, 8, 31)
    assert (row.open_date, row.establishment_number, row.statutory_low_age, row.statutory_high_age) == (
        None,
        None,
        None,
        None,
    )
    assert (row.street, row.town, row.postcode) == (None, None, None)


def test_values_are_tidied_as_the_register_keeps_them():
    messy = {**MILLFIELD, "EstablishmentNumber": "101", "EstablishmentName": "  Millfield  ", "Postcode": "nb11aa"}
    (row,) = read(csv_text(messy).encode())
    assert (row.establishment_number, row.name, row.postcode) == ("0101", "Millfield", "NB1 1AA")
    (overseas,) = read(csv_text({**MILLFIELD, "Postcode": "75008"}).encode())
    assert overseas.postcode == "75008"


def test_a_quoted_status_with_a_comma_and_an_excel_resaved_date():
    closing = {**MILLFIELD, "EstablishmentStatus (name)": "Open, but proposed to close", "OpenDate": "01/09/1974"}
    (row,) = read(csv_text(closing).encode())
    assert (row.status, row.open_date) == ("Open, but proposed to close", date(1974, 9, 1))


def test_missing_columns_are_named():
    header = [column for column in HEADER if column not in ("URN", "Postcode")]
    assert problem_lines(csv_text(MILLFIELD, header=header).encode()) == [
        "The file is not a GIAS establishment CSV: it has no columns 'URN', 'Postcode'"
    ]
    assert problem_lines(b"") == ["The file is empty"]


def test_a_bad_row_is_named_by_line_and_column_and_no_row_is_given():
    rows = csv_text(MILLFIELD, {**MILLFIELD, "URN": "99O102"}, {**MILLFIELD, "URN": "990103"}).encode()
    assert problem_lines(rows) == [
        "The file has 1 problem:",
        "Line 3, URN: must be a number, like 100000, not '99O102'",
    ]


def test_every_problem_is_listed_with_its_line():
    rows = [
        MILLFIELD,
        {**MILLFIELD, "URN": "990102", "OpenDate": "2015-09-01", "CloseDate": "31-02-2020"},
        {**MILLFIELD, "URN": "990103", "EstablishmentName": "", "StatutoryLowAge": "four"},
        {**MILLFIELD, "URN": "990101"},
        {**MILLFIELD, "URN": "990104", "LA (code)": "99"},
    ]
    assert problem_lines(csv_text(*rows).encode()) == [
        "The file has 6 problems:",
        "Line 3, OpenDate: must be a date written dd-mm-yyyy, like 01-09-2015, not '2015-09-01'",
        "Line 3, CloseDate: must be a date written dd-mm-yyyy, like 01-09-2015, not '31-02-2020'",
        "Line 4, EstablishmentName: is empty",
        "Line 4, StatutoryLowAge: must be an age in whole years, like 11, not 'four'",
        "Line 5, URN: 990101 is already on line 2",
        "Line 6, LA (code): must be 3 digits, like 201, not '99'",
    ]


def test_line_numbers_count_lines_inside_quoted_values_and_skip_blank_rows():
    text = csv_text(MILLFIELD, {**MILLFIELD, "URN": "990102", "Street": "Mill Lane\nMillfield"})
    text += "\r\n,,,\r\n" + csv_text({**MILLFIELD, "URN": "x"}).split("\r\n", 1)[1]
    assert problem_lines(text.encode())[1:] == ["Line 7, URN: must be a number, like 100000, not 'x'"]


def test_a_row_with_too_few_values_is_refused():
    text = csv_text(MILLFIELD) + "990102,999,Northbridge\r\n"
    assert problem_lines(text.encode())[1:] == ["Line 3: has 3 values but the header has 26 columns"]


def test_reading_stops_after_so_many_problems():
    text = csv_text(*({**MILLFIELD, "URN": f"x{n}"} for n in range(50)))
    lines = problem_lines(text.encode())
    assert lines[0] == f"The file has {MAX_PROBLEMS} problems or more (reading stopped there):"
    assert len(lines) == 1 + MAX_PROBLEMS


def test_a_workbook_is_not_taken_for_a_csv_file():
    assert problem_lines(b"PK\x03\x04rest of a zip") == [
        "The file is an Excel workbook, not a CSV file: download the CSV from GIAS again"
    ]


def test_a_nul_character_an_overlong_value_or_a_huge_number_is_refused():
    rows = [{**MILLFIELD, "Street": "Mill\x00Lane"}, {**MILLFIELD, "URN": "9" * 60, "Town": "T" * 101}]
    assert problem_lines(csv_text(*rows).encode()) == [
        "The file has 3 problems:",
        "Line 2, Street: has a NUL character in it",
        "Line 3, URN: must be a number, like 100000, not '9999999999999999999999999999999999999999...'",
        "Line 3, Town: is longer than 100 characters",
    ]
    huge = csv_text({**MILLFIELD, "Town": "x" * 200_000})
    assert problem_lines(huge.encode()) == [
        "Line 2: the file is not a readable CSV file (field larger than field limit (131072))"
    ]
