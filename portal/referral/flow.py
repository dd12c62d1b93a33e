"""The report's question pages, their order, which apply given the answers so far, and the journey through them:
where each answer leads, what it makes no longer apply, and where Back goes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from portal.referral import forms
from shared.domain import report as report_rules
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
DATE_OF_BIRTH = "child-date-of-birth"
# Not a question: the warning after the date of birth when the child may not be of compulsory school age.
AGE_CHECK = "child-age-check"


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


def instead_of(page: Page, answers: dict, completed: list[str]) -> str | None:
    """Where to go instead of `page` when it does not apply to the answers so far (Your details after choosing to
    stay anonymous: never asked, never kept): the first question not yet answered, or Check your answers."""
    if page.applies(answers):
        return None
    missing = first_unanswered(answers, completed)
    return missing.slug if missing else CHECK_ANSWERS


def what_to_forget(
    page: Page, answers: dict, given: dict, completed: list[str]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What answering `page` with `given` makes no longer apply: the answers the page clears, and the pages to
    forget (those that no longer apply, and the ones to ask again when an answer already given changed)."""
    merged = {**answers, **given}
    changed = any(answers.get(key) != value for key, value in given.items())
    forget = [other.slug for other in PAGES if not other.applies(merged)]
    if changed and page.slug in completed:
        forget += page.reasks
    return page.clears(merged), tuple(forget)


def age_check(answers: dict, today: date) -> report_rules.AgeCheck:
    dob = answers.get("date_of_birth")
    return report_rules.age_check(date.fromisoformat(dob) if dob else None, answers.get("approximate_age"), today)


def after_answering(current: Page, answers: dict, completed: list[str], changing: bool, today: date) -> str:
    """Where an answer to `current` leads: the age check after a date of birth that needs its warning, otherwise
    the next question (see next_slug)."""
    if current.slug == DATE_OF_BIRTH and age_check(answers, today).warning:
        return AGE_CHECK
    return next_slug(current, answers, completed, changing)


def back_slug(current: Page, answers: dict, completed: list[str], changing: bool) -> str | None:
    """Back goes to Check your answers when changing an answer, unless this question is new to the reporter (a
    change brought it up): then to the question before it, so they can undo that change. None: the start page."""
    if changing and current.slug in completed:
        return CHECK_ANSWERS
    return previous_slug(current, answers)
