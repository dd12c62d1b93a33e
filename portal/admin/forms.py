"""The forms of the user pages: inviting someone, changing a role and school, and the confirmations, on the service's
base form (webcommon.forms); the rules are the services', which the views put back on the fields."""

from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import GovTextInput
from wtforms import HiddenField, StringField

from shared.domain.roles import Role
from webcommon.forms import BaseForm, radios

# Council staff first, in the order of the team; school users last.
ROLE_CHOICES = [(role.value, role.label) for role in (Role.OFFICER, Role.LEAD, Role.MANAGER, Role.ADMIN, Role.SCHOOL)]
ROLE_HINTS = {
    Role.OFFICER: "Works cases, triages referrals and notices",
    Role.LEAD: "As an officer, and assigns cases",
    Role.MANAGER: "Reads cases and the dashboard, without children's names; changes nothing",
    Role.ADMIN: "Everything, and manages users and settings",
    Role.SCHOOL: "Sends one school's notices and attendance",
}


def _school_urn() -> StringField:
    return StringField(
        "School URN",
        widget=GovTextInput(),
        description="The school's unique reference number (URN) in Get Information About Schools, like 100001",
    )


class InviteForm(BaseForm):
    name = StringField("Full name", widget=GovTextInput())
    email = StringField(
        "Email address", widget=GovTextInput(), description="The invitation is sent here; they sign in with it"
    )
    role = radios("Role", ROLE_CHOICES)
    school_urn = _school_urn()


class RoleForm(BaseForm):
    role = radios("Role", ROLE_CHOICES)
    school_urn = _school_urn()
    seen = HiddenField()


class ConfirmForm(BaseForm):
    """A confirmation page's form: only the user's values the page was shown with."""

    seen = HiddenField()
