"""Schools' work kept between requests: an uploaded file of notices waiting for its preview to be confirmed,
the part-time timetables a school has told the authority about, and each term's return of them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.clock import utcnow
from shared.models.base import Base
from shared.models.intake import SchoolNotice
from shared.models.people import School, User


class NoticeUpload(Base):
    """A CSV or Common Transfer File a school user uploaded, kept (never in the cookie) from the preview until
    it is confirmed or abandoned. Once its notices are sent the file's bytes are emptied: the notices hold what
    the service needs."""

    __tablename__ = "notice_uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    file_name: Mapped[str] = mapped_column(String(255))
    file_format: Mapped[str] = mapped_column(String(10))  # "csv" or "ctf"
    content: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int]
    # For a CTF: the deletion ground applied to leavers whose destination is unknown, and answers it needs.
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(20), default="previewed")  # previewed, sent, discarded
    sent_at: Mapped[datetime | None]
    batch_reference: Mapped[str | None] = mapped_column(String(12))
    notices_sent: Mapped[int] = mapped_column(default=0)

    school: Mapped[School] = relationship()
    uploaded_by: Mapped[User] = relationship()


class PartTimeTimetable(Base):
    """A pupil's part-time timetable as it stands now. It starts with a part-time notice; the school updates,
    extends or ends it, and each change is kept in `changes` (and in the audit trail)."""

    __tablename__ = "part_time_timetables"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("school_notices.id"), unique=True)
    upn: Mapped[str | None] = mapped_column(String(13))
    pupil_first_name: Mapped[str] = mapped_column(String(100))
    pupil_last_name: Mapped[str] = mapped_column(String(100))
    pupil_date_of_birth: Mapped[date]
    start_date: Mapped[date]
    hours_per_week: Mapped[float]
    reason: Mapped[str] = mapped_column(Text)
    review_date: Mapped[date]
    agreed_with_parents: Mapped[bool]
    status: Mapped[str] = mapped_column(String(20), default="active", index=True)  # active, ended
    ended_on: Mapped[date | None]
    end_reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    changes: Mapped[list[dict[str, Any]]] = mapped_column(default=list)

    school: Mapped[School] = relationship()
    notice: Mapped[SchoolNotice] = relationship()


class TimetableReturn(Base):
    """A school's termly return of its part-time timetables: every current one, or a nil return. The row is
    made when the school is first reminded or when it makes the return, whichever comes first."""

    __tablename__ = "timetable_returns"
    __table_args__ = (UniqueConstraint("school_id", "term"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    term: Mapped[str] = mapped_column(String(20))  # e.g. "2026-autumn"
    due_on: Mapped[date]
    reminded_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    nil_return: Mapped[bool] = mapped_column(default=False)
    # What the return said: each timetable as it stood, so the return stays true after later changes.
    timetables: Mapped[list[dict[str, Any]]] = mapped_column(default=list)

    school: Mapped[School] = relationship()
    submitted_by: Mapped[User | None] = relationship()
