"""The public report in a real browser, as a reporter meets it: one question a page, Check your answers, sending,
saving and carrying on later, and adding information to a sent report; with and without JavaScript, and with an
axe-core scan of every page a reporter sees when JavaScript is on."""

from __future__ import annotations

import re
from datetime import date

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from sqlalchemy import select

from shared.clock import uk_today
from shared.models import Referral, ReferralAddition
from shared.services.reports import REPORTER_KEYS
from tests.e2e.accessibility import ERROR_TITLE, wait_for_error_summary
from tests.e2e.conftest import Browsing

axe = Axe()
TODAY = uk_today()
# Dates relative to today, so the child stays of compulsory school age whenever the tests run.
BORN = date(TODAY.year - 10, 3, 27)
LAST_AT_SCHOOL = date(TODAY.year - 1, 7, 14)
REFERENCE = re.compile(r"RF-[0-9A-Z]{4}-[0-9A-Z]{4}")
TITLE_END = " - Children missing education - Northbridge Council"
# A sent report's own columns: its reference and where it stands, and who sent it.
RECORD = ("reference", "source", "anonymous", "urgent", "status")
REPORTER_COLUMNS = ("reporter_name", "reporter_email", "reporter_phone", "reporter_organisation", "consent_to_contact")
DATE_OF_BIRTH = "What is the child's date of birth?"
AGE_GUESS = "If you do not know their date of birth, how old do you think they are? (optional)"
DATE_PARTS = ("Day", "Month", "Year")


def axe_violations(page: Page) -> list[str]:
    """Each axe-core violation on the page as "rule: element", for example "region: .govuk-back-link"."""
    results = axe.run(page).response
    return [f"{rule['id']}: {' '.join(node['target'])}" for rule in results["violations"] for node in rule["nodes"]]


def long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def fill_date(scope: Page | Locator, day: date | tuple[int, int, int]) -> None:
    """Type a date into the Day, Month and Year boxes of the one date input in `scope`."""
    parts = (day.day, day.month, day.year) if isinstance(day, date) else day
    for label, part in zip(DATE_PARTS, parts, strict=True):
        scope.get_by_label(label, exact=True).fill(str(part))


def summary(page: Page) -> dict[str, dict[str, str]]:
    """Check your answers as the reporter reads it: each section's heading, then each row's key and value."""
    headings = page.locator("main h2.govuk-heading-m")
    lists = page.locator("main dl.govuk-summary-list")
    shown = {}
    seen = set()
    for index in range(lists.count()):
        keys = lists.nth(index).locator(".govuk-summary-list__key").all_inner_texts()
        values = lists.nth(index).locator(".govuk-summary-list__value").all_inner_texts()
        rows = {}
        for key, value in zip(keys, values, strict=True):
            # No key repeats, even across sections, so each Change link has a name of its own.
            assert key.strip() not in seen, f"two rows called {key!r}"
            seen.add(key.strip())
            rows[key.strip()] = value.strip()
        shown[headings.nth(index).inner_text().strip()] = rows
    return shown


def member_of_the_public_named(name: str, email: str) -> dict[str, str]:
    """Check your answers' About you for a member of the public who gave a name and an email address, and who
    may be contacted."""
    return {
        "Who you are": "Member of the public",
        "Tell us who you are": "Yes",
        "Your name": name,
        "Your email address": email,
        "Your phone number": "Not given",
        "Team may contact you": "Yes",
    }


def error_links(page: Page) -> list[tuple[str, str]]:
    links = page.locator(".govuk-error-summary a")
    return [(links.nth(i).inner_text().strip(), links.nth(i).get_attribute("href")) for i in range(links.count())]


def assert_focus_is_in_the_error_summary(page: Page) -> None:
    """GOV.UK Frontend moves focus to the error summary once the page's script has run."""
    try:
        wait_for_error_summary(page)
    except PlaywrightTimeoutError:
        focused = page.evaluate("document.activeElement?.outerHTML.slice(0, 200)")
        raise AssertionError(f"focus is not in the error summary but on {focused}") from None


def columns(referral: Referral, *names: str) -> tuple:
    return tuple(getattr(referral, name) for name in names)


def stored_referrals(live_server) -> list[Referral]:
    with live_server.app.extensions["cme.database"].session() as session:
        referrals = list(session.scalars(select(Referral).order_by(Referral.id)))
        session.expunge_all()
        return referrals


