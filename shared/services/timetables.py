"""Part-time timetables after their notice: the school updates, extends or ends each one, and once a term makes a
return listing every current one (or a nil return when there are none); schools that have not made it by the
time reminders are due are emailed once a term.

Statutory guidance ("Working together to improve school attendance", 2024) says a part-time timetable must be
temporary, agreed with the parents, reviewed regularly and known to the local authority. Each change is kept on
the timetable (who, when, from what to what) and in the audit trail, which names the timetable's notice and the
fields changed, never the pupil or what the school wrote about them. An ended timetable cannot be changed.

A return already made for the term can be made again, as a correction that replaces it (the page shows the
return being replaced, and the replacement is refused if someone else made or replaced it in the meantime).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shared.clock import long_date
from shared.domain.notices import TEXT_LIMITS
from shared.domain.problems import Problem, Refused
from shared.domain.roles import Role
from shared.domain.school_days import SchoolCalendar
from shared.domain.terms import RETURN_REMINDER_SCHOOL_DAYS, ReturnSchedule, return_schedule
from shared.models import PartTimeTimetable, School, SchoolNotice, TimetableReturn, User
from shared.services import audit, emails, mail

ACTIVE, ENDED = "active", "ended"
MAX_HOURS = 32.5  # the full school week the notice's own check uses
TEXT_LIMIT = TEXT_LIMITS["reason"]
RETURN_PATH = "/schools/part-time-timetables/return"  # the return page, for the reminder's link

# What happens when a timetable ends.
OUTCOMES = {
    "full_time": "Back to full-time at the school",
    "alternative_provision": "Full-time education somewhere else, such as alternative provision",
    "left": "Left the school",
    "other": "Something else",
}
FIELD_LABELS = {
    "hours_per_week": "Hours a week",
    "reason": "Reason",
    "review_date": "Review date",
    "agreed_with_parents": "Agreed with parents",
    "status": "Status",
    "ended_on": "End date",
    "end_reason": "What happens next",
}


class ReturnRefused(ValueError):
    """A termly return that cannot be made as it stands, with the reason in words the school can act on."""


# Reading


def find_timetable(session: Session, school_id: int, reference: str) -> PartTimeTimetable | None:
    """The school's timetable started by the notice with this reference; another school's is not found."""
    return session.scalar(
        select(PartTimeTimetable)
        .join(SchoolNotice, PartTimeTimetable.notice_id == SchoolNotice.id)
        .where(SchoolNotice.reference == reference.strip().upper(), PartTimeTimetable.school_id == school_id)
    )


def school_timetables(session: Session, school_id: int, status: str) -> list[PartTimeTimetable]:
    order = (
        (PartTimeTimetable.review_date, PartTimeTimetable.pupil_last_name)
        if status == ACTIVE
        else (PartTimeTimetable.ended_on.desc(), PartTimeTimetable.pupil_last_name)
    )
    return list(
        session.scalars(
            select(PartTimeTimetable)
            .where(PartTimeTimetable.school_id == school_id, PartTimeTimetable.status == status)
            .order_by(*order, PartTimeTimetable.id)
        )
    )


def term_return(session: Session, school_id: int, term_key: str) -> TimetableReturn | None:
    return session.scalar(
        select(TimetableReturn).where(TimetableReturn.school_id == school_id, TimetableReturn.term == term_key)
    )


# Checking answers


def _hours(value: str, problems: list[Problem]) -> float | None:
    if not value:
        problems.append(Problem("hours_per_week", "Enter the hours a week in school"))
        return None
    try:
        hours = float(value)
    except ValueError:
        hours = None
    if hours is None or not 0 < hours < MAX_HOURS:
        problems.append(Problem("hours_per_week", "Hours a week must be a number more than 0 and less than 32.5"))
        return None
    return hours


def _text(name: str, value: str, missing: str, label: str, problems: list[Problem]) -> None:
    if not value:
        problems.append(Problem(name, missing))
    elif len(value) > TEXT_LIMIT:
        problems.append(Problem(name, f"{label} must be {TEXT_LIMIT:,} characters or fewer"))


def _still_active(timetable: PartTimeTimetable) -> None:
    if timetable.status != ACTIVE:
        ended = f" on {long_date(timetable.ended_on)}" if timetable.ended_on else ""
        raise Refused([Problem("", f"This part-time timetable ended{ended}, so it cannot be changed")])


def check_update(
    timetable: PartTimeTimetable, hours_per_week: str, reason: str, review_date: date | None, agreed: str
) -> tuple[dict[str, Any], list[Problem]]:
    """The new values of what changed, or the problems."""
    problems: list[Problem] = []
    hours = _hours(hours_per_week, problems)
    _text("reason", reason, "Enter the reason for the part-time timetable", "Reason", problems)
    if review_date is None:
        problems.append(Problem("review_date", "Enter the review date"))
    elif review_date <= timetable.start_date:
        problems.append(
            Problem("review_date", f"Review date must be after the start date, {long_date(timetable.start_date)}")
        )
    if agreed not in ("yes", "no"):
        problems.append(Problem("agreed_with_parents", "Select yes if the parents have agreed to the timetable"))
    if problems:
        return {}, problems
    wanted = {
        "hours_per_week": hours,
        "reason": reason,
        "review_date": review_date,
        "agreed_with_parents": agreed == "yes",
    }
    changed = {name: value for name, value in wanted.items() if getattr(timetable, name) != value}
    if not changed:
        return {}, [Problem("", "You have not changed anything. Change an answer, or go back to the timetable")]
    return changed, []


def check_extension(timetable: PartTimeTimetable, review_date: date | None, reason: str, today: date) -> list[Problem]:
    problems: list[Problem] = []
    if review_date is None:
        problems.append(Problem("review_date", "Enter the new review date"))
    elif review_date <= timetable.review_date:
        problems.append(
            Problem(
                "review_date",
                f"New review date must be after the current review date, {long_date(timetable.review_date)}",
            )
        )
    elif review_date < today:
        problems.append(Problem("review_date", "New review date must be today or in the future"))
    _text("reason", reason, "Enter why the timetable is being extended", "Why it is being extended", problems)
    return problems


def check_ending(
    timetable: PartTimeTimetable, ended_on: date | None, outcome: str, details: str, today: date
) -> list[Problem]:
    problems: list[Problem] = []
    if ended_on is None:
        problems.append(Problem("ended_on", "Enter the date the part-time timetable ended"))
    elif ended_on < timetable.start_date:
        problems.append(
            Problem("ended_on", f"End date must be on or after the start date, {long_date(timetable.start_date)}")
        )
    elif ended_on > today:
        problems.append(Problem("ended_on", "End date must be today or in the past"))
    if outcome not in OUTCOMES:
        problems.append(Problem("outcome", "Select what happens next"))
    if outcome == "other" and not details:
        problems.append(Problem("details", "Enter what happens next"))
    elif len(details) > TEXT_LIMIT:
        problems.append(Problem("details", f"What happens next must be {TEXT_LIMIT:,} characters or fewer"))
    return problems


def end_reason(outcome: str, details: str) -> str:
    label = OUTCOMES[outcome]
    return f"{label}: {details}" if details else label


# Changing a timetable


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _lock(session: Session, timetable: PartTimeTimetable) -> None:
    """Read the timetable again, locked until the change commits, so two changes at once are made one after
    the other (and a change to a timetable ended meanwhile is refused)."""
    session.refresh(timetable, with_for_update=True)


def _change(
    session: Session,
    timetable: PartTimeTimetable,
    user: User,
    now: datetime,
    action: str,
    values: dict[str, Any],
    reason: str | None = None,
) -> None:
    entry = {
        "action": action,
        "at": now.isoformat(),
        "by": user.name,
        "by_id": user.id,
        "from": {name: _plain(getattr(timetable, name)) for name in values},
        "to": {name: _plain(value) for name, value in values.items()},
    }
    if reason:
        entry["reason"] = reason
    for name, value in values.items():
        setattr(timetable, name, value)
    timetable.changes = [*timetable.changes, entry]  # a new list: JSON columns do not see changes in place
    timetable.updated_at = now
    audit.record(
        session,
        user,
        action,
        "part_time_timetable",
        timetable.id,
        after={"notice": timetable.notice.reference, "changed": sorted(values)},
    )
    session.commit()


def update_timetable(
    session: Session,
    timetable: PartTimeTimetable,
    user: User,
    now: datetime,
    *,
    hours_per_week: str,
    reason: str,
    review_date: date | None,
    agreed_with_parents: str,
) -> None:
    """Change the hours, reason, review date or the parents' agreement."""
    _lock(session, timetable)
    _still_active(timetable)
    changed, problems = check_update(timetable, hours_per_week, reason, review_date, agreed_with_parents)
    if problems:
        session.rollback()
        raise Refused(problems)
    _change(session, timetable, user, now, "update", changed)


