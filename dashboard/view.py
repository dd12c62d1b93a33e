"""What a dashboard page is drawn from: the session, the filters read from the URL, today, the school calendar and
who is looking (names of children only for the roles that work cases)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from dashboard.filters import Chosen, filter_params, query_string
from shared.domain.roles import Role
from shared.domain.school_days import SchoolCalendar
from shared.queries.dashboard.scope import Filters

# Managers see figures and case references; these roles work cases and see children's names.
NAMED_ROLES = frozenset({Role.OFFICER, Role.LEAD, Role.ADMIN})


@dataclass(frozen=True)
class Viewer:
    user_id: int
    role: str

    @property
    def sees_names(self) -> bool:
        return self.role in NAMED_ROLES


@dataclass(frozen=True)
class View:
    session: Session
    chosen: Chosen
    today: date
    calendar: SchoolCalendar
    viewer: Viewer
    path: str  # the page's path, e.g. /dashboard/overdue

    @property
    def filters(self) -> Filters:
        return self.chosen.filters

    @property
    def search(self) -> str:
        """The page's whole query string, its own parameters included."""
        return query_string(self.chosen.params)

    @property
    def filter_search(self) -> str:
        """Only the shared filters: what a link to another page carries."""
        return query_string(filter_params(self.chosen.params))

    def link(self, path: str, anchor: str = "") -> str:
        return f"{path}{self.filter_search}{anchor}"

    def changed(self, **changes) -> str:
        """This page with some of its parameters changed."""
        return f"{self.path}{query_string(self.chosen.params, **changes)}"