class Reporter:
    """One member of the public or professional answering the report in their browser. Each question is one
    method: it checks the reporter is on that question's page (heading and title), scans it with axe when
    `scan` is set, answers it as a person would (by the labels they read) and selects Continue.

    axe's findings are kept in `inaccessible` (page address and title: violations) and checked at the end of a
    test, so one page's violation does not hide what the rest of the journey shows."""

    def __init__(self, person: Browsing, scan: bool = True):
        self.page = person.page
        self.base_url = person.base_url
        self.scan = scan
        self.scanned: list[str] = []
        self.inaccessible: dict[str, list[str]] = {}

    def on(self, heading: str) -> Page:
        page = self.page
        expect(page.locator("h1")).to_have_text(heading)
        # The page's scripts (GOV.UK Frontend's, which change the page) have run before anything is checked.
        page.wait_for_load_state()
        # A page showing errors says so first in its title.
        error = "Error: " if page.locator(".govuk-error-summary").count() else ""
        assert page.title() == f"{error}{heading}{TITLE_END}"
        where = f"{page.url.removeprefix(self.base_url)} ({page.title().removesuffix(TITLE_END)})"
        if self.scan and where not in self.scanned[-1:]:
            self.scanned.append(where)
            violations = axe_violations(page)
            if violations:
                self.inaccessible[where] = violations
        return page

    def rejected(self, heading: str) -> list[tuple[str, str]]:
        """The page came back showing errors: what its error summary lists, as (message, link) pairs."""
        page = self.on(heading)
        expect(page).to_have_title(ERROR_TITLE)
        return error_links(page)

    def carry_on(self) -> None:
        self.page.get_by_role("button", name="Continue", exact=True).click()

    def save_for_later(self) -> None:
        self.page.get_by_role("button", name="Save and come back later").click()

    def starts(self) -> None:
        self.page.goto("/")
        self.on("Tell us about a child who may be missing education")
        self.page.get_by_role("button", name="Start now").click()

    def child_name(self, first: str = "", last: str = "", other: str = "", unknown: bool = False) -> None:
        page = self.on("What is the child's name?")
        page.get_by_label("First name").fill(first)
        page.get_by_label("Last name").fill(last)
        page.get_by_label("I do not know the child's name").set_checked(unknown)
        page.get_by_label("Other names they are known by (optional)").fill(other)
        self.carry_on()

    def date_of_birth(self, born: date | None = None, age: int | None = None, unknown: bool = False) -> None:
        page = self.on(DATE_OF_BIRTH)
        if born is not None:
            fill_date(page.get_by_role("group", name="Date of birth", exact=True), born)
        page.get_by_label("I do not know their date of birth", exact=True).set_checked(unknown)
        page.get_by_label(AGE_GUESS, exact=True).fill("" if age is None else str(age))
        self.carry_on()

    def sex(self, answer: str) -> None:
        self.on("What is the child's sex?").get_by_label(answer, exact=True).check()
        self.carry_on()

    def address(self, line_1="", line_2="", town="", postcode="", unknown=False, phone="") -> None:
        page = self.on("Where does the child live?")
        page.get_by_label("Address line 1").fill(line_1)
        page.get_by_label("Address line 2 (optional)").fill(line_2)
        page.get_by_label("Town or city").fill(town)
        page.get_by_label("Postcode").fill(postcode)
        page.get_by_label("I do not know where the child lives").set_checked(unknown)
        page.get_by_label("Phone number for the child or family (optional)").fill(phone)
        self.carry_on()

    def moved(self, answer: str, where: str = "") -> None:
        page = self.on("Has the child's family moved recently?")
        page.get_by_label(answer, exact=True).check()
        page.get_by_label("If they have moved, where did they move to? (optional)").fill(where)
        self.carry_on()

    def last_school(self, name: str = "", area: str = "", last: date | None = None) -> None:
        page = self.on("Which school did the child last go to?")
        page.get_by_label("School name (optional)").fill(name)
        page.get_by_label("Local authority or area of the school (optional)").fill(area)
        if last is not None:
            fill_date(page.get_by_role("group", name="When were they last at school? (optional)"), last)
        self.carry_on()

    def reasons(self, *reasons: str, more: str = "") -> None:
        page = self.on("Why do you think the child is missing education?")
        for reason in reasons:
            page.get_by_label(reason, exact=True).check()
        page.get_by_label("Tell us more (optional)").fill(more)
        self.carry_on()

    def family(self, carers: str = "", languages: str = "", agencies: str = "") -> None:
        page = self.on("Tell us about the child's family")
        page.get_by_label("Parents or carers (optional)").fill(carers)
        page.get_by_label("Languages spoken at home (optional)").fill(languages)
        page.get_by_label("Other services working with the child or family (optional)").fill(agencies)
        self.carry_on()

    def risk_groups(self, *groups: str) -> None:
        page = self.on("Do any of these apply to the child or their family? (optional)")
        for group in groups:
            page.get_by_label(group, exact=True).check()
        self.carry_on()

    def risk_of_harm(self, answer: str, why: str = "") -> None:
        page = self.on("Do you think the child is at risk of harm?")
        # What to do in an emergency comes before the question, whatever the answer will be.
        expect(page.locator("main .govuk-warning-text")).to_contain_text(
            "If the child is in immediate danger, call 999 now."
        )
        page.get_by_role("group", name="Do you think the child is at risk of harm?").get_by_label(
            answer, exact=True
        ).check()
        page.get_by_label("What makes you think the child is at risk? (optional)", exact=True).fill(why)
        self.carry_on()

    def anything_else(self, text: str = "") -> None:
        question = "Is there anything else you want to tell us? (optional)"
        self.on(question).get_by_label(question, exact=True).fill(text)
        self.carry_on()

    def about_you(self, answer: str) -> None:
        self.on("Which of these best describes you?").get_by_label(answer, exact=True).check()
        self.carry_on()

    def anonymity(self, named: bool) -> None:
        page = self.on("Do you want to tell us who you are?")
        label = "Yes, give my name and contact details" if named else "No, I want to stay anonymous"
        page.get_by_label(label).check()
        self.carry_on()

    def your_details(
        self,
        name: str,
        email: str = "",
        phone: str = "",
        contact: str = "No",
        organisation: tuple[str, str] | None = None,
    ) -> None:
        """`organisation` is the organisation question's label, which depends on who the reporter is, and the answer."""
        page = self.on("Your details")
        page.get_by_label("Full name").fill(name)
        if organisation is not None:
            page.get_by_label(organisation[0], exact=True).fill(organisation[1])
        page.get_by_label("Email address (optional)").fill(email)
        page.get_by_label("Phone number (optional)").fill(phone)
        page.get_by_role(
            "group", name="Can the Children Missing Education team contact you about this report?"
        ).get_by_label(contact, exact=True).check()
        self.carry_on()

    def checks_answers(self) -> dict[str, dict[str, str]]:
        self.on("Check your answers before sending your report")
        return summary(self.page)

    def sends(self) -> tuple[str, str]:
        """Send from Check your answers; the reference and secret phrase the confirmation shows."""
        self.page.get_by_role("button", name="Send report").click()
        page = self.on("Report sent")
        reference = page.locator(".cme-reference").inner_text().strip()
        phrase = page.locator(".cme-phrase").inner_text().strip()
        assert REFERENCE.fullmatch(reference), reference
        assert len(phrase.split()) == 5, phrase
        return reference, phrase

    def about_the_child(self, name: tuple[str, str] | None, sex: str, born: date | None = None, **address) -> None:
        """From the start page to the child's address: `None` for a name or date of birth not known, and no
        `address` (the `address` method's arguments) for an address not known."""
        self.starts()
        if name is None:
            self.child_name(unknown=True)
        else:
            self.child_name(*name)
        self.date_of_birth(born, unknown=born is None)
        self.sex(sex)
        self.address(**(address or {"unknown": True}))

    def about_education_and_risk(
        self, reason: str, more: str = "", moved: str = "No", risk: str = "No", why: str = ""
    ) -> None:
        """From Has the child's family moved recently? to Anything else, giving no optional answers but these."""
        self.moved(moved)
        self.last_school()
        self.reasons(reason, more=more)
        self.family()
        self.risk_groups()
        self.risk_of_harm(risk, why=why)
        self.anything_else()

    def stays_anonymous(self) -> None:
        self.about_you("Member of the public")
        self.anonymity(named=False)

    def quick_report(self) -> None:
        """The shortest report about a child: everything about them unknown, up to the questions about the
        reporter."""
        self.about_the_child(None, "I do not know")
        self.about_education_and_risk("Moved and destination not known", moved="I do not know", risk="I do not know")


