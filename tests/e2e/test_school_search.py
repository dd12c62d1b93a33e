"""A school finds the previous or next school in the browser: searching the whole register with JavaScript, the
authority's list without it. Every page passes axe."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from shared.clock import uk_today
from shared.domain.retention import years_before
from shared.models import School, SchoolNotice
from tests.e2e.accessibility import ERROR_TITLE, assert_accessible
from tests.e2e.test_journeys import sign_in

LAST_MONTH = uk_today() - timedelta(days=30)


def a_school(urn, la_code, number, name, town, ages=(11, 16)) -> School:
    return School(
        urn=urn,
        la_code=la_code,
        establishment_number=number,
        name=name,
        town=town,
        postcode="SV1 1AA",
        establishment_type="Academy converter",
        type_group="Academies",
        phase="Secondary",
        status="Open",
        statutory_low_age=ages[0],
        statutory_high_age=ages[1],
    )


@pytest.fixture
def register(db, school):
    """Schools in a neighbouring authority (LA 888): not in the list, found by the search."""
    db.add_all(
        [
            a_school(990301, "888", "4001", "Millbrook High School", "Southport Vale"),
            a_school(990302, "888", "6001", "Millbrook House School", "Southport Vale", ages=(3, 18)),
        ]
    )
    db.commit()


def fill_date(page, legend: str, day) -> None:
    group = page.get_by_role("group", name=legend)
    for label, value in zip(("Day", "Month", "Year"), (day.day, day.month, day.year), strict=True):
        group.get_by_label(label, exact=True).fill(str(value))


def fill_in_the_pupil(page, event_legend: str) -> None:
    page.get_by_label("First name").fill("Amy")
    page.get_by_label("Last name").fill("Lee")
    fill_date(page, "Date of birth", years_before(LAST_MONTH, 11))
    page.get_by_label("Female").check()
    page.get_by_label("Home address").fill("1 Mill Road, Northbridge")
    page.get_by_label("Postcode").fill("NB1 1AA")
    page.get_by_label("Parents or carers the pupil lives with").fill("Jo Lee")
    page.get_by_label("Emergency phone number for a parent or carer").fill("07700 900123")
    fill_date(page, event_legend, LAST_MONTH)


def search_box(page, label: str):
    """The school picker once its script has made it a search box (until then it is the list, also a combobox)."""
    page.locator(".autocomplete__wrapper").first.wait_for(state="attached")
    return page.locator("input.autocomplete__input").and_(page.get_by_role("combobox", name=label))


def summary(page) -> dict[str, str]:
    """The answers on the page for checking the notice, once that page has come (a Continue may still be on its
    way: reading at once could read the form's page)."""
    expect(page.locator("h1")).to_have_text("Check the notice before you send it")
    rows = page.locator(".govuk-summary-list__row")
    return {
        rows.nth(i).locator("dt").inner_text().strip(): rows.nth(i).locator("dd").inner_text().strip()
        for i in range(rows.count())
    }


def stored(live_server) -> SchoolNotice:
    with live_server.app.extensions["cme.database"].session() as session:
        return session.scalars(select(SchoolNotice)).one()


def test_a_school_searches_the_register_for_a_joiners_previous_school(person, live_server, users, register):
    page = person.page
    sign_in(person, "school@northbridge.example")
    page.goto("/schools/notices/new/joiner")
    picker = search_box(page, "Previous school (optional)")
    assert page.locator("#previous_school_laestab-hint").inner_text() == (
        "Start typing the school’s name, town, URN or LAESTAB, then choose it from the list"
    )
    assert page.get_by_role("group", name="A school not in this list").is_hidden()
    assert_accessible(page)

    fill_in_the_pupil(page, "Date of first attendance")
    picker.fill("millb")
    options = page.get_by_role("option")
    options.last.get_by_text("A school not in this list").wait_for()
    assert [text.split("\n")[0] for text in options.all_inner_texts()] == [
        "Millbrook High School",
        "Millbrook House School",
        "A school not in this list",
    ]
    assert options.nth(1).inner_text() == "Millbrook House School\nSouthport Vale · LAESTAB 8886001 · URN 990302"
    assert_accessible(page)  # with the suggestions showing
    options.nth(1).click()
    assert picker.input_value() == "Millbrook House School, Southport Vale (LAESTAB 8886001)"
    page.get_by_role("button", name="Continue").click()

    assert page.locator("h1").inner_text() == "Check the notice before you send it"
    assert summary(page)["Previous school"] == "Millbrook House School (LAESTAB 8886001)"
    assert_accessible(page)
    page.get_by_role("button", name="Change the answers").click()
    assert search_box(page, "Previous school (optional)").input_value() == (
        "Millbrook House School, Southport Vale (LAESTAB 8886001)"
    )
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Send notice").click()

    notice = stored(live_server)
    assert page.locator("h1").inner_text() == notice.reference
    assert (notice.details["previous_school"], notice.details["previous_school_laestab"]) == (
        "Millbrook House School",
        "8886001",
    )
    assert person.problems == []


def test_a_joiners_previous_school_outside_england_is_typed_in(person, live_server, users, register):
    page = person.page
    sign_in(person, "school@northbridge.example")
    page.goto("/schools/notices/new/joiner")
    fill_in_the_pupil(page, "Date of first attendance")
    search_box(page, "Previous school (optional)").fill("Ysgol Penglais")
    page.get_by_role("option", name="A school not in this list").click()
    other = page.get_by_role("group", name="A school not in this list")
    assert other.is_visible()
    assert_accessible(page)
    other.get_by_label("School's name").fill("Ysgol Penglais, Aberystwyth")
    page.get_by_role("button", name="Continue").click()
    assert summary(page)["Previous school"] == "Ysgol Penglais, Aberystwyth"
    page.get_by_role("button", name="Send notice").click()
    notice = stored(live_server)
    assert notice.details["previous_school"] == "Ysgol Penglais, Aberystwyth"
    assert "previous_school_laestab" not in notice.details
    assert person.problems == []


def test_a_school_searches_the_register_for_a_leavers_new_school(person, live_server, users, register):
    page = person.page
    sign_in(person, "school@northbridge.example")
    page.goto("/schools/notices/new/leaver")
    picker = search_box(page, "New school")
    assert picker.is_hidden()  # until "Another school in England" is chosen
    fill_in_the_pupil(page, "Date of removal from the register")
    page.get_by_label("a: Registered at another school").check()
    page.get_by_label("Another school in England").check()
    picker.fill("Southport Vale")
    page.get_by_role("option", name="Millbrook High School").click()
    assert_accessible(page)
    page.get_by_role("button", name="Continue").click()

    assert summary(page)["New school"] == "Millbrook High School (LAESTAB 8884001)"
    assert_accessible(page)
    page.get_by_role("button", name="Send notice").click()
    notice = stored(live_server)
    assert (notice.destination_laestab, notice.details["destination_school"], notice.routed_to_cme) == (
        "8884001",
        "Millbrook High School",
        False,
    )
    assert person.problems == []


def test_typing_over_a_chosen_school_unchooses_it(person, live_server, users, register):
    page = person.page
    sign_in(person, "school@northbridge.example")
    page.goto("/schools/notices/new/leaver")
    fill_in_the_pupil(page, "Date of removal from the register")
    page.get_by_label("c: Dual registered").check()
    page.get_by_label("Another school in England").check()
    picker = search_box(page, "New school")
    picker.fill("888/4001")
    page.get_by_role("option", name="Millbrook High School").click()
    picker.fill("Millbrook Hi")  # changed their mind, chose nothing
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_title(ERROR_TITLE)
    expect(page.locator(".govuk-error-summary a")).to_have_text(
        ["Select the new school, or choose “A school not in this list” and enter its LAESTAB or name"]
    )
    expect(page.locator(".govuk-error-summary")).to_be_focused()  # once GOV.UK Frontend's script has run
    assert_accessible(page)
    page.locator(".govuk-error-summary a").click()
    assert page.evaluate("document.activeElement.getAttribute('role')") == "combobox"
    assert person.problems == []


def test_without_javascript_a_school_picks_from_the_authoritys_list(
    person_without_javascript, live_server, users, register
):
    # axe needs script, so the list is scanned in the test after this one; here only behaviour counts.
    person = person_without_javascript
    page = person.page
    sign_in(person, "school@northbridge.example")
    page.goto("/schools/notices/new/leaver")
    new_school = page.get_by_label("New school")
    assert new_school.evaluate("element => element.tagName") == "SELECT"
    assert new_school.locator("option").all_inner_texts() == [
        "Select a school",
        "Millfield Primary School (LAESTAB 9992101)",
        "Riverside Junior School (LAESTAB 9992102)",
        "A school not in this list",
    ]
    fill_in_the_pupil(page, "Date of removal from the register")
    page.get_by_label("a: Registered at another school").check()
    page.get_by_label("Another school in England").check()
    new_school.select_option(label="Riverside Junior School (LAESTAB 9992102)")
    page.get_by_role("button", name="Continue").click()
    assert summary(page)["New school"] == "Riverside Junior School (LAESTAB 9992102)"
    page.get_by_role("button", name="Send notice").click()
    notice = stored(live_server)
    assert (notice.destination_laestab, notice.details["destination_school"]) == ("9992102", "Riverside Junior School")
    assert person.problems == []


def test_without_javascript_a_school_types_in_a_school_not_in_the_list(
    person_without_javascript, live_server, users, register
):
    person = person_without_javascript
    page = person.page
    sign_in(person, "school@northbridge.example")
    page.goto("/schools/notices/new/joiner")
    fill_in_the_pupil(page, "Date of first attendance")
    page.get_by_label("Previous school (optional)").select_option(label="A school not in this list")
    other = page.get_by_role("group", name="A school not in this list")
    other.get_by_label("LAESTAB (optional)").fill("8884009")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary a")).to_have_text(
        ["LAESTAB 8884009 is not in the schools register: check the number, or find the school by its name"]
    )
    other.get_by_label("LAESTAB (optional)").fill("8884001")
    page.get_by_role("button", name="Continue").click()
    assert summary(page)["Previous school"] == "LAESTAB 8884001"
    page.get_by_role("button", name="Send notice").click()
    notice = stored(live_server)
    assert notice.details["previous_school_laestab"] == "8884001"
    assert person.problems == []


def test_the_list_without_the_search_passes_axe(person, live_server, users, register):
    """The pages as people without the search see them (the picker's script answered with nothing), scanned by axe
    with the new school's list showing, and with an error on it."""
    page = person.page
    page.route(
        "**/school-picker.mjs",
        lambda route: route.fulfill(body="export function enhanceSchoolPicker() {}", content_type="text/javascript"),
    )
    sign_in(person, "school@northbridge.example")
    page.goto("/schools/notices/new/leaver")
    page.get_by_label("Another school in England").check()
    assert page.get_by_label("New school").evaluate("element => element.tagName") == "SELECT"
    assert page.get_by_role("group", name="A school not in this list").is_visible()
    assert_accessible(page)
    page.get_by_role("group", name="A school not in this list").get_by_label("LAESTAB").fill("12")
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_title(ERROR_TITLE)
    expect(page.locator(".govuk-error-summary")).to_be_focused()  # once GOV.UK Frontend's script has run
    assert_accessible(page)
    page.goto("/schools/notices/new/joiner")
    assert_accessible(page)
    assert person.problems == []
