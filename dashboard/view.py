"""What a dashboard page is drawn from: the session, the filters read from the URL, today, the school calendar and
who is looking (children's names only for the roles `shared.domain.roles.may_see_names` allows)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from dashboard.filters import Chosen, filter_params, query_string
from shared.domain.roles import may_see_names
from shared.domain.school_days import SchoolCalendar
from shared.queries.dashboard.scope import Filters


@dataclass(frozen=True)
class Viewer:
    user_id: int
    role: str

    @property
    def sees_names(self) -> bool:
        return may_see_names(self.role)


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