def test_a_professional_sends_a_named_report_and_gets_a_confirmation_email(person, live_server, mailbox):
    reporter = Reporter(person)
    page = person.page
    reporter.starts()
    reporter.child_name("Tobias", "Whitcombe", other="Toby")
    reporter.date_of_birth(BORN)
    reporter.sex("Male")

    # A postcode that is not one: the page comes back with the error, which is itself accessible.
    reporter.on("Where does the child live?").get_by_label("Postcode").fill("NB1")
    reporter.carry_on()
    assert reporter.rejected("Where does the child live?") == [
        ("Enter a real postcode, like BA1 1JG", "#address_postcode")
    ]

    reporter.address("14 Quarry Row", town="Northbridge", postcode="nb1 1aa", phone="07700 900982")
    reporter.moved("No")
    reporter.last_school("Millfield Primary School", "Northbridge", LAST_AT_SCHOOL)
    reporter.reasons(
        "Removed from roll by parents with no known education",
        "Stopped attending (illness, bullying, mental health)",
        more="Not seen at school since the summer.",
    )
    reporter.family(carers="Mother, Jo Whitcombe", languages="English", agencies="Health visitor")
    reporter.risk_groups("New to the country", "Young carer")
    reporter.risk_of_harm("No")
    reporter.anything_else("He is often seen at the library in school hours.")
    reporter.about_you("Professional")
    reporter.anonymity(named=True)
    reporter.your_details(
        "Sam Okafor",
        email="sam.okafor@health.example",
        phone="01632 960001",
        contact="Yes",
        organisation=("Organisation you work for", "Northbridge Community Health"),
    )

    shown = reporter.checks_answers()
    year_group = shown["About the child"].pop("Year group")
    assert re.fullmatch(r"Year \d+ \(worked out from the date of birth\)", year_group), year_group
    assert shown == {
        "About the child": {
            "Name": "Tobias Whitcombe",
            "Other names": "Toby",
            "Date of birth": long_date(BORN),
            "Sex": "Male",
            "Address": "14 Quarry Row\nNorthbridge\nNB1 1AA",
            "Family's phone number": "07700 900982",
            "Moved recently": "No",
        },
        "Their education": {
            "Last school": "Millfield Primary School\nNorthbridge",
            "Last at school": long_date(LAST_AT_SCHOOL),
            "Why they may be missing education": "Removed from roll by parents with no known education\n"
            "Stopped attending (illness, bullying, mental health)\nNot seen at school since the summer.",
        },
        "Their family": {
            "Parents or carers": "Mother, Jo Whitcombe",
            "Languages spoken at home": "English",
            "Other services working with them": "Health visitor",
        },
        "Risk": {
            "Groups at particular risk": "New to the country\nYoung carer",
            "At risk of harm": "No",
            "Anything else": "He is often seen at the library in school hours.",
        },
        "About you": {
            "Who you are": "Professional",
            "Tell us who you are": "Yes",
            "Your name": "Sam Okafor",
            "Your organisation": "Northbridge Community Health",
            "Your email address": "sam.okafor@health.example",
            "Your phone number": "01632 960001",
            "Team may contact you": "Yes",
        },
    }

    reference, _ = reporter.sends()
    assert page.get_by_text("We have sent a confirmation email with your reference to").inner_text() == (
        "We have sent a confirmation email with your reference to sam.okafor@health.example."
    )
    assert person.problems == []

    [referral] = stored_referrals(live_server)
    assert columns(referral, *RECORD) == (reference, "professional", False, False, "new")
    assert (referral.child_first_name, referral.child_last_name) == ("Tobias", "Whitcombe")
    assert referral.child_date_of_birth == BORN
    assert referral.child_postcode == "NB1 1AA"
    assert columns(referral, *REPORTER_COLUMNS) == (
        "Sam Okafor",
        "sam.okafor@health.example",
        "01632 960001",
        "Northbridge Community Health",
        True,
    )
    assert referral.answers == {
        "child_first_name": "Tobias",
        "child_last_name": "Whitcombe",
        "child_name_unknown": False,
        "child_other_names": "Toby",
        "date_of_birth": BORN.isoformat(),
        "dob_unknown": False,
        "approximate_age": None,
        "dob_known": "yes",
        "child_sex": "male",
        "address_line_1": "14 Quarry Row",
        "address_line_2": None,
        "address_town": "Northbridge",
        "address_postcode": "NB1 1AA",
        "address_unknown": False,
        "family_phone": "07700 900982",
        "moved": "no",
        "new_address": None,
        "last_school": "Millfield Primary School",
        "last_school_area": "Northbridge",
        "last_at_school": LAST_AT_SCHOOL.isoformat(),
        "reasons": ["removed_by_parents", "stopped_attending"],
        "reason_details": "Not seen at school since the summer.",
        "carers": "Mother, Jo Whitcombe",
        "languages": "English",
        "agencies": "Health visitor",
        "groups": ["new_to_country", "young_carer"],
        "risk_of_harm": "no",
        "risk_details": None,
        "anything_else": "He is often seen at the library in school hours.",
        "reporter_type": "professional",
        "named": "yes",
        "reporter_name": "Sam Okafor",
        "reporter_organisation": "Northbridge Community Health",
        "reporter_email": "sam.okafor@health.example",
        "reporter_phone": "01632 960001",
        "consent_to_contact": "yes",
    }

    [email] = mailbox.wait_for(1)
    assert email["To"] == "sam.okafor@health.example"
    assert email["Subject"] == f"Your report to Northbridge Council: {reference}"
    body = email.get_content()
    assert f"Your reference is {reference}." in body
    for child_detail in ("Tobias", "Whitcombe", "NB1 1AA", "Quarry Row", "07700 900982"):
        assert child_detail.lower() not in body.lower(), child_detail

    # axe scanned every page the reporter saw, one of them showing an error, and found nothing.
    assert reporter.scanned == [
        "/ (Tell us about a child who may be missing education)",
        "/report/child-name (What is the child's name?)",
        "/report/child-date-of-birth (What is the child's date of birth?)",
        "/report/child-sex (What is the child's sex?)",
        "/report/child-address (Where does the child live?)",
        "/report/child-address (Error: Where does the child live?)",
        "/report/moved (Has the child's family moved recently?)",
        "/report/last-school (Which school did the child last go to?)",
        "/report/reasons (Why do you think the child is missing education?)",
        "/report/family (Tell us about the child's family)",
        "/report/risk-groups (Do any of these apply to the child or their family? (optional))",
        "/report/risk-of-harm (Do you think the child is at risk of harm?)",
        "/report/anything-else (Is there anything else you want to tell us? (optional))",
        "/report/about-you (Which of these best describes you?)",
        "/report/anonymity (Do you want to tell us who you are?)",
        "/report/your-details (Your details)",
        "/report/check-answers (Check your answers before sending your report)",
        "/report/confirmation (Report sent)",
    ]
    assert reporter.inaccessible == {}


