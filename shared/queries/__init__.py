"""Reads for pages and the dashboard: data in the shape a page or chart shows it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session, selectinload

from shared.domain.casework import OPEN_STATUSES, CaseStatus
from shared.domain.roles import Role
from shared.domain.vocab import CheckStatus, NoticeStatus, ReferralStatus
from shared.models import (
    Case,
    Child,
    Enquiry,
    PartTimeTimetable,
    Referral,
    ReferralAddition,
    School,
    SchoolNotice,
    TimetableReturn,
    User,
)


@dataclass(frozen=True)
class Overview:
    children: int
    new_referrals: int
    urgent_referrals: int
    notices_for_cme: int
    open_cases: int
    unassigned_cases: int
    overdue_checks: int
    cases_by_status: dict[str, int]


@dataclass(frozen=True)
class Workload:
    open_cases: int
    overdue_checks: int


def _cases_by_status(session: Session, *where) -> dict[str, int]:
    return dict(session.execute(select(Case.status, func.count()).where(*where).group_by(Case.status)).all())


def _overdue_checks(session: Session, today: date, *where) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Enquiry)
            .join(Case)
            .where(
                Enquiry.status.in_([CheckStatus.TO_DO, CheckStatus.ASKED]),
                Enquiry.due_on < today,
                Case.status.in_(OPEN_STATUSES),
                *where,
            )
        )
        or 0
    )


def overview(session: Session, today: date) -> Overview:
    """The team's headline counts."""

    def count(statement) -> int:
        return session.scalar(statement) or 0

    by_status = _cases_by_status(session)
    return Overview(
        children=count(select(func.count()).select_from(Child)),
        new_referrals=count(select(func.count()).select_from(Referral).where(Referral.status == ReferralStatus.NEW)),
        urgent_referrals=count(
            select(func.count())
            .select_from(Referral)
            .where(Referral.status == ReferralStatus.NEW, Referral.urgent.is_(True))
        ),
        notices_for_cme=count(
            select(func.count()).select_from(SchoolNotice).where(SchoolNotice.status == NoticeStatus.FOR_CME)
        ),
        open_cases=sum(n for status, n in by_status.items() if status in OPEN_STATUSES),
        unassigned_cases=count(
            select(func.count()).select_from(Case).where(Case.status.in_(OPEN_STATUSES), Case.assigned_to_id.is_(None))
        ),
        overdue_checks=_overdue_checks(session, today),
        cases_by_status={status.value: by_status.get(status.value, 0) for status in CaseStatus},
    )


def workload(session: Session, today: date, officer_id: int) -> Workload:
    """One officer's open cases and overdue checks."""
    mine = Case.assigned_to_id == officer_id
    open_cases = session.scalar(select(func.count()).select_from(Case).where(mine, Case.status.in_(OPEN_STATUSES)))
    return Workload(open_cases=open_cases or 0, overdue_checks=_overdue_checks(session, today, mine))


@dataclass(frozen=True)
class NoticePage:
    notices: list[SchoolNotice]
    total: int  # notices matching the filters, on every page
    page: int
    pages: int


