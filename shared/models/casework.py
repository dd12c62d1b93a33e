"""The CME team's work: cases, the reasonable enquiries made on them, and the contacts and notes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.clock import utcnow
from shared.domain.casework import CaseStatus
from shared.domain.vocab import CheckStatus, RiskLevel
from shared.models.base import Base
from shared.models.people import Child, School, User


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=CaseStatus.OPEN, index=True)
    risk_level: Mapped[str] = mapped_column(String(10), default=RiskLevel.MEDIUM)
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The day the child became missing education and why (the DfE termly CME collection's categories).
    missing_since: Mapped[date | None]
    primary_reason: Mapped[str | None] = mapped_column(String(40))
    # The day the team established where the child is (time to locate is measured to it).
    located_on: Mapped[date | None]
    closed_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(40))
    outcome_details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    placed_school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"))
    review_date: Mapped[date | None]
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Why the case was closed with checks still open (closing needs every check done or this).
    closure_justification: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    child: Mapped[Child] = relationship(back_populates="cases")
    assigned_to: Mapped[User | None] = relationship(foreign_keys=[assigned_to_id])
    opened_by: Mapped[User | None] = relationship(foreign_keys=[opened_by_id])
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])
    placed_school: Mapped[School | None] = relationship()
    enquiries: Mapped[list[Enquiry]] = relationship(back_populates="case", order_by="Enquiry.due_on")
    notes: Mapped[list[CaseNote]] = relationship(back_populates="case", order_by="CaseNote.occurred_at")
    events: Mapped[list[CaseEvent]] = relationship(back_populates="case", order_by="CaseEvent.occurred_at")

    @property
    def is_open(self) -> bool:
        return self.status != CaseStatus.CLOSED


class Enquiry(Base):
    """One reasonable enquiry (a check with an agency, the family or another authority) on a case."""

    __tablename__ = "enquiries"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    check_type: Mapped[str] = mapped_column(String(40))
    description: Mapped[str | None] = mapped_column(String(200))
    other_authority: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default=CheckStatus.TO_DO)
    due_on: Mapped[date] = mapped_column(index=True)
    asked_on: Mapped[date | None]
    answered_on: Mapped[date | None]
    answer: Mapped[str | None] = mapped_column(Text)
    result: Mapped[str | None] = mapped_column(String(20))
    not_applicable_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    case: Mapped[Case] = relationship(back_populates="enquiries")

    @property
    def is_open(self) -> bool:
        return self.status in (CheckStatus.TO_DO, CheckStatus.ASKED)


class CaseNote(Base):
    """A contact (call, letter, email, visit, meeting) or a plain note on a case."""

    __tablename__ = "case_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    occurred_at: Mapped[datetime]
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    with_whom: Mapped[str | None] = mapped_column(String(200))
    outcome: Mapped[str | None] = mapped_column(String(500))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    case: Mapped[Case] = relationship(back_populates="notes")
    author: Mapped[User | None] = relationship()


class CaseEvent(Base):
    """A change in a case's life that is not a check or a contact: opened, status moves, assignment, risk,
    closure, reopening. With the referrals, notices, checks and notes it makes the case's timeline."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(30))
    summary: Mapped[str] = mapped_column(String(500))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)

    case: Mapped[Case] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


class ReminderSend(Base):
    """A reminder digest sent to one person for one day: `cme reminders send` sends each at most once."""

    __tablename__ = "reminder_sends"
    __table_args__ = (UniqueConstraint("user_id", "kind", "sent_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    sent_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