def test_an_anonymous_report_of_a_child_at_risk_alerts_the_leads_and_keeps_nothing_about_the_reporter(
    person, live_server, mailbox, users
):
    reporter = Reporter(person, scan=False)
    page = person.page
    reporter.about_the_child(
        ("Lena", "Marsh"), "Female", BORN, line_1="3 Canal Street", town="Northbridge", postcode="NB2 2BB"
    )
    reporter.about_education_and_risk(
        "Other reason",
        more="Kept at home to look after younger children.",
        moved="I do not know",
        risk="Yes",
        why="Bruises on her arms.",
    )
    reporter.stays_anonymous()

    about_you = reporter.checks_answers()["About you"]
    assert about_you == {"Who you are": "Member of the public", "Tell us who you are": "No, stay anonymous"}
    reference, _ = reporter.sends()
    assert page.get_by_text("We have sent a confirmation email").count() == 0
    assert person.problems == []

    [referral] = stored_referrals(live_server)
    assert columns(referral, *RECORD) == (reference, "public", True, True, "new")
    assert columns(referral, *REPORTER_COLUMNS) == (None,) * len(REPORTER_COLUMNS)
    assert not set(REPORTER_KEYS) & set(referral.answers)
    assert referral.answers["named"] == "no"
    assert referral.answers["risk_of_harm"] == "yes"
    assert referral.answers["risk_details"] == "Bruises on her arms."

    # The one lead is told; the reporter gave no address. Mail for one report goes out in one batch, the
    # reporter's confirmation first, so by the time the lead's alert has arrived any other would have too.
    [alert] = mailbox.wait_for(1)
    assert alert["To"] == "lead@northbridge.example"
    assert alert["Subject"].startswith(f"Urgent report {reference}")
    body = alert.get_content()
    assert f"https://cme.northbridge.example/staff/referrals/{reference}" in body
    for child_detail in ("Lena", "Marsh", "NB2 2BB", "Canal Street", "Bruises"):
        assert child_detail.lower() not in body.lower(), child_detail
    assert len(mailbox.messages) == 1