def extend_timetable(
    session: Session,
    timetable: PartTimeTimetable,
    user: User,
    now: datetime,
    today: date,
    *,
    review_date: date | None,
    reason: str,
) -> None:
    """Move the review date later, saying why the timetable goes on."""
    _lock(session, timetable)
    _still_active(timetable)
    problems = check_extension(timetable, review_date, reason, today)
    if problems:
        session.rollback()
        raise Refused(problems)
    _change(session, timetable, user, now, "extend", {"review_date": review_date}, reason)


def end_timetable(
    session: Session,
    timetable: PartTimeTimetable,
    user: User,
    now: datetime,
    today: date,
    *,
    ended_on: date | None,
    outcome: str,
    details: str,
) -> None:
    """End the timetable on a day from its start to today, saying what happens next."""
    _lock(session, timetable)
    _still_active(timetable)
    problems = check_ending(timetable, ended_on, outcome, details, today)
    if problems:
        session.rollback()
        raise Refused(problems)
    values = {"status": ENDED, "ended_on": ended_on, "end_reason": end_reason(outcome, details)}
    _change(session, timetable, user, now, "end", values)


# The termly return


def snapshot(timetable: PartTimeTimetable) -> dict[str, Any]:
    """A timetable as the return states it, kept unchanged whatever happens to the timetable later."""
    return {
        "notice": timetable.notice.reference,
        "upn": timetable.upn,
        "first_name": timetable.pupil_first_name,
        "last_name": timetable.pupil_last_name,
        "date_of_birth": timetable.pupil_date_of_birth.isoformat(),
        "start_date": timetable.start_date.isoformat(),
        "hours_per_week": timetable.hours_per_week,
        "reason": timetable.reason,
        "review_date": timetable.review_date.isoformat(),
        "agreed_with_parents": timetable.agreed_with_parents,
    }


