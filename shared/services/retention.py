"""`cme retention run`: anonymise or delete what is past its retention period (docs/retention.md).

Each kind of record is worked through in batches, one transaction each: a batch is done whole or not at all, and a
run that fails keeps the batches before it. A dry run does the same work and rolls every batch back, so it reports
exactly what a run would do and changes nothing. What is done is marked (`anonymised_at`, emptied files, deleted
rows), so a second run finds nothing. A real run ends with one audit event giving the counts, nothing else.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from typing import Any

from sqlalchemy import delete, exists, func, or_, select, update
from sqlalchemy.orm import Session, selectinload

from shared.db import rows_changed
from shared.domain.attendance import IN_PROGRESS
from shared.domain.casework import CaseStatus
from shared.domain.retention import (
    ANONYMISED_NAME,
    REMOVED_TEXT,
    Cutoffs,
    RetentionPeriods,
    anonymised_upn,
    child_is_past,
    cutoffs,
    postcode_district,
    school_year_of_birth,
)
from shared.domain.vocab import NoticeStatus
from shared.models import (
    AttendanceAlert,
    AttendanceImport,
    AttendancePupil,
    AttendanceWeek,
    Case,
    Child,
    NoticeUpload,
    OutboxMessage,
    PartTimeTimetable,
    Referral,
    ReferralAddition,
    SchoolNotice,
    TimetableReturn,
)
from shared.services import audit, reports
from shared.services.intake import KINDS as INTAKE_KINDS

BATCH_SIZE = 500

# What the run reports, in this order: (key, what was done to how many).
KINDS: tuple[tuple[str, str], ...] = (
    ("children", "Children anonymised (all cases closed)"),
    ("carers", "Carers deleted"),
    ("referrals", "Reports anonymised"),
    ("referral_additions", "Reporters' additions deleted"),
    ("school_notices", "School notices anonymised"),
    ("attendance_alerts", "Attendance alerts anonymised"),
    ("report_drafts", "Expired report drafts deleted"),
    ("attendance_weeks", "Pupils' attendance weeks deleted"),
    ("attendance_pupils_deleted", "Attendance pupils deleted"),
    ("attendance_pupils_anonymised", "Attendance pupils anonymised"),
    ("notice_upload_files", "Uploaded notice files emptied"),
    ("attendance_import_files", "Attendance files emptied"),
    ("outbox_messages", "Unsent emails deleted"),
)
# Kept details of a timeline line: the statuses it moved between and the facts of a closure, never free text.
EVENT_DETAILS_KEPT = frozenset({"from", "to", "checks", "confirmed", "date"})
# Each kind of intake item (shared.services.intake.KINDS) is done with once closed without a case; a notice never
# sent to the team (a joiner, say) is done with as it arrives. One waiting for a decision is pending.
CLOSED_WITHOUT_CASE: dict[type, tuple[str, ...]] = {kind.model: (kind.closed,) for kind in INTAKE_KINDS}
CLOSED_WITHOUT_CASE[SchoolNotice] = (NoticeStatus.RECEIVED, *CLOSED_WITHOUT_CASE[SchoolNotice])
PENDING = {kind.model: kind.waiting for kind in INTAKE_KINDS}


@dataclass(frozen=True)
class RetentionReport:
    counts: dict[str, int]
    dry_run: bool

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def rows(self) -> list[tuple[str, int]]:
        return [(label, self.counts[key]) for key, label in KINDS]


def run(
    session: Session,
    periods: RetentionPeriods,
    now: datetime,
    today: date,
    dry_run: bool = False,
    batch_size: int = BATCH_SIZE,
) -> RetentionReport:
    """Anonymise and delete what is past its time (`now`, with `today` the UK date), a batch per transaction."""
    limits = cutoffs(periods, now, today)
    counts: Counter[str] = Counter()
    runner = _Batches(session, dry_run, batch_size)
    runner.by_id(Child.id, _children_past(limits), lambda ids: _anonymise_children(session, ids, limits, now, counts))
    for model in (Referral, SchoolNotice, AttendanceAlert):
        runner.by_id(
            model.id,
            _no_case_items_past(model, limits),
            partial(_anonymise_items, session, model, now=now, counts=counts),
        )
    runner.once(lambda: counts.update(report_drafts=reports.purge_expired(session, now)))
    runner.by_id(
        AttendanceWeek.week_start,
        select(AttendanceWeek.week_start).where(AttendanceWeek.week_start <= limits.week_started_by).distinct(),
        lambda weeks: counts.update(attendance_weeks=_delete_weeks(session, weeks)),
        batch_size=1,  # a week of a whole authority's pupils is one batch
    )
    runner.by_id(AttendancePupil.id, _pupils_past(limits), lambda ids: _retire_pupils(session, ids, now, counts))
    runner.by_id(
        NoticeUpload.id,
        select(NoticeUpload.id).where(
            NoticeUpload.uploaded_at <= limits.uploaded_by, func.length(NoticeUpload.content) > 0
        ),
        lambda ids: counts.update(
            notice_upload_files=_updated(session, NoticeUpload, ids, {"content": b""}),
        ),
    )
    runner.by_id(
        AttendanceImport.id,
        select(AttendanceImport.id).where(
            AttendanceImport.uploaded_at <= limits.uploaded_by,
            AttendanceImport.content.is_not(None),
            AttendanceImport.status.not_in(IN_PROGRESS),
        ),
        # The problems found in a file quote its lines: they go with it (their count stays).
        lambda ids: counts.update(
            attendance_import_files=_updated(session, AttendanceImport, ids, {"content": None, "problems": []}),
        ),
    )
    runner.by_id(
        OutboxMessage.id,
        select(OutboxMessage.id).where(OutboxMessage.created_at <= limits.written_by),
        lambda ids: counts.update(
            outbox_messages=rows_changed(session, delete(OutboxMessage).where(OutboxMessage.id.in_(ids)))
        ),
    )
    report = RetentionReport({key: counts[key] for key, _ in KINDS}, dry_run)
    if not dry_run:
        audit.record(session, None, "retention_run", "retention", None, after=report.counts, actor_label="retention")
        session.commit()
    return report


class _Batches:
    def __init__(self, session: Session, dry_run: bool, batch_size: int):
        self.session, self.dry_run, self.batch_size = session, dry_run, batch_size

    def _end(self, work: Callable[[], object]) -> None:
        try:
            work()
            self.session.flush()
        except BaseException:
            self.session.rollback()
            raise
        if self.dry_run:
            self.session.rollback()
        else:
            self.session.commit()

    def once(self, work: Callable[[], object]) -> None:
        self._end(work)

    def by_id(self, key, candidates, work: Callable[[list], object], batch_size: int | None = None) -> None:
        """`work` on the candidates' keys a batch at a time, in key order (a dry run's rolled-back batches would
        otherwise be found again)."""
        last = None
        while True:
            statement = candidates if last is None else candidates.where(key > last)
            keys = list(self.session.scalars(statement.order_by(key).limit(batch_size or self.batch_size)))
            if not keys:
                return
            self._end(partial(work, keys))
            last = keys[-1]


# Children whose cases are all closed ------------------------------------------------------------------------------


def _children_past(limits: Cutoffs):
    not_closed = exists().where(Case.child_id == Child.id, Case.status != CaseStatus.CLOSED)
    closed_since = exists().where(Case.child_id == Child.id, Case.closed_at > limits.case_closed_by)
    pending = [
        exists().where(model.child_id == Child.id, model.status.in_(statuses)) for model, statuses in PENDING.items()
    ]
    running_timetable = exists().where(
        SchoolNotice.child_id == Child.id,
        PartTimeTimetable.notice_id == SchoolNotice.id,
        PartTimeTimetable.status == "active",
    )
    return select(Child.id).where(
        Child.anonymised_at.is_(None),
        exists().where(Case.child_id == Child.id),
        ~not_closed,
        ~closed_since,
        *(~item for item in pending),
        ~running_timetable,
    )


def _anonymise_children(session: Session, ids: list[int], limits: Cutoffs, now: datetime, counts: Counter) -> None:
    # Asked again, with the rows locked, inside the batch's transaction: a case reopened or a report linked to the
    # child since the batch was chosen keeps the child out.
    ids = list(session.scalars(_children_past(limits).where(Child.id.in_(ids)).with_for_update(of=Child)))
    if not ids:
        return
    children = session.scalars(
        select(Child)
        .where(Child.id.in_(ids))
        .options(
            selectinload(Child.carers),
            selectinload(Child.cases).selectinload(Case.notes),
            selectinload(Child.cases).selectinload(Case.events),
            selectinload(Child.cases).selectinload(Case.enquiries),
        )
        .order_by(Child.id)
    ).all()
    children = [child for child in children if child_is_past(_last_closed(child), child.date_of_birth, limits)]
    for child in children:
        anonymise_child(child, now, counts)
    if not children:
        return
    child_ids = [child.id for child in children]
    case_ids = [case.id for child in children for case in child.cases]
    for model in (Referral, SchoolNotice, AttendanceAlert):
        about = or_(model.child_id.in_(child_ids), model.case_id.in_(case_ids))
        items = session.scalars(select(model.id).where(about, model.anonymised_at.is_(None))).all()
        if items:
            _anonymise_items(session, model, list(items), now, counts)
    # The pupil's marks are the school's current business (and have their own period): only the link goes.
    session.execute(update(AttendancePupil).where(AttendancePupil.child_id.in_(child_ids)).values(child_id=None))


def _last_closed(child: Child) -> datetime:
    return max(case.closed_at for case in child.cases if case.closed_at is not None)  # (every case is closed)


def anonymise_child(child: Child, now: datetime, counts: Counter) -> None:
    """Keep what the dashboard and the DfE return count (sex, school year of birth, postcode district, SEN,
    looked after, groups, school, the cases' dates, reasons and outcomes); take what identifies the child or family,
    and the free text that may."""
    child.first_name = child.middle_names = child.other_names = None
    child.last_name = ANONYMISED_NAME
    child.date_of_birth = school_year_of_birth(child.date_of_birth)
    child.postcode = postcode_district(child.postcode)
    child.address_line_1 = child.address_line_2 = child.town = child.phone = child.upn = None
    child.anonymised_at = now
    counts.update(children=1, carers=len(child.carers))
    child.carers.clear()  # delete-orphan: the rows are deleted
    for case in child.cases:
        case.closure_justification = None
        for note in case.notes:
            note.text, note.with_whom, note.outcome = REMOVED_TEXT, None, None
        for event in case.events:
            event.summary = REMOVED_TEXT
            event.details = {key: value for key, value in event.details.items() if key in EVENT_DETAILS_KEPT}
        for check in case.enquiries:
            check.description = check.answer = check.not_applicable_reason = None


# Reports, notices and alerts --------------------------------------------------------------------------------------


def _no_case_items_past(model, limits: Cutoffs):
    """Items about no known child that the team closed without a case (or, for a notice, never needed to act on),
    decided on or before the cut-off."""
    arrived = {Referral: Referral.received_at, SchoolNotice: SchoolNotice.submitted_at}.get(
        model, AttendanceAlert.raised_at
    )
    where = [
        model.anonymised_at.is_(None),
        model.case_id.is_(None),
        model.child_id.is_(None),
        model.status.in_(CLOSED_WITHOUT_CASE[model]),
        func.coalesce(model.triaged_at, arrived) <= limits.decided_by,
    ]
    if model is SchoolNotice:
        where.append(
            ~exists().where(PartTimeTimetable.notice_id == SchoolNotice.id, PartTimeTimetable.status == "active")
        )
    return select(model.id).where(*where)


def _anonymise_items(session: Session, model, ids: Sequence[int], now: datetime, counts: Counter) -> None:
    items = session.scalars(select(model).where(model.id.in_(ids)).order_by(model.id)).all()
    anonymise: dict[type, Callable[[Session, Any, Counter], None]] = {
        Referral: _anonymise_referral,
        SchoolNotice: _anonymise_notice,
        AttendanceAlert: _anonymise_alert,
    }
    for item in items:
        anonymise[model](session, item, counts)
        item.closed_reason = None
        item.anonymised_at = now
    counts.update({model.__tablename__: len(items)})


def _anonymise_referral(session: Session, referral: Referral, counts: Counter) -> None:
    """The report's whole answer set goes, with the reporter's details; its source, dates and status stay (the
    dashboard counts reports by source and week)."""
    referral.answers = {}
    referral.child_first_name = referral.child_last_name = None
    referral.child_date_of_birth = school_year_of_birth(referral.child_date_of_birth)
    referral.child_postcode = postcode_district(referral.child_postcode)
    referral.reporter_name = referral.reporter_email = referral.reporter_phone = None
    referral.reporter_organisation = referral.consent_to_contact = referral.secret_phrase_hash = None
    deleted = rows_changed(session, delete(ReferralAddition).where(ReferralAddition.referral_id == referral.id))
    counts.update(referral_additions=deleted)


def _anonymise_notice(session: Session, notice: SchoolNotice, _counts: Counter) -> None:
    notice.upn = None
    notice.pupil_first_name, notice.pupil_last_name = "", ANONYMISED_NAME
    notice.pupil_date_of_birth = school_year_of_birth(notice.pupil_date_of_birth)
    notice.pupil_postcode = postcode_district(notice.pupil_postcode)
    notice.details = {}
    timetable = session.scalar(select(PartTimeTimetable).where(PartTimeTimetable.notice_id == notice.id))
    if timetable is not None:
        timetable.upn = None
        timetable.pupil_first_name, timetable.pupil_last_name = "", ANONYMISED_NAME
        timetable.pupil_date_of_birth = school_year_of_birth(timetable.pupil_date_of_birth)
        timetable.reason, timetable.end_reason, timetable.changes = REMOVED_TEXT, None, []
        _anonymise_in_returns(session, notice)


def _anonymise_in_returns(session: Session, notice: SchoolNotice) -> None:
    """The school's termly returns state each timetable as it was (a copy, by notice reference): the pupil's
    entries there lose the same details."""
    returns = session.scalars(select(TimetableReturn).where(TimetableReturn.school_id == notice.school_id)).all()
    for made in returns:
        if not any(entry.get("notice") == notice.reference for entry in made.timetables):
            continue
        made.timetables = [  # a new list: the JSON column notices only a new value
            _anonymised_entry(entry) if entry.get("notice") == notice.reference else entry for entry in made.timetables
        ]


def _anonymised_entry(entry: dict) -> dict:
    born = entry.get("date_of_birth")
    kept = school_year_of_birth(date.fromisoformat(born)) if born else None
    return {
        **entry,
        "upn": None,
        "first_name": "",
        "last_name": ANONYMISED_NAME,
        "date_of_birth": kept.isoformat() if kept else None,
        "reason": REMOVED_TEXT,
    }


def _anonymise_alert(_session: Session, alert: AttendanceAlert, _counts: Counter) -> None:
    alert.upn = ""
    alert.pupil_first_name, alert.pupil_last_name = "", ANONYMISED_NAME
    alert.pupil_date_of_birth = school_year_of_birth(alert.pupil_date_of_birth)


# Attendance ---------------------------------------------------------------------------------------------------------


def _delete_weeks(session: Session, weeks: list[date]) -> int:
    return rows_changed(session, delete(AttendanceWeek).where(AttendanceWeek.week_start.in_(weeks)))


def _pupils_past(limits: Cutoffs):
    """Pupils with no marks newer than the cut-off (so a dry run, whose deletions were rolled back, finds the same
    pupils a run would)."""
    recent = exists().where(
        AttendanceWeek.pupil_id == AttendancePupil.id, AttendanceWeek.week_start > limits.week_started_by
    )
    return select(AttendancePupil.id).where(AttendancePupil.anonymised_at.is_(None), ~recent)


def _retire_pupils(session: Session, ids: list[int], now: datetime, counts: Counter) -> None:
    """A pupil with no marks left is deleted, unless an alert (kept with its case, or until its own time) names
    them: then only what identifies them goes."""
    alerted = set(session.scalars(select(AttendanceAlert.pupil_id).where(AttendanceAlert.pupil_id.in_(ids))))
    gone = [pupil_id for pupil_id in ids if pupil_id not in alerted]
    if gone:
        session.execute(delete(AttendanceWeek).where(AttendanceWeek.pupil_id.in_(gone)))  # (a dry run's, rolled back)
        counts.update(
            attendance_pupils_deleted=rows_changed(session, delete(AttendancePupil).where(AttendancePupil.id.in_(gone)))
        )
    for pupil in session.scalars(select(AttendancePupil).where(AttendancePupil.id.in_(alerted))):
        pupil.upn = anonymised_upn(pupil.id)
        pupil.first_name, pupil.last_name = "", ANONYMISED_NAME
        pupil.date_of_birth = school_year_of_birth(pupil.date_of_birth)
        pupil.child_id = None
        pupil.anonymised_at = now
        counts.update(attendance_pupils_anonymised=1)


def _updated(session: Session, model, ids: list[int], values: dict) -> int:
    return rows_changed(session, update(model).where(model.id.in_(ids)).values(**values))