def test_a_reporter_changes_answers_from_check_your_answers(person, live_server, mailbox):
    reporter = Reporter(person, scan=False)
    page = person.page
    reporter.about_the_child(("Ollie", "Brennan"), "Male", BORN)
    reporter.about_education_and_risk("Excluded formally or informally")
    reporter.stays_anonymous()
    assert reporter.checks_answers()["About the child"]["Name"] == "Ollie Brennan"

    # The child's name: the page shows what was given, its Back link (in its own landmark) goes to Check your
    # answers, and so does Continue.
    page.get_by_role("link", name="Change name", exact=True).click()
    assert page.url.endswith("/report/child-name?change=yes")
    assert page.get_by_label("First name").input_value() == "Ollie"
    back = page.get_by_role("navigation", name="Back").get_by_role("link", name="Back")
    assert back.get_attribute("href") == "/report/check-answers"
    reporter.child_name("Oliver", "Brennan-Hart", other="Ollie")
    shown = reporter.checks_answers()
    assert (shown["About the child"]["Name"], shown["About the child"]["Other names"]) == (
        "Oliver Brennan-Hart",
        "Ollie",
    )

    # From anonymous to named: Your details is asked before going back to Check your answers.
    page.get_by_role("link", name="Change tell us who you are").click()
    assert page.url.endswith("/report/anonymity?change=yes")
    assert page.get_by_label("No, I want to stay anonymous").is_checked()
    reporter.anonymity(named=True)
    assert page.url.endswith("/report/your-details?change=yes")
    # A member of the public is not asked for an organisation.
    assert page.get_by_label("Organisation", exact=False).count() == 0
    reporter.your_details("Chris Lowe", email="chris.lowe@example.com", contact="Yes")
    assert reporter.checks_answers()["About you"] == member_of_the_public_named("Chris Lowe", "chris.lowe@example.com")

    reference, _ = reporter.sends()
    [referral] = stored_referrals(live_server)
    assert (referral.child_first_name, referral.child_last_name) == ("Oliver", "Brennan-Hart")
    assert (referral.anonymous, referral.reporter_name, referral.reporter_email, referral.consent_to_contact) == (
        False,
        "Chris Lowe",
        "chris.lowe@example.com",
        True,
    )
    [email] = mailbox.wait_for(1)
    assert (email["To"], email["Subject"]) == (
        "chris.lowe@example.com",
        f"Your report to Northbridge Council: {reference}",
    )
    assert person.problems == []


