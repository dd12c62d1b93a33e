"""Pupil-level attendance: the pupils schools' files name, their marks a week at a time, the rollups kept at import
so trends are read rather than recomputed, the files imported, and the alerts raised for long unexplained absence.
How marks are written into a week's string is in shared.domain.attendance."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.clock import utcnow
from shared.domain.attendance import ImportStatus
from shared.domain.vocab import ReferralStatus
from shared.models.base import Base
from shared.models.casework import Case
from shared.models.people import Child, School, User


class AttendancePupil(Base):
    """A pupil as attendance files name them, one per UPN. `child_id` links the pupil to a child the CME team
    knows (by UPN, or by exact name and date of birth). The run columns are recomputed from the pupil's marks at
    every import that touches them."""

    __tablename__ = "attendance_pupils"

    id: Mapped[int] = mapped_column(primary_key=True)
    upn: Mapped[str] = mapped_column(String(13), unique=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[date]
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)  # the school of the latest marks
    child_id: Mapped[int | None] = mapped_column(ForeignKey("children.id"), index=True)
    last_marked_on: Mapped[date | None]
    current_run_start: Mapped[date | None]
    current_run_sessions: Mapped[int] = mapped_column(default=0)
    longest_run_start: Mapped[date | None]
    longest_run_sessions: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    anonymised_at: Mapped[datetime | None]  # by `cme retention run` (docs/retention.md)

    school: Mapped[School] = relationship()
    child: Mapped[Child | None] = relationship()


class AttendanceWeek(Base):
    """One pupil's marks at one school for one week (Monday to Friday), with their counts."""

    __tablename__ = "attendance_weeks"
    __table_args__ = (Index("ix_attendance_weeks_school_week", "school_id", "week_start"),)

    pupil_id: Mapped[int] = mapped_column(ForeignKey("attendance_pupils.id", ondelete="CASCADE"), primary_key=True)
    week_start: Mapped[date] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), primary_key=True)
    marks: Mapped[str] = mapped_column(String(10))
    possible: Mapped[int] = mapped_column(SmallInteger)
    present: Mapped[int] = mapped_column(SmallInteger)
    authorised: Mapped[int] = mapped_column(SmallInteger)
    unauthorised: Mapped[int] = mapped_column(SmallInteger)
    unexplained: Mapped[int] = mapped_column(SmallInteger)


class AttendanceSchoolWeek(Base):
    """A school's week: its sessions summed over its pupils, and how many of its pupils were persistently or
    severely absent over the term so far at the week's end (so the trend of both is read, not recomputed)."""

    __tablename__ = "attendance_school_weeks"

    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), primary_key=True)
    week_start: Mapped[date] = mapped_column(primary_key=True, index=True)
    pupils: Mapped[int]  # pupils with a possible session this week
    possible: Mapped[int]
    present: Mapped[int]
    authorised: Mapped[int]
    unauthorised: Mapped[int]
    unexplained: Mapped[int]
    term_pupils: Mapped[int]  # pupils with a possible session in the term up to this week's end
    term_persistent: Mapped[int]  # of those, missed 10% or more of their possible sessions
    term_severe: Mapped[int]  # ... 50% or more


class AttendanceImport(Base):
    """A file of attendance marks: kept from upload, through its check and import, with progress the page shows.
    The file's bytes are emptied once it is imported or discarded."""

    __tablename__ = "attendance_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # A school user's upload may hold only their own school's marks; the team's may hold any school's.
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"), index=True)
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    file_name: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    size: Mapped[int]
    status: Mapped[str] = mapped_column(String(20), default=ImportStatus.CHECKING, index=True)
    stage: Mapped[str | None] = mapped_column(String(100))  # what it is doing now, as the progress page says it
    lines_total: Mapped[int | None]
    lines_done: Mapped[int] = mapped_column(default=0)
    progress_at: Mapped[datetime | None]
    skip_bad_lines: Mapped[bool] = mapped_column(default=False)
    problems: Mapped[list[dict[str, Any]]] = mapped_column(default=list)  # {line, field, message}, the first 1,000
    problem_count: Mapped[int] = mapped_column(default=0)
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)  # schools, pupils, marks, dates, alerts
    error: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None]
    # The background worker that has the file's check or import, until when, and how many times a worker has
    # taken it: a lease the sweeper hands on when it runs out (shared/services/attendance_files.py), so a worker
    # that dies loses nothing.
    lease_holder: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0)

    uploaded_by: Mapped[User | None] = relationship()


class AttendanceAlert(Base):
    """A pupil's run of unexplained absence that reached 10 school days: an item in the CME team's intake queue,
    raised once per run (a run is known by the pupil and its first session's date). Its statuses are a
    referral's: new, in triage, linked to a case, closed without a case."""

    __tablename__ = "attendance_alerts"
    __table_args__ = (UniqueConstraint("pupil_id", "run_start", name="uq_attendance_alerts_pupil_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("attendance_pupils.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("attendance_imports.id"))
    run_start: Mapped[date]
    sessions: Mapped[int]  # the run's length in sessions when the alert was raised
    raised_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    status: Mapped[str] = mapped_column(String(20), default=ReferralStatus.NEW, index=True)
    # The pupil's details as the file gave them, for the queue and matching.
    upn: Mapped[str] = mapped_column(String(13), index=True)
    pupil_first_name: Mapped[str] = mapped_column(String(100))
    pupil_last_name: Mapped[str] = mapped_column(String(100))
    pupil_date_of_birth: Mapped[date]
    child_id: Mapped[int | None] = mapped_column(ForeignKey("children.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    triaged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    triaged_at: Mapped[datetime | None]
    closed_reason: Mapped[str | None] = mapped_column(Text)
    anonymised_at: Mapped[datetime | None]  # by `cme retention run` (docs/retention.md)

    pupil: Mapped[AttendancePupil] = relationship()
    school: Mapped[School] = relationship()
    child: Mapped[Child | None] = relationship()
    case: Mapped[Case | None] = relationship()
    triaged_by: Mapped[User | None] = relationship()