def school_notices(
    session: Session,
    school_id: int,
    *,
    kind: str = "",
    status: str = "",
    text: str = "",
    page: int = 1,
    per_page: int = 50,
) -> NoticePage:
    """One school's notices, newest first, a page at a time, narrowed to a kind, a status and a pupil's name,
    UPN or the notice's or batch's reference."""
    where = [SchoolNotice.school_id == school_id]
    if kind:
        where.append(SchoolNotice.kind == kind)
    if status:
        where.append(SchoolNotice.status == status)
    for word in (text or "").split()[:_MAX_SEARCH_WORDS]:
        where.append(
            or_(
                SchoolNotice.reference == word.upper(),
                SchoolNotice.batch_reference == word.upper(),
                SchoolNotice.upn == word.upper(),
                _starts_a_word(SchoolNotice.pupil_first_name, word.lower()),
                _starts_a_word(SchoolNotice.pupil_last_name, word.lower()),
            )
        )
    total = session.scalar(select(func.count()).select_from(SchoolNotice).where(*where)) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    notices = session.scalars(
        select(SchoolNotice)
        .where(*where)
        .order_by(SchoolNotice.submitted_at.desc(), SchoolNotice.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return NoticePage(list(notices), total, page, pages)


def users_for_admin(session: Session) -> list[User]:
    return list(session.scalars(select(User).options(selectinload(User.school)).order_by(User.role, User.name)))


def new_referrals(session: Session, limit: int = 200) -> list[Referral]:
    """Referrals nobody has triaged yet: urgent first, then oldest first."""
    return list(
        session.scalars(
            select(Referral)
            .where(Referral.status == ReferralStatus.NEW)
            .order_by(Referral.urgent.desc(), Referral.received_at, Referral.id)
            .limit(limit)
        )
    )


def notices_for_cme(session: Session, limit: int = 200) -> list[SchoolNotice]:
    """Schools' notices waiting for the CME team, oldest first: the removals and absences it must act on."""
    return list(
        session.scalars(
            select(SchoolNotice)
            .where(SchoolNotice.status == NoticeStatus.FOR_CME)
            .options(selectinload(SchoolNotice.school))
            .order_by(SchoolNotice.submitted_at, SchoolNotice.id)
            .limit(limit)
        )
    )


@dataclass(frozen=True)
class SchoolReturn:
    school: School
    current_timetables: int
    made: TimetableReturn | None  # this term's return, when made


def current_part_time_count(session: Session) -> int:
    return (
        session.scalar(select(func.count()).select_from(PartTimeTimetable).where(PartTimeTimetable.status == "active"))
        or 0
    )


def current_part_time_timetables(session: Session, limit: int = 500) -> list[PartTimeTimetable]:
    """Every school's current part-time timetables, the soonest (or most overdue) review first."""
    return list(
        session.scalars(
            select(PartTimeTimetable)
            .where(PartTimeTimetable.status == "active")
            .options(selectinload(PartTimeTimetable.school), selectinload(PartTimeTimetable.notice))
            .order_by(PartTimeTimetable.review_date, PartTimeTimetable.id)
            .limit(limit)
        )
    )


def timetable_returns(session: Session, term: str) -> list[SchoolReturn]:
    """This term's return for each school that sends notices (an active school user) or has a current timetable:
    schools yet to make it first, then by name."""
    has_users = (
        select(User.id).where(User.school_id == School.id, User.role == Role.SCHOOL, User.active.is_(True)).exists()
    )
    current = dict(
        session.execute(
            select(PartTimeTimetable.school_id, func.count())
            .where(PartTimeTimetable.status == "active")
            .group_by(PartTimeTimetable.school_id)
        ).all()
    )
    made = {
        row.school_id: row
        for row in session.scalars(
            select(TimetableReturn).where(TimetableReturn.term == term, TimetableReturn.submitted_at.is_not(None))
        )
    }
    schools = session.scalars(select(School).where(or_(has_users, School.id.in_(list(current)))))
    rows = [SchoolReturn(school, current.get(school.id, 0), made.get(school.id)) for school in schools]
    return sorted(rows, key=lambda row: (row.made is not None, row.school.name.lower(), row.school.urn))


def case_by_reference(session: Session, reference: str) -> Case | None:
    return session.scalar(select(Case).where(Case.reference == reference))


def notice_by_reference(session: Session, reference: str) -> SchoolNotice | None:
    return session.scalar(select(SchoolNotice).where(SchoolNotice.reference == reference))


def school_notice(session: Session, school_id: int, reference: str) -> SchoolNotice | None:
    """One of a school's own notices: another school's is as good as not there."""
    return session.scalar(
        select(SchoolNotice).where(SchoolNotice.reference == reference, SchoolNotice.school_id == school_id)
    )


def school_by_urn(session: Session, urn: int) -> School | None:
    return session.scalar(select(School).where(School.urn == urn))


def active_school_user(session: Session, school_id: int, email: str) -> User | None:
    """The school's active user with this email address (any case, any spaces around it)."""
    return session.scalar(
        select(User).where(User.email == email.strip().lower(), User.school_id == school_id, User.active.is_(True))
    )


def referral_by_reference(session: Session, reference: str) -> Referral | None:
    return session.scalar(select(Referral).where(Referral.reference == reference))


def referral_additions(session: Session, referral_id: int) -> list[ReferralAddition]:
    return list(
        session.scalars(
            select(ReferralAddition)
            .where(ReferralAddition.referral_id == referral_id)
            .order_by(ReferralAddition.received_at, ReferralAddition.id)
        )
    )


_OPEN_SCHOOL_STATUSES = ("Open", "Open, but proposed to close")
_MAX_SEARCH_WORDS = 8
# Where a word can start in a name: "mary" finds "St Mary's" and "(Mary Street)", not "Primary".
_WORD_STARTS = ("", "% ", "%(", "%-", "%/")


def _starts_a_word(column, word: str):
    """The column holds a word starting with `word` (lower case), whatever the case; an apostrophe in the word
    matches a straight or a curly one."""
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = escaped.replace("'", "_").replace("\u2019", "_") + "%"
    value = func.lower(column)
    return or_(*(value.like(start + pattern, escape="\\") for start in _WORD_STARTS))


def search_schools(session: Session, text: str, limit: int = 20) -> list[School]:
    """Schools for a form's school picker: the school with that URN when the text is a number, and schools where
    every word of the text starts a word of the name or the town (any case, any order). Open schools first, then
    by name."""
    words = (text or "").lower().split()[:_MAX_SEARCH_WORDS]
    if not words:
        return []
    matches = [or_(_starts_a_word(School.name, word), _starts_a_word(School.town, word)) for word in words]
    if len(words) == 1 and words[0].isascii() and words[0].isdigit() and len(words[0]) <= 9:  # a URN
        matches = [or_(School.urn == int(words[0]), *matches)]
    by_name: ColumnElement[str] = func.lower(School.name)
    if session.get_bind().dialect.name == "postgresql":
        by_name = by_name.collate("C")  # byte order, as SQLite sorts, whatever the database's locale
    is_open = School.status.in_(_OPEN_SCHOOL_STATUSES)
    return list(
        session.scalars(select(School).where(*matches).order_by(is_open.desc(), by_name, School.urn).limit(limit))
    )