def test_changing_who_the_reporter_is_asks_for_the_details_that_go_with_it(person, live_server):
    """A professional must give the organisation they work for; a member of the public is never asked for one."""
    reporter = Reporter(person, scan=False)
    page = person.page
    reporter.quick_report()
    reporter.about_you("Member of the public")
    reporter.anonymity(named=True)
    reporter.your_details("Priya Shah", email="priya.shah@example.com", contact="Yes")
    assert reporter.checks_answers()["About you"]["Who you are"] == "Member of the public"

    # Now a professional: Your details is asked again, with the organisation question, before Check your answers.
    page.get_by_role("link", name="Change who you are").click()
    reporter.about_you("Professional")
    expect(page.locator("h1"), "a professional is asked for the organisation they work for").to_have_text(
        "Your details"
    )
    reporter.your_details(
        "Priya Shah",
        email="priya.shah@example.com",
        contact="Yes",
        organisation=("Organisation you work for", "Northbridge Youth Service"),
    )
    about_you = reporter.checks_answers()["About you"]
    assert (about_you["Who you are"], about_you["Your organisation"]) == ("Professional", "Northbridge Youth Service")

    # Back to a member of the public: Your details is asked again, keeping what was given but with no organisation
    # question, and the organisation is neither shown nor sent.
    page.get_by_role("link", name="Change who you are").click()
    reporter.about_you("Member of the public")
    reporter.on("Your details")
    assert page.get_by_label("Organisation you work for").count() == 0
    assert [page.get_by_label(label).input_value() for label in ("Full name", "Email address (optional)")] == [
        "Priya Shah",
        "priya.shah@example.com",
    ]
    reporter.carry_on()
    assert reporter.checks_answers()["About you"] == member_of_the_public_named("Priya Shah", "priya.shah@example.com")
    reporter.sends()
    [referral] = stored_referrals(live_server)
    assert (referral.source, referral.reporter_organisation) == ("public", None)
    assert "reporter_organisation" in referral.answers
    assert referral.answers["reporter_organisation"] is None
    assert person.problems == []


def test_the_whole_report_works_with_javascript_off(person_without_javascript, live_server, mailbox):
    # axe needs script, so the pages are scanned in the JavaScript tests; here only behaviour counts.
    person = person_without_javascript
    reporter = Reporter(person, scan=False)
    page = person.page
    reporter.starts()
    reporter.child_name("Maya", "Kowalski")

    # A date that does not exist: the page comes back with the error, and keeps what was typed.
    fill_date(reporter.on(DATE_OF_BIRTH), (31, 2, 2015))
    reporter.carry_on()
    assert reporter.rejected(DATE_OF_BIRTH) == [("Date of birth must be a real date", "#date_of_birth-day")]
    message = " ".join(page.locator("#date_of_birth-error").text_content().split())
    assert message == "Error: Date of birth must be a real date"
    assert [page.get_by_label(part, exact=True).input_value() for part in DATE_PARTS] == ["31", "2", "2015"]
    reporter.date_of_birth(BORN)

    reporter.sex("Female")
    reporter.address("Flat 2", "9 Station Road", "Northbridge", "NB1 1AA")
    reporter.moved("Yes", where="Somewhere near Leeds")
    reporter.last_school("Riverside Junior School")
    reporter.reasons("Could not find a school place after moving")
    reporter.family(languages="Polish, English")
    reporter.risk_groups("In temporary accommodation or a refuge")
    reporter.risk_of_harm("No")
    reporter.anything_else()
    reporter.about_you("School")
    reporter.anonymity(named=True)
    reporter.your_details(
        "Dana Price",
        email="office@riverside.example",
        organisation=("Name of your school", "Riverside Junior School"),
    )

    shown = reporter.checks_answers()
    assert shown["About the child"]["Date of birth"] == long_date(BORN)
    assert shown["About the child"]["Moved recently"] == "Yes\nSomewhere near Leeds"
    assert shown["About you"]["Your organisation"] == "Riverside Junior School"
    reference, _ = reporter.sends()

    [referral] = stored_referrals(live_server)
    assert (referral.reference, referral.source, referral.anonymous) == (reference, "school", False)
    assert (referral.child_first_name, referral.child_date_of_birth) == ("Maya", BORN)
    assert referral.answers["new_address"] == "Somewhere near Leeds"
    assert referral.reporter_organisation == "Riverside Junior School"
    [email] = mailbox.wait_for(1)
    assert email["To"] == "office@riverside.example"


