"""The service's fixed vocabularies: each value's code is stored, its label is shown."""

from __future__ import annotations

from enum import StrEnum
from typing import overload


class Labelled(StrEnum):
    """A StrEnum whose members carry a human label: `Member = "code", "Label"`."""

    label: str

    def __new__(cls, value: str, label: str = ""):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label or value.replace("_", " ").capitalize()
        return member

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(member.value, member.label) for member in cls]


@overload
def label_of(vocabulary: type[Labelled], code: str, missing: str | None = None) -> str: ...
@overload
def label_of(vocabulary: type[Labelled], code: str | None, missing: str) -> str: ...
@overload
def label_of(vocabulary: type[Labelled], code: str | None, missing: None = None) -> str | None: ...
def label_of(vocabulary: type[Labelled], code: str | None, missing: str | None = None) -> str | None:
    """A stored code's label in its vocabulary; a code since taken off the list shows as itself, and no code as
    `missing` (when given)."""
    if not code:
        return missing if missing is not None else code
    try:
        return vocabulary(code).label
    except ValueError:
        return code


class ReferralSource(Labelled):
    PUBLIC = "public", "Member of the public"
    PROFESSIONAL = "professional", "Professional"
    SCHOOL = "school", "School"
    OTHER_LA = "other_la", "Another local authority"


class ReferralStatus(Labelled):
    NEW = "new", "New"
    IN_TRIAGE = "in_triage", "In triage"
    LINKED = "linked", "Linked to a case"
    CLOSED = "closed", "Closed without a case"


class NoticeKind(Labelled):
    JOINER = "joiner", "Pupil added to the admission register"
    LEAVER = "leaver", "Pupil to be removed from the admission register"
    PART_TIME = "part_time", "Part-time timetable"
    ABSENCE = "absence", "Continuous unexplained absence"
    INDEPENDENT_ADMISSION = "independent_admission", "Independent school admission"


class NoticeStatus(Labelled):
    RECEIVED = "received", "Received"
    FOR_CME = "for_cme", "Sent to the CME team"
    ATTACHED = "attached", "Attached to a case"
    ACTIONED = "actioned", "Actioned"


class RiskLevel(Labelled):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class SendStatus(Labelled):
    NONE = "none", "No special educational needs"
    SEN_SUPPORT = "sen_support", "SEN support"
    EHCP = "ehcp", "Education, health and care plan"
    UNKNOWN = "unknown", "Not known"


class Sex(Labelled):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    UNKNOWN = "unknown", "Not known"


class VulnerableGroup(Labelled):
    RISK_OF_HARM = "risk_of_harm", "At risk of harm or neglect"
    GRT = "grt", "Gypsy, Roma and Traveller family"
    ARMED_FORCES = "armed_forces", "Armed Forces family"
    ASYLUM_REFUGEE = "asylum_refugee", "Asylum seeker or refugee"
    MISSING_FROM_HOME = "missing_from_home", "Missing from home or care"
    YOUTH_JUSTICE = "youth_justice", "Supervised by the youth justice system"
    RETURNING_FROM_CUSTODY = "returning_from_custody", "Returning from custody"
    NEW_TO_COUNTRY = "new_to_country", "New to the country"
    LOOKED_AFTER = "looked_after", "Looked after or privately fostered"
    TEMPORARY_ACCOMMODATION = "temporary_accommodation", "In temporary accommodation or a refuge"
    LIVING_INDEPENDENTLY = "living_independently", "16 and living independently"
    YOUNG_CARER = "young_carer", "Young carer"
    TEENAGE_PARENT = "teenage_parent", "Teenage parent"
    SEND_AWAITING_PLACEMENT = "send_awaiting_placement", "SEND or EHCP, awaiting a placement"
    EXCLUDED_WITHOUT_PROVISION = "excluded_without_provision", "Permanently excluded without provision"


class CheckType(Labelled):
    HEALTH = "health", "Child health service"
    SOCIAL_CARE = "social_care", "Children's social care"
    POLICE = "police", "Police"
    HOUSING = "housing", "Housing services"
    COUNCIL_TAX = "council_tax", "Council tax"
    BENEFITS = "benefits", "Revenues and benefits"
    PREVIOUS_LA = "previous_la", "Previous local authority"
    DESTINATION_LA = "destination_la", "Destination local authority"
    LOST_PUPIL_DATABASE = "lost_pupil_database", "DfE Lost Pupil Database (S2S)"
    CEAS = "ceas", "Children's Education Advisory Service (Armed Forces families)"
    CUSTODIAL = "custodial", "Custodial institution"
    PHONE = "phone", "Phone call to the family"
    LETTER = "letter", "Letter to the family"
    HOME_VISIT = "home_visit", "Home visit"
    OTHER = "other", "Other enquiry"


class CheckStatus(Labelled):
    TO_DO = "to_do", "To do"
    ASKED = "asked", "Asked, awaiting answer"
    DONE = "done", "Done"
    NOT_APPLICABLE = "not_applicable", "Not applicable"


class CheckResult(Labelled):
    LOCATED = "located", "Child located or known to them"
    NOT_KNOWN = "not_known", "Not known to them"
    NO_REPLY = "no_reply", "No reply"


class ContactKind(Labelled):
    NOTE = "note", "Note"
    PHONE = "phone", "Phone call"
    LETTER = "letter", "Letter"
    EMAIL = "email", "Email"
    HOME_VISIT = "home_visit", "Home visit"
    MEETING = "meeting", "Meeting"


class Outcome(Labelled):
    ON_ROLL = "on_roll", "On roll at a named school"
    ELECTIVE_HOME_EDUCATION = "elective_home_education", "Elective home education"
    MOVED_TO_OTHER_LA = "moved_to_other_la", "Moved to another local authority"
    MOVED_ABROAD = "moved_abroad", "Moved abroad"
    REFERRED_TO_ADMISSIONS = (
        "referred_to_admissions",
        "Located and referred to admissions, fair access or SEND",
    )
    NOT_LOCATED = "not_located", "Not located after all enquiries: added to the Lost Pupil Database"
    NOT_COMPULSORY_AGE = "not_compulsory_age", "No longer of compulsory school age"
    REFERRED_TO_SOCIAL_CARE = "referred_to_social_care", "Referred to children's social care"
