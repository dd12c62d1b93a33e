"""One form per question page of the report. Messages follow the Design System's wording."""

from __future__ import annotations

import re
from datetime import date

from govuk_frontend_wtf.wtforms_widgets import GovCheckboxInput, GovTextInput
from wtforms import BooleanField, RadioField, SelectMultipleField, StringField
from wtforms.validators import InputRequired, ValidationError
from wtforms.widgets import CheckboxInput

from portal.referral.fields import ReportForm
from shared.clock import uk_today
from shared.domain.postcode import InvalidPostcode, normalise_postcode
from shared.domain.vocab import ReferralSource, Sex, VulnerableGroup
from shared.reference_data import cme_reasons
from webcommon.forms import Checkboxes, DatePartsField, Radios, area, choices, text, valid_email, valid_phone

OLDEST_BIRTH_YEARS = 25  # a date of birth further back than this is a typing mistake, not a child


class OnlyTheOptions:
    """A choice that must be one of the options: anything else (a forged post) gets the field's own message, in
    the Design System's words, rather than WTForms' "Not a valid choice"."""

    message: str

    def pre_validate(self, form):
        try:
            super().pre_validate(form)
        except ValidationError:
            raise ValidationError(self.message) from None


class ChoiceField(OnlyTheOptions, RadioField):
    def __init__(self, *args, message: str, **kwargs):
        super().__init__(*args, validators=[InputRequired(message=message)], **kwargs)
        self.message = message


