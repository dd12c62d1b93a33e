"""A school user sends notices in the browser; every page passes axe."""

from __future__ import annotations

import re
from datetime import date, timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from shared.clock import uk_today, utcnow
from shared.domain.notices import check_notice, joiner_is_late
from shared.domain.retention import years_before
from shared.models import SchoolNotice
from shared.services import users as user_service
from shared.services.notices import send_notices
from tests.conftest import PASSWORD, a_school, calendar_of
from tests.e2e.accessibility import ERROR_TITLE, assert_accessible, wait_for_error_summary
from tests.e2e.test_journeys import sign_in

LAST_MONTH = uk_today() - timedelta(days=30)


def fill_date(page, legend: str, day) -> None:
    group = page.get_by_role("group", name=legend)
    for label, value in zip(("Day", "Month", "Year"), (day.day, day.month, day.year), strict=True):
        group.get_by_label(label, exact=True).fill(str(value))


def test_a_school_sends_a_removal_to_home_education(person, live_server, users):
    page = person.page
    sign_in(person, "school@northbridge.example")
    expect(page.locator("h1")).to_have_text("Your school's notices")
    assert_accessible(page)
    page.get_by_role("button", name="Send a notice").click()
    expect(page.locator("h1")).to_have_text("What do you want to tell us about?")  # the next page, not this one
    assert_accessible(page)
    page.get_by_label("Pupil to be removed from the admission register").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("h1")).to_have_text("Pupil to be removed from the admission register")

    page.get_by_role("button", name="Continue").click()  # nothing filled in: the errors, then fill in
    expect(page).to_have_title(ERROR_TITLE)
    # GOV.UK Frontend moves focus to the error summary once its script has run.
    wait_for_error_summary(page)
    assert_accessible(page)

    page.get_by_label("UPN (optional if the pupil has none)").fill("B801200005001")
    page.get_by_label("First name").fill("Amy")
    page.get_by_label("Last name").fill("Lee")
    fill_date(page, "Date of birth", years_before(LAST_MONTH, 11))
    page.get_by_label("Female").check()
    page.get_by_label("Home address").fill("1 Mill Road, Northbridge")
    page.get_by_label("Postcode").fill("NB1 1AA")
    page.get_by_label("Parents or carers the pupil lives with").fill("Jo Lee")
    page.get_by_label("Emergency phone number for a parent or carer").fill("07700 900123")
    fill_date(page, "Date of removal from the register", LAST_MONTH)
    page.get_by_label("f: Parent told the school in writing they will educate the child at home").check()
    page.get_by_label("No school to go to (for example home education, or the pupil has died)").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("h1")).to_have_text("Check the notice before you send it")
    assert_accessible(page)
    page.get_by_role("button", name="Send notice").click()
    expect(page.locator("h1")).to_have_text(re.compile(r"^SN-"))

    with live_server.app.extensions["cme.database"].session() as session:
        notice = session.scalars(select(SchoolNotice)).one()
    expect(page.locator("h1")).to_have_text(notice.reference)
    assert (notice.kind, notice.status, notice.deletion_ground) == ("leaver", "for_cme", "f")
    assert_accessible(page)
    assert person.problems == []


# Each kind of notice, as a school user fills it in --------------------------------------------------------------

TODAY = uk_today()
BORN = date(TODAY.year - 11, 10, 1)
UPN = "B801200005001"


def long(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def summary_rows(page) -> list[tuple[str, str]]:
    """(key, value) for each row of the page's summary list, as the person reads them."""
    return [
        (
            row.locator(".govuk-summary-list__key").inner_text().strip(),
            row.locator(".govuk-summary-list__value").inner_text().strip(),
        )
        for row in page.locator(".govuk-summary-list__row").all()
    ]


def start_notice(page, kind: str, scan: bool = True) -> list[str]:
    """From the school's notices, choose the kind of notice: its form is shown. Returns the kinds that were offered.
    `scan`: run axe on each page (it needs script, so not with JavaScript off)."""
    page.get_by_role("button", name="Send a notice").click()
    expect(page.locator("h1")).to_have_text("What do you want to tell us about?")
    if scan:
        assert_accessible(page)
    offered = [label.inner_text().strip() for label in page.locator(".govuk-radios__label").all()]
    page.get_by_label(kind, exact=True).check()
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("h1")).to_have_text(kind)
    if scan:
        assert_accessible(page)
    return offered


