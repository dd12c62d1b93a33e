"""The content security policy in a real browser: the public start page, a question of the report, the staff home
and every dashboard page load without one violation reported, and the dashboard still draws its charts (its
scripts run only by their hashes and the page's nonce)."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from dashboard.pages import PAGES as DASHBOARD_PAGES
from tests.dashboard.test_dashboard import work  # noqa: F401  (the fixture)
from tests.e2e.test_journeys import sign_in

# Each violation the page reports, kept where the test can read it. Playwright's init scripts are not subject to
# the page's policy.
LISTEN = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"} in ${event.sourceFile}`);
});
"""


def violations(person) -> list[str]:
    reported = person.page.evaluate("window.__violations")
    console = [problem for problem in person.problems if "Content Security Policy" in problem]
    return reported + console


def test_the_pages_and_the_dashboard_run_under_the_policy_without_a_violation(person, users, work):  # noqa: F811
    page = person.page
    page.add_init_script(LISTEN)
    page.on("console", lambda m: "Content Security Policy" in m.text and person.problems.append(m.text))

    page.goto("/")
    expect(page.locator("h1")).to_be_visible()
    assert page.evaluate("document.body.classList.contains('govuk-frontend-supported')")  # its script ran
    assert violations(person) == []

    page.goto("/report/start")
    page.wait_for_url(re.compile(r"/report/child-name$"))
    expect(page.locator("h1")).to_be_visible()
    assert violations(person) == []

    sign_in(person, "lead@northbridge.example")
    page.wait_for_url(re.compile(r"/staff/$"))
    expect(page.locator("h1")).to_be_visible()
    assert violations(person) == []

    drawn = {}
    for dashboard_page in DASHBOARD_PAGES:
        page.goto(dashboard_page.PATH)
        expect(page.locator("#page h1")).to_have_text(dashboard_page.TITLE, timeout=20_000)
        page.wait_for_load_state("networkidle")
        graphs = page.locator(".dash-graph")  # each dcc.Graph: plotly draws its svg inside once its script runs
        for n in range(graphs.count()):
            expect(graphs.nth(n).locator(".main-svg").first).to_be_attached(timeout=20_000)
        drawn[dashboard_page.PATH] = graphs.count()
        assert violations(person) == [], dashboard_page.PATH
    assert drawn["/dashboard/"] > 0 and drawn["/dashboard/caseloads"] > 0, drawn
    assert person.problems == [], drawn
