"""An officer works a case in the browser: opens it from the team's work, records a check's answer, logs a home
visit and sees both on the timeline; every page and form passes axe."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from shared.clock import uk_today
from shared.domain.reference import new_reference
from shared.models import Referral, SchoolNotice
from shared.services.cases import record_event
from tests.e2e.accessibility import ERROR_TITLE, assert_accessible, wait_for_error_summary
from tests.e2e.test_journeys import sign_in
from tests.e2e.test_notice_journeys import fill_date
from tests.portal.test_cases import a_case, born, long


def a_case_as_the_demo_has_them(app, db, users, school):
    """An open case as triage leaves one: opened by the lead from a public referral, a school's notice of
    continuous absence attached, assigned to the officer."""
    case = a_case(app, db, users, assigned_to=users["officer"])
    now = datetime.now(UTC)
    db.add_all(
        [
            Referral(
                reference=new_reference("RF"),
                source="public",
                status="linked",
                anonymous=True,
                received_at=now - timedelta(days=4),
                child=case.child,
                case=case,
            ),
            SchoolNotice(
                reference=new_reference("SN"),
                school=school,
                kind="absence",
                status="attached",
                submitted_at=now - timedelta(days=3),
                pupil_first_name="Ellie",
                pupil_last_name="Whitcombe",
                pupil_date_of_birth=born(),
                event_date=uk_today() - timedelta(days=16),
                child=case.child,
                case=case,
            ),
        ]
    )
    case.events[0].occurred_at = now - timedelta(days=2)
    assigned = record_event(db, case, users["lead"], "assigned", "Assigned to Test Officer")
    assigned.occurred_at = now - timedelta(days=2) + timedelta(hours=1)
    db.commit()
    return case


def case_notice(db, case) -> str:
    return db.scalar(select(SchoolNotice.reference).where(SchoolNotice.case_id == case.id))


def case_referral(db, case) -> str:
    return db.scalar(select(Referral.reference).where(Referral.case_id == case.id))


def timeline_headings(page) -> list[str]:
    return [text.strip() for text in page.locator("#timeline > li h3").all_inner_texts()]


def test_an_officer_records_a_check_and_logs_a_visit_and_sees_both_on_the_timeline(
    person, live_server, app, db, users, school
):
    case = a_case_as_the_demo_has_them(app, db, users, school)
    page = person.page
    sign_in(person, "officer@northbridge.example")
    page.goto(f"/staff/cases/{case.reference}")
    expect(page.locator("h1")).to_have_text("Ellie Whitcombe")
    assert timeline_headings(page)[0] == "Assigned to Test Officer"
    assert_accessible(page)

    # The police answered: not known to them.
    page.get_by_role("link", name="Record Police").click()
    expect(page.locator("h1")).to_have_text("Police")
    assert_accessible(page)
    fill_date(page, "When was it asked?", uk_today() + timedelta(days=1))
    page.get_by_role("button", name="Save the check").click()
    expect(page).to_have_title(ERROR_TITLE)
    wait_for_error_summary(page)
    assert page.locator(".govuk-error-summary").inner_text().endswith("Date asked must be today or in the past")
    assert_accessible(page)
    fill_date(page, "When was it asked?", uk_today() - timedelta(days=2))
    fill_date(page, "When did the answer come? (optional)", uk_today())
    page.get_by_label("Not known to them").check()
    page.get_by_label("What did they say? (optional)").fill("No record of the family at that address")
    page.get_by_role("button", name="Save the check").click()
    assert page.locator(".govuk-notification-banner").inner_text().strip().endswith("Police: answer recorded")
    assert page.locator("#checks tr", has_text="Police").locator("td").nth(1).inner_text().startswith("Done")
    assert_accessible(page)

    # A home visit: nobody in, a card left.
    page.get_by_role("link", name="Log a contact").click()
    expect(page.locator("h1")).to_have_text("Log a contact")
    assert_accessible(page)
    page.get_by_label("Home visit").check()
    page.get_by_label("Time").fill("10:15am")
    fill_date(page, "Date", uk_today() - timedelta(days=1))
    page.get_by_label("Who was it with?").fill("Nobody answered; a neighbour")
    page.get_by_label("Outcome (optional)").fill("Card left")
    page.get_by_label("What was said or done?").fill("Neighbour says the family went to stay with relatives")
    page.get_by_role("button", name="Save the contact").click()
    assert page.locator(".govuk-notification-banner").inner_text().strip().endswith("Home visit logged")
    assert timeline_headings(page) == [
        "Check answered: Police",
        "Home visit with Nobody answered; a neighbour",
        "Assigned to Test Officer",
        "Case opened",
        f"School notice {case_notice(db, case)}: Continuous unexplained absence",
        f"Referral {case_referral(db, case)} received",
    ]
    visit = page.locator("#timeline > li", has_text="Home visit with")
    assert visit.locator("p").all_inner_texts() == [
        f"{long(uk_today() - timedelta(days=1))}, 10:15am, by Test Officer",
        "Outcome: Card left",
        "Neighbour says the family went to stay with relatives",
    ]
    check = page.locator("#timeline > li", has_text="Check answered: Police")
    assert check.locator("p").all_inner_texts()[1:] == [
        f"Asked on {long(uk_today() - timedelta(days=2))}",
        f"Answered on {long(uk_today())}",
        "Result: Not known to them",
        "No record of the family at that address",
    ]
    assert_accessible(page)
    assert person.problems == []


def test_every_form_of_a_case_passes_axe(person, live_server, app, db, users, school):
    case = a_case_as_the_demo_has_them(app, db, users, school)
    page = person.page
    sign_in(person, "officer@northbridge.example")
    page.goto(f"/staff/cases/{case.reference}")

    page.get_by_role("link", name="Edit case details").click()
    expect(page.locator("h1")).to_have_text("Edit case details")
    assert_accessible(page)
    page.get_by_label("High").check()
    page.get_by_label("Mental health").check()
    page.get_by_role("button", name="Save the case details").click()
    page.wait_for_url(re.compile(rf"/staff/cases/{case.reference}$"))
    assert sorted(timeline_headings(page)[:2]) == [
        "Primary reason changed from school application awaiting outcome to mental health",
        "Risk level changed from medium to high",
    ]

    page.get_by_role("link", name="Add a check").click()
    expect(page.locator("h1")).to_have_text("Add a check")
    assert_accessible(page)
    page.get_by_label("Other enquiry").check()  # reveals what the check is
    assert page.get_by_label("What is the check?").is_visible()
    page.get_by_role("button", name="Add the check").click()
    assert page.locator(".govuk-error-summary").inner_text().endswith("Enter what the check is")
    assert_accessible(page)
    page.get_by_label("What is the check?").fill("The family's GP surgery")
    page.get_by_role("button", name="Add the check").click()
    page.wait_for_url(re.compile(rf"/staff/cases/{case.reference}$"))
    assert page.locator("#timeline > li h3").first.inner_text().strip() == "Check added: The family's GP surgery"

    page.get_by_role("link", name="Not applicable for Custodial institution").click()
    expect(page.locator("h1")).to_have_text("Custodial institution: not needed")
    assert_accessible(page)
    page.get_by_label("Why is this check not needed?").fill("Never in custody")
    page.get_by_role("button", name="Mark as not needed").click()
    page.wait_for_url(re.compile(rf"/staff/cases/{case.reference}$"))
    assert page.locator("#timeline > li h3").first.inner_text().strip() == "Check not needed: Custodial institution"
    assert_accessible(page)

    page.get_by_role("link", name="Ellie Whitcombe").click()
    expect(page.locator("h1")).to_have_text("Ellie Whitcombe")
    assert_accessible(page)
    page.get_by_role("link", name="Change the child's details").click()
    expect(page.locator("h1")).to_have_text("Change the child's details")
    assert_accessible(page)
    page.get_by_label("Postcode").fill("NB1")
    page.get_by_role("button", name="Save the child's details").click()
    assert page.locator(".govuk-error-summary").inner_text().endswith("Enter a real postcode, like BA1 1JG")
    assert_accessible(page)
    page.get_by_label("Postcode").fill("nb2 2bb")
    page.get_by_role("button", name="Save the child's details").click()
    assert page.locator(".govuk-notification-banner").inner_text().strip().endswith("The child's details were saved")
    assert "NB2 2BB" in page.locator("#child-details").inner_text()
    assert person.problems == []