def fill_pupil(page) -> None:
    page.get_by_label("UPN (optional if the pupil has none)").fill(UPN)
    page.get_by_label("First name").fill("Amy")
    page.get_by_label("Last name").fill("Lee")
    fill_date(page, "Date of birth", BORN)
    page.get_by_label("Female").check()


def fill_home(page) -> None:
    page.get_by_label("Home address").fill("1 Mill Road, Northbridge")
    page.get_by_label("Postcode").fill("nb1 1aa")
    page.get_by_label("Parents or carers the pupil lives with").fill("Jo Lee")
    page.get_by_label("Emergency phone number for a parent or carer").fill("07700 900123")


PUPIL_CHECKED = [
    ("UPN (optional if the pupil has none)", UPN),
    ("First name", "Amy"),
    ("Last name", "Lee"),
    ("Date of birth", long(BORN)),
    ("Sex", "Female"),
]
HOME_CHECKED = [
    ("Home address", "1 Mill Road, Northbridge"),
    ("Postcode", "nb1 1aa"),
    ("Parents or carers the pupil lives with", "Jo Lee"),
    ("Emergency phone number for a parent or carer", "07700 900123"),
]
HOME_STORED = [
    ("Address", "1 Mill Road, Northbridge"),
    ("Parent or carer", "Jo Lee"),
    ("Parent or carer's phone number", "07700 900123"),
]


def stored(kind: str, status: str) -> list[tuple[str, str]]:
    """The first rows of a notice's page: the notice, its status, when it was sent and the pupil."""
    return [
        ("Notice", kind),
        ("Status", status),
        ("Sent", long(uk_today())),
        ("Pupil", "Amy Lee"),
        ("Date of birth", long(BORN)),
        ("UPN", UPN),
        ("Sex", "Female"),
    ]


def check_and_send(person, live_server, checked: list[tuple[str, str]], scan: bool = True) -> SchoolNotice:
    """Continue to the check page, see the answers, send the notice: its page, with the reference, is shown."""
    page = person.page
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("h1")).to_have_text("Check the notice before you send it")
    assert summary_rows(page) == checked
    if scan:
        assert_accessible(page)
    page.get_by_role("button", name="Send notice").click()
    with live_server.app.extensions["cme.database"].session() as session:
        notice = session.scalars(select(SchoolNotice)).one()
    assert re.fullmatch(r"SN-[0-9A-Z]{4}-[0-9A-Z]{4}", notice.reference)
    expect(page.locator("h1")).to_have_text(notice.reference)
    assert (
        page.locator(".govuk-notification-banner")
        .inner_text()
        .strip()
        .endswith(f"Notice sent. Its reference is {notice.reference}")
    )
    assert page.url == f"{live_server}/schools/notices/{notice.reference}"
    if scan:
        assert_accessible(page)
    return notice


def test_a_school_starts_a_part_time_timetable(person, live_server, users):
    page = person.page
    start, review = TODAY + timedelta(days=7), TODAY + timedelta(days=49)
    sign_in(person, "school@northbridge.example")
    assert start_notice(page, "Part-time timetable") == [
        "Pupil added to the admission register",
        "Pupil to be removed from the admission register",
        "Part-time timetable",
        "Continuous unexplained absence",
    ]
    fill_pupil(page)
    fill_date(page, "Start date of the part-time timetable", start)
    page.get_by_label("Hours a week in school").fill("12.5")
    page.get_by_label("Reason for the part-time timetable").fill("Phased return after illness")
    fill_date(page, "Review date", review)
    page.get_by_role("group", name="Agreed with the parents?").get_by_label("Yes").check()

    notice = check_and_send(
        person,
        live_server,
        [
            *PUPIL_CHECKED,
            ("Start date of the part-time timetable", long(start)),
            ("Hours a week in school", "12.5"),
            ("Reason for the part-time timetable", "Phased return after illness"),
            ("Review date", long(review)),
            ("Agreed with the parents?", "Yes"),
        ],
    )
    assert (notice.kind, notice.status, notice.routed_to_cme) == ("part_time", "received", False)
    assert summary_rows(page) == [
        *stored("Part-time timetable", "Received"),
        ("Start date of the part-time timetable", long(start)),
        ("Hours a week", "12.5"),
        ("Reason", "Phased return after illness"),
        ("Review date", long(review)),
        ("Agreed with parents", "Yes"),
    ]
    assert person.problems == []


