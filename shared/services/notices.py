"""Schools' notices: storing them (one at a time or a whole file in one transaction), sending the ones the CME
team must act on to its intake, attaching a joiner to the open case of the child it locates, and acknowledging
them to the school user by email."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from shared.domain.casework import OPEN_STATUSES
from shared.domain.notices import CheckedNotice, joiner_is_late, routes_to_cme
from shared.domain.reference import new_reference
from shared.domain.vocab import NoticeKind, NoticeStatus
from shared.models import Case, Child, PartTimeTimetable, School, SchoolNotice, User
from shared.services import audit, emails, mail


@dataclass(frozen=True)
class Sent:
    references: tuple[str, ...]
    batch_reference: str | None
    routed: int
    attached: int
    late: int
    outbox_ids: tuple[int, ...]


NameKey = tuple[str, str, date | None]  # first and last names in lower case, and the date of birth


def _open_cases_by_child(
    session: Session, notices: Sequence[CheckedNotice]
) -> tuple[dict[str, Child], dict[NameKey, Child]]:
    """Open cases of the children these joiners may be, found by UPN or by name and date of birth, in a few
    queries however many notices there are (each child's cases loaded with it)."""
    joiners = [notice for notice in notices if notice.kind == NoticeKind.JOINER]
    if not joiners:
        return {}, {}
    open_case = select(Case.id).where(Case.child_id == Child.id, Case.status.in_(OPEN_STATUSES)).exists()
    upns = {notice.upn for notice in joiners if notice.upn}
    by_upn: dict[str, Child] = {}
    if upns:
        query = select(Child).where(Child.upn.in_(upns), open_case).options(selectinload(Child.cases))
        for child in session.scalars(query):
            if child.upn:
                by_upn.setdefault(child.upn, child)
    # By date of birth, which is indexed, and then the names compared here: a lookup on lower-cased names would
    # read every child.
    wanted = {(n.first_name.lower(), n.last_name.lower(), n.date_of_birth) for n in joiners}
    births = sorted({key[2] for key in wanted})
    by_name: dict[NameKey, Child] = {}
    for chunk_start in range(0, len(births), 500):
        query = (
            select(Child)
            .where(Child.date_of_birth.in_(births[chunk_start : chunk_start + 500]), open_case)
            .options(selectinload(Child.cases))
        )
        for child in session.scalars(query):
            key = ((child.first_name or "").lower(), (child.last_name or "").lower(), child.date_of_birth)
            if key in wanted:
                by_name.setdefault(key, child)
    return by_upn, by_name


def _open_case(child: Child) -> Case | None:
    cases = [case for case in child.cases if case.status in OPEN_STATUSES]
    return max(cases, key=lambda case: case.opened_at) if cases else None


def send_notices(
    session: Session,
    school: School,
    user: User,
    notices: Sequence[CheckedNotice],
    now: datetime,
    today: date,
    add_school_days: Callable[[date, int], date],
    service_url: str,
    *,
    submission_key: str | None = None,
    progress: Callable[[int], None] | None = None,
    commit: bool = True,
    absence_is_cme: bool = True,
) -> Sent:
    """Store the notices in one transaction (all or none), route and attach them, and queue the
    acknowledgement. More than one notice makes a batch with its own reference.

    A single notice may carry the key of the form that sent it: sending that form again (a double click, a
    reload, a retry after a lost response) returns the notice already stored instead of storing another.
    `progress` is told how many notices have been prepared, every 500 and at the end. With `commit=False` the
    caller adds its own changes to the same transaction and commits it. Where the authority does not count long
    absence as missing education (`absence_is_cme` off), a continuous-absence notice is stored but not routed."""
    if submission_key is not None:
        if len(notices) != 1:
            raise ValueError("a submission key belongs to a single notice")
        # stored hashed with the school, so one school's key can never collide with, or find, another's
        submission_key = hashlib.sha256(f"{school.id}:{submission_key}".encode()).hexdigest()
        already = _already_sent(session, school, submission_key)
        if already is not None:
            return already
    batch = new_reference("SB") if len(notices) > 1 else None
    by_upn, by_name = _open_cases_by_child(session, notices)
    stored, routed, attached, late = [], 0, 0, 0
    for notice in notices:
        details = dict(notice.details)
        if notice.kind == NoticeKind.JOINER and joiner_is_late(notice.event_date, today, add_school_days):
            details["late"] = True
            late += 1
        record = SchoolNotice(
            reference=new_reference("SN"),
            school=school,
            kind=notice.kind,
            status=NoticeStatus.RECEIVED,
            submitted_by=user,
            submitted_at=now,
            upn=notice.upn,
            pupil_first_name=notice.first_name,
            pupil_last_name=notice.last_name,
            pupil_date_of_birth=notice.date_of_birth,
            pupil_sex=notice.sex,
            pupil_postcode=notice.postcode,
            event_date=notice.event_date,
            deletion_ground=notice.deletion_ground,
            destination_laestab=notice.destination_laestab,
            details=details,
            batch_reference=batch,
            routed_to_cme=False,  # every row has the same columns, so they are inserted in batches
        )
        if routes_to_cme(
            notice.kind, notice.deletion_ground, notice.destination_laestab, absence_is_cme=absence_is_cme
        ):
            record.routed_to_cme = True
            record.status = NoticeStatus.FOR_CME
            routed += 1
        if notice.kind == NoticeKind.JOINER:
            child = (by_upn.get(notice.upn) if notice.upn else None) or by_name.get(
                (notice.first_name.lower(), notice.last_name.lower(), notice.date_of_birth)
            )
            case = _open_case(child) if child else None
            if case is not None:  # evidence of where the child is: the case's officer sees it on the case
                record.child, record.case, record.status = child, case, NoticeStatus.ATTACHED
                attached += 1
        if notice.kind == NoticeKind.PART_TIME:
            session.add(_timetable(record, notice, now))
        stored.append(record)
        if progress is not None and len(stored) % 500 == 0:
            progress(len(stored))
    if submission_key is not None:
        stored[0].submission_key = submission_key
    session.add_all(stored)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        already = _already_sent(session, school, submission_key) if submission_key else None
        if already is None:
            raise
        return already  # the same form, sent twice at once: the other request stored it
    if progress is not None and len(stored) % 500:
        progress(len(stored))
    audit.record(
        session,
        user,
        "create",
        "school_notice",
        stored[0].id if len(stored) == 1 else None,
        after={"batch": batch, "notices": len(stored), "routed_to_cme": routed, "attached": attached},
    )
    outbox = [mail.queue(session, user.email, *_acknowledgement(stored, batch, school, service_url))]
    session.flush()
    if commit:
        session.commit()
    return Sent(
        tuple(record.reference for record in stored), batch, routed, attached, late, tuple(m.id for m in outbox)
    )


def _already_sent(session: Session, school: School, submission_key: str) -> Sent | None:
    record = session.scalar(
        select(SchoolNotice).where(SchoolNotice.submission_key == submission_key, SchoolNotice.school_id == school.id)
    )
    if record is None:
        return None
    routed = int(record.routed_to_cme)
    attached = int(record.status == NoticeStatus.ATTACHED)
    return Sent((record.reference,), None, routed, attached, int(bool(record.details.get("late"))), ())


def _timetable(record: SchoolNotice, notice: CheckedNotice, now: datetime) -> PartTimeTimetable:
    """The timetable a part-time notice starts, which the school later updates, extends or ends."""
    return PartTimeTimetable(
        school=record.school,
        notice=record,
        upn=notice.upn,
        pupil_first_name=notice.first_name,
        pupil_last_name=notice.last_name,
        pupil_date_of_birth=notice.date_of_birth,
        start_date=notice.event_date,
        hours_per_week=notice.details["hours_per_week"],
        reason=notice.details["reason"],
        review_date=date.fromisoformat(notice.details["review_date"]),
        agreed_with_parents=bool(notice.details["agreed_with_parents"]),
        status="active",
        updated_at=now,
        changes=[],
    )


def _acknowledgement(stored: list[SchoolNotice], batch: str | None, school: School, service_url: str):
    """The email to the school user: references only, never a pupil's details."""
    if batch:
        references = [record.reference for record in stored]
        return emails.render(
            "notices_received", school_name=school.name, batch=batch, references=references, service_url=service_url
        )
    return emails.render(
        "notice_received", school_name=school.name, reference=stored[0].reference, service_url=service_url
    )