def test_with_javascript_the_error_summary_takes_focus_and_links_to_the_field(person):
    # These pages, and a page in its error state, are scanned by axe in the first test.
    reporter = Reporter(person, scan=False)
    page = person.page
    reporter.starts()

    def continue_with_nothing_given(heading: str, message: str, field_id: str) -> None:
        reporter.on(heading)
        reporter.carry_on()
        assert reporter.rejected(heading) == [(message, f"#{field_id}")]
        assert_focus_is_in_the_error_summary(page)
        page.get_by_role("link", name=message).click()
        assert page.evaluate("document.activeElement.id") == field_id

    continue_with_nothing_given(
        "What is the child's name?",
        "Enter the child's first name or last name, or select 'I do not know the child's name'",
        "child_first_name",
    )
    reporter.child_name("Jamie")
    continue_with_nothing_given(
        DATE_OF_BIRTH,
        "Enter the child's date of birth, or select 'I do not know their date of birth'",
        "date_of_birth-day",
    )
    assert person.problems == []


def test_a_child_not_of_compulsory_school_age_gets_a_warning_and_the_report_can_still_be_sent(person, live_server):
    reporter = Reporter(person, scan=False)  # the question pages are scanned in the first test
    page = person.page
    reporter.starts()
    reporter.child_name(unknown=True)
    # A guess at their age, without ticking "I do not know their date of birth", is answer enough.
    reporter.date_of_birth(age=17)

    reporter.scan = True
    reporter.on("This child may not be of compulsory school age")
    assert page.url.endswith("/report/child-age-check")
    expect(page.locator(".govuk-warning-text")).to_contain_text(
        "A young person aged about 17 is past compulsory school age, which ends in the June of the school year in "
        "which they turn 16."
    )
    page.get_by_role("button", name="Continue with the report").click()

    reporter.scan = False
    reporter.sex("I do not know")
    reporter.address(unknown=True)
    reporter.about_education_and_risk("Removed from roll by parents with no known education")
    reporter.stays_anonymous()

    reporter.scan = True
    shown = reporter.checks_answers()
    expect(page.locator("main .govuk-warning-text")).to_contain_text("You can still send this report.")
    assert shown["About the child"]["Name"] == "Not known"
    assert shown["About the child"]["Date of birth"] == "Not known: about 17 years old"
    assert shown["About the child"]["Address"] == "Not known"
    reference, _ = reporter.sends()

    [referral] = stored_referrals(live_server)
    assert referral.reference == reference
    assert (referral.child_first_name, referral.child_last_name, referral.child_date_of_birth) == (None, None, None)
    assert {key: referral.answers[key] for key in ("date_of_birth", "dob_unknown", "approximate_age", "dob_known")} == {
        "date_of_birth": None,
        "dob_unknown": False,
        "approximate_age": 17,
        "dob_known": "estimate",
    }
    assert referral.answers["child_name_unknown"] is True
    assert person.problems == []
    assert reporter.scanned == [
        "/report/child-age-check (This child may not be of compulsory school age)",
        "/report/check-answers (Check your answers before sending your report)",
        "/report/confirmation (Report sent)",
    ]
    assert reporter.inaccessible == {}


def test_a_report_saved_for_later_is_carried_on_in_another_browser(person, browser, live_server, mailbox):
    reporter = Reporter(person, scan=False)
    page = person.page
    reporter.starts()
    reporter.child_name("Rosa", "Delgado")
    reporter.date_of_birth(BORN)
    reporter.sex("Female")
    reporter.on("Where does the child live?")
    page.get_by_label("Address line 1").fill("27 Weir Lane")
    page.get_by_label("Town or city").fill("Northbridge")
    page.get_by_label("Postcode").fill("NB1 1AA")
    reporter.save_for_later()

    reporter.scan = True
    save_page = reporter.on("Save your report and come back later")
    save_page.get_by_label("Email address (optional)").fill("rosa.reporter@example.com")
    save_page.get_by_role("button", name="Save and get a resume code").click()
    reporter.on("Your report has been saved")
    code = page.locator(".cme-reference").inner_text().strip()
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", code), code
    [saved_email] = mailbox.wait_for(1)
    assert (saved_email["To"], saved_email["Subject"]) == (
        "rosa.reporter@example.com",
        "Your saved report to Northbridge Council",
    )
    assert code not in saved_email.get_content()
    assert person.problems == []

    elsewhere = Browsing(browser, live_server)
    try:
        later = Reporter(elsewhere)
        elsewhere.page.goto("/report/resume")
        later.on("Carry on with a saved report")
        elsewhere.page.get_by_label("Resume code").fill(code.lower())
        elsewhere.page.get_by_role("button", name="Carry on").click()

        # The report carries on at the first question not answered; the address typed before saving is there.
        later.scan = False
        later.on("Has the child's family moved recently?")
        elsewhere.page.get_by_role("link", name="Back").click()
        later.on("Where does the child live?")
        assert [
            elsewhere.page.get_by_label(label).input_value() for label in ("Address line 1", "Town or city", "Postcode")
        ] == ["27 Weir Lane", "Northbridge", "NB1 1AA"]
        later.carry_on()
        later.about_education_and_risk("Never started school (for example reception age or new to the area)")
        later.stays_anonymous()
        shown = later.checks_answers()
        assert shown["About the child"]["Name"] == "Rosa Delgado"
        assert shown["About the child"]["Address"] == "27 Weir Lane\nNorthbridge\nNB1 1AA"
        reference, _ = later.sends()
        assert elsewhere.problems == []
    finally:
        elsewhere.close()

    [referral] = stored_referrals(live_server)
    assert (referral.reference, referral.child_first_name, referral.child_postcode) == (reference, "Rosa", "NB1 1AA")
    assert reporter.scanned + later.scanned == [
        "/report/save (Save your report and come back later)",
        "/report/save (Your report has been saved)",
        "/report/resume (Carry on with a saved report)",
    ]
    assert {**reporter.inaccessible, **later.inaccessible} == {}


