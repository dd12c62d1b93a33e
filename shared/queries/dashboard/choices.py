"""What the dashboard's filters can be set to, and what a choice means: the authority's open schools, the register's
phases and the officers to choose from; the schools a URN or a phase names; whether a user is an officer."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.domain.roles import Role
from shared.models import School, User
from shared.queries.dashboard.scope import Filters

# The officer filter's people: those who hold cases.
OFFICER_ROLES = (Role.OFFICER, Role.LEAD)


def school_choices(session: Session, la_code: str) -> list[tuple[int, str]]:
    """The authority's schools that are not closed, as (URN, name), by name."""
    return [
        (urn, name)
        for urn, name in session.execute(
            select(School.urn, School.name)
            .where(School.la_code == la_code, School.status.not_like("Closed%"))
            .order_by(School.name)
        )
    ]


def officer_choices(session: Session) -> list[tuple[int, str]]:
    """The active officers and leads, as (user id, name), by name."""
    return [
        (user_id, name)
        for user_id, name in session.execute(
            select(User.id, User.name).where(User.role.in_(OFFICER_ROLES), User.active.is_(True)).order_by(User.name)
        )
    ]


def phases(session: Session) -> list[str]:
    """Every phase a school in the register has."""
    return sorted(p for p in session.scalars(select(School.phase).distinct()) if p)


def school_ids_by_urn(session: Session, urns: Iterable[int]) -> dict[int, int]:
    """The schools in the register with these URNs: each one's id by its URN (a URN not there is left out)."""
    urns = list(urns)
    if not urns:
        return {}
    return dict(session.execute(select(School.urn, School.id).where(School.urn.in_(urns))).all())


def is_officer(session: Session, user_id: int) -> bool:
    """Whether the user is a CME officer or lead (active or not: their past cases still count)."""
    user = session.get(User, user_id)
    return user is not None and user.role in OFFICER_ROLES


def selected_school_ids(session: Session, filters: Filters) -> set[int] | None:
    """The schools the filters choose (their schools and phase together), or None for every school."""
    if not filters.bounds_schools:
        return None
    query = select(School.id)
    if filters.school_ids is not None:
        query = query.where(School.id.in_(list(filters.school_ids)))
    if filters.phase is not None:
        query = query.where(School.phase == filters.phase)
    return set(session.scalars(query))


def school_names(session: Session, school_ids: Iterable[int]) -> dict[int, str]:
    """Each school's name by its id."""
    return dict(session.execute(select(School.id, School.name).where(School.id.in_(list(school_ids)))).all())
