"""The forms of the user pages: inviting someone, changing a role and school, and the confirmations. Each strips what
is typed and checks its own token (a page open too long keeps the answers, with a message); the rules are the
services', which the views put back on the fields."""

from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import GovTextInput
from wtforms import HiddenField, StringField

from portal.staff.case_forms import CaseworkForm, _radios
from shared.domain.roles import Role

# Council staff first, in the order of the team; school users last.
ROLE_CHOICES = [(role.value, role.label) for role in (Role.OFFICER, Role.LEAD, Role.MANAGER, Role.ADMIN, Role.SCHOOL)]
ROLE_HINTS = {
    Role.OFFICER: "Works cases, triages referrals and notices",
    Role.LEAD: "As an officer, and assigns cases",
    Role.MANAGER: "Reads cases and the dashboard; changes nothing",
    Role.ADMIN: "Everything, and manages users and settings",
    Role.SCHOOL: "Sends one school's notices and attendance",
}


def _school_urn() -> StringField:
    return StringField(
        "School URN",
        widget=GovTextInput(),
        description="The school's unique reference number (URN) in Get Information About Schools, like 100001",
    )


class InviteForm(CaseworkForm):
    name = StringField("Full name", widget=GovTextInput())
    email = StringField(
        "Email address", widget=GovTextInput(), description="The invitation is sent here; they sign in with it"
    )
    role = _radios("Role", ROLE_CHOICES)
    school_urn = _school_urn()


class RoleForm(CaseworkForm):
    role = _radios("Role", ROLE_CHOICES)
    school_urn = _school_urn()
    seen = HiddenField()


class ConfirmForm(CaseworkForm):
    """A confirmation page's form: only the user's values the page was shown with."""

    seen = HiddenField()