def test_a_school_tells_the_cme_team_of_a_continuous_unexplained_absence(person, live_server, users):
    page = person.page
    sign_in(person, "school@northbridge.example")
    start_notice(page, "Continuous unexplained absence")
    fill_pupil(page)
    fill_home(page)
    fill_date(page, "First day of absence", LAST_MONTH)
    page.get_by_label("Contact attempted with the family").fill("Phoned both parents; home visit on day 5")
    page.get_by_label("Concerns (optional)").fill("Younger sibling also absent")

    notice = check_and_send(
        person,
        live_server,
        [
            *PUPIL_CHECKED,
            *HOME_CHECKED,
            ("First day of absence", long(LAST_MONTH)),
            ("Contact attempted with the family", "Phoned both parents; home visit on day 5"),
            ("Concerns (optional)", "Younger sibling also absent"),
        ],
    )
    assert (notice.kind, notice.status, notice.routed_to_cme) == ("absence", "for_cme", True)
    assert summary_rows(page) == [
        *stored("Continuous unexplained absence", "Sent to the CME team"),
        ("Postcode", "NB1 1AA"),
        ("First day of absence", long(LAST_MONTH)),
        *HOME_STORED,
        ("Contact attempted", "Phoned both parents; home visit on day 5"),
        ("Concerns", "Younger sibling also absent"),
    ]
    assert person.problems == []


def test_a_joiner_sent_late_is_shown_as_late(person, live_server, users):
    page = person.page
    joined = TODAY - timedelta(days=60)  # more than 5 school days ago, whatever the holidays
    calendar = calendar_of(live_server.app)
    assert joiner_is_late(joined, TODAY, calendar.add_school_days)
    sign_in(person, "school@northbridge.example")
    start_notice(page, "Pupil added to the admission register")
    fill_pupil(page)
    fill_home(page)
    fill_date(page, "Date of first attendance", joined)
    # The previous school is left as it is: not known.

    notice = check_and_send(
        person, live_server, [*PUPIL_CHECKED, *HOME_CHECKED, ("Date of first attendance", long(joined))]
    )
    assert (notice.kind, notice.status, notice.details["late"]) == ("joiner", "received", True)
    assert summary_rows(page) == [
        *stored("Pupil added to the admission register", "Received"),
        ("Postcode", "NB1 1AA"),
        ("Date of first attendance", long(joined)),
        *HOME_STORED,
        ("Sent on time", "No: more than 5 school days after the pupil joined"),
    ]
    assert person.problems == []


def test_a_removal_with_the_destination_unknown_after_enquiries_goes_to_the_cme_team(person, live_server, users):
    page = person.page
    ground_i = (
        "i: Continuously absent for 20 or more school days; the school and the authority made reasonable enquiries"
    )
    enquiries = "Home visits on 3 and 10 November; police welfare check; the authority searched the Lost Pupil Database"
    sign_in(person, "school@northbridge.example")
    start_notice(page, "Pupil to be removed from the admission register")
    fill_pupil(page)
    fill_home(page)
    fill_date(page, "Date of removal from the register", LAST_MONTH)
    page.get_by_label(ground_i).check()
    page.get_by_label("Not known (XXXXXXX): the pupil goes to the Lost Pupil Database").check()
    page.get_by_label("Enquiries made by the school and the authority").fill(enquiries)

    notice = check_and_send(
        person,
        live_server,
        [
            *PUPIL_CHECKED,
            *HOME_CHECKED,
            ("Date of removal from the register", long(LAST_MONTH)),
            ("Ground for removal (regulation 9(1))", ground_i),
            ("Where is the pupil going?", "Not known (XXXXXXX): the pupil goes to the Lost Pupil Database"),
            ("Enquiries made by the school and the authority", enquiries),
        ],
    )
    assert (notice.kind, notice.status, notice.deletion_ground, notice.destination_laestab) == (
        "leaver",
        "for_cme",
        "i",
        "XXXXXXX",
    )
    assert summary_rows(page) == [
        *stored("Pupil to be removed from the admission register", "Sent to the CME team"),
        ("Postcode", "NB1 1AA"),
        ("Date of removal from the register", long(LAST_MONTH)),
        ("Ground for removal", ground_i),
        ("Destination school (LAESTAB)", "Not known (XXXXXXX)"),
        *HOME_STORED,
        ("Enquiries made", enquiries),
    ]
    assert person.problems == []


