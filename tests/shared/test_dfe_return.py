"""The DfE's termly children missing education return: who was missing education on the census day, how long and
why, the totals by length band and primary reason category, the problems in the records, and the two CSVs (the
aggregate return and the team's child-level check), compared exactly."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from shared.domain.school_days import Period, SchoolCalendar
from shared.models import Case, Child, Referral
from shared.queries import dfe_return
from shared.queries.dfe_return import DataProblem
from tests.shared.test_dashboard_outcomes import at, statements

CALENDAR = SchoolCalendar(
    [
        Period("term", date(2025, 9, 3), date(2025, 12, 19)),
        Period("term", date(2026, 1, 5), date(2026, 3, 27)),
        Period("term", date(2026, 4, 13), date(2026, 7, 22)),
        Period("term", date(2026, 9, 2), date(2026, 10, 23)),
        Period("term", date(2026, 11, 2), date(2026, 12, 18)),
    ]
)
CENSUS = date(2026, 10, 8)  # a Thursday
CATEGORIES = [
    "School application awaiting outcome",
    "Offered school place but not yet accepted",
    "Waiting school start",
    "Did not get school preference",
    "Difficulty accessing suitable school place",
    "Did not apply for school place at compulsory school age",
    "Parental decision not to register at school",
    "Challenging school attendance order",
    "Unsuitable elective home education",
    "School dissatisfaction SEND",
    "School dissatisfaction general",
    "Mental health",
    "Physical health",
    "Moved in from another local authority",
    "Moved in from another country",
    "Believed to have moved to another local authority",
    "Believed to have moved to another country",
    "Unknown",
    "Other",
]
YEAR_GROUPS = ["Reception", *(f"Year {year}" for year in range(1, 12)), "Other year group", "Unknown"]
BANDS = [
    "4 weeks or less",
    "Over 4 weeks to 12 weeks",
    "Over 12 weeks to 26 weeks",
    "Over 26 weeks to 52 weeks",
    "Over 52 weeks",
    "Unknown",
]


def a_case(db, reference: str, opened: datetime, sex: str = "unknown", born: date | None = None, **fields) -> Case:
    child = Child(first_name="Ellie", last_name=f"Whitcombe{reference[-2:]}", sex=sex, date_of_birth=born)
    case = Case(reference=reference, child=child, opened_at=opened, **fields)
    db.add(case)
    db.flush()
    return case


@pytest.fixture
def cases(db, school):
    """Eleven cases around the census day, Thursday 8 October 2026. Counted: 1 (missing exactly 4 weeks), 2 (a day
    longer, and closed the day after the census), 3 (opened late on the census day, with no reason, date gone
    missing or date of birth: its report's date stands in for the first), 7 (placed in a school only after the
    census day), 9 (back to enquiries after a placement, with a reason no longer on the list) and 10 (missing since
    a date after the census day, and in Year 13). Not counted: 4 (closed on the census day), 5 (opened after
    midnight in England, still the 8th in UTC), 6 (on a roll before the census day, still monitored) and 8 (closed
    later on roll from before the census day); 11 is a second case for child 1."""
    placed = {"placed_school_id": school.id}
    first = a_case(
        db,
        "CSD0001",
        at(date(2026, 9, 14)),
        "female",
        date(2015, 4, 3),
        missing_since=date(2026, 9, 10),
        primary_reason="school_application_awaiting_outcome",
    )
    # A second case open for the same child: the child is counted once, under the case missing longest.
    db.add(
        Case(reference="CSD0011", child=first.child, opened_at=at(date(2026, 9, 21)), missing_since=date(2026, 9, 20))
    )
    a_case(
        db,
        "CSD0002",
        at(date(2026, 9, 9)),
        "male",
        date(2019, 10, 1),
        missing_since=date(2026, 9, 9),
        primary_reason="mental_health",
        status="closed",
        outcome="moved_to_other_la",
        closed_at=at(date(2026, 10, 9)),
    )
    third = a_case(db, "CSD0003", at(CENSUS, 23, 30))
    db.add(Referral(reference="RFD0003", source="public", received_at=at(date(2026, 10, 5), 9), case=third))
    a_case(
        db,
        "CSD0004",
        at(date(2026, 9, 1)),
        missing_since=date(2026, 9, 1),
        primary_reason="other",
        status="closed",
        outcome="moved_abroad",
        closed_at=at(CENSUS, 15),
    )
    a_case(db, "CSD0005", at(date(2026, 10, 9), 0, 30), missing_since=date(2026, 10, 1), primary_reason="other")
    a_case(
        db,
        "CSD0006",
        at(date(2026, 9, 1)),
        missing_since=date(2026, 9, 1),
        primary_reason="other",
        status="monitoring",
        located_on=date(2026, 10, 1),
        outcome_details={"on_roll_from": "2026-10-01"},
        **placed,
    )
    a_case(
        db,
        "CSD0007",
        at(date(2026, 7, 1)),
        "male",
        date(2021, 6, 1),
        missing_since=date(2026, 6, 29),
        primary_reason="believed_moved_abroad",
        status="monitoring",
        located_on=date(2026, 10, 12),
        outcome_details={"on_roll_from": "2026-10-12"},
        **placed,
    )
    a_case(
        db,
        "CSD0008",
        at(date(2026, 9, 1)),
        missing_since=date(2026, 9, 1),
        primary_reason="other",
        status="closed",
        outcome="on_roll",
        closed_at=at(date(2026, 10, 20)),
        located_on=date(2026, 10, 5),
        outcome_details={"date": "2026-10-05", "school": school.name},
        **placed,
    )
    a_case(
        db,
        "CSD0009",
        at(date(2026, 9, 1)),
        "female",
        date(2022, 1, 10),
        missing_since=date(2026, 10, 6),
        primary_reason="retired_code",
        status="enquiries",
        located_on=date(2026, 9, 20),
        outcome_details={"on_roll_from": "2026-09-20"},
        **placed,
    )
    a_case(
        db,
        "CSD0010",
        at(date(2026, 9, 30)),
        "female",
        date(2009, 5, 5),
        missing_since=date(2026, 10, 10),
        primary_reason="other",
    )
    db.commit()


def test_length_bands_meet_at_their_edges():
    assert [dfe_return.band_for(days) for days in (0, 28, 29, 84, 85, 182, 183, 364, 365, 2000, -1, None)] == [
        "4 weeks or less",
        "4 weeks or less",
        "Over 4 weeks to 12 weeks",
        "Over 4 weeks to 12 weeks",
        "Over 12 weeks to 26 weeks",
        "Over 12 weeks to 26 weeks",
        "Over 26 weeks to 52 weeks",
        "Over 26 weeks to 52 weeks",
        "Over 52 weeks",
        "Over 52 weeks",
        "Unknown",
        "Unknown",
    ]
    assert list(dfe_return.BAND_NAMES) == BANDS
    assert list(dfe_return.categories()) == CATEGORIES


def test_the_children_missing_education_on_the_census_day(db, cases):
    with statements(db) as seen:
        found = dfe_return.cme_on(db, CENSUS, CALENDAR)
    assert len(seen) == 1
    assert found.census_day == CENSUS and found.total == 6
    assert [
        (child.case_reference, child.sex, child.year_group, child.missing_since, child.missing_since_recorded)
        for child in found.children
    ] == [
        ("CSD0007", "Male", "Year 1", date(2026, 6, 29), True),
        ("CSD0002", "Male", "Year 2", date(2026, 9, 9), True),
        ("CSD0001", "Female", "Year 7", date(2026, 9, 10), True),
        ("CSD0003", "Unknown", "Unknown", date(2026, 10, 5), False),
        ("CSD0009", "Female", "Reception", date(2026, 10, 6), True),
        ("CSD0010", "Female", "Other year group", date(2026, 10, 10), True),
    ]
    assert [(child.calendar_days, child.school_days, child.band) for child in found.children] == [
        (101, 44, "Over 12 weeks to 26 weeks"),
        (29, 21, "Over 4 weeks to 12 weeks"),
        (28, 20, "4 weeks or less"),
        (3, 3, "4 weeks or less"),
        (2, 2, "4 weeks or less"),
        (None, None, "Unknown"),
    ]
    assert [(child.reason_code, child.reason_label, child.dfe_category) for child in found.children] == [
        (
            "believed_moved_abroad",
            "Believed to have moved to another country",
            "Believed to have moved to another country",
        ),
        ("mental_health", "Mental health", "Mental health"),
        (
            "school_application_awaiting_outcome",
            "School application awaiting outcome",
            "School application awaiting outcome",
        ),
        (None, None, "Unknown"),
        ("retired_code", "retired_code", "Unknown"),
        ("other", "Other", "Other"),
    ]
    # The running count of school days agrees with the calendar's own, over the summer holiday too.
    assert CALENDAR.school_days_between(date(2026, 6, 29), CENSUS) == 44
    assert found.problems == [
        DataProblem("CSD0003", dfe_return.NO_REASON),
        DataProblem("CSD0003", dfe_return.NO_MISSING_SINCE),
        DataProblem("CSD0003", dfe_return.NO_DATE_OF_BIRTH),
        DataProblem("CSD0009", "Primary reason retired_code is not on the list: counted under Unknown"),
        DataProblem("CSD0010", "Year group outside Reception to Year 11: check the child is of compulsory school age"),
        DataProblem("CSD0010", dfe_return.MISSING_AFTER_CENSUS),
        DataProblem("CSD0011", "Another case open for the same child, CSD0001, is counted: this one is not"),
    ]
    assert [(child.case_reference, len(child.problems)) for child in found.children if child.problems] == [
        ("CSD0003", 3),
        ("CSD0009", 1),
        ("CSD0010", 2),
    ]
    assert found.by_sex == [("Female", 3), ("Male", 2), ("Unknown", 1)]
    assert [(year, number) for year, number in found.by_year_group if number] == [
        ("Reception", 1),
        ("Year 1", 1),
        ("Year 2", 1),
        ("Year 7", 1),
        ("Other year group", 1),
        ("Unknown", 1),
    ]
    assert [year for year, _ in found.by_year_group] == YEAR_GROUPS
    assert found.by_band == [
        ("4 weeks or less", 3),
        ("Over 4 weeks to 12 weeks", 1),
        ("Over 12 weeks to 26 weeks", 1),
        ("Over 26 weeks to 52 weeks", 0),
        ("Over 52 weeks", 0),
        ("Unknown", 1),
    ]
    assert [category for category, _ in found.by_category] == CATEGORIES
    assert [(category, number) for category, number in found.by_category if number] == [
        ("School application awaiting outcome", 1),
        ("Mental health", 1),
        ("Believed to have moved to another country", 1),
        ("Unknown", 2),
        ("Other", 1),
    ]
    assert len(found.cells) == len(CATEGORIES) * len(BANDS)
    assert {cell: number for cell, number in found.cells.items() if number} == {
        ("School application awaiting outcome", "4 weeks or less"): 1,
        ("Mental health", "Over 4 weeks to 12 weeks"): 1,
        ("Believed to have moved to another country", "Over 12 weeks to 26 weeks"): 1,
        ("Unknown", "4 weeks or less"): 2,
        ("Other", "Unknown"): 1,
    }


def test_a_census_day_before_any_case_lists_every_band_and_category_with_none(db, cases):
    found = dfe_return.cme_on(db, date(2026, 6, 1), CALENDAR)
    assert (found.total, found.children, found.problems) == (0, [], [])
    assert found.by_band == [(band, 0) for band in BANDS]
    assert found.by_category == [(category, 0) for category in CATEGORIES]
    assert found.by_sex == [(sex, 0) for sex in ("Female", "Male", "Unknown")]
    assert found.by_year_group == [(year, 0) for year in YEAR_GROUPS]
    lines = dfe_return.return_csv(found, "999").splitlines()
    assert "999,2026-06-01,Primary reason category,Total,Total,0" in lines
    assert lines[-1] == "999,2026-06-01,Year group,Unknown,Total,0"


def test_the_return_is_the_aggregate_table(db, cases):
    text = dfe_return.return_csv(dfe_return.cme_on(db, CENSUS, CALENDAR), "999")
    counts = {
        ("School application awaiting outcome", "4 weeks or less"): 1,
        ("School application awaiting outcome", "Total"): 1,
        ("Mental health", "Over 4 weeks to 12 weeks"): 1,
        ("Mental health", "Total"): 1,
        ("Believed to have moved to another country", "Over 12 weeks to 26 weeks"): 1,
        ("Believed to have moved to another country", "Total"): 1,
        ("Unknown", "4 weeks or less"): 2,
        ("Unknown", "Total"): 2,
        ("Other", "Unknown"): 1,
        ("Other", "Total"): 1,
        ("Total", "4 weeks or less"): 3,
        ("Total", "Over 4 weeks to 12 weeks"): 1,
        ("Total", "Over 12 weeks to 26 weeks"): 1,
        ("Total", "Unknown"): 1,
        ("Total", "Total"): 6,
    }
    by_sex = {"Female": 3, "Male": 2, "Unknown": 1}
    by_year = {"Reception": 1, "Year 1": 1, "Year 2": 1, "Year 7": 1, "Other year group": 1, "Unknown": 1}
    day = "999,2026-10-08"
    expected = [
        "la_code,census_date,breakdown_topic,breakdown,length_of_time_missing,child_count",
        *(
            f"{day},Primary reason category,{category},{band},{counts.get((category, band), 0)}"
            for category in [*CATEGORIES, "Total"]
            for band in [*BANDS, "Total"]
        ),
        *(f"{day},Sex,{sex},Total,{number}" for sex, number in by_sex.items()),
        *(f"{day},Year group,{year},Total,{by_year.get(year, 0)}" for year in YEAR_GROUPS),
    ]
    assert text == "\r\n".join(expected) + "\r\n"
    assert text.splitlines()[1:3] == [
        "999,2026-10-08,Primary reason category,School application awaiting outcome,4 weeks or less,1",
        "999,2026-10-08,Primary reason category,School application awaiting outcome,Over 4 weeks to 12 weeks,0",
    ]
    assert text.splitlines()[140:144] == [
        "999,2026-10-08,Primary reason category,Total,Total,6",
        "999,2026-10-08,Sex,Female,Total,3",
        "999,2026-10-08,Sex,Male,Total,2",
        "999,2026-10-08,Sex,Unknown,Total,1",
    ]
    assert len(text.splitlines()) == 1 + 20 * 7 + 3 + 14
    assert "Whitcombe" not in text and "CSD" not in text  # no child named or referenced


def test_the_child_level_detail_for_the_teams_checking(db, cases):
    text = dfe_return.return_detail_csv(dfe_return.cme_on(db, CENSUS, CALENDAR))
    assert text.split("\r\n") == [
        "case_reference,sex,year_group,missing_since,missing_since_recorded,calendar_days_missing,school_days_missing,"
        "length_of_time_missing,primary_reason_code,primary_reason,dfe_category,problems",
        "CSD0007,Male,Year 1,2026-06-29,yes,101,44,Over 12 weeks to 26 weeks,believed_moved_abroad,"
        "Believed to have moved to another country,Believed to have moved to another country,",
        "CSD0002,Male,Year 2,2026-09-09,yes,29,21,Over 4 weeks to 12 weeks,mental_health,Mental health,Mental health,",
        "CSD0001,Female,Year 7,2026-09-10,yes,28,20,4 weeks or less,school_application_awaiting_outcome,"
        "School application awaiting outcome,School application awaiting outcome,",
        "CSD0003,Unknown,Unknown,2026-10-05,no,3,3,4 weeks or less,,,Unknown,"
        "No primary reason recorded: counted under Unknown; "
        "No date the child went missing recorded: the date of the case's first item is used; "
        "No date of birth recorded: year group counted as Unknown",
        "CSD0009,Female,Reception,2026-10-06,yes,2,2,4 weeks or less,retired_code,retired_code,Unknown,"
        "Primary reason retired_code is not on the list: counted under Unknown",
        "CSD0010,Female,Other year group,2026-10-10,yes,,,Unknown,other,Other,Other,"
        "Year group outside Reception to Year 11: check the child is of compulsory school age; "
        "Missing since a date after the census day: length of time counted as Unknown",
        "",
    ]
    assert "Whitcombe" not in text


def test_the_return_needs_the_authoritys_three_digit_code(db, cases):
    found = dfe_return.cme_on(db, CENSUS, CALENDAR)
    for code in ("", "99", "9999", "abc"):
        with pytest.raises(ValueError, match="3 digits"):
            dfe_return.return_csv(found, code)
