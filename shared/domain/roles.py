"""Who may do what: the roles and the areas of the service (docs/permissions.md is the same table in prose)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    SCHOOL = "school"
    OFFICER = "officer"
    LEAD = "lead"
    MANAGER = "manager"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Role.SCHOOL: "School user",
    Role.OFFICER: "CME officer",
    Role.LEAD: "CME lead",
    Role.MANAGER: "Manager",
    Role.ADMIN: "Administrator",
}


class Area(StrEnum):
    SCHOOL_NOTICES = "school_notices"  # /schools/: a school's own notices
    CASEWORK_READ = "casework_read"  # /staff/: read intake, children and cases
    CASEWORK_WRITE = "casework_write"  # /staff/: triage, enquiries, notes, closure
    ASSIGN_CASES = "assign_cases"  # /staff/: assign and reassign cases
    DASHBOARD = "dashboard"  # /dashboard/
    ADMIN = "admin"  # /admin/: users and settings
    AUDIT = "audit"  # the audit trail of a record


PERMISSIONS: dict[Area, frozenset[Role]] = {
    Area.SCHOOL_NOTICES: frozenset({Role.SCHOOL}),
    Area.CASEWORK_READ: frozenset({Role.OFFICER, Role.LEAD, Role.MANAGER, Role.ADMIN}),
    Area.CASEWORK_WRITE: frozenset({Role.OFFICER, Role.LEAD, Role.ADMIN}),
    Area.ASSIGN_CASES: frozenset({Role.LEAD, Role.ADMIN}),
    Area.DASHBOARD: frozenset({Role.OFFICER, Role.LEAD, Role.MANAGER, Role.ADMIN}),
    Area.ADMIN: frozenset({Role.ADMIN}),
    Area.AUDIT: frozenset({Role.ADMIN}),
}

STAFF_ROLES = frozenset({Role.OFFICER, Role.LEAD, Role.MANAGER, Role.ADMIN})

# Children's and pupils' names are for the roles that work cases. Managers oversee the work: they need figures and
# references, not who the children are (data minimisation), so no page and no download shows them a name.
NAMED_ROLES = frozenset({Role.OFFICER, Role.LEAD, Role.ADMIN})


def may(role: str | Role, area: Area) -> bool:
    try:
        return Role(role) in PERMISSIONS[area]
    except ValueError:
        return False


def may_see_names(role: str | Role) -> bool:
    """Whether someone in the role sees children's and pupils' names on the CME team's pages: case and child pages,
    lists, searches, intake items, attendance, the dashboard and its downloads. (A school's own pages, which only a
    school user reaches, show the pupils it told the authority about; they are not the team's records.)"""
    try:
        return Role(role) in NAMED_ROLES
    except ValueError:
        return False
