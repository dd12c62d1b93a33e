"""An administrator reads the service's emails in a real browser: from the administration navigation to the page
listing each email, how email is sent and a preview of each; axe-core finds nothing to fix."""

from __future__ import annotations

import re

from shared.services import emails
from tests.e2e.accessibility import assert_accessible
from tests.e2e.test_journeys import sign_in


def test_an_admin_opens_the_emails_page_and_reads_each_email(person, users):
    page = person.page
    sign_in(person, "admin@northbridge.example")
    page.wait_for_url(re.compile(r"/staff/$"))
    page.goto("/admin/")
    with page.expect_navigation():
        page.get_by_role("navigation", name="Administration").get_by_role("link", name="Emails").click()
    assert page.url.endswith("/admin/emails")
    assert page.locator("h1").inner_text().strip() == "Emails"
    assert page.locator("main h2").all_inner_texts()[1:] == [email.title for email in emails.CATALOGUE]
    assert page.locator("#transport").get_by_text("SMTP server 127.0.0.1").count() == 1
    previews = page.locator("main pre")
    assert previews.count() == len(emails.CATALOGUE)
    urgent = previews.nth([email.name for email in emails.CATALOGUE].index("urgent_report"))
    assert "may be at risk of harm" in urgent.inner_text()
    # A long paragraph wraps inside the page rather than running off its side.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(page)
