"""The school picker on notice forms: a search of the schools register for every form that asks for a school,
with a plain list when JavaScript is off, and LAESTABs checked against the register."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from shared.clock import uk_today
from shared.domain.notices import check_notice
from shared.models import School, SchoolNotice
from shared.services import schools as school_service
from shared.services import users as user_service
from tests.conftest import PASSWORD, csrf_token, error_summary, get_page, parse, sign_in, text_of

LAST_MONTH = uk_today() - timedelta(days=30)


def a_school(urn, la_code, number, name, town, *, status="Open", ages=(4, 11), type_group="Academies") -> School:
    return School(
        urn=urn,
        la_code=la_code,
        establishment_number=number,
        name=name,
        town=town,
        postcode="NB3 3CC",
        establishment_type="Academy converter",
        type_group=type_group,
        phase="Primary",
        status=status,
        statutory_low_age=ages[0],
        statutory_high_age=ages[1],
        street="1 School Lane",
    )


@pytest.fixture
def register(db, school):
    """The signed-in school's authority (LA 999) and a neighbour (LA 888), as GIAS lists them. The `school`
    fixture adds Millfield Primary School (9992101) and Riverside Junior School (9992102), both open."""
    millfield, riverside = school, db.scalar(select(School).where(School.urn == 990102))
    millfield.town, riverside.town = "Northbridge", "Eastmouth"
    db.add_all(
        [
            a_school(990201, "999", "4001", "Northbridge Academy", "Northbridge", ages=(11, 16)),
            a_school(990202, "999", "2103", "Old Mill Infant School", "Northbridge", status="Closed"),
            a_school(990203, "999", "1001", "Little Acorns Nursery School", "Northbridge", ages=(2, 5)),
            a_school(990204, "999", "8001", "Northbridge Sixth Form College", "Northbridge", ages=(16, 19)),
            a_school(990205, "999", None, "Northbridge Children's Centre", "Northbridge", ages=(0, 5)),
            a_school(
                990206,
                "999",
                "2104",
                "St Mary’s Church of England Primary School",
                "Westholme",
                status="Open, but proposed to close",
            ),
            a_school(990301, "888", "4001", "Millbrook High School", "Southport Vale", ages=(11, 16)),
            a_school(
                990302,
                "888",
                "6001",
                "Millbrook House School",
                "Southport Vale",
                ages=(3, 18),
                type_group="Independent schools",
            ),
        ]
    )
    db.commit()


@pytest.fixture
def school_client(client, users, register):
    sign_in(client, "school@northbridge.example")
    return client


def search(client, text: str):
    return client.get("/schools/school-search", query_string={"q": text})


def found(client, text: str) -> list[str]:
    return [school["name"] for school in search(client, text).get_json()["schools"]]


# The register's own rules


def test_an_empty_register_blocks_no_laestab(db):
    assert school_service.unknown_laestabs(db, ["9992101", "8881234"]) == set()


def test_laestabs_not_in_the_register_are_named(db, school):
    assert school_service.unknown_laestabs(db, ["9992101", "9992102", "9992103", "8882101"]) == {
        "9992103",
        "8882101",
    }


def test_only_seven_digit_laestabs_are_looked_up(db, school):
    assert school_service.unknown_laestabs(db, ["", "XXXXXXX", "MMMMMMM", "999210", "99921011", "9992101"]) == set()


def test_a_notice_s_previous_and_new_schools_are_both_checked_against_the_register(db, school):
    from datetime import date

    from shared.domain.notices import CheckedNotice
    from shared.domain.vocab import NoticeKind

    notice = CheckedNotice(
        kind=NoticeKind.LEAVER,
        first_name="Ada",
        last_name="Lovelace",
        date_of_birth=date(2015, 1, 1),
        event_date=date(2026, 9, 3),
        destination_laestab="8882101",
        details={"previous_school_laestab": "9992103"},
    )
    unknown_destination = CheckedNotice(**{**vars(notice), "destination_laestab": "XXXXXXX", "details": {}})
    assert school_service.not_in_register(db, [notice.schools(), unknown_destination.schools()]) == [
        {"previous_school_laestab": "9992103", "destination_laestab": "8882101"},
        {},
    ]


def test_many_laestabs_are_looked_up_in_batches(db, school):
    laestabs = [f"999{number:04d}" for number in range(1, 1201)]
    assert school_service.unknown_laestabs(db, laestabs) == set(laestabs) - {"9992101", "9992102"}


def test_a_reused_laestab_finds_the_open_school(db, school):
    db.add(a_school(990001, "999", "2101", "Old Millfield School", "Northbridge", status="Closed"))
    db.commit()
    assert school_service.school_with_laestab(db, "9992101").name == "Millfield Primary School"
    assert school_service.school_with_laestab(db, "9992109") is None
    assert school_service.school_with_laestab(db, "XXXXXXX") is None


def test_a_previous_school_laestab_must_be_seven_digits():
    answers = {
        "kind": "joiner",
        "first_name": "Amy",
        "last_name": "Lee",
        "date_of_birth": "2015-10-01",
        "event_date": "2026-09-03",
        "address": "1 Mill Road",
        "postcode": "NB1 1AA",
        "parent_name": "Jo Lee",
        "parent_phone": "07700 900123",
        "previous_school": "Millfield Primary School",
    }
    checked, problems = check_notice({**answers, "previous_school_laestab": "999-2101"}, date(2026, 11, 23))
    assert [(problem.field, problem.message) for problem in problems] == [
        (
            "previous_school_laestab",
            "Previous school (LAESTAB) must be 7 digits: the local authority number and the school's number",
        )
    ]
    checked, problems = check_notice({**answers, "previous_school_laestab": "9992101"}, date(2026, 11, 23))
    assert problems == []
    assert (checked.details["previous_school"], checked.details["previous_school_laestab"]) == (
        "Millfield Primary School",
        "9992101",
    )


# The search


def test_the_search_finds_schools_by_name_town_urn_and_laestab_with_only_the_registers_public_facts(school_client):
    response = search(school_client, "mill")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, max-age=300"
    assert response.get_json() == {
        "schools": [
            {"name": "Millbrook High School", "urn": 990301, "laestab": "8884001", "town": "Southport Vale",
             "postcode": "NB3 3CC", "status": "Open"},
            {"name": "Millbrook House School", "urn": 990302, "laestab": "8886001", "town": "Southport Vale",
             "postcode": "NB3 3CC", "status": "Open"},
            {"name": "Millfield Primary School", "urn": 990101, "laestab": "9992101", "town": "Northbridge",
             "postcode": "NB1 1AA", "status": "Open"},
            {"name": "Old Mill Infant School", "urn": 990202, "laestab": "9992103", "town": "Northbridge",
             "postcode": "NB3 3CC", "status": "Closed"},
        ]
    }  # fmt: skip
    assert found(school_client, "westholme") == ["St Mary’s Church of England Primary School"]
    assert found(school_client, "990102") == ["Riverside Junior School"]
    assert found(school_client, "8884001") == ["Millbrook High School"]
    assert found(school_client, "888/4001") == ["Millbrook High School"]
    assert found(school_client, "888 4001") == ["Millbrook High School"]
    assert found(school_client, "northbridge academy") == ["Northbridge Academy"]
    assert found(school_client, "") == []
    assert found(school_client, "   ") == []
    assert found(school_client, "9999999") == []


def test_the_search_gives_at_most_twenty_schools(school_client, db):
    db.add_all(a_school(991000 + n, "777", f"{3000 + n}", f"Hilltop School {n:02d}", "Hilltop") for n in range(25))
    db.commit()
    assert found(school_client, "hilltop") == [f"Hilltop School {n:02d}" for n in range(20)]


def test_only_school_users_may_search_the_register(app, client, users, register):
    anonymous = client.get("/schools/school-search?q=mill")
    assert (anonymous.status_code, anonymous.location) == (302, "/sign-in?next=%2Fschools%2Fschool-search%3Fq%3Dmill")
    for role in ("officer", "lead", "manager", "admin"):
        staff = app.test_client()
        sign_in(staff, f"{role}@northbridge.example")
        assert search(staff, "mill").status_code == 403, role


def test_every_school_searches_the_same_public_register(app, school_client, db):
    user_service.create_user(db, "other@riverside.example", "Other School", "school", PASSWORD, school_urn=990102)
    other = app.test_client()
    sign_in(other, "other@riverside.example")
    assert search(other, "mill").get_json() == search(school_client, "mill").get_json()


# The forms


def a_pupil(**changes) -> dict:
    pupil = {
        "upn": "B801200005001",
        "first_name": "Amy",
        "last_name": "Lee",
        "date_of_birth": ["1", "10", str(uk_today().year - 11)],
        "sex": "F",
        "address": "1 Mill Road, Northbridge",
        "postcode": "nb1 1aa",
        "parent_name": "Jo Lee",
        "parent_phone": "07700 900123",
        "event_date": [str(LAST_MONTH.day), str(LAST_MONTH.month), str(LAST_MONTH.year)],
    }
    pupil.update(changes)
    return pupil


def checked(client, kind: str, answers: dict):
    page = get_page(client, f"/schools/notices/new/{kind}")
    return client.post(
        f"/schools/notices/new/{kind}", data={"csrf_token": csrf_token(page), "action": "check", **answers}
    )


def carried(page, action: str) -> MultiDict:
    """The answers the check page sends back, with the button pressed."""
    form = MultiDict((field["name"], field.get("value", "")) for field in page.select("form input[type=hidden]"))
    form.add("action", action)
    return form


def send(client, kind: str, answers: dict) -> SchoolNotice:
    check_page = parse(checked(client, kind, answers))
    assert check_page.h1.get_text(strip=True) == "Check the notice before you send it", error_summary(check_page)
    response = client.post(f"/schools/notices/new/{kind}", data=carried(check_page, "send"))
    assert response.status_code == 302
    return response


def options(page, name: str) -> list[tuple[str, str]]:
    return [(option["value"], text_of(option)) for option in page.select(f"select[name={name}] option")]


LISTED = [
    ("9992101", "Millfield Primary School, Northbridge (LAESTAB 9992101)"),
    ("9992104", "St Mary’s Church of England Primary School, Westholme (LAESTAB 9992104)"),
    ("9994001", "Northbridge Academy, Northbridge (LAESTAB 9994001)"),
    ("9992102", "Riverside Junior School, Eastmouth (LAESTAB 9992102)"),
]


def test_without_javascript_the_forms_list_the_authoritys_open_schools_that_take_pupils_of_school_age(school_client):
    joiner = get_page(school_client, "/schools/notices/new/joiner")
    assert options(joiner, "previous_school_laestab") == [
        ("", "Not known"),
        ("9992101", "Millfield Primary School, Northbridge (LAESTAB 9992101)"),
        ("9994001", "Northbridge Academy, Northbridge (LAESTAB 9994001)"),
        ("9992102", "Riverside Junior School, Eastmouth (LAESTAB 9992102)"),
        ("9992104", "St Mary’s Church of England Primary School, Westholme (LAESTAB 9992104)"),
        ("other", "A school not in this list"),
    ]
    assert text_of(joiner.find("label", {"for": "previous_school_laestab"})) == "Previous school (optional)"
    other = joiner.select_one("[data-cme-school-other]")
    assert text_of(other.legend) == "A school not in this list"
    assert [input_["name"] for input_ in other.select("input")] == ["previous_school_other_laestab", "previous_school"]
    leaver = get_page(school_client, "/schools/notices/new/leaver")
    assert options(leaver, "destination_laestab")[0] == ("", "Select a school")
    assert options(leaver, "destination_laestab")[1:] == options(joiner, "previous_school_laestab")[1:]
    # the new school is asked for under "Another school in England"
    conditional = leaver.select_one("#conditional-destination")
    assert conditional.select_one("select")["name"] == "destination_laestab"
    assert leaver.select_one("input[name=destination][value=school]")["data-aria-controls"] == "conditional-destination"
    picker = leaver.select_one("[data-module=cme-school-picker]")
    assert picker["data-search-url"] == "/schools/school-search"


def test_a_joiners_previous_school_chosen_from_the_list_is_kept_with_its_laestab(school_client, db):
    answers = a_pupil(previous_school_laestab="9992102", previous_school="Typed but not used")
    check_page = parse(checked(school_client, "joiner", answers))
    rows = {text_of(row.dt): text_of(row.dd) for row in check_page.select(".govuk-summary-list__row")}
    assert rows["Previous school"] == "Riverside Junior School (LAESTAB 9992102)"
    # Change the answers: the school is still chosen
    page = parse(school_client.post("/schools/notices/new/joiner", data=carried(check_page, "change")))
    assert page.select_one("select[name=previous_school_laestab] option[selected]")["value"] == "9992102"
    send(school_client, "joiner", answers)
    notice = db.scalars(select(SchoolNotice)).one()
    assert (notice.details["previous_school"], notice.details["previous_school_laestab"]) == (
        "Riverside Junior School",
        "9992102",
    )
    page = get_page(school_client, f"/schools/notices/{notice.reference}")
    rows = {text_of(row.dt): text_of(row.dd) for row in page.select(".govuk-summary-list__row")}
    assert rows["Previous school"] == "Riverside Junior School (LAESTAB 9992102)"


def test_a_school_the_search_found_outside_the_list_stays_chosen(school_client, db):
    answers = a_pupil(previous_school_laestab="8886001")
    check_page = parse(checked(school_client, "joiner", answers))
    rows = {text_of(row.dt): text_of(row.dd) for row in check_page.select(".govuk-summary-list__row")}
    assert rows["Previous school"] == "Millbrook House School (LAESTAB 8886001)"
    page = parse(school_client.post("/schools/notices/new/joiner", data=carried(check_page, "change")))
    assert options(page, "previous_school_laestab")[:2] == [
        ("", "Not known"),
        ("8886001", "Millbrook House School, Southport Vale (LAESTAB 8886001)"),
    ]
    assert page.select_one("select[name=previous_school_laestab] option[selected]")["value"] == "8886001"


def test_a_previous_school_outside_england_is_given_by_name(school_client, db):
    send(
        school_client,
        "joiner",
        a_pupil(previous_school_laestab="other", previous_school="Ysgol Gymraeg Aberystwyth, Wales"),
    )
    notice = db.scalars(select(SchoolNotice)).one()
    assert notice.details["previous_school"] == "Ysgol Gymraeg Aberystwyth, Wales"
    assert "previous_school_laestab" not in notice.details


def test_a_previous_school_may_be_not_known(school_client, db):
    send(school_client, "joiner", a_pupil(previous_school_laestab=""))
    notice = db.scalars(select(SchoolNotice)).one()
    assert ("previous_school" in notice.details, "previous_school_laestab" in notice.details) == (False, False)


def test_a_leaver_to_a_school_found_by_the_search_reaches_the_notice_and_the_cme_team_is_not_asked_to_act(
    school_client, db
):
    answers = a_pupil(deletion_ground="a", destination="school", destination_laestab="8884001")
    check_page = parse(checked(school_client, "leaver", answers))
    rows = {text_of(row.dt): text_of(row.dd) for row in check_page.select(".govuk-summary-list__row")}
    assert (rows["Where is the pupil going?"], rows["New school"]) == (
        "Another school in England",
        "Millbrook High School (LAESTAB 8884001)",
    )
    send(school_client, "leaver", answers)
    notice = db.scalars(select(SchoolNotice)).one()
    assert (notice.destination_laestab, notice.details["destination_school"], notice.routed_to_cme) == (
        "8884001",
        "Millbrook High School",
        False,
    )


def test_a_leaver_to_a_school_not_in_the_list_is_given_by_its_laestab(school_client, db):
    answers = a_pupil(
        deletion_ground="a",
        destination="school",
        destination_laestab="other",
        destination_other_laestab="8886001",
        destination_school="Millbrook House",
    )
    send(school_client, "leaver", answers)
    notice = db.scalars(select(SchoolNotice)).one()
    assert (notice.destination_laestab, notice.details["destination_school"]) == ("8886001", "Millbrook House")


def test_a_laestab_not_in_the_register_is_refused_and_nothing_is_stored(school_client, db):
    typed = a_pupil(
        deletion_ground="a", destination="school", destination_laestab="other", destination_other_laestab="8889999"
    )
    page = parse(checked(school_client, "leaver", typed))
    assert error_summary(page) == [
        (
            "LAESTAB 8889999 is not in the schools register: check the number, or find the school by its name",
            "#destination_other_laestab",
        )
    ]
    assert page.find("input", {"name": "destination_other_laestab"})["value"] == "8889999"
    forged = a_pupil(previous_school_laestab="9990000")
    page = parse(checked(school_client, "joiner", forged))
    assert error_summary(page) == [
        (
            "LAESTAB 9990000 is not in the schools register: check the number, or find the school by its name",
            "#previous_school_laestab",
        )
    ]
    assert options(page, "previous_school_laestab")[1] == ("9990000", "LAESTAB 9990000")
    assert db.scalars(select(SchoolNotice)).all() == []


def test_a_leaver_going_to_another_school_needs_the_school(school_client, db):
    page = parse(checked(school_client, "leaver", a_pupil(deletion_ground="c", destination="school")))
    assert error_summary(page) == [
        (
            "Select the new school, or choose “A school not in this list” and enter its LAESTAB or name",
            "#destination_laestab",
        )
    ]
    page = parse(
        checked(
            school_client,
            "leaver",
            a_pupil(
                deletion_ground="a", destination="school", destination_laestab="other", destination_other_laestab="88"
            ),
        )
    )
    assert error_summary(page) == [
        (
            "Destination school must be its 7-digit LAESTAB, XXXXXXX (not known) or MMMMMMM (left for the independent "
            "sector, abroad or elsewhere)",
            "#destination_other_laestab",
        )
    ]
    assert db.scalars(select(SchoolNotice)).all() == []


def test_a_school_chosen_before_the_pupil_was_found_to_go_elsewhere_is_not_kept(school_client, db):
    send(
        school_client,
        "leaver",
        a_pupil(deletion_ground="f", destination="none", destination_laestab="9992102", destination_school="Riverside"),
    )
    notice = db.scalars(select(SchoolNotice)).one()
    assert (notice.destination_laestab, "destination_school" in notice.details) == (None, False)