class ChoicesField(OnlyTheOptions, SelectMultipleField):
    def __init__(self, *args, message: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.message = message


def radios(label: str, pairs, required: str) -> ChoiceField:
    """One choice that must be made, with the Design System's message when it is not (`required`)."""
    return ChoiceField(label, choices=choices(pairs), widget=Radios(), message=required)


def checkboxes(label: str, pairs, message: str, **kwargs) -> ChoicesField:
    return ChoicesField(
        label, choices=choices(pairs), widget=Checkboxes(), option_widget=CheckboxInput(), message=message, **kwargs
    )


YES_NO_UNKNOWN = (("yes", "Yes"), ("no", "No"), ("unknown", "I do not know"))


class ChildNameForm(ReportForm):
    child_first_name = text("First name", 100)
    child_last_name = text("Last name", 100)
    child_name_unknown = BooleanField("I do not know the child's name", widget=GovCheckboxInput())
    child_other_names = text(
        "Other names they are known by (optional)",
        200,
        name="Other names",
        description="For example, a nickname, or a surname they also use",
    )

    def validate_child_first_name(self, field):
        if self.child_first_name.data or self.child_last_name.data:
            self.child_name_unknown.data = False
        elif not self.child_name_unknown.data:
            raise ValidationError(
                "Enter the child's first name or last name, or select 'I do not know the child's name'"
            )


class ChildDateOfBirthForm(ReportForm):
    date_of_birth = DatePartsField(
        "Date of birth", name_in_errors="Date of birth", description="For example, 27 3 2015"
    )
    dob_unknown = BooleanField("I do not know their date of birth", widget=GovCheckboxInput())
    # No length validator: a number of more than two digits is refused as out of range, as the person means it.
    approximate_age = StringField(
        "If you do not know their date of birth, how old do you think they are? (optional)",
        widget=GovTextInput(),
        description="In years, for example 9",
    )

    def validate_date_of_birth(self, field: DatePartsField):
        if field.problem:
            raise ValidationError(field.problem)
        if field.data is None:
            if not (self.dob_unknown.data or self.approximate_age.data):
                raise ValidationError("Enter the child's date of birth, or select 'I do not know their date of birth'")
            return
        self.dob_unknown.data = False
        today = uk_today()
        if field.data > today:
            raise ValidationError("Date of birth must be in the past")
        earliest = date(today.year - OLDEST_BIRTH_YEARS, 1, 1)
        if field.data < earliest:
            raise ValidationError(f"Date of birth must be the same as or after {earliest.day} {earliest:%B %Y}")

    def validate_approximate_age(self, field):
        if not field.data or not self.date_of_birth.is_empty:
            return  # a date of birth, when given, says more than a guess (see answers)
        if not re.fullmatch(r"[0-9]+", field.data):
            raise ValidationError("How old they are must be a whole number of years, like 9")
        if len(field.data) > 2 or int(field.data) > OLDEST_BIRTH_YEARS:
            raise ValidationError(f"How old they are must be between 0 and {OLDEST_BIRTH_YEARS}")

    def answers(self) -> dict:
        kept = super().answers()
        guessed = self.approximate_age.data if self.date_of_birth.is_empty else None
        kept["approximate_age"] = int(guessed) if guessed else None
        if kept["date_of_birth"]:
            kept["dob_known"] = "yes"
        else:
            kept["dob_known"] = "estimate" if kept["approximate_age"] is not None else "no"
        return kept


class ChildSexForm(ReportForm):
    child_sex = radios(
        "What is the child's sex?",
        ((Sex.FEMALE, "Female"), (Sex.MALE, "Male"), (Sex.UNKNOWN, "I do not know")),
        "Select the child's sex, or 'I do not know'",
    )


class ChildAddressForm(ReportForm):
    address_line_1 = text("Address line 1", 100)
    address_line_2 = text("Address line 2 (optional)", 100, name="Address line 2")
    address_town = text("Town or city", 100)
    address_postcode = text("Postcode", 10)
    address_unknown = BooleanField("I do not know where the child lives", widget=GovCheckboxInput())
    family_phone = text(
        "Phone number for the child or family (optional)",
        30,
        name="Phone number",
        description="For UK numbers and numbers from other countries, like +33 1 23 45 67 89",
    )

    def validate_address_line_1(self, field):
        typed = any((self.address_line_1.data, self.address_line_2.data, self.address_town.data))
        if typed or self.address_postcode.data:
            self.address_unknown.data = False
        elif not self.address_unknown.data:
            raise ValidationError("Enter the child's address, or select 'I do not know where the child lives'")

    def validate_address_postcode(self, field):
        if not field.data:
            return
        try:
            field.data = normalise_postcode(field.data)
        except InvalidPostcode as error:
            raise ValidationError(str(error)) from None

    def validate_family_phone(self, field):
        valid_phone(field)


class MovedForm(ReportForm):
    moved = radios(
        "Has the child's family moved recently?", YES_NO_UNKNOWN, "Select whether the child's family has moved recently"
    )
    new_address = area(
        "If they have moved, where did they move to? (optional)",
        500,
        name="Where they moved to",
        description="Give as much as you know: an address, a town or a country",
    )

    def answers(self) -> dict:
        kept = super().answers()
        if kept["moved"] == "no":
            kept["new_address"] = None
        return kept


class LastSchoolForm(ReportForm):
    last_school = text("School name (optional)", 200, name="School name")
    last_school_area = text(
        "Local authority or area of the school (optional)",
        100,
        name="Local authority or area",
        description="For example, Leeds, or Wales",
    )
    last_at_school = DatePartsField(
        "When were they last at school? (optional)",
        name_in_errors="Date last at school",
        description="For example, 14 7 2026. If you only know the month, enter 1 as the day",
    )

    def __init__(self, *args, date_of_birth: date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.date_of_birth = date_of_birth

    def validate_last_at_school(self, field: DatePartsField):
        if field.problem:
            raise ValidationError(field.problem)
        if field.data is None:
            return
        if field.data > uk_today():
            raise ValidationError("Date last at school must be today or in the past")
        if self.date_of_birth and field.data <= self.date_of_birth:
            raise ValidationError("Date last at school must be after the child's date of birth")


class ReasonsForm(ReportForm):
    reasons = checkboxes(
        "Why do you think the child is missing education?",
        (),
        "Select why you think the child is missing education",
        description="Select all that apply",
        validators=[InputRequired(message="Select why you think the child is missing education")],
    )
    reason_details = area("Tell us more (optional)", 2000, name="Tell us more")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reasons.choices = choices(cme_reasons().items())

    def validate_reason_details(self, field):
        if self.reasons.data == ["other"] and not field.data:
            raise ValidationError("Tell us why you think the child is missing education")


class FamilyForm(ReportForm):
    carers = area(
        "Parents or carers (optional)",
        1000,
        name="Parents or carers",
        description="Their names, how they are related to the child, and how to contact them, if you know",
    )
    languages = text("Languages spoken at home (optional)", 200, name="Languages spoken at home")
    agencies = area(
        "Other services working with the child or family (optional)",
        1000,
        name="Other services",
        description="For example, a social worker, health visitor, doctor or charity",
    )


class RiskGroupsForm(ReportForm):
    groups = checkboxes(
        "Do any of these apply to the child or their family? (optional)",
        [(group.value, group.label) for group in VulnerableGroup if group != VulnerableGroup.RISK_OF_HARM],
        "Select the groups that apply from the list, or none",
        description="Select all that apply. Leave them all unselected if none apply or you do not know.",
    )


class RiskOfHarmForm(ReportForm):
    risk_of_harm = radios(
        "Do you think the child is at risk of harm?",
        YES_NO_UNKNOWN,
        "Select whether you think the child is at risk of harm",
    )
    risk_details = area(
        "What makes you think the child is at risk? (optional)", 2000, name="What makes you think the child is at risk"
    )

    def answers(self) -> dict:
        kept = super().answers()
        if kept["risk_of_harm"] == "no":
            kept["risk_details"] = None
        return kept


class AnythingElseForm(ReportForm):
    anything_else = area(
        "Is there anything else you want to tell us? (optional)",
        5000,
        name="Anything else",
        description="For example, their GP, their ethnicity, any special educational needs, or when you last saw them",
    )


class AboutYouForm(ReportForm):
    reporter_type = radios(
        "Which of these best describes you?",
        ReferralSource.choices(),
        "Select which of these best describes you",
    )


class AnonymityForm(ReportForm):
    named = radios(
        "Do you want to tell us who you are?",
        (("yes", "Yes, give my name and contact details"), ("no", "No, I want to stay anonymous")),
        "Select whether you want to tell us who you are",
    )


ORGANISATION_LABELS = {
    ReferralSource.PROFESSIONAL: "Organisation you work for",
    ReferralSource.SCHOOL: "Name of your school",
    ReferralSource.OTHER_LA: "Name of your local authority",
}


class YourDetailsForm(ReportForm):
    reporter_name = text("Full name", 200)
    reporter_organisation = text("Organisation you work for", 200, name="Organisation")
    reporter_email = text(
        "Email address (optional)",
        254,
        name="Email address",
        description="We will send your reference to this address",
    )
    reporter_phone = text("Phone number (optional)", 30, name="Phone number")
    consent_to_contact = radios(
        "Can the Children Missing Education team contact you about this report?",
        (("yes", "Yes"), ("no", "No")),
        "Select whether the team can contact you about this report",
    )

    def __init__(self, *args, reporter_type: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.needs_organisation = reporter_type in ORGANISATION_LABELS
        if self.needs_organisation:
            self.reporter_organisation.label.text = ORGANISATION_LABELS[reporter_type]

    def validate_reporter_name(self, field):
        if not field.data:
            raise ValidationError("Enter your full name")

    def validate_reporter_organisation(self, field):
        if self.needs_organisation and not field.data:
            raise ValidationError(f"Enter the {self.reporter_organisation.label.text.lower()}")

    def answers(self) -> dict:
        kept = super().answers()
        if not self.needs_organisation:
            kept["reporter_organisation"] = None
        return kept

    def validate_reporter_email(self, field):
        valid_email(field)

    def validate_reporter_phone(self, field):
        valid_phone(field)

    def validate_consent_to_contact(self, field):
        if field.data == "yes" and not (self.reporter_email.data or self.reporter_phone.data):
            raise ValidationError("Enter an email address or phone number so the team can contact you")


class SaveForm(ReportForm):
    email = text(
        "Email address (optional)",
        254,
        name="Email address",
        description="We will email you a link to your report. We use this address only to send the link.",
    )

    def validate_email(self, field):
        valid_email(field)


class ResumeForm(ReportForm):
    resume_code = text("Resume code", 30, description="It looks like 7KQ4-M9X3-2BHT")


class AddInformationForm(ReportForm):
    reference = text("Reference", 20, description="It looks like RF-7KQ4-M9X3")
    secret_phrase = text("Secret phrase", 200, description="The five words you were shown when you sent your report")
    information = area("What do you want to add?", 5000, name="What you want to add")

    def validate_reference(self, field):
        if not field.data:
            raise ValidationError("Enter your reference")

    def validate_secret_phrase(self, field):
        if not field.data:
            raise ValidationError("Enter your secret phrase")

    def validate_information(self, field):
        if not field.data:
            raise ValidationError("Enter what you want to add to your report")
