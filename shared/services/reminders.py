"""The daily reminder digests (`cme reminders send`): each officer's checks due today and overdue, and for the
lead and managers the overdue work by officer. A digest is claimed (reminder_sends, unique per person, kind and
day) in the same transaction that queues its email, so running the command twice, even at once, sends it once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shared.clock import long_date
from shared.domain.roles import Role
from shared.domain.vocab import CheckType
from shared.models import Enquiry, ReminderSend, User
from shared.queries import team
from shared.services import emails, mail
from shared.services.assignment import caseworkers

OFFICER_DIGEST, OVERDUE_SUMMARY = "officer_digest", "overdue_summary"


@dataclass(frozen=True)
class Sent:
    officer_digests: int
    overdue_summaries: int
    nothing_due: int
    already_sent: int
    outbox_ids: tuple[int, ...]


def _check(check: Enquiry, today: date) -> dict:
    name = CheckType(check.check_type).label
    if check.other_authority:
        name += f" ({check.other_authority})"
    return {
        "reference": check.case.reference,
        "name": name,
        "due_today": check.due_on == today,
        "due_on": long_date(check.due_on),
    }


def officer_digest(checks: list[Enquiry], today: date, service_url: str) -> tuple[str, str]:
    overdue = sum(1 for check in checks if check.due_on < today)
    return emails.render(
        "checks_due",
        date=long_date(today),
        overdue=overdue,
        due_today=len(checks) - overdue,
        checks=[_check(check, today) for check in checks],
        service_url=service_url,
    )


def overdue_summary(rows: list[team.OfficerLoad], today: date, service_url: str) -> tuple[str, str]:
    officers = [
        {
            "name": row.officer.name if row.officer else "Not assigned",
            "overdue": row.overdue_checks,
            "open_cases": row.open_cases,
        }
        for row in rows
        if row.overdue_checks
    ]
    return emails.render(
        "overdue_checks",
        date=long_date(today),
        total=sum(row.overdue_checks for row in rows),
        officers=officers,
        service_url=service_url,
    )


def _claim(session: Session, user: User, kind: str, today: date, subject: str, body: str) -> int | None:
    """Claim this person's digest for the day and queue its email, together; None if it was already sent."""
    try:
        with session.begin_nested():
            session.add(ReminderSend(user_id=user.id, kind=kind, sent_on=today))
            session.flush()
    except IntegrityError:
        return None
    message = mail.queue(session, user.email, subject, body)
    session.flush()
    session.commit()
    return message.id


def send_reminders(session: Session, today: date, service_url: str) -> Sent:
    outbox, digests, summaries, nothing, already = [], 0, 0, 0, 0
    officers = caseworkers(session)
    for officer in officers:
        checks = team.checks_due(session, officer.id, today)
        if not checks:
            nothing += 1
            continue
        message_id = _claim(session, officer, OFFICER_DIGEST, today, *officer_digest(checks, today, service_url))
        if message_id is None:
            already += 1
        else:
            digests += 1
            outbox.append(message_id)
    rows = team.workload(session, officers, today, today)
    if any(row.overdue_checks for row in rows):
        readers = session.scalars(
            select(User).where(User.role.in_([Role.LEAD, Role.MANAGER]), User.active.is_(True)).order_by(User.id)
        ).all()
        subject, body = overdue_summary(rows, today, service_url)
        for reader in readers:
            message_id = _claim(session, reader, OVERDUE_SUMMARY, today, subject, body)
            if message_id is None:
                already += 1
            else:
                summaries += 1
                outbox.append(message_id)
    return Sent(digests, summaries, nothing, already, tuple(outbox))
