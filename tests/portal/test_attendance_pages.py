"""The team's attendance pages: the authority's figures and its schools for a term, a school's pupils under 90% and
50% (names only for the roles that work cases), and a placed child's attendance on their case page."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from shared.models import AttendanceSchoolWeek, Child
from tests.conftest import get_page, sign_in, text_of
from tests.portal.test_cases import a_case
from tests.shared.test_attendance_queries import MON, pupils  # noqa: F401  (the fixture of stored weeks)

TERM = "?term=2026-autumn"


def summary(page) -> dict[str, str]:
    return {
        text_of(row.find("dt")): text_of(row.find("dd"))
        for row in page.find(id="measures").find_all(class_="govuk-summary-list__row")
    }


def table(page, id: str) -> list[list[str]]:
    return [[text_of(cell) for cell in row.find_all(["td", "th"])] for row in page.find(id=id).tbody.find_all("tr")]


@pytest.fixture
def rollups(db, school, pupils):  # noqa: F811
    """The weekly rollups the import keeps for the stored weeks of `pupils` (the overview reads these)."""
    riverside = pupils["riverside"]
    second = MON + timedelta(days=7)
    # school, week, pupils, possible, present, authorised, unauthorised, unexplained, term so far: pupils,
    # persistent (Ben 4 of 10 missed in week 1; Ben 4 of 20 and Cal 10 of 20 by week 2), severe (Cal by week 2)
    for row in (
        (school.id, MON, 3, 30, 26, 4, 0, 0, 3, 1, 0),
        (school.id, second, 3, 30, 20, 0, 10, 10, 3, 2, 1),
        (riverside.id, MON, 1, 10, 10, 0, 0, 0, 1, 0, 0),
    ):
        db.add(AttendanceSchoolWeek(**dict(zip(ROLLUP_COLUMNS, row, strict=True))))
    db.commit()


ROLLUP_COLUMNS = (
    "school_id",
    "week_start",
    "pupils",
    "possible",
    "present",
    "authorised",
    "unauthorised",
    "unexplained",
    "term_pupils",
    "term_persistent",
    "term_severe",
)


def test_the_authoritys_attendance_for_a_term(client, users, rollups):
    sign_in(client, "manager@northbridge.example")
    page = get_page(client, "/staff/attendance" + TERM)
    assert text_of(page.h1) == "Attendance"
    assert summary(page) == {
        "Attendance": "80.0%",
        "Authorised absence": "5.7%",
        "Unauthorised absence": "14.3%",
        "Pupils": "4",
        "Persistently absent (10% or more missed)": "2 (50.0%)",
        "Severely absent (50% or more missed)": "1 (25.0%)",
        "Possible sessions": "70",
    }
    assert table(page, "schools") == [
        ["Millfield Primary School", "3", "76.7%", "16.7%", "66.7%", "33.3%"],
        ["Riverside Junior School", "1", "100.0%", "0.0%", "0.0%", "0.0%"],
    ]
    # A manager sees figures, not files of pupils' marks, and cannot upload.
    assert page.find(id="imports") is None
    assert page.find("a", string="Upload a file of attendance marks") is None


def test_a_term_without_marks_says_so(client, users, pupils):  # noqa: F811
    sign_in(client, "officer@northbridge.example")
    page = get_page(client, "/staff/attendance?term=2026-summer")
    assert text_of(page.find(id="no-marks")) == "No attendance marks have been imported for summer term 2026 yet."


def test_an_officer_sees_a_schools_pupils_under_90_and_50_percent(client, users, pupils):  # noqa: F811
    sign_in(client, "officer@northbridge.example")
    page = get_page(client, "/staff/attendance/schools/990101" + TERM)
    assert text_of(page.h1) == "Millfield Primary School"
    assert summary(page)["Attendance"] == "76.7%"
    assert table(page, "under-90") == [
        ["Cal Carter", "Z801200005003", "50.0%", "10 of 20", "10", "None"],
        ["Ben Baker", "A801200005002", "80.0%", "4 of 20", "0", "None"],
    ]
    assert page.find(id="under-50") is None
    assert text_of(page.find(id="under-50-heading").find_next("p")) == (
        "No pupil attended less than half their possible sessions this term."
    )


def test_a_manager_sees_a_schools_figures_but_no_pupils(client, users, pupils):  # noqa: F811
    sign_in(client, "manager@northbridge.example")
    page = get_page(client, "/staff/attendance/schools/990101" + TERM)
    assert summary(page)["Pupils"] == "3"
    assert page.find(id="under-90") is None and "Cal" not in page.get_text()


def test_an_unknown_school_is_not_found(client, users):
    sign_in(client, "officer@northbridge.example")
    get_page(client, "/staff/attendance/schools/123456", status=404)


def test_a_current_run_of_unexplained_absence_shows_on_the_list(client, db, users, pupils):  # noqa: F811
    cal = pupils["cal"]
    cal.current_run_sessions, cal.current_run_start = 10, MON + timedelta(days=7)
    db.commit()
    sign_in(client, "officer@northbridge.example")
    page = get_page(client, "/staff/attendance/schools/990101" + TERM)
    assert table(page, "under-90")[0][-1] == "5 school days since 9 November 2026"


@pytest.fixture
def placed_case(app, db, users, school, pupils):  # noqa: F811
    child = Child(first_name="Cal", last_name="Carter", date_of_birth=date(2015, 4, 3), sex="male")
    db.add(child)
    db.flush()
    pupils["cal"].child_id = child.id
    case = a_case(app, db, users, child=child)
    case.status, case.placed_school_id = "monitoring", school.id
    case.outcome_details = {"on_roll_from": (MON + timedelta(days=3)).isoformat()}
    db.commit()
    return case


def test_a_placed_childs_case_shows_attendance_since_placement(client, users, placed_case):
    sign_in(client, "officer@northbridge.example")
    page = get_page(client, f"/staff/cases/{placed_case.reference}")
    assert text_of(page.find(id="placement-heading").find_next("p")) == (
        "At Millfield Primary School from 5 November 2026 to 13 November 2026: 28.6% attendance, "
        "10 of 14 sessions missed (10 unauthorised)."
    )
    assert table(page, "placement-weeks") == [
        ["2 November 2026", "100.0%", "0 of 4"],
        ["9 November 2026", "0.0%", "10 of 10"],
    ]


def test_a_placed_child_with_no_marks_since_says_so(client, db, users, placed_case):
    placed_case.outcome_details = {"on_roll_from": "2026-11-30"}
    db.commit()
    sign_in(client, "officer@northbridge.example")
    page = get_page(client, f"/staff/cases/{placed_case.reference}")
    assert text_of(page.find(id="no-placement-attendance")) == (
        "No attendance marks for Cal at Millfield Primary School have been imported since 30 November 2026."
    )
