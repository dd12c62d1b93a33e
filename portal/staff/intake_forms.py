"""The triage form: which child an intake item is about, and what to do with it. The choices of child, case and
school are the page's own (the children matching proposed, their open cases, the authority's schools), set before
the answers are read; the rules about which answers go together are the service's (shared.services.intake)."""

from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovTextInput
from wtforms import SelectChoice, SelectField, StringField, TextAreaField

from shared.clock import long_date
from shared.domain.casework import CaseStatus
from shared.models import Case, School
from shared.services.intake import (
    DETAILS_LIMIT,
    NEW_CHILD,
    NO_CHILD,
    NOT_IN_LIST,
    SCHOOL_NAME_LIMIT,
    Action,
    Decision,
)
from shared.services.matching import Candidate
from webcommon.forms import BaseForm, CharacterCount, limit, radios

ACTION_LABELS = {
    Action.OPEN_CASE: "Open a new case",
    Action.ADD_TO_CASE: "Add it to the child’s open case",
    Action.CLOSE_ON_ROLL: "Close it: the child is on roll at a school",
    Action.CLOSE_NOT_CME: "Close it: not a child missing education",
    Action.CLOSE_DUPLICATE: "Close it: a duplicate of another referral or notice",
    Action.CLOSE_OTHER: "Close it for another reason",
}


def case_label(case: Case) -> str:
    """ "CS-…: opened 3 November 2026, making enquiries"."""
    try:
        status = CaseStatus(case.status).label
    except ValueError:
        status = case.status
    return f"{case.reference}: opened {long_date(case.opened_at)}, {status[:1].lower() + status[1:]}"


class TriageForm(BaseForm):
    child = radios("Which child is it about?", ())
    action = radios("What do you want to do?", [(action.value, label) for action, label in ACTION_LABELS.items()])
    case = radios("Which open case?", ())
    school = SelectField("School", widget=GovSelect(), validate_choice=False)
    school_name = StringField(
        "If the school is not in the list, its name",
        widget=GovTextInput(),
        validators=[limit("School name", SCHOOL_NAME_LIMIT)],
    )
    duplicate_of = StringField(
        "Reference of the referral or notice it repeats",
        widget=GovTextInput(),
        description="For example, RF-7KQ4-M9X3 or SN-2BHT-9QXC",
    )
    not_cme_details = TextAreaField(
        "Why not? (optional)",
        widget=CharacterCount(),
        validators=[limit("Details", DETAILS_LIMIT)],
        description="For example, suitable home education confirmed",
    )
    other_details = TextAreaField(
        "Why is it closed without a case?", widget=CharacterCount(), validators=[limit("Reason", DETAILS_LIMIT)]
    )

    def offer(
        self,
        noun: str,
        candidates: list[Candidate],
        several_cases: dict[int, list[Case]],
        schools: list[School],
    ) -> None:
        """Set the choices this page offers: the proposed children, then a new child or none; the open cases of
        a child who has more than one; the schools of the authority."""
        self.child.label.text = f"Which child is this {noun} about?"
        self.child.choices = [
            *(SelectChoice(str(found.child.id), found.child.full_name) for found in candidates),
            SelectChoice(NEW_CHILD, "A new child"),
            SelectChoice(NO_CHILD, "Do not record a child"),
        ]
        self.case.choices = [
            SelectChoice(case.reference, f"{case.child.full_name}, {case_label(case)}")
            for cases in several_cases.values()
            for case in cases
        ]
        self.school.choices = [
            SelectChoice("", "Select a school"),
            *(SelectChoice(str(school.urn), f"{school.name} (URN {school.urn})") for school in schools),
            SelectChoice(NOT_IN_LIST, "A school not in this list"),
        ]

    def decision(self) -> Decision:
        return Decision(
            child=self.child.data,
            action=self.action.data,
            case=self.case.data,
            school=self.school.data,
            school_name=self.school_name.data,
            duplicate_of=self.duplicate_of.data,
            not_cme_details=self.not_cme_details.data,
            other_details=self.other_details.data,
        )
