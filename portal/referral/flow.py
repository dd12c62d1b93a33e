"""The report's question pages, their order, and which apply given the answers so far."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from portal.referral import forms
from shared.services.reports import REPORTER_KEYS


@dataclass(frozen=True)
class Page:
    slug: str
    title: str  # the question: the page's h1 and its <title>
    form: type[forms.ReportForm]
    applies: Callable[[dict], bool] = field(default=lambda answers: True)
    # Answers to forget when this page's new answer makes them no longer apply.
    clears: Callable[[dict], tuple[str, ...]] = field(default=lambda answers: ())
    # Pages to ask again when this page's answer changes (their questions depend on it).
    reasks: tuple[str, ...] = ()

    @property
    def template(self) -> str:
        return f"referral/{self.slug.replace('-', '_')}.html"


def _named(answers: dict) -> bool:
    return answers.get("named") == "yes"


PAGES: tuple[Page, ...] = (
    Page("child-name", "What is the child's name?", forms.ChildNameForm),
    Page("child-date-of-birth", "What is the child's date of birth?", forms.ChildDateOfBirthForm),
    Page("child-sex", "What is the child's sex?", forms.ChildSexForm),
    Page("child-address", "Where does the child live?", forms.ChildAddressForm),
    Page("moved", "Has the child's family moved recently?", forms.MovedForm),
    Page("last-school", "Which school did the child last go to?", forms.LastSchoolForm),
    Page("reasons", "Why do you think the child is missing education?", forms.ReasonsForm),
    Page("family", "Tell us about the child's family", forms.FamilyForm),
    Page("risk-groups", "Do any of these apply to the child or their family? (optional)", forms.RiskGroupsForm),
    Page("risk-of-harm", "Do you think the child is at risk of harm?", forms.RiskOfHarmForm),
    Page("anything-else", "Is there anything else you want to tell us? (optional)", forms.AnythingElseForm),
    Page(
        "about-you",
        "Which of these best describes you?",
        forms.AboutYouForm,
        clears=lambda answers: ("reporter_organisation",) if answers.get("reporter_type") == "public" else (),
        reasks=("your-details",),
    ),
    Page(
        "anonymity",
        "Do you want to tell us who you are?",
        forms.AnonymityForm,
        clears=lambda answers: () if _named(answers) else REPORTER_KEYS,
    ),
    Page("your-details", "Your details", forms.YourDetailsForm, applies=_named),
)
BY_SLUG = {page.slug: page for page in PAGES}
CHECK_ANSWERS = "check-answers"


def applicable(answers: dict) -> list[Page]:
    return [page for page in PAGES if page.applies(answers)]


def first_unanswered(answers: dict, completed: list[str]) -> Page | None:
    for page in applicable(answers):
        if page.slug not in completed:
            return page
    return None


def next_slug(current: Page, answers: dict, completed: list[str], changing: bool) -> str:
    """Where to go after answering `current`: the next question, or, when changing an answer from Check your
    answers, back there unless the change opened a question not yet answered."""
    if changing:
        missing = first_unanswered(answers, completed)
        return missing.slug if missing else CHECK_ANSWERS
    pages = applicable(answers)
    position = pages.index(current) if current in pages else -1
    return pages[position + 1].slug if position + 1 < len(pages) else CHECK_ANSWERS


def previous_slug(current: Page, answers: dict) -> str | None:
    """The page before `current`, or None for the first question (whose Back goes to the start page)."""
    pages = applicable(answers)
    if current not in pages:
        return pages[-1].slug
    position = pages.index(current)
    return pages[position - 1].slug if position else None