def test_a_reporter_adds_information_later_with_the_reference_and_phrase(person, browser, live_server):
    reporter = Reporter(person, scan=False)
    reporter.quick_report()
    reporter.stays_anonymous()
    # The quick report's unknowns read as such.
    about_the_child = reporter.checks_answers()["About the child"]
    assert [about_the_child[key] for key in ("Name", "Date of birth", "Sex", "Address")] == ["Not known"] * 4
    reference, phrase = reporter.sends()

    elsewhere = Browsing(browser, live_server)
    later = Reporter(elsewhere)
    try:
        page = elsewhere.page
        page.goto("/report/add-information")
        later.on("Add information to a report you have sent")
        page.get_by_label("Reference").fill(reference)
        page.get_by_label("Secret phrase").fill("wrong words entirely here now")
        page.get_by_label("What do you want to add?").fill("They have moved to Leeds.")
        page.get_by_role("button", name="Add to my report").click()
        assert later.rejected("Add information to a report you have sent") == [
            ("The reference and secret phrase do not match a report. Check them and try again", "#reference")
        ]
        assert page.get_by_label("Secret phrase").input_value() == ""
        assert page.get_by_label("What do you want to add?").input_value() == "They have moved to Leeds."

        page.get_by_label("Secret phrase").fill(phrase.upper())
        page.get_by_role("button", name="Add to my report").click()
        later.on("Information added to your report")
        assert elsewhere.problems == []
    finally:
        elsewhere.close()

    [referral] = stored_referrals(live_server)
    with live_server.app.extensions["cme.database"].session() as session:
        additions = list(session.scalars(select(ReferralAddition)))
        assert [(addition.referral_id, addition.text) for addition in additions] == [
            (referral.id, "They have moved to Leeds.")
        ]
    assert later.scanned == [
        "/report/add-information (Add information to a report you have sent)",
        "/report/add-information (Error: Add information to a report you have sent)",
        "/report/information-added (Information added to your report)",
    ]
    assert later.inaccessible == {}


def test_the_other_report_pages_and_the_cme_teams_referral_pages_are_accessible(person, live_server, users):
    from flask import render_template

    from shared.clock import utcnow
    from shared.services import reports
    from tests.e2e.test_journeys import sign_in

    page = person.page
    # The emailed resume link asks before it takes the draft; an unknown token says the link has expired.
    page.goto("/report/resume-link?token=not-a-real-token")
    assert page.locator("h1").inner_text() == "Carry on with your saved report"
    assert axe_violations(page) == []
    page.get_by_role("button", name="Carry on with my report").click()
    assert page.locator("h1").inner_text() == "This link has expired"
    assert axe_violations(page) == []

    # A referral as the CME team reads it.
    with live_server.app.extensions["cme.database"].session() as session:
        key = reports.new_session_key()
        reports.record_answers(
            session, key, "child-name", {"child_first_name": "Rosa", "child_last_name": "Novak"}, (), utcnow()
        )
        authority = reports.Authority("Northbridge Council", "01632 960000", live_server, "cme@northbridge.example")
        reference = reports.submit(session, key, utcnow(), authority).reference
    sign_in(person, "officer@northbridge.example")
    page.wait_for_load_state("load")  # so going on does not cut off the staff home's own requests
    page.goto("/staff/referrals")
    assert page.locator("h1").inner_text() == "New referrals"
    assert axe_violations(page) == []
    page.get_by_role("link", name=reference).click()
    assert page.locator("h1").inner_text() == reference
    assert "Rosa Novak" in page.locator("main").inner_text()
    assert axe_violations(page) == []
    assert person.problems == []

    # The page a reporter sees when the database is down as they send.
    with live_server.app.test_request_context("/report/check-answers"):
        html = render_template("referral/not_sent.html")
    page.goto("/cookies")  # the page's own address, so its stylesheet and scripts load
    page.set_content(html, wait_until="load")  # its inline script's nonce is not this page's: blocked
    assert page.locator("h1").inner_text() == "Sorry, your report has not been sent yet"
    assert axe_violations(page) == []