def return_version(made: TimetableReturn | None) -> str:
    """What the page showed about an existing return, sent back with the confirmation to detect a return made
    or replaced by someone else in the meantime."""
    return made.submitted_at.isoformat() if made is not None and made.submitted_at else ""


def make_return(
    session: Session,
    school: School,
    user: User,
    schedule: ReturnSchedule,
    now: datetime,
    *,
    seen: Collection[str],
    replaces: str,
) -> TimetableReturn:
    """The school's return for the term: every current timetable as it stands (their notices' references are
    `seen`, what the user confirmed), or a nil return when it has none. `replaces` is `return_version` of the
    return the page showed; a return made since is not silently overwritten."""
    term = schedule.term
    made = session.scalar(
        select(TimetableReturn)
        .where(TimetableReturn.school_id == school.id, TimetableReturn.term == term.key)
        .with_for_update()
    )
    if return_version(made) != replaces:
        session.rollback()
        raise ReturnRefused(
            f"Someone at your school made the {term.label} return while you were on this page. "
            "Check the part-time timetables below and confirm them again to replace it."
        )
    current = school_timetables(session, school.id, ACTIVE)
    references = {timetable.notice.reference for timetable in current}
    if references != set(seen):
        session.rollback()
        if not seen:
            count = f"{len(current)} current part-time timetable{'s' if len(current) != 1 else ''}"
            raise ReturnRefused(
                f"Your school has {count}, so it cannot make a nil return. Check the list and confirm it."
            )
        raise ReturnRefused(
            "Your school's part-time timetables changed while you were on this page. Check the list and confirm it."
        )
    replacing = made is not None and made.submitted_at is not None
    if made is None:
        made = TimetableReturn(school_id=school.id, term=term.key, due_on=schedule.due_on)
        session.add(made)
    made.due_on = schedule.due_on
    made.submitted_at = now
    made.submitted_by_id = user.id
    made.nil_return = not current
    made.timetables = [snapshot(timetable) for timetable in current]
    try:
        session.flush()
    except IntegrityError:  # another user's first return for the term, stored a moment ago
        session.rollback()
        raise ReturnRefused(
            f"Someone at your school made the {term.label} return while you were on this page. "
            "Check the part-time timetables below and confirm them again to replace it."
        ) from None
    audit.record(
        session,
        user,
        "replace" if replacing else "create",
        "timetable_return",
        made.id,
        after={"term": term.key, "timetables": len(current), "nil_return": made.nil_return},
    )
    session.commit()
    return made


