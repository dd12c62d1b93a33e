"""The forms that move a case: choosing a move, waiting for another authority and its reply, placing the child in a
school, closing with an outcome and reopening. The rules are the domain's (`shared.domain.closure`)."""

from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import GovSelect
from wtforms import HiddenField, SelectChoice, SelectField

from shared.domain.closure import AUTHORITY_LIMIT, CAME_FROM, COUNTRY_LIMIT, MOVED_TO, REFERRED_TO, TEXT_LIMIT
from shared.domain.vocab import Outcome
from shared.models import School
from webcommon.forms import BaseForm, DatePartsField, area, radios, text


def school_choices(schools: list[School]) -> list[SelectChoice]:
    return [SelectChoice("", "Select a school")] + [
        SelectChoice(str(school.id), f"{school.name} (URN {school.urn})") for school in schools
    ]


def _id(value: str | None) -> int | None:
    # ASCII and short: str.isdigit() also accepts "²", and a database id has at most 9 digits here.
    return int(value) if value and value.isascii() and value.isdigit() and len(value) < 10 else None


class MoveForm(BaseForm):
    move = radios("What happens next?", ())
    reason = area("Why do enquiries start again?", TEXT_LIMIT, name="Why enquiries start again")
    version = HiddenField()


class WaitingForm(BaseForm):
    authority = text("Which local authority?", AUTHORITY_LIMIT, "For example, Bristol City Council", "Authority")
    direction = radios(
        "Did the child move to that authority or come from it?",
        ((MOVED_TO, "The child moved to it"), (CAME_FROM, "The child came from it")),
    )
    sent_on = DatePartsField(
        "When was the enquiry sent?", name_in_errors="Date the enquiry was sent", description="For example, 3 11 2026"
    )
    due_on = DatePartsField(
        "When should we chase the reply? (optional)",
        name_in_errors="Date to chase the reply",
        description="Leave it blank for the usual wait, counted in school days from the date sent",
    )
    version = HiddenField()


class ReplyForm(BaseForm):
    confirmed = radios(
        "What did the authority say?",
        (("yes", "The child is on a school roll there or known to them"), ("no", "They do not know the child")),
    )
    answered_on = DatePartsField("When did they reply?", name_in_errors="Date of the reply")
    answer = area("What did they say? (optional)", TEXT_LIMIT, name="What they said")
    version = HiddenField()

    @property
    def confirmed_answer(self) -> bool | None:
        return {"yes": True, "no": False}.get(self.confirmed.data or "")


class PlacementForm(BaseForm):
    school = SelectField("Which school is the child on roll at?", widget=GovSelect(), validate_choice=False)
    on_roll_from = DatePartsField(
        "When did the child go on the school's roll?",
        name_in_errors="Date on roll",
        description="For example, 3 11 2026",
    )
    review_date = DatePartsField(
        "When should the team review the child's attendance?",
        name_in_errors="Review date",
        description="The usual review date is filled in: change it if needed",
    )
    version = HiddenField()

    @property
    def school_id(self) -> int | None:
        return _id(self.school.data)


class CloseForm(BaseForm):
    outcome = radios("What is the outcome?", Outcome.choices())
    school = SelectField("Which school?", widget=GovSelect(), validate_choice=False)
    authority = text("Which local authority?", AUTHORITY_LIMIT, "For example, Bristol City Council", "Authority")
    country = text("Which country? (optional)", COUNTRY_LIMIT, name="Country")
    referred_to = radios("Who was the child referred to?", REFERRED_TO.items())
    on = DatePartsField(
        "When did it happen?",
        name_in_errors="Date",
        description=(
            "The day the child went on roll, we were told of home education, the other authority was notified, the "
            "child left, the referral was made, they were added to the Lost Pupil Database, or compulsory school "
            "age ended. For example, 3 11 2026"
        ),
    )
    justification = area(
        "Why can the case close with checks still open?",
        TEXT_LIMIT,
        "For example, the other authority confirmed the child is on roll, so the other checks are not needed",
        "Why the case can close with checks open",
    )
    version = HiddenField()

    @property
    def school_id(self) -> int | None:
        return _id(self.school.data)


class ReopenForm(BaseForm):
    reason = area("Why is the case reopened?", TEXT_LIMIT, name="Why the case is reopened")
    version = HiddenField()
