"""An officer triages in the browser: from the team's home to the intake queue, a referral into a new case, and
(with JavaScript off) a school notice closed because the pupil is on roll; the queue and triage pages pass axe."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from shared.models import Case, SchoolNotice
from tests.e2e.accessibility import ERROR_TITLE, assert_accessible
from tests.e2e.test_journeys import sign_in
from tests.shared.test_intake import NOW, a_notice, a_referral


def test_an_officer_triages_an_urgent_referral_into_a_new_case(person, live_server, db, users, school):
    referral = a_referral(db, urgent=True, received_at=NOW - timedelta(hours=2))
    notice = a_notice(db, school, submitted_at=NOW - timedelta(days=1))
    page = person.page
    sign_in(person, "officer@northbridge.example")
    page.wait_for_url(re.compile(r"/staff/$"))
    page.get_by_role("link", name="2 waiting for a decision").click()

    assert page.locator("h1").inner_text() == "Intake queue"
    references = page.locator("#queue tbody tr td:first-child").all_inner_texts()
    assert [text.strip() for text in references] == [referral.reference, notice.reference]
    assert_accessible(page)

    page.get_by_role("link", name=referral.reference).click()
    assert page.locator("h1").inner_text() == f"Triage {referral.reference}"
    assert page.locator("#no-candidates").is_visible()
    assert_accessible(page)

    # Nothing chosen: both questions say what is missing.
    page.get_by_role("button", name="Save the decision").click()
    expect(page).to_have_title(ERROR_TITLE)
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    expect(page.locator(".govuk-error-summary__list li")).to_have_text(
        [
            "Select the child this referral is about, or ‘A new child’",
            "Select what to do with this referral",
        ]
    )
    assert_accessible(page)

    # Closing for another reason reveals its question; the officer opens a case instead.
    assert not page.get_by_label("Why is it closed without a case?").is_visible()
    page.get_by_label("Close it for another reason").check()
    assert page.get_by_label("Why is it closed without a case?").is_visible()
    page.get_by_label("A new child", exact=True).check()
    page.get_by_label("Open a new case").check()
    page.get_by_role("button", name="Save the decision").click()

    case = db.scalar(select(Case))
    page.wait_for_url(re.compile(rf"/staff/cases/{case.reference}$"))
    assert (
        page.locator(".govuk-notification-banner")
        .inner_text()
        .strip()
        .endswith(f"Case {case.reference} opened for Ellie Whitcombe from referral {referral.reference}")
    )
    assert page.locator("h1").inner_text() == "Ellie Whitcombe"
    assert page.locator(".govuk-caption-l").first.inner_text() == f"Case {case.reference}"
    assert person.problems == []


def test_a_notice_is_closed_as_on_roll_with_javascript_off(person_without_javascript, live_server, db, users, school):
    # axe needs script, so these pages are scanned in the test above; here only behaviour counts.
    person = person_without_javascript
    notice = a_notice(db, school)
    page = person.page
    sign_in(person, "officer@northbridge.example")
    page.goto("/staff/intake")
    page.get_by_role("link", name=notice.reference).click()
    # Every revealed question shows without JavaScript.
    assert page.get_by_label("Why is it closed without a case?").is_visible()
    page.get_by_label("A new child", exact=True).check()
    page.get_by_label("Close it: the child is on roll at a school").check()
    page.get_by_label("School", exact=True).select_option(label="Riverside Junior School (URN 990102)")
    page.get_by_role("button", name="Save the decision").click()
    page.wait_for_url(re.compile(r"/staff/intake$"))
    assert (
        page.locator(".govuk-notification-banner")
        .inner_text()
        .strip()
        .endswith(
            f"School notice {notice.reference} closed without a case: "
            "On roll at a named school: Riverside Junior School (URN 990102)"
        )
    )
    assert page.locator("#nothing-waiting").inner_text() == "Nothing is waiting for a decision."
    assert db.scalar(select(SchoolNotice.status).where(SchoolNotice.id == notice.id)) == "actioned"
    assert person.problems == []