# Reminders


@dataclass(frozen=True)
class Reminders:
    schedule: ReturnSchedule
    schools: int
    outbox_ids: tuple[int, ...]


def send_return_reminders(
    session: Session,
    today: date,
    now: datetime,
    calendar: SchoolCalendar,
    service_url: str,
    *,
    reminder_school_days: int = RETURN_REMINDER_SCHOOL_DAYS,
) -> Reminders:
    """Email every active school user of each school whose return for this term is not made, once reminders
    are due: once a term (running it again, or twice at once, sends no more). Schools with no active school
    user are left out: nobody could make their return."""
    schedule = return_schedule(today, calendar, reminder_school_days)
    if today < schedule.reminders_from:
        return Reminders(schedule, 0, ())
    try:
        return _remind(session, schedule, today, now, service_url)
    except IntegrityError:
        # Another run reminded some of the same schools and committed first: start again from what it stored,
        # which now says those schools were reminded.
        session.rollback()
        return _remind(session, schedule, today, now, service_url)


def _remind(session: Session, schedule: ReturnSchedule, today: date, now: datetime, service_url: str) -> Reminders:
    term = schedule.term
    has_users = exists().where(User.school_id == School.id, User.role == Role.SCHOOL, User.active.is_(True))
    schools = list(session.scalars(select(School).where(has_users).order_by(School.name, School.id)))
    made = {
        row.school_id: row
        for row in session.scalars(select(TimetableReturn).where(TimetableReturn.term == term.key).with_for_update())
    }
    reminded: list[tuple[School, TimetableReturn]] = []
    for school in schools:
        row = made.get(school.id)
        if row is not None and (row.submitted_at is not None or row.reminded_at is not None):
            continue
        if row is None:
            row = TimetableReturn(school_id=school.id, term=term.key, due_on=schedule.due_on)
            session.add(row)
        row.reminded_at = now
        reminded.append((school, row))
    session.flush()  # a row another run stored meanwhile fails here, before any email is queued
    active = dict(
        session.execute(
            select(PartTimeTimetable.school_id, func.count())
            .where(PartTimeTimetable.status == ACTIVE)
            .group_by(PartTimeTimetable.school_id)
        ).all()
    )
    outbox = []
    for school, row in reminded:
        recipients = session.scalars(
            select(User.email)
            .where(User.school_id == school.id, User.role == Role.SCHOOL, User.active.is_(True))
            .order_by(User.email)
        )
        subject, body = _reminder(school, schedule, today, active.get(school.id, 0), service_url)
        outbox += [mail.queue(session, address, subject, body) for address in recipients]
        audit.record(
            session,
            None,
            "remind",
            "timetable_return",
            row.id,
            after={"term": term.key, "school_urn": school.urn},
            actor_label="system",
        )
    session.flush()
    ids = tuple(message.id for message in outbox)
    session.commit()
    return Reminders(schedule, len(reminded), ids)


def _reminder(school: School, schedule: ReturnSchedule, today: date, active: int, service_url: str):
    """The reminder: the school, the term and the date, never a pupil."""
    return emails.render(
        "timetable_return_reminder",
        school_name=school.name,
        term=schedule.term.label,
        due=long_date(schedule.due_on),
        overdue=today > schedule.due_on,
        active=active,
        return_url=f"{service_url}{RETURN_PATH}",
    )