def test_an_independent_school_tells_the_authority_of_an_admission(person, live_server, db):
    independent = a_school(990103, "6001", "Northbridge Grammar School", "NB3 3CC")
    independent.establishment_type, independent.type_group = "Other independent school", "Independent schools"
    db.add(independent)
    db.commit()
    user_service.create_user(db, "bursar@grammar.example", "Bursar", "school", PASSWORD, school_urn=990103)
    page = person.page
    sign_in(person, "bursar@grammar.example")
    assert start_notice(page, "Independent school admission") == [
        "Independent school admission",
        "Pupil to be removed from the admission register",
        "Continuous unexplained absence",
    ]
    fill_pupil(page)
    fill_home(page)
    fill_date(page, "Date of admission", LAST_MONTH)

    notice = check_and_send(
        person, live_server, [*PUPIL_CHECKED, *HOME_CHECKED, ("Date of admission", long(LAST_MONTH))]
    )
    assert (notice.kind, notice.status, notice.school_id) == ("independent_admission", "received", independent.id)
    assert summary_rows(page) == [
        *stored("Independent school admission", "Received"),
        ("Postcode", "NB1 1AA"),
        ("Date of admission", long(LAST_MONTH)),
        *HOME_STORED,
    ]
    assert person.problems == []


def test_another_schools_notice_is_not_found(person, live_server, db, users, school):
    checked, problems = check_notice(
        {
            "kind": "absence",
            "first_name": "Amy",
            "last_name": "Lee",
            "date_of_birth": BORN.isoformat(),
            "event_date": LAST_MONTH.isoformat(),
            "contact_attempted": "Phoned",
        },
        TODAY,
    )
    assert problems == []
    calendar = calendar_of(live_server.app)
    [reference] = send_notices(
        db, school, users["school"], [checked], utcnow(), TODAY, calendar.add_school_days, live_server
    ).references
    user_service.create_user(db, "head@riverside.example", "Riverside Head", "school", PASSWORD, school_urn=990102)
    page = person.page
    sign_in(person, "head@riverside.example")
    assert page.locator(".govuk-caption-l").inner_text() == "Riverside Junior School (URN 990102)"
    assert page.get_by_text(reference).count() == 0

    response = page.goto(f"/schools/notices/{reference}")
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("Page not found")
    assert reference not in page.content()
    assert_accessible(page)


def test_a_notice_is_sent_with_javascript_off(person_without_javascript, live_server, users):
    person = person_without_javascript
    page = person.page
    sign_in(person, "school@northbridge.example")
    # axe needs script, so these pages are scanned in the tests above; here only behaviour counts.
    start_notice(page, "Continuous unexplained absence", scan=False)
    page.get_by_role("button", name="Continue").click()  # nothing filled in: the form comes back with its errors
    expect(page).to_have_title(ERROR_TITLE)
    summary = page.locator(".govuk-error-summary")
    assert [link.inner_text() for link in summary.get_by_role("link").all()] == [
        "Enter the first name",
        "Enter the last name",
        "Enter the date of birth",
        "Enter the first day of absence",
        "Enter the contact attempted",
    ]
    fill_pupil(page)
    fill_home(page)
    fill_date(page, "First day of absence", LAST_MONTH)
    page.get_by_label("Contact attempted with the family").fill("Phoned twice, letter sent")

    notice = check_and_send(
        person,
        live_server,
        [
            *PUPIL_CHECKED,
            *HOME_CHECKED,
            ("First day of absence", long(LAST_MONTH)),
            ("Contact attempted with the family", "Phoned twice, letter sent"),
        ],
        scan=False,
    )
    assert (notice.kind, notice.status) == ("absence", "for_cme")
    assert ("Status", "Sent to the CME team") in summary_rows(page)
    assert person.problems == []
