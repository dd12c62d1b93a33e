"""An administrator changes the CME team's phone number in a real browser: a mistyped number is shown in the error
summary and nothing changes; once fixed, the public start page shows the new number. axe-core checks every page."""

from __future__ import annotations

from tests.e2e.accessibility import assert_accessible, wait_for_error_summary
from tests.e2e.test_journeys import sign_in


def test_an_admin_changes_the_team_s_phone_number_after_fixing_a_mistake(person, users, browser, live_server):
    page = person.page
    sign_in(person, "admin@northbridge.example")
    page.goto("/admin/settings")
    assert page.locator("h1").inner_text().strip() == "Settings"
    assert_accessible(page)

    with page.expect_navigation():
        page.locator("#authority-details").get_by_role("link", name="Change").click()
    assert page.locator("h1").inner_text().strip() == "Authority details"
    assert_accessible(page)
    phone = page.get_by_label("CME team phone number")
    assert phone.input_value() == "01632 960000"
    phone.fill("01632 96")
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    wait_for_error_summary(page)
    summary = page.locator(".govuk-error-summary")
    assert summary.get_by_role("link").all_inner_texts() == [
        "Enter the CME team's phone number in the correct format, like 01632 960000"
    ]
    assert page.title().startswith("Error: Authority details")
    assert page.get_by_label("CME team phone number").input_value() == "01632 96"
    assert_accessible(page)

    page.get_by_label("CME team phone number").fill("01632 960222")
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    assert page.locator(".govuk-notification-banner").inner_text().split() == ["Success", "Settings", "saved"]
    assert page.locator("#authority-details").get_by_text("01632 960222").count() == 1
    assert_accessible(page)

    # The other sections' forms: numbers with their units, and the long-absence choice with what each answer does.
    for slug, heading in [
        ("reasonable-enquiries", "Reasonable enquiries"),
        ("retention-periods", "Retention periods"),
        ("long-absence", "Long absence"),
    ]:
        page.goto(f"/admin/settings/{slug}")
        assert page.locator("h1").inner_text().strip() == heading
        assert_accessible(page)

    # Someone from the public, in their own browser.
    context = browser.new_context(base_url=live_server)
    public = context.new_page()
    public.goto("/")
    text = public.locator("main").inner_text()
    assert "phone the Children Missing Education team on 01632 960222" in text
    assert "01632 960000" not in public.content()
    assert_accessible(public)
    context.close()
